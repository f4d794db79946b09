// Where a symbol sits (bit number or value) per release, computed from the shared tables.

import { LAYOUT_FAMILIES, flagBit, type LayoutFamily } from '../pageflags';
import { PAGE_TYPE_ENCODINGS, type PageTypeName } from '../pagetypes';
import { KPF, type KpfName } from '../kpf';
import { SECTION_FLAG_BITS } from '../sections';
import type { KnowledgeEntry } from './types';
import { ARM64_ABOVE, ARM64_ALIASES, arm64HasLayout, type ArchName } from '../archFlags';

export interface BitFact {
  /** "5.15–6.5", "≤6.10", "6.12+" */
  where: string;
  what: string;
  /** True when this row describes the target kernel. */
  current?: boolean;
}

function famRange(f: LayoutFamily): string {
  return f.first === f.last ? f.first : `${f.first}–${f.last}`;
}

/** Bit of a PG_ name (base or alias) in one family, with the base it aliases. */
export function pgBitIn(f: LayoutFamily, pgName: string): { bit: number; base: string } | undefined {
  const n = pgName.replace(/^PG_/, '');
  const b = flagBit(f, n);
  if (b !== undefined) return { bit: b, base: n };
  const a = f.aliases.find((x) => x.name === n);
  if (a) {
    const ab = flagBit(f, a.of);
    if (ab !== undefined) return { bit: ab, base: a.of };
  }
  const i = f.above.indexOf(n);
  if (i >= 0) return { bit: f.bits.length + i, base: n };
  return undefined;
}

/** Bit of a PG_ name in an arm64 build of a family (kernel/archFlags.ts: MTE's bits above PG_hwpoison). */
export function arm64BitIn(f: LayoutFamily, pgName: string): { bit: number; base: string } | undefined {
  const n = pgName.replace(/^PG_/, '');
  const base = ARM64_ALIASES.find((a) => a.name === n)?.of ?? n;
  const i = (ARM64_ABOVE as readonly string[]).indexOf(base);
  if (i >= 0) return { bit: f.bits.length + i, base };
  const r = pgBitIn(f, base);
  return r && r.bit < f.bits.length ? { bit: r.bit, base: r.base === n ? n : r.base } : undefined;
}

const bitText = (r: { bit: number; base: string } | undefined, name: string, cfg = '') =>
  r ? `bit ${r.bit}${r.base !== name ? ` (= PG_${r.base})` : ''}${cfg}` : 'absent';

/**
 * Bit or value per release. Page flags: one row per x86_64 layout family, then arm64 rows (6.12 and later)
 * where arm64 differs from x86_64 (PG_arch_3, the MTE names) or when the target kernel is arm64.
 */
export function bitFacts(e: KnowledgeEntry, target?: LayoutFamily, arch?: ArchName): BitFact[] {
  if (e.kind === 'page-flag' || e.kind === 'flag-alias') {
    const out: BitFact[] = [];
    const name = e.name.slice(3);
    const arm = arch === 'aarch64';
    for (const f of LAYOUT_FAMILIES) {
      const cfg = f.above.includes(name)
        ? ' if configured (bits above PG_hwpoison depend on CONFIG_PAGE_IDLE_FLAG/arch)'
        : '';
      out.push({
        where: famRange(f),
        what: bitText(pgBitIn(f, e.name), name, cfg),
        current: !arm && target?.id === f.id,
      });
    }
    for (const f of LAYOUT_FAMILIES.filter(arm64HasLayout)) {
      const a = arm64BitIn(f, e.name);
      const x = pgBitIn(f, e.name);
      if (!arm && a?.bit === x?.bit) continue;
      out.push({
        where: `${famRange(f)} arm64`,
        what: bitText(a, name, a && a.bit >= f.bits.length ? ' (Debian arm64 config)' : ''),
        current: arm && target?.id === f.id,
      });
    }
    return out;
  }
  if (e.kind === 'page-type') {
    const t = e.name.slice(5) as PageTypeName;
    return PAGE_TYPE_ENCODINGS.map((enc) => {
      const v = enc.values[t];
      const note = enc.notes[t] ? ` (${enc.notes[t]})` : '';
      return {
        where: enc.id,
        what: v === undefined ? 'absent' : `page_type 0x${v.toString(16)}, VMCOREINFO ${v | 0}${note}`,
      };
    });
  }
  if (e.kind === 'kpf-bit') {
    const n = e.name.slice(4) as KpfName;
    return [{ where: 'all', what: `bit ${KPF[n]} of the u64 per PFN` }];
  }
  if (e.kind === 'section-flag') {
    const s = SECTION_FLAG_BITS.find((x) => x.name === e.name);
    return s
      ? [
          {
            where: s.since ? `${s.since}+` : 'all',
            what: `bit ${s.bit} of section_mem_map (0x${(1 << s.bit).toString(16)}), crash letter ${s.letter}`,
          },
        ]
      : [];
  }
  return [];
}
