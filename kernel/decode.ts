// Version-aware decoding of raw words (page->flags, page->page_type, a /proc/kpageflags word) for a
// given release or layout family. Numbers come only from pageflags.ts, pagetypes.ts and kpf.ts.

import {
  COVERED_RELEASES,
  LAYOUT_FAMILIES,
  decodePageFlags,
  familyFromRelease,
  familyVersions,
  releaseCoverage,
  type FlagFields,
  type LayoutFamily,
} from './pageflags';
import {
  hasErrorFlag,
  hasMovableOpsFlag,
  hasOwner2Flag,
  hasUncachedFlag,
  kpfZeroForNoPage,
  pageTypeScheme,
} from './predicates';
import { parseRelease } from './version';
import { PAGE_TYPE_ENCODINGS, PageTypeDecoder, describePageType, type PageTypeEncoding } from './pagetypes';
import { KPF, kpfNames } from './kpf';

/** The kernel a decode or an explanation is about. */
export interface KernelTarget {
  family: LayoutFamily;
  /** Full or major.minor release when known ("6.12.117+deb12-amd64", "6.12"). */
  release?: string;
  /** Where we learned it (shown to the user): "crash sys", "dmesg banner", "workspace tree", "setting", "--kernel". */
  origin?: string;
}

/** "6.12.117", "6.1", "6.12-6.13" (family id) → target; undefined when neither a known release nor a family. */
export function resolveKernel(spec: string, origin?: string): KernelTarget | undefined {
  const t = spec.trim().replace(/^v/, '');
  const fam = LAYOUT_FAMILIES.find((f) => f.id === t);
  if (fam) return { family: fam, origin };
  const byRelease = familyFromRelease(t);
  return byRelease ? { family: byRelease, release: t, origin } : undefined;
}

/** Why a --kernel spec names no table: outside the covered releases (older, newer, between two families) or not a release. */
export function unknownKernelMessage(spec: string): string {
  const cov = releaseCoverage(spec.trim().replace(/^v/, ''));
  const families = LAYOUT_FAMILIES.map((f) => f.id).join(', ');
  const where =
    cov.kind === 'newer'
      ? `is newer than every kernel the tables cover (the last is ${cov.nearest!.last}); its bits are not known`
      : cov.kind === 'older'
        ? `is older than every kernel the tables cover (the first is ${cov.nearest!.first})`
        : cov.kind === 'gap'
          ? `lies between the families the tables cover (after ${cov.nearest?.id ?? '?'}); its bits were not checked`
          : 'is neither a release nor a layout family';
  return `kernel "${spec}" ${where}: the tables cover ${COVERED_RELEASES}; give a release in them or a layout family (${families})`;
}

/** Human label: "6.12.117 (flag layout 6.12-6.13)". */
export function kernelLabel(k: KernelTarget): string {
  return `${k.release ?? `layout ${k.family.first === k.family.last ? k.family.first : `${k.family.first}–${k.family.last}`}`}${k.release ? ` (flag layout ${k.family.id})` : ''}`;
}

/** Page-type encodings that may apply (one when the release is known, possibly two for a family). */
export function pageTypeEncodings(k: KernelTarget): PageTypeEncoding[] {
  const byId = (id: string) => PAGE_TYPE_ENCODINGS.find((e) => e.id === id)!;
  const r = k.release ? parseRelease(k.release) : undefined;
  if (r !== undefined) return [byId(pageTypeScheme(r))];
  switch (k.family.id) {
    case '5.10':
      return [byId('5.10')];
    case '6.10-6.11':
      return [byId('<=6.10'), byId('6.11')];
    case '6.12-6.13':
    case '6.14-6.18':
    case '7.2-7.3':
      return [byId('>=6.12')];
    default:
      return [byId('<=6.10')];
  }
}

/** Debian x86_64 field layout (NODES_SHIFT 10, 5 zones → ZONES_WIDTH 3); used unless told otherwise. */
export const DEBIAN_X86_64_FIELDS: FlagFields = { nodesShift: 10, zonesWidth: 3 };

export interface FlagsDecode {
  kernel: string;
  raw: string;
  flags: string[];
  aliases: string[];
  configDependentBits: number[];
  node?: number;
  zone?: string;
  fieldsAssumption?: string;
}

export function decodeFlagsWord(
  word: bigint,
  k: KernelTarget,
  opts: { fields?: FlagFields | null; secondPage?: boolean; pageState?: string } = {},
): FlagsDecode {
  // Small words (a bare flag mask) carry no node/zone fields: only decode fields for full flags words.
  const fields = opts.fields === null || word >> 32n === 0n ? undefined : (opts.fields ?? DEBIAN_X86_64_FIELDS);
  const d = decodePageFlags(word, k.family, {
    release: k.release,
    secondPage: opts.secondPage,
    pageState: opts.pageState,
    fields,
  });
  return {
    kernel: kernelLabel(k),
    raw: '0x' + word.toString(16),
    flags: d.names.map((n) => `PG_${n}`),
    aliases: d.aliases.map((a) => 'PG_' + a.replace('(=', '(=PG_')),
    configDependentBits: d.unnamedBits,
    node: d.node,
    zone: d.zoneName ?? (d.zone !== undefined ? String(d.zone) : undefined),
    fieldsAssumption: fields
      ? `node/zone from the top bits assuming NODES_SHIFT=${fields.nodesShift}, ZONES_WIDTH=${fields.zonesWidth} (Debian x86_64)`
      : undefined,
  };
}

/** Names of the config-dependent bits above PG_hwpoison, e.g. "bit 22 (young/idle/arch_2?)". */
export function describeConfigBits(bits: number[], k: KernelTarget): string[] {
  return bits.map((b) => `bit ${b} (${k.family.above.join('/')} — depends on CONFIG_PAGE_IDLE_FLAG/arch)`);
}

export interface PageTypeDecode {
  kernel: string;
  raw: string;
  /** One result per candidate encoding. */
  results: { encoding: string; meaning: string; typeName?: string }[];
}

/** Accepts the full u32, or just the top byte as dump_page prints it on 6.12+ ("f1"). */
export function decodePageTypeWord(value: number, k: KernelTarget): PageTypeDecode {
  const encs = pageTypeEncodings(k);
  const u = (value <= 0xff && encs.every((e) => e.id === '>=6.12') ? value << 24 : value) >>> 0;
  return {
    kernel: kernelLabel(k),
    raw: '0x' + u.toString(16),
    results: encs.map((e) => {
      const d = new PageTypeDecoder(e).decode(u);
      return { encoding: e.id, meaning: describePageType(d), typeName: d.kind === 'type' ? d.name : undefined };
    }),
  };
}

export interface KpfDecode {
  kernel: string;
  raw: string;
  bits: string[];
  notes: string[];
}

export function decodeKpfWord(word: bigint, k: KernelTarget): KpfDecode {
  const names = kpfNames(word).map((n) => (n.startsWith('unknown') ? n : `KPF_${n}`));
  const r = (k.release ? parseRelease(k.release) : undefined) ?? familyVersions(k.family)[0];
  const has = (b: number) => ((word >> BigInt(b)) & 1n) === 1n;
  const notes: string[] = [];
  if (has(KPF.MAPPEDTODISK) && hasOwner2Flag(r))
    notes.push(
      'bit 34 is PG_owner_2 on 6.12+ (mappedtodisk/anon_exclusive; PG_offline_skippable on an offline page only with the unmerged May 2025 series)',
    );
  if (has(KPF.ERROR) && !hasErrorFlag(r))
    notes.push('KPF_ERROR cannot be set on 6.12+ (PG_error was removed): is the kernel version right?');
  if (has(KPF.NOPAGE) && kpfZeroForNoPage(r))
    notes.push('KPF_NOPAGE is no longer emitted from 6.16 (such PFNs read 0)');
  if (has(KPF.UNCACHED) && !hasUncachedFlag(r)) notes.push('KPF_UNCACHED cannot be set on 6.12+ (PG_uncached removed)');
  if (has(KPF.UPTODATE) && has(KPF.OFFLINE) && hasMovableOpsFlag(r))
    notes.push('on 6.17+ UPTODATE on an offline page is PG_movable_ops: a migratable balloon page');
  if (has(KPF.OFFLINE) && has(KPF.MAPPEDTODISK))
    notes.push('OFFLINE + owner_2: virtio-mem skippable page if the kernel carries the PG_offline_skippable series');
  return { kernel: kernelLabel(k), raw: '0x' + word.toString(16), bits: names, notes };
}

/** Parses "0x1f", "1f", or a decimal string with a leading digit and no hex letters when `decimal` is set. */
export function parseWord(text: string, decimal = false): bigint {
  const t = text.trim().toLowerCase();
  if (decimal && /^-?\d+$/.test(t)) return BigInt(t);
  const h = t.replace(/^0x/, '');
  if (!/^[0-9a-f]+$/.test(h)) throw new Error(`not a hexadecimal number: ${text}`);
  return BigInt('0x' + h);
}
