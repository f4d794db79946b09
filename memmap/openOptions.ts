// What every snapshot reader accepts from its caller (open.ts, the CLI, the parse worker).
import type { OfflineRuleSet } from './offlineRules';

export interface OpenOptions {
  /** Progress in arbitrary units (done of total). */
  onProgress?(done: number, total: number): void;
  signal?: AbortSignal;
  /** Further offlining rule sets (patch review): every block's verdict under each, in verdict.byRuleSet. */
  ruleSets?: readonly OfflineRuleSet[];
}
