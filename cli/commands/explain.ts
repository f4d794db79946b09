// kmemmap explain <symbol>: the same explanation a hover shows, as text or JSON.

import { Command } from 'commander';
import { print, printError, printJson } from '../output';
import { lookupSymbol } from '../../kernel/knowledge/index';
import { renderText } from '../../kernel/knowledge/render';
import { bitFacts } from '../../kernel/knowledge/bitFacts';
import { elixirUrl } from '../../kernel/knowledge/elixir';
import { resolveKernel, unknownKernelMessage, type KernelTarget } from '../../kernel/decode';
import { parseArch } from '../../kernel/archFlags';

const usage = (msg: string) => Object.assign(new Error(msg), { name: 'UsageError' });

/** --kernel <release|family>[/arch] with an optional --arch (x86_64 | arm64); a release's "-arm64" suffix says arm64 too. */
export function kernelOption(spec: string | undefined, archSpec?: string): KernelTarget | undefined {
  const arch = archSpec !== undefined ? parseArch(archSpec) : undefined;
  if (archSpec !== undefined && !arch) throw usage(`--arch ${archSpec}: give x86_64 or arm64 (aarch64)`);
  if (!spec) {
    if (arch) throw usage('--arch needs --kernel');
    return undefined;
  }
  const k = resolveKernel(spec, '--kernel', arch, '--arch');
  if (!k) throw usage(unknownKernelMessage(spec, arch));
  return k;
}

export function registerExplainCommand(program: Command): void {
  program
    .command('explain <symbol>')
    .description('explain a PG_/KPF_/PGTY_/SECTION_ symbol, page accessor, page class or kernel function')
    .option('--kernel <release|family>', 'describe it for this kernel (bit numbers of that release are marked)')
    .option('--arch <arch>', 'x86_64 (default) or arm64; also "--kernel 6.12/arm64" or a release ending in -arm64')
    .option('--json', 'machine-readable output')
    .action((symbol: string, opts: { kernel?: string; arch?: string; json?: boolean }) => {
      const k = kernelOption(opts.kernel, opts.arch);
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
          bits: bitFacts(e, k?.family, k?.arch),
          links: e.source.map((r) => elixirUrl(r, rel)),
        }));
        printJson({ symbol, kernel: k ? { family: k.family.id, release: k.release } : null, entries: out });
      } else {
        print(renderText(entries, k));
      }
    });
}
