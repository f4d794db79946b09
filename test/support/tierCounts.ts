// Each test tier's counts, appended as one JSON line to $KMEMMAP_COUNTS_FILE (set by scripts/test-all.sh),
// so `npm test` can close with one line summed over the tiers and fail a tier that ran no test.
import { appendFileSync } from 'node:fs';

export interface TierCounts {
  passed: number;
  failed: number;
  /** Tests that did not run (mocha's pending). forbid-pending turns them into failures in CI. */
  skipped: number;
}

export function recordTierCounts(counts: TierCounts): void {
  const file = process.env.KMEMMAP_COUNTS_FILE;
  if (!file) return;
  const tier = process.env.KMEMMAP_TIER ?? 'unnamed';
  appendFileSync(file, JSON.stringify({ tier, ...counts }) + '\n');
}
