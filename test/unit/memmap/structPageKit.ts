// Hand-made struct pages for the rule tests. A page is written by the kernel's names (PG_* bits of its
// layout family in kernel/pageflags.ts, page-type values of its encoding in kernel/pagetypes.ts, the
// tail word as the kernel encodes it) and read with the context the vmcore reader builds
// (memmap/vmcoreContext.ts) from the VMCOREINFO such a kernel writes, itself made from the tables'
// fingerprints and buddy values. So a rule that reads the wrong bit or value fails, and so does a table
// whose bit list disagrees with its exported numbers (lru, head, slab, hwpoison) or with the decoder
// (5.10's combinable types); the bits VMCOREINFO does not export are checked against real kernel trees
// in test/unit/kernel/realTrees.test.ts.
import * as assert from 'node:assert/strict';
import { ClassifyContext, Neighbours, SectionFacts } from '../../../memmap/classifyPage';
import { buildClassifyContext } from '../../../memmap/vmcoreContext';
import { headVaOfTail } from '../../../kernel/compound';
import { flagBit, layoutFamily, LayoutFamily, LayoutFamilyId, ZONE_NAMES } from '../../../kernel/pageflags';
import { pageTypeEncoding, PageTypeEncodingId, PageTypeName } from '../../../kernel/pagetypes';
import { parseVmcoreInfo } from '../../../parsers/vmcoreinfo';

/** A kernel the tests read: its layout family, a release of it, and how its VMCOREINFO marks hugetlb. */
export interface KernelKit {
  family: LayoutFamilyId;
  release: string;
  /** The page-type encoding it writes (5.10's combinable bits share their buddy value with 5.15-6.10). */
  encoding: PageTypeEncodingId;
  /** How VMCOREINFO exports the hugetlb mark (shared/reference/kernel-page-state.md §3 key table). */
  hugetlb: 'dtor' | 'page1-flag' | 'type';
}

/** The kernels the cases name, by a release of each family. */
export const KERNELS = {
  '5.10': { family: '5.10', release: '5.10.0-35-amd64', encoding: '5.10', hugetlb: 'dtor' },
  '6.1': { family: '5.15-6.1', release: '6.1.0-40-amd64', encoding: '<=6.10', hugetlb: 'dtor' },
  '6.6': { family: '6.6-6.9', release: '6.6.87', encoding: '<=6.10', hugetlb: 'page1-flag' },
  '6.10': { family: '6.10-6.11', release: '6.10.14', encoding: '<=6.10', hugetlb: 'type' },
  '6.11': { family: '6.10-6.11', release: '6.11.11', encoding: '6.11', hugetlb: 'type' },
  '6.12': { family: '6.12-6.13', release: '6.12.117+deb12-amd64', encoding: '>=6.12', hugetlb: 'type' },
  '6.18': { family: '6.14-6.18', release: '6.18.2', encoding: '>=6.12', hugetlb: 'type' },
  '7.3': { family: '7.2-7.3', release: '7.3.4', encoding: '>=6.12', hugetlb: 'type' },
} as const satisfies Record<string, KernelKit>;
export type KernelName = keyof typeof KERNELS;

const VMEMMAP = 0xffffea0000000000n;
const NODES_SHIFT = 10; // LENGTH(node_data) = 1024: node in bits 63-54, zone in 53-51 (Debian x86_64)
const ZONE_SHIFT = 64 - NODES_SHIFT - 3;
/** page[1].compound_dtor (≤ 6.2) and the HUGETLB_PAGE_DTOR VMCOREINFO names. */
const DTOR_OFFSET = 16;
export const HUGETLB_DTOR = 2;
/** Zone numbers in the flags' zone field (x86_64 with ZONE_DEVICE). */
export const ZONE = { Normal: ZONE_NAMES.indexOf('Normal'), Device: ZONE_NAMES.indexOf('Device') };

/** VMCOREINFO lines a kernel of this kit writes about struct pages, from the tables. */
function vmcoreinfoOf(k: KernelKit, release = k.release): string {
  const f = layoutFamily(k.family),
    p = f.fingerprint,
    enc = pageTypeEncoding(k.encoding);
  const signed = (t: PageTypeName) => (enc.values[t]! | 0).toString();
  const lines = [
    `OSRELEASE=${release}`,
    'PAGESIZE=4096',
    'SIZE(page)=64',
    'OFFSET(page.flags)=0',
    `OFFSET(page.${p.compoundInfo ? 'compound_info' : 'compound_head'})=8`,
    'OFFSET(page.mapping)=24',
    'OFFSET(page.private)=40',
    'OFFSET(page._mapcount)=48',
    'OFFSET(page._refcount)=52',
    `LENGTH(node_data)=${1 << NODES_SHIFT}`,
    `NUMBER(PG_lru)=${p.lru}`,
    `NUMBER(PG_private)=${p.private}`,
    `NUMBER(PG_swapcache)=${p.swapcache}`,
    `NUMBER(PG_swapbacked)=${p.swapbacked}`,
    `NUMBER(PG_hwpoison)=${p.hwpoison}`,
    `NUMBER(PG_head_mask)=${p.headMask}`,
    `NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)=${enc.buddyValue}`,
    `NUMBER(PAGE_OFFLINE_MAPCOUNT_VALUE)=${signed('offline')}`,
  ];
  if (p.slab !== undefined) lines.push(`NUMBER(PG_slab)=${p.slab}`);
  else lines.push(`NUMBER(PAGE_SLAB_MAPCOUNT_VALUE)=${signed('slab')}`);
  if (k.hugetlb === 'dtor') {
    lines.push(`NUMBER(HUGETLB_PAGE_DTOR)=${HUGETLB_DTOR}`, `OFFSET(page.compound_dtor)=${DTOR_OFFSET}`);
  }
  if (k.hugetlb === 'page1-flag') lines.push(`NUMBER(PG_hugetlb)=${flagBit(f, 'active')}`);
  if (k.hugetlb === 'type') lines.push(`NUMBER(PAGE_HUGETLB_MAPCOUNT_VALUE)=${signed('hugetlb')}`);
  return lines.join('\n') + '\n';
}

/** The context the vmcore reader builds for this kernel (release: another of its family, e.g. 6.17 in 6.14-6.18). */
export function contextOf(k: KernelKit, release?: string): ClassifyContext {
  const r = buildClassifyContext(parseVmcoreInfo(vmcoreinfoOf(k, release)), 4096);
  assert.ok(r.ctx, `no context for ${k.family}: ${r.problem}`);
  assert.equal(r.family?.id, k.family, `VMCOREINFO of ${k.family} read as ${r.family?.id}`);
  return r.ctx;
}

/** What a struct page holds, in kernel words. */
export interface PageSpec {
  /** Base flag names (without PG_) set in page->flags; a name the family lacks is a test error. */
  flags?: string[];
  /** page_type (the value of the kit's encoding), or a raw _mapcount/page_type word. */
  type?: PageTypeName;
  typeWord?: number;
  refcount?: number;
  mapping?: bigint;
  private?: bigint;
  /** The tail word at offset 8 (compound_head / compound_info). */
  tailWord?: bigint;
  zone?: number;
  /** page[1].compound_dtor (≤ 6.2 hugetlb mark). */
  dtor?: number;
  /** Every byte of the struct page (page_init_poison: 0xff). */
  fill?: number;
}

const flagMask = (f: LayoutFamily, names: string[]): bigint =>
  names.reduce((m, n) => {
    const b = flagBit(f, n);
    assert.ok(b !== undefined, `layout ${f.id} has no PG_${n}`);
    return m | (1n << BigInt(b));
  }, 0n);

export function writeStructPage(k: KernelKit, s: PageSpec): Buffer {
  const b = Buffer.alloc(64, s.fill ?? 0);
  if (s.fill !== undefined) return b;
  const f = layoutFamily(k.family),
    enc = pageTypeEncoding(k.encoding);
  b.writeBigUInt64LE(flagMask(f, s.flags ?? []) | (BigInt(s.zone ?? ZONE.Normal) << BigInt(ZONE_SHIFT)), 0);
  b.writeBigUInt64LE(s.tailWord ?? 0n, 8);
  if (s.dtor !== undefined) b[DTOR_OFFSET] = s.dtor;
  b.writeBigUInt64LE(s.mapping ?? 0n, 24);
  b.writeBigUInt64LE(s.private ?? 0n, 40);
  const type = s.type === undefined ? undefined : enc.values[s.type];
  if (s.type !== undefined) assert.ok(type !== undefined, `encoding ${enc.id} has no ${s.type} type`);
  b.writeUInt32LE((s.typeWord ?? type ?? 0xffffffff) >>> 0, 48); // _mapcount -1: no type, not mapped
  b.writeInt32LE(s.refcount ?? 1, 52);
  return b;
}

/** compound_head of a tail: head struct page address | 1 (every kernel). */
export const pointerTail = (headPfn: number): bigint => (VMEMMAP + BigInt(headPfn) * 64n) | 1n;
/** compound_info of a tail in 7.x with HVO: GENMASK(63, order + 6) | 1. */
export const maskTail = (order: number): bigint => (((1n << 64n) - 1n) & ~((1n << BigInt(order + 6)) - 1n)) | 1n;

/** A few struct pages of one section and the facts around them: the Neighbours the rules ask. */
export class SmallMemmap implements Neighbours {
  readonly pages = new Map<number, Buffer>();
  readonly excluded = new Set<number>();
  readonly buddy = new Set<number>();
  readonly vmemmapBacking = new Set<number>();
  constructor(
    readonly kit: KernelKit,
    readonly ctx: ClassifyContext,
  ) {}

  put(pfn: number, s: PageSpec): void {
    this.pages.set(pfn, writeStructPage(this.kit, s));
  }
  structPage(pfn: number): { buf: Buffer; off: number } | 'unmapped' | 'excluded' {
    if (this.excluded.has(pfn)) return 'excluded';
    const buf = this.pages.get(pfn);
    return buf ? { buf, off: 0 } : 'unmapped';
  }
  buddyCovered(pfn: number): boolean {
    return this.buddy.has(pfn);
  }
  backsVmemmap(pfn: number): boolean {
    return this.vmemmapBacking.has(pfn);
  }
  headPfn(tailWord: bigint, tailPfn: number): number | undefined {
    const d = headVaOfTail(tailWord, VMEMMAP + BigInt(tailPfn) * 64n, this.ctx.tailForms) - VMEMMAP;
    return d >= 0n && d % 64n === 0n ? Number(d / 64n) : undefined;
  }
  section(): SectionFacts | undefined {
    return undefined;
  }
}

/** An online boot-time section (the common case). */
export const EARLY_ONLINE: SectionFacts = { online: true, early: true, device: false };
