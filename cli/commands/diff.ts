// kmemmap diff <a> <b>: what changed between two snapshots of one machine (any mix of formats).

import { Command } from 'commander';
import { openSnapshot } from '../../memmap/open';
import { diffSnapshots, SnapshotDiff, VerdictBrief } from '../../memmap/snapshotDiff';
import { hex, mib, table } from '../table';
import { jsonText, print } from '../output';

/** Runs listed in the text form; --json lists them all. */
const TEXT_RUNS = 20;

const verdictText = (v: VerdictBrief | undefined) =>
  !v
    ? '-'
    : v.ok === null
      ? '?'
      : v.ok
        ? 'yes'
        : `no: ${v.reason ?? 'fails'}${v.blockingPfn !== undefined ? ` at ${hex(v.blockingPfn)} (${v.blockingClass})` : ''}`;

function sideLine(label: string, s: SnapshotDiff['a']): string {
  return `${label}          ${s.release ?? 'unknown release'}  ${s.format}: ${s.files.join(', ')}`;
}

export function diffText(d: SnapshotDiff): string {
  const changed = d.runs.reduce((n, r) => n + r[1], 0);
  const lines = [
    sideLine('a', d.a),
    sideLine('b', d.b),
    `compared   PFNs ${hex(d.compared.start)}-${hex(d.compared.end)} (${d.compared.end - d.compared.start} page frames: every PFN either covers)`,
    `changed    ${changed} pages (${mib(changed, d.pageSize)}) in ${d.runs.length} runs; ${d.sections.length} sections and ${d.blocks.length} memory blocks differ`,
  ];
  if (!changed && !d.blocks.length && !d.sections.length) return [...lines, '', 'no differences'].join('\n');
  if (d.transitions.length)
    lines.push(
      '',
      table(
        ['from', 'to', 'pages', 'size'],
        d.transitions.map(([f, t, n]) => [f, t, n, mib(n, d.pageSize)]),
        new Set([2, 3]),
      ),
    );
  if (d.blocks.length)
    lines.push(
      '',
      table(
        [
          'block',
          'state a -> b',
          'a: offline? (mainline)',
          'b: offline? (mainline)',
          'a: PG_offline_skippable',
          'b: PG_offline_skippable',
        ],
        d.blocks.map((b) => [
          b.block,
          `${b.a?.state ?? 'absent'} -> ${b.b?.state ?? 'absent'}`,
          verdictText(b.a?.mainline),
          verdictText(b.b?.mainline),
          verdictText(b.a?.offlineSkippablePatch),
          verdictText(b.b?.offlineSkippablePatch),
        ]),
      ),
    );
  if (d.runs.length) {
    lines.push(
      '',
      `runs${d.runs.length > TEXT_RUNS ? ` (first ${TEXT_RUNS} of ${d.runs.length}; --json lists all)` : ''}`,
    );
    for (const [first, count, from, to] of d.runs.slice(0, TEXT_RUNS))
      lines.push(`  ${hex(first)} ${count} ${from} -> ${to}`);
  }
  return lines.join('\n');
}

export function registerDiffCommand(program: Command): void {
  program
    .command('diff')
    .description(
      'what changed between two snapshots of one machine: class transitions, changed PFN runs, sections and blocks whose state or verdict changed',
    )
    .argument('<a>', 'the snapshot before (vmcore, capture, crash/drgn output)')
    .argument('<b>', 'the snapshot after')
    .option('--json', 'machine-readable output (see the README)')
    .action(async (pa: string, pb: string, o: { json?: boolean }) => {
      const [a, b] = await Promise.all([openSnapshot(pa), openSnapshot(pb)]);
      const d = diffSnapshots(a, b, [pa, pb]);
      if (o.json) process.stdout.write(jsonText(d) + '\n');
      else print(diffText(d));
    });
}
