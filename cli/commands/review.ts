// kmemmap review <patch>: what a patch series does to page state — symbols per hunk, the layout
// delta against the Linux tree it applies to (in memory), the verdict delta on snapshots — as
// Markdown ready to paste into a mailing-list reply.

import { Command } from 'commander';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { openSnapshot } from '../../memmap/open';
import { parseRuleSet } from '../../memmap/offlineRules';
import { readPatchSeries } from '../../review/readSeries';
import { reviewSeries } from '../../review/review';
import { reviewMarkdown } from '../../review/reportMarkdown';
import { PatchError } from '../../review/patchSeries';
import { print } from '../output';

const collect = (v: string, prev: string[] = []) => [...prev, v];

export function registerReviewCommand(program: Command): void {
  program
    .command('review')
    .description(
      'review a patch, an mbox series or a git format-patch folder: page-state symbols per hunk, layout delta against a Linux tree (applied in memory), offline-verdict delta on snapshots; prints Markdown',
    )
    .argument('<patch>', 'a .patch/.diff file, an mbox, or a folder of git format-patch files')
    .option('--tree <dir>', 'a Linux tree the series may apply to (repeatable; the best match is used)', collect)
    .option('--snapshot <file>', 'a snapshot to compute the verdict delta on (repeatable)', collect)
    .option(
      '--log <file>',
      'a crash/drgn/dmesg log whose flags words are decoded before and after (repeatable)',
      collect,
    )
    .option(
      '--rules <id|file>',
      'the offlining rule set of the series (built-in id or a JSON file), overriding its Offline-Rules: trailer',
    )
    .option('--out <file>', 'write the Markdown report to this file instead of printing it')
    .action(
      async (
        patch: string,
        o: { tree?: string[]; snapshot?: string[]; log?: string[]; rules?: string; out?: string },
      ) => {
        const series = await readPatchSeries(patch);
        let rules;
        if (o.rules)
          rules = parseRuleSet(existsSync(o.rules) ? readFileSync(o.rules, 'utf8') : o.rules, `--rules ${o.rules}`);
        const logs = (o.log ?? []).map((f) => {
          try {
            return { name: basename(f), text: readFileSync(f, 'utf8').slice(0, 256 * 2 ** 20) };
          } catch (e) {
            throw new PatchError(f, `cannot read the log: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
          }
        });
        const r = await reviewSeries(series, {
          trees: o.tree ?? [],
          snapshots: o.snapshot ?? [],
          logs,
          rules,
          openSnapshot: (p, ruleSets) => openSnapshot(p, { ruleSets }),
        });
        const md = reviewMarkdown(r);
        if (o.out) {
          const inputs = [patch, ...(o.snapshot ?? []), ...(o.log ?? [])].map((p) => resolve(p));
          if (inputs.includes(resolve(o.out)))
            throw new PatchError(o.out, 'is one of the inputs: the report is never written over an input');
          writeFileSync(o.out, md);
          print(`review written to ${o.out}`);
        } else print(md);
      },
    );
}
