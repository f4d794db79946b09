// kmemmap explain <symbol>: the same explanation a hover shows, as text or JSON.

import { Command } from 'commander';
import { print, printError, printJson } from '../output';
import { lookupSymbol } from '../../kernel/knowledge/index';
import { renderText } from '../../kernel/knowledge/render';
import { bitFacts } from '../../kernel/knowledge/bitFacts';
import { elixirUrl } from '../../kernel/knowledge/elixir';
import { resolveKernel, unknownKernelMessage, type KernelTarget } from '../../kernel/decode';

export function kernelOption(spec: string | undefined): KernelTarget | undefined {
  if (!spec) return undefined;
  const k = resolveKernel(spec, '--kernel');
  if (!k) throw Object.assign(new Error(unknownKernelMessage(spec)), { name: 'UsageError' });
  return k;
}

export function registerExplainCommand(program: Command): void {
  program
    .command('explain <symbol>')
    .description('explain a PG_/KPF_/PGTY_/SECTION_ symbol, page accessor, page class or kernel function')
    .option('--kernel <release|family>', 'describe it for this kernel (bit numbers of that release are marked)')
    .option('--json', 'machine-readable output')
    .action((symbol: string, opts: { kernel?: string; json?: boolean }) => {
      const k = kernelOption(opts.kernel);
      const entries = lookupSymbol(symbol);
      if (!entries.length) {
        printError(`nothing known about "${symbol}"`);
        process.exitCode = 1;
        return;
      }
      if (opts.json) {
        const rel = k?.release ?? k?.family.last ?? '6.18';
        const out = entries.map((e) => ({
          ...e,
          bits: bitFacts(e, k?.family),
          links: e.source.map((r) => elixirUrl(r, rel)),
        }));
        printJson({ symbol, kernel: k ? { family: k.family.id, release: k.release } : null, entries: out });
      } else {
        print(renderText(entries, k));
      }
    });
}
