// Test setup for tests on the real Debian kernel trees: unpacks them once with scripts/kernel-sources.sh
// into $HOME/.cache/kmemmap-src (or $KMEMMAP_SRC_CACHE). Tests skip when the source packages are missing.

import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { homedir } from 'node:os';
import { parseConfigText, parseEnumText, type ParsedEnum } from '../../../kernel/headerEnum';

export const SRC_CACHE = process.env.KMEMMAP_SRC_CACHE ?? join(homedir(), '.cache/kmemmap-src');

/** Path of the unpacked tree for "6.1" / "6.12", unpacking it on first use; undefined when unavailable. */
export function realTree(v: '6.1' | '6.12'): string | undefined {
  const tree = join(SRC_CACHE, `linux-source-${v}`);
  if (existsSync(join(tree, '.kmemmap-unpacked'))) return tree;
  if (!existsSync(`/usr/src/linux-source-${v}.tar.xz`)) return undefined;
  execFileSync('sh', [resolve(__dirname, '../../../../scripts/kernel-sources.sh')], { stdio: 'ignore' });
  return existsSync(join(tree, '.kmemmap-unpacked')) ? tree : undefined;
}

/** CONFIG_* switches that are y/m in the tree's .config (the Debian amd64 config). */
export function readConfig(tree: string): Set<string> {
  const p = join(tree, '.config');
  return existsSync(p) ? parseConfigText(readFileSync(p, 'utf8')) : new Set<string>();
}

// The enum parser lives in kernel/headerEnum.ts: patch review derives a patched layout with the same code.
export { evalCondition, preprocess, type ParsedEnum } from '../../../kernel/headerEnum';

/** Parses `enum <name> { … }` from a header file with the config's switches (members before __NR_PAGEFLAGS). */
export function parseEnum(file: string, name: string, config: Set<string>): ParsedEnum {
  return parseEnumText(readFileSync(file, 'utf8'), name, config, file);
}
