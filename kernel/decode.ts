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
import {
  ARM64_ABOVE,
  ARM64_ALIASES,
  ARM64_FIRST_RELEASE,
  DEBIAN_ARM64_FIELDS,
  archFromRelease,
  arm64HasLayout,
  parseArch,
  type ArchName,
} from './archFlags';

/** The kernel a decode or an explanation is about. */
export interface KernelTarget {
  family: LayoutFamily;
  /** Full or major.minor release when known ("6.12.117+deb12-amd64", "6.12"). */
  release?: string;
  /** Where we learned it (shown to the user): "crash sys", "dmesg banner", "workspace tree", "setting", "--kernel". */
  origin?: string;
  /** The machine (kernel/archFlags.ts); undefined means x86_64, the tables' own layout. */
  arch?: ArchName;
  /** Where the machine was learned when it is not the release's own suffix ("crash sys MACHINE", "--arch"). */
  archOrigin?: string;
}

/** "6.12/arm64" → ["6.12", "aarch64"]; an unknown suffix is left in the release (and then names no table). */
function splitArch(spec: string): [string, ArchName | undefined] {
  const t = spec.trim().replace(/^v/, '');
  const m = /^(.*)\/([A-Za-z0-9_-]+)$/.exec(t);
  const a = m ? parseArch(m[2]) : undefined;
  return a ? [m![1].trim(), a] : [t, undefined];
}

/**
 * "6.12.117", "6.1", "6.12-6.13" (family id), optionally "/arm64" or with `arch` → target; undefined when
 * neither a known release nor a family, when the release's own suffix ("-arm64", "-amd64") names another
 * machine than `arch`, or for arm64 when the release is older than the arm64 tables (6.12).
 */
export function resolveKernel(
  spec: string,
  origin?: string,
  arch?: ArchName,
  archOrigin?: string,
): KernelTarget | undefined {
  const [t, suffixArch] = splitArch(spec);
  if (arch && suffixArch && arch !== suffixArch) return undefined;
  const wanted = suffixArch ?? arch;
  const named = archFromRelease(t);
  if (wanted && named && wanted !== named) return undefined;
  const a = wanted ?? named;
  const fam = LAYOUT_FAMILIES.find((f) => f.id === t);
  const family = fam ?? familyFromRelease(t);
  if (!family || (a === 'aarch64' && !arm64HasLayout(family))) return undefined;
  const k: KernelTarget = { family, origin };
  if (!fam) k.release = t;
  if (a === 'aarch64') {
    k.arch = a;
    const by = suffixArch || named ? undefined : archOrigin;
    if (by) k.archOrigin = by;
  }
  return k;
}

/** Why a --kernel spec (with `arch`) names no table: a machine conflict, arm64 before 6.12, or a release outside the tables. */
export function unknownKernelMessage(spec: string, arch?: ArchName): string {
  const [t, suffixArch] = splitArch(spec);
  const named = archFromRelease(t);
  const a = suffixArch ?? arch ?? named;
  const claims = [arch, suffixArch, named].filter((x): x is ArchName => x !== undefined);
  if (claims.some((x) => x !== claims[0]))
    return `kernel "${spec}" names ${[...new Set(claims)].map((x) => (x === 'aarch64' ? 'arm64' : x)).join(' and ')}: give one architecture`;
  const fam = LAYOUT_FAMILIES.find((f) => f.id === t) ?? familyFromRelease(t);
  if (fam && a === 'aarch64')
    return `kernel "${spec}": the arm64 page->flags layout is in the tables from ${ARM64_FIRST_RELEASE} on (x86_64 still had PG_uncached below PG_hwpoison before, so its numbers are not arm64's); give a release or family from ${ARM64_FIRST_RELEASE}`;
  const cov = releaseCoverage(t);
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

/** Human label: "6.12.117 (flag layout 6.12-6.13)", "6.12 (flag layout 6.12-6.13, arm64)". */
export function kernelLabel(k: KernelTarget): string {
  const arm = k.arch === 'aarch64';
  const layout = `layout ${k.family.first === k.family.last ? k.family.first : `${k.family.first}–${k.family.last}`}`;
  if (!k.release) return arm ? `${layout} (arm64)` : layout;
  return `${k.release} (flag layout ${k.family.id}${arm ? ', arm64' : ''})`;
}

/** The machine a target decodes for, for display: "arm64" or "x86_64". */
export function archLabel(k: KernelTarget): string {
  return k.arch === 'aarch64' ? 'arm64' : 'x86_64';
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
  /** The machine whose layout was used: "x86_64" or "arm64". */
  arch: string;
  raw: string;
  flags: string[];
  aliases: string[];
  configDependentBits: number[];
  /** __NR_PAGEFLAGS of the build, when the architecture's config makes every bit above PG_hwpoison known (arm64). */
  nrPageflags?: number;
  node?: number;
  zone?: string;
  fieldsAssumption?: string;
}

export function decodeFlagsWord(
  word: bigint,
  k: KernelTarget,
  opts: { fields?: FlagFields | null; secondPage?: boolean; pageState?: string } = {},
): FlagsDecode {
  const arm = k.arch === 'aarch64';
  // Small words (a bare flag mask) carry no node/zone fields: only decode fields for full flags words.
  const fields =
    opts.fields === null || word >> 32n === 0n
      ? undefined
      : (opts.fields ?? (arm ? DEBIAN_ARM64_FIELDS : DEBIAN_X86_64_FIELDS));
  const d = decodePageFlags(word, k.family, {
    release: k.release,
    secondPage: opts.secondPage,
    pageState: opts.pageState,
    fields,
  });
  const names = [...d.names];
  const aliases = [...d.aliases];
  let unnamed = d.unnamedBits;
  let nrPageflags: number | undefined;
  if (arm) {
    // arm64 (Debian config): every bit above PG_hwpoison is known (kernel/archFlags.ts)
    const low = k.family.bits.length;
    nrPageflags = low + ARM64_ABOVE.length;
    const fieldsLow = fields ? 64 - fields.nodesShift - fields.zonesWidth : 64;
    ARM64_ABOVE.forEach((n, i) => {
      if (low + i < fieldsLow && (word >> BigInt(low + i)) & 1n) names.push(n);
    });
    for (const a of ARM64_ALIASES) if (names.includes(a.of)) aliases.push(`${a.name}(=${a.of})`);
    unnamed = [];
  }
  return {
    kernel: kernelLabel(k),
    arch: archLabel(k),
    raw: '0x' + word.toString(16),
    flags: names.map((n) => `PG_${n}`),
    aliases: aliases.map((a) => 'PG_' + a.replace('(=', '(=PG_')),
    configDependentBits: unnamed,
    ...(nrPageflags !== undefined ? { nrPageflags } : {}),
    node: d.node,
    zone: d.zoneName ?? (d.zone !== undefined ? String(d.zone) : undefined),
    fieldsAssumption: fields
      ? `node/zone from the top bits assuming NODES_SHIFT=${fields.nodesShift}, ZONES_WIDTH=${fields.zonesWidth} (Debian ${archLabel(k)})`
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
