// Which machine a flags word comes from, and what that changes in page->flags: the bits above
// PG_hwpoison (their presence is config- and architecture-dependent), NR_PAGEFLAGS and the node/zone
// field widths of distribution builds. The x86_64 tables are kernel/pageflags.ts; arm64 shares their
// numbers up to PG_hwpoison from 6.12 on (PG_uncached, x86-only, is gone), then adds MTE's bits.
// Facts: docs/kernel/arm64.md (page->flags).
import type { FlagFields, LayoutFamily, LayoutFamilyId } from './pageflags';

/** `uname -m` of the machines the tables know. */
export type ArchName = 'x86_64' | 'aarch64';

/** Debian arm64 (6.12, 7.3): CONFIG_NODES_SHIFT=4; DMA, DMA32, Normal, Movable, Device → ZONES_WIDTH 3. */
export const DEBIAN_ARM64_FIELDS: FlagFields = { nodesShift: 4, zonesWidth: 3 };

/**
 * The flags above PG_hwpoison in a Debian arm64 build, in enum order (include/linux/page-flags.h 6.12:
 * PG_young, PG_idle under CONFIG_PAGE_IDLE_FLAG, PG_arch_2 under ARCH_USES_PG_ARCH_2, PG_arch_3 under
 * ARCH_USES_PG_ARCH_3; arch/arm64/Kconfig ARM64_MTE selects both, Debian sets ARM64_MTE and LRU_GEN,
 * which selects PAGE_IDLE_FLAG). So the bits are named, not guessed: NR_PAGEFLAGS = PG_hwpoison + 5.
 */
export const ARM64_ABOVE = ['young', 'idle', 'arch_2', 'arch_3'] as const;

/** arm64 names for architecture bits (arch/arm64/include/asm/mte.h, cacheflush.h, 6.12). */
export const ARM64_ALIASES: readonly { name: string; of: string; note: string }[] = [
  { name: 'dcache_clean', of: 'arch_1', note: 'D-cache clean to the point of unification (cacheflush.h)' },
  { name: 'mte_tagged', of: 'arch_2', note: 'MTE tags of the page are initialised (mte.h)' },
  { name: 'mte_lock', of: 'arch_3', note: 'MTE tag initialisation in progress (mte.h)' },
];

/**
 * Layout families whose arm64 build was checked: 6.12 (linux-source 6.12 and Debian's 6.12.118 arm64
 * config) and 7.3 (page-flags.h 7.3.4, the arm64 lab's VMCOREINFO); 6.14-6.18 lies between them with
 * the same enum. Before 6.12 x86_64 still had PG_uncached below PG_hwpoison, so the x86_64 tables do
 * not give arm64's numbers there: those releases are refused for arm64 rather than guessed.
 */
const ARM64_FAMILIES: readonly LayoutFamilyId[] = ['6.12-6.13', '6.14-6.18', '7.2-7.3'];

export function arm64HasLayout(f: LayoutFamily): boolean {
  return ARM64_FAMILIES.includes(f.id);
}

/** First release whose arm64 flag layout the tables give (for messages). */
export const ARM64_FIRST_RELEASE = '6.12';

/** "arm64", "aarch64", "ARM64" → aarch64; "x86_64", "amd64", "x86" → x86_64; else undefined. */
export function parseArch(s: string): ArchName | undefined {
  const t = s.trim().toLowerCase();
  if (t === 'arm64' || t === 'aarch64') return 'aarch64';
  if (t === 'x86_64' || t === 'amd64' || t === 'x86-64' || t === 'x86') return 'x86_64';
  return undefined;
}

/** The architecture a release string names (Debian's flavour suffix: "-arm64", "-arm64-16k", "-amd64"), if any. */
export function archFromRelease(release: string): ArchName | undefined {
  if (/[-+.](?:arm64|aarch64)(?:-16k|-64k)?\b|\baarch64\b/i.test(release)) return 'aarch64';
  if (/[-+.](?:amd64|x86_64)\b|\bx86_64\b/i.test(release)) return 'x86_64';
  return undefined;
}

/** What tells the machine in a log, crash session or VMCOREINFO; the first that matches wins. */
const TEXT_RULES: { re: RegExp; arch: ArchName; origin: string }[] = [
  { re: /^\s*MACHINE:\s*(?:aarch64|arm64)\b/im, arch: 'aarch64', origin: 'crash sys MACHINE' },
  { re: /^\s*MACHINE:\s*x86_64\b/im, arch: 'x86_64', origin: 'crash sys MACHINE' },
  { re: /^NUMBER\((?:kimage_voffset|PHYS_OFFSET)\)=/m, arch: 'aarch64', origin: 'VMCOREINFO arm64 keys' },
  { re: /^SYMBOL\(init_top_pgt\)=/m, arch: 'x86_64', origin: 'VMCOREINFO x86_64 keys' },
  // dmesg / oops: the release of the banner or the oops header, then arm64's own trace lines
  { re: /Linux version \S*?[-+.](?:arm64|aarch64)\b/i, arch: 'aarch64', origin: 'dmesg banner' },
  { re: /Linux version \S*?[-+.](?:amd64|x86_64)\b/i, arch: 'x86_64', origin: 'dmesg banner' },
  { re: /\b(?:Not tainted|Tainted: [A-Z ]+?) \S*?-arm64\S* #/, arch: 'aarch64', origin: 'oops header' },
  { re: /\b(?:Not tainted|Tainted: [A-Z ]+?) \S*?-amd64\S* #/, arch: 'x86_64', origin: 'oops header' },
  { re: /\bpstate: [0-9a-f]{8} \(/, arch: 'aarch64', origin: 'arm64 register dump (pstate)' },
  { re: /\bel[01][ht]_64_(?:sync|irq|error)\b/, arch: 'aarch64', origin: 'arm64 exception vector in a trace' },
  { re: /\bRIP: [0-9a-f]{4}:/, arch: 'x86_64', origin: 'x86_64 register dump (RIP)' },
  { re: /\bx86\/fpu: /, arch: 'x86_64', origin: 'dmesg x86/fpu' },
];

export interface DetectedArch {
  arch: ArchName;
  origin: string;
}

/** The machine the text says it comes from (earliest telling line), or undefined when it does not say. */
export function detectArchInText(text: string, limit = 2_000_000): DetectedArch | undefined {
  const t = text.length > limit ? text.slice(0, limit) : text;
  let best: { idx: number; d: DetectedArch } | undefined;
  for (const r of TEXT_RULES) {
    const m = r.re.exec(t);
    if (m && (!best || m.index < best.idx)) best = { idx: m.index, d: { arch: r.arch, origin: r.origin } };
  }
  return best?.d;
}
