// kmemmap summary | sections | blocks | page <pfn> | export: views of one snapshot.

import { Command } from 'commander';
import { openSnapshot } from '../../memmap/open';
import { PAGE_CLASSES } from '../../kernel/pageClasses';
import { blockJson, classCounts, classRuns, sectionJson, summaryJson } from '../../memmap/summaryJson';
import type { PageDetail, Snapshot } from '../../memmap/snapshot';
import { hex, mib, table } from '../table';
import { jsonText, print, printJson } from '../output';
import { escapeControl as t } from '../terminalText';

interface JsonOpt {
  json?: boolean;
}

async function load(path: string, extra: string[] = []): Promise<Snapshot> {
  const progress = process.stderr.isTTY
    ? (done: number, total: number) =>
        process.stderr.write(`\rreading ${t(path)}: ${Math.floor((100 * done) / Math.max(1, total))}%`)
    : undefined;
  const snap = await openSnapshot(path, { onProgress: progress }, extra);
  if (progress) process.stderr.write('\r\x1b[K');
  return snap;
}

function classSummary(counts: Uint32Array, top = 4): string {
  return PAGE_CLASSES.map((name, id) => [name, counts[id]] as const)
    .filter(([, n]) => n > 0)
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([name, n]) => `${name} ${n}`)
    .join(', ');
}

function humanSummary(s: Snapshot): string {
  const lines: string[] = [];
  const k = s.kernel;
  lines.push(
    `kernel     ${k.release !== undefined ? t(k.release) : 'unknown release'}${k.layoutFamily ? `  (flag layout ${k.layoutFamily})` : ''}`,
  );
  lines.push(
    `machine    ${k.machine !== undefined ? t(k.machine) : 'unknown architecture'}, ${k.pageSize / 1024} KiB pages`,
  );
  lines.push(`input      ${s.provenance.format}: ${s.provenance.files.map(t).join(', ')}`);
  lines.push(
    `PFNs       ${hex(s.startPfn)}-${hex(s.endPfn)}  (${s.endPfn - s.startPfn} page frames, ${mib(s.endPfn - s.startPfn, k.pageSize)} span)`,
  );
  const online = s.sections.filter((x) => x.state === 'online').length;
  lines.push(`sections   ${s.sections.length} (${online} online), ${mib(s.pfnsPerSection, k.pageSize)} each`);
  if (s.blocks.length) {
    const failing = s.blocks.filter((b) => b.verdict?.mainline.ok === false).length;
    lines.push(
      `blocks     ${s.blocks.length} memory blocks of ${mib(s.pfnsPerBlock, k.pageSize)}; ${failing} could not be offlined`,
    );
  }
  lines.push('');
  const rows = PAGE_CLASSES.map((name, id) => [name, s.counts[id]] as const)
    .filter(([, n]) => n > 0)
    .map(([name, n]) => [name, n, mib(n, k.pageSize)]);
  lines.push(table(['class', 'pages', 'size'], rows, new Set([1, 2])));
  for (const n of s.provenance.notes) lines.push(`note: ${t(n)}`);
  for (const w of s.warnings) lines.push(`warning: ${t(w)}`);
  return lines.join('\n');
}

export function registerSnapshotCommands(program: Command): void {
  program
    .command('summary')
    .description('kernel, PFN range and page counts per class, section and block')
    .argument('<snapshot>', 'vmcore, kdump file, or kpageflags capture (folder, .tar.gz or kpageflags file)')
    .argument('[more...]', 'further files of a split kdump set')
    .option('--json', 'machine-readable output')
    .action(async (path: string, more: string[], o: JsonOpt) => {
      const s = await load(path, more);
      if (o.json) printJson(summaryJson(s));
      else print(humanSummary(s));
    });

  program
    .command('sections')
    .description('one line per memory section: state, zone, node and page classes')
    .argument('<snapshot>')
    .argument('[more...]')
    .option('--json', 'machine-readable output')
    .option('--all', 'include absent sections')
    .action(async (path: string, more: string[], o: JsonOpt & { all?: boolean }) =>
      printSections(await load(path, more), o),
    );

  program
    .command('blocks')
    .description('one line per memory block: state, zone, and whether it could be offlined (and which page stops it)')
    .argument('<snapshot>')
    .argument('[more...]')
    .option('--json', 'machine-readable output')
    .action(async (path: string, more: string[], o: JsonOpt) => printBlocks(await load(path, more), o));

  program
    .command('page')
    .description('everything known about one page frame: class, raw values and why')
    .argument('<snapshot>')
    .argument('<pfn>', 'page frame number (decimal or 0x hex); a physical address with --phys')
    .option('--phys', 'the number is a physical address')
    .option('--json', 'machine-readable output')
    .action(async (path: string, pfnText: string, o: JsonOpt & { phys?: boolean }) =>
      printPage(await load(path), pfnText, o),
    );

  program
    .command('export')
    .description("every PFN's class as runs, to compare two snapshots or two tools PFN by PFN")
    .argument('<snapshot>')
    .argument('[more...]')
    .option('--json', 'JSON {"runs":[[firstPfn,count,"class"],...]} (the default output is one run per line)')
    .action(async (path: string, more: string[], o: JsonOpt) => printRuns(await load(path, more), o));
}

/** `kmemmap sections`: one line per section (absent ones with --all). */
function printSections(s: Snapshot, o: JsonOpt & { all?: boolean }): void {
  const secs = o.all ? s.sections : s.sections.filter((x) => x.state !== 'absent');
  if (o.json) return printJson({ pfnsPerSection: s.pfnsPerSection, sections: secs.map(sectionJson) });
  print(
    table(
      ['nr', 'start pfn', 'state', 'flags', 'zone', 'node', 'classes (largest first)'],
      secs.map((x) => [x.nr, hex(x.startPfn), x.state, x.flags, x.zone, x.node, classSummary(x.counts)]),
      new Set([0]),
    ),
  );
}

/** `kmemmap blocks`: one line per memory block with both offlining verdicts. */
function printBlocks(s: Snapshot, o: JsonOpt): void {
  if (o.json) return printJson({ pfnsPerBlock: s.pfnsPerBlock, blocks: s.blocks.map(blockJson) });
  if (!s.blocks.length) return print('no memory block information in this snapshot');
  print(
    table(
      [
        'block',
        'start pfn',
        'state',
        'zone',
        'offline? (mainline)',
        'with PG_offline_skippable',
        'classes (largest first)',
      ],
      s.blocks.map((b) => [
        `memory${b.id}`,
        hex(b.startPfn),
        b.state,
        b.zones?.join(' '),
        verdictText(b, 'mainline'),
        verdictText(b, 'skippable'),
        classSummary(b.counts, 3),
      ]),
    ),
  );
}

/** yes, no with the reason and the blocking page, or ? when the verdict is unknown. */
function verdictText(b: Snapshot['blocks'][number], which: 'mainline' | 'skippable'): string {
  const v = b.verdict?.[which];
  if (!v || v.ok === undefined) return '?';
  if (v.ok) return 'yes';
  return `no: ${v.reason ?? 'fails'}${v.blockingPfn !== undefined ? ` at pfn ${hex(v.blockingPfn)} (${v.blockingClass})` : ''}`;
}

/** `kmemmap page`: the page's details, or its class when the reader gives none. */
function printPage(s: Snapshot, pfnText: string, o: JsonOpt & { phys?: boolean }): void {
  const n = BigInt(pfnText);
  const pfn = Number(o.phys ? n / BigInt(s.kernel.pageSize) : n); // the snapshot's page size (4, 16 or 64 KiB)
  if (!Number.isSafeInteger(pfn) || pfn < s.startPfn || pfn >= s.endPfn)
    throw new RangeErrorForUser(`pfn ${t(pfnText)} is outside this snapshot (${hex(s.startPfn)}-${hex(s.endPfn)})`);
  const d = s.pageDetail?.(pfn);
  const cls = PAGE_CLASSES[s.classes[pfn - s.startPfn]];
  if (o.json) return printJson(d ?? { pfn, class: cls });
  if (!d) return print(`pfn ${hex(pfn)}: ${cls}`);
  print(humanPage(d));
}

function humanPage(d: PageDetail): string {
  const lines = [
    `pfn        ${hex(d.pfn)} (${d.pfn})   phys ${hex(d.physAddr)}`,
    `section    ${d.section}${d.block !== undefined ? `   block memory${d.block}` : ''}`,
    `class      ${d.class}`,
    `why        ${t(d.why)}  [rule ${t(d.rule)}]`,
  ];
  if (d.flags) lines.push(`flags      ${t(d.flags.join(' ')) || '(none)'}`);
  if (d.pageType) lines.push(`page type  ${t(d.pageType)}`);
  if (d.refcount !== undefined) lines.push(`refcount   ${d.refcount}`);
  if (d.mapcount !== undefined) lines.push(`mapcount   ${d.mapcount}`);
  if (d.zone !== undefined || d.node !== undefined)
    lines.push(`zone/node  ${t(String(d.zone ?? '?'))} / ${d.node ?? '?'}`);
  for (const [k, v] of Object.entries(d.raw)) lines.push(`raw        ${t(k)} = ${t(String(v))}`);
  for (const n of d.notes ?? []) lines.push(`note       ${t(n)}`);
  return lines.join('\n');
}

/** `kmemmap export`: every PFN's class as runs, one per line or streamed JSON. */
function printRuns(s: Snapshot, o: JsonOpt): void {
  const runs = classRuns(s);
  if (o.json) {
    // Streamed: a large machine has hundreds of thousands of runs.
    process.stdout.write(`{"kernel":${jsonText(s.kernel)},"classes":${jsonText(classCounts(s.counts))},"runs":[`);
    runs.forEach((r, i) => process.stdout.write((i ? ',' : '') + JSON.stringify(r)));
    process.stdout.write(']}\n');
    return;
  }
  for (const [start, count, cls] of runs) process.stdout.write(`${hex(start)} ${count} ${cls}\n`);
}

/** A user mistake in the arguments (not a bug). */
class RangeErrorForUser extends Error {
  override name = 'ArgumentError';
}
