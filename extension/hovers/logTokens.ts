// Pure hover logic for crash / drgn / dmesg dump_page / page-types output: recognises the construct
// under the cursor, decodes its raw number with the right kernel's layout and explains it.
// All text taken from the log is escaped. No vscode import.

import {
  decodeFlagsWord,
  decodeKpfWord,
  decodePageTypeWord,
  describeConfigBits,
  kernelLabel,
  type KernelTarget,
} from '../../kernel/decode';
import { entryByName } from '../../kernel/knowledge/index';
import { codeSpan, escapeMarkdown, elixirLinks, type LinkResolver } from '../../kernel/knowledge/render';
import { SECTION_FLAG_BITS } from '../../kernel/sections';
import { ZONE_NAMES } from '../../kernel/pageflags';

const ZONE_INDEX: Record<string, number> = Object.fromEntries(ZONE_NAMES.map((n, i) => [n, i]));

export interface TokenHover {
  start: number;
  end: number;
  markdown: string;
  /** Symbol to jump to for "go to definition" on this token, if any. */
  symbol?: string;
}

type Builder = (
  m: RegExpExecArray,
  k: KernelTarget | undefined,
  links: LinkResolver,
) => { md: string; symbol?: string } | undefined;

interface Rule {
  re: RegExp;
  /** Index of the capture group that defines the hover range. */
  group: number;
  build: Builder;
}

const DUMP_REASONS: Record<string, string> = {
  'unmovable page':
    'Printed by set_migratetype_isolate() when has_unmovable_pages() found a page that can never be migrated while isolating a range (memory offlining: "failure to isolate range", -EBUSY; also alloc_contig_range/CMA). Typical culprits: PG_reserved, slab, page tables, non-LRU compound pages, pinned kernel allocations in a non-MOVABLE zone; with the unmerged PG_offline_skippable series also non-skippable PageOffline pages.',
  'isolation failed': 'do_migrate_range() could not isolate a movable page during offlining; offline_pages() retries.',
  'migration failure':
    'do_migrate_range() failed to migrate a page during offlining; offline_pages() retries until success or a signal ("signal backoff").',
  'fake-offline page referenced':
    'virtio-mem MEM_GOING_OFFLINE: a fake-offline page still had an extra reference after virtio-mem dropped its own, so the refcount-0 protocol cannot work (offlining will fail).',
};

const OFFLINE_REASONS: Record<string, string> = {
  'memory holes': 'The range is not fully System RAM (walk_system_ram_range()).',
  'multizone range': 'The range spans more than one zone.',
  'failure to isolate range':
    'has_unmovable_pages() found an unmovable page (see the "unmovable page" dump_page above it).',
  'notifier failure': 'A MEM_GOING_OFFLINE notifier vetoed (e.g. virtio-mem while its device is being removed).',
  'node notifier failure': '6.17+: the node notifier for removing the last memory of a node vetoed.',
  'unmovable page':
    'scan_movable_pages() hit a PageOffline page that still has a reference (mainline: XEN/Hyper-V/VMware 2 MiB balloon, memtrace, balloon without compaction, virtio-mem without its driver). No dump_page is printed for this one.',
  'signal backoff':
    'A signal interrupted the endless migrate-and-retry loop: some page could neither be migrated nor freed.',
  'failure to dissolve huge pages':
    'A free hugetlb folio could not be dissolved (e.g. no memory to restore its vmemmap).',
};

function kernelLine(k: KernelTarget | undefined): string {
  return k
    ? `kernel ${escapeMarkdown(kernelLabel(k))}${k.origin ? ` · from ${escapeMarkdown(k.origin)}` : ''}${k.archOrigin ? ` · arm64 from ${escapeMarkdown(k.archOrigin)}` : ''}`
    : 'no kernel known: choose one in the status bar (kmemmap.kernelVersion)';
}

function defLink(name: string, k: KernelTarget | undefined, links: LinkResolver): string {
  const e = entryByName(name);
  if (!e?.source[0]) return '';
  const l = links(e.source[0], k);
  return `\n\n[${escapeMarkdown(`Definition: ${l.label}`)}](${l.url})`;
}

function flagsMarkdown(
  raw: string,
  word: bigint,
  printed: string | undefined,
  k: KernelTarget | undefined,
  links: LinkResolver,
): string {
  if (!k)
    return (
      `**page->flags** ${codeSpan(raw)}\n\n${kernelLine(k)}` +
      (printed ? `\n\nThe kernel printed: ${codeSpan(printed)}` : '')
    );
  const d = decodeFlagsWord(word, k);
  const lines = [
    `**page->flags** ${codeSpan(raw)} · ${kernelLine(k)}`,
    '',
    `- set: ${escapeMarkdown(d.flags.join(' ') || '(no PG_ flags)')}`,
  ];
  if (d.aliases.length) lines.push(`- aliases: ${escapeMarkdown(d.aliases.join(' '))}`);
  if (d.nrPageflags !== undefined)
    lines.push(
      `- ${escapeMarkdown(`${d.arch} layout: NR_PAGEFLAGS ${d.nrPageflags} (PG_young, PG_idle, PG_arch_2 = MTE tagged, PG_arch_3 = MTE lock above PG_hwpoison)`)}`,
    );
  for (const c of describeConfigBits(d.configDependentBits, k)) lines.push(`- ${escapeMarkdown(c)}`);
  const printedZone = printed ? /zone=(\d+)/.exec(printed)?.[1] : undefined;
  const printedNode = printed ? /node=(\d+)/.exec(printed)?.[1] : undefined;
  if (printedZone !== undefined) {
    // The kernel knows its own field layout: prefer what it printed over our Debian assumption.
    const ours =
      d.zone !== undefined ? (Object.hasOwn(ZONE_INDEX, d.zone) ? ZONE_INDEX[d.zone] : Number(d.zone)) : undefined;
    lines.push(
      `- node ${escapeMarkdown(printedNode ?? '?')}, zone ${escapeMarkdown(printedZone)}${ZONE_NAMES[Number(printedZone)] ? ` (${ZONE_NAMES[Number(printedZone)]})` : ''} as printed${ours !== undefined && ours !== Number(printedZone) ? ` — this kernel's node/zone field widths differ from the Debian ${d.arch} assumption` : ''}`,
    );
  } else if (d.zone !== undefined)
    lines.push(`- node ${d.node}, zone ${escapeMarkdown(d.zone)} (${escapeMarkdown(d.fieldsAssumption ?? '')})`);
  if (printed !== undefined) {
    const names = printed
      .split(/[|,]/)
      .map((s) => s.trim().replace(/^PG_/, ''))
      .filter((s) => s && !s.includes('='));
    const ours = new Set(d.flags.map((f) => f.slice(3)));
    const disagree = names.filter((n) => !ours.has(n));
    lines.push(
      `- printed by the kernel/tool: ${codeSpan(printed)}${disagree.length ? ` — **differs** from this layout (${escapeMarkdown(disagree.join(', '))}): is the kernel version right?` : ' — matches this layout'}`,
    );
  }
  return lines.join('\n') + defLink('enum pageflags', k, links);
}

function pageTypeMarkdown(raw: string, value: number, k: KernelTarget | undefined, links: LinkResolver): string {
  if (!k) return `**page_type** ${codeSpan(raw)}\n\n${kernelLine(k)}`;
  const d = decodePageTypeWord(value, k);
  const lines = [`**page->page_type** ${codeSpan(d.raw)} · ${kernelLine(k)}`, ''];
  for (const r of d.results)
    lines.push(
      `- ${escapeMarkdown(r.encoding)} encoding: ${escapeMarkdown(r.typeName ? `PGTY_${r.typeName}` : r.meaning)}`,
    );
  const typed = d.results.find((r) => r.typeName);
  const e = typed ? entryByName(`PGTY_${typed.typeName}`) : undefined;
  if (e)
    lines.push(
      '',
      escapeMarkdown(e.meaning),
      ...(e.offlining ? ['', `*Memory offlining:* ${escapeMarkdown(e.offlining)}`] : []),
    );
  return lines.join('\n') + defLink(typed ? `PGTY_${typed.typeName}` : 'enum pagetype', k, links);
}

const RULES: Rule[] = [
  // dmesg dump_page(): "flags: 0x17ffffc0000000(node=0|zone=2|lastcpupid=0x1fffff)"
  {
    re: /flags: (0x[0-9a-f]+)(?:\(([^)]*)\))?/d,
    group: 0,
    build: (m, k, l) => ({ md: flagsMarkdown(m[1], BigInt(m[1]), m[2], k, l), symbol: 'enum pageflags' }),
  },
  // 6.12+ dump_page(): "page_type: f1(offline)" (top byte) or a full word
  {
    re: /page_type: (?:0x)?([0-9a-f]+)(?:\(([^)]*)\))?/d,
    group: 0,
    build: (m, k, l) => ({ md: pageTypeMarkdown(m[1], parseInt(m[1], 16), k, l), symbol: 'enum pagetype' }),
  },
  {
    re: /page dumped because: (.+?)\s*$/d,
    group: 0,
    build: (m, k, l) => {
      const why = DUMP_REASONS[m[1]] ?? 'Reason given by the caller of dump_page().';
      return {
        md: `**dump_page()** reason ${codeSpan(m[1])} · ${kernelLine(k)}\n\n${escapeMarkdown(why)}${defLink(m[1] === 'unmovable page' ? 'has_unmovable_pages' : 'dump_page', k, l)}`,
        symbol: m[1] === 'unmovable page' ? 'has_unmovable_pages' : 'dump_page',
      };
    },
  },
  {
    re: /memory offlining \[mem [^\]]*\] failed due to (.+?)\s*$/d,
    group: 0,
    build: (m, k, l) => ({
      md: `**offline_pages()** failed: ${codeSpan(m[1])} · ${kernelLine(k)}\n\n${escapeMarkdown(OFFLINE_REASONS[m[1]] ?? 'See offline_pages().')}${defLink('offline_pages', k, l)}`,
      symbol: 'offline_pages',
    }),
  },
  // crash struct page / gdb: "flags = 6755398367313920," or "flags = 0x17ffffc0000000"
  {
    re: /\bflags = (0x[0-9a-f]+|\d+)/d,
    group: 0,
    build: (m, k, l) => ({ md: flagsMarkdown(m[1], BigInt(m[1]), undefined, k, l), symbol: 'enum pageflags' }),
  },
  {
    re: /\bpage_type = (\d+)/d,
    group: 0,
    build: (m, k, l) => ({ md: pageTypeMarkdown(m[1], Number(m[1]), k, l), symbol: 'enum pagetype' }),
  },
  // drgn: ".flags = (unsigned long)6755398367313920," (6.18: ".f = (unsigned long)…" inside flags)
  {
    re: /\.(?:flags|f) = \(unsigned long\)(\d+)/d,
    group: 0,
    build: (m, k, l) => ({ md: flagsMarkdown(m[1], BigInt(m[1]), undefined, k, l), symbol: 'enum pageflags' }),
  },
  {
    re: /\.page_type = \(unsigned int\)(\d+)/d,
    group: 0,
    build: (m, k, l) => ({ md: pageTypeMarkdown(m[1], Number(m[1]), k, l), symbol: 'enum pagetype' }),
  },
  // crash kmem -p row: PAGE PHYSICAL MAPPING INDEX CNT FLAGS [names]
  // (also mail-quoted `> `, drgn crash mode: CNT in hex, names as PG_a|PG_b)
  {
    re: /^(?:>[ \t]?)*\s*[0-9a-f]{12,16}\s+[0-9a-f]+\s+[0-9a-f]+\s+[0-9a-f]+\s+-?[0-9a-f]+\s+([0-9a-f]+)(?:\s+([A-Za-z_0-9,|]+))?\s*$/d,
    group: 1,
    build: (m, k, l) => ({
      md: flagsMarkdown('0x' + m[1], BigInt('0x' + m[1]), m[2] ?? '', k, l),
      symbol: 'enum pageflags',
    }),
  },
  // crash kmem -n section row: NR SECTION CODED_MEM_MAP MEM_MAP STATE PFN
  {
    re: /^\s*\d+\s+[0-9a-f]{16}\s+[0-9a-f]{16}\s+[0-9a-f]{16}\s+([PMOEDV]+)\s+\d+/d,
    group: 1,
    build: (m, k, links) => {
      const lines = [...m[1]]
        .map((c) => SECTION_FLAG_BITS.find((f) => f.letter === c))
        .filter(Boolean)
        .map((f) => `- ${f!.letter} = ${escapeMarkdown(f!.name)} (bit ${f!.bit}): ${escapeMarkdown(f!.meaning)}`);
      const online = m[1].includes('O');
      return {
        md: `**section state** ${codeSpan(m[1])} · ${kernelLine(k)}\n\n${lines.join('\n')}\n\n${online ? 'Online: the memmap of this section may be trusted.' : 'Not online: the memmap is stale (memory-block offline or hot-added but not onlined) — do not interpret its struct pages.'}${defLink('SECTION_IS_ONLINE', k, links)}`,
        symbol: online ? 'SECTION_IS_ONLINE' : 'SECTION_MARKED_PRESENT',
      };
    },
  },
  // crash kmem -n memory-block row: "... memory32 ... ONLINE 32"
  {
    re: /\bmemory\d+\b.*\s(ONLINE|OFFLINE|GOING_OFFLINE|GOING_ONLINE|CANCEL_ONLINE|CANCEL_OFFLINE)\s+\d+\s*$/d,
    group: 1,
    build: (m, k, l) => {
      const e = entryByName(`MEM_${m[1]}`);
      return e
        ? {
            md: `**memory block state** ${codeSpan(m[1])} · ${kernelLine(k)}\n\n${escapeMarkdown(e.meaning)}${defLink(e.name, k, l)}`,
            symbol: e.name,
          }
        : undefined;
    },
  },
  // page-types: "0x0000000000005828\t 22983 ..." (KPF word)
  {
    re: /^(0x[0-9a-f]{16})\t/d,
    group: 1,
    build: (m, k, links) => {
      if (!k)
        return { md: `**kpageflags** ${codeSpan(m[1])}\n\n${kernelLine(k)}${defLink('stable_page_flags', k, links)}` };
      const d = decodeKpfWord(BigInt(m[1]), k);
      return {
        md:
          [
            `**/proc/kpageflags** ${codeSpan(d.raw)} · ${kernelLine(k)}`,
            '',
            `- ${escapeMarkdown(d.bits.join(' ') || '(none)')}`,
            ...d.notes.map((n) => `- ${escapeMarkdown(n)}`),
          ].join('\n') + defLink('stable_page_flags', k, links),
        symbol: 'stable_page_flags',
      };
    },
  },
];

/** Hover for the log construct at `character` of `line`, or undefined. */
export function logTokenHover(
  line: string,
  character: number,
  k: KernelTarget | undefined,
  links: LinkResolver = elixirLinks,
): TokenHover | undefined {
  for (const r of RULES) {
    const m = r.re.exec(line) as (RegExpExecArray & { indices?: [number, number][] }) | null;
    if (!m || !m.indices) continue;
    const [start, end] = m.indices[r.group] ?? m.indices[0];
    if (character < start || character > end) continue;
    let built: ReturnType<Builder>;
    try {
      built = r.build(m, k, links);
    } catch {
      continue; // e.g. BigInt of a malformed number: no hover rather than an error
    }
    if (built) return { start, end, markdown: built.md, symbol: built.symbol };
  }
  return undefined;
}
