// kmemmap decode --kernel <release|family> [--arch x86_64|arm64] (--flags|--page-type|--kpf) <hex>: names of a
// raw word, with the flag layout of that release on that machine (arm64: MTE's PG_arch_2/PG_arch_3, its field widths).

import { Command } from 'commander';
import { print, printJson } from '../output';
import {
  decodeFlagsWord,
  decodeKpfWord,
  decodePageTypeWord,
  describeConfigBits,
  kernelLabel,
  parseWord,
} from '../../kernel/decode';
import { kernelOption } from './explain';

interface DecodeOpts {
  kernel: string;
  arch?: string;
  flags?: boolean;
  pageType?: boolean;
  kpf?: boolean;
  noFields?: boolean;
  fields?: boolean;
  json?: boolean;
}

export function registerDecodeCommand(program: Command): void {
  program
    .command('decode <value>')
    .description(
      'decode a raw page->flags, page->page_type or /proc/kpageflags word for a kernel release or layout family',
    )
    .requiredOption(
      '--kernel <release|family>',
      'e.g. 6.1, 6.12.117+deb12-amd64, 6.12-6.13; 6.12.118+deb12-arm64 or 6.12/arm64 for arm64',
    )
    .option('--arch <arch>', 'x86_64 (default) or arm64 (aarch64): the machine whose flag layout to use')
    .option('--flags', 'value is page->flags')
    .option('--page-type', 'value is page->page_type / _mapcount (u32; 6.12+ also the top byte alone)')
    .option('--kpf', 'value is a /proc/kpageflags word')
    .option('--no-fields', 'do not decode node/zone from the top bits of flags')
    .option('--json', 'machine-readable output')
    .action((value: string, opts: DecodeOpts) => {
      const k = kernelOption(opts.kernel, opts.arch)!;
      const modes = [opts.flags, opts.pageType, opts.kpf].filter(Boolean).length;
      if (modes !== 1)
        throw Object.assign(new Error('give exactly one of --flags, --page-type, --kpf'), { name: 'UsageError' });
      const word = parseWord(value);
      let out: unknown;
      let text: string;
      if (opts.flags) {
        const d = decodeFlagsWord(word, k, { fields: opts.fields === false ? null : undefined });
        out = d;
        const extra = describeConfigBits(d.configDependentBits, k);
        text = [
          `kernel   ${d.kernel}`,
          `arch     ${d.arch}${d.nrPageflags !== undefined ? `  (NR_PAGEFLAGS ${d.nrPageflags})` : ''}`,
          `flags    ${d.raw}`,
          `set      ${d.flags.join(' ') || '(none)'}`,
          ...(d.aliases.length ? [`aliases  ${d.aliases.join(' ')}`] : []),
          ...extra.map((x) => `config   ${x}`),
          ...(d.zone !== undefined ? [`fields   node=${d.node} zone=${d.zone}  (${d.fieldsAssumption})`] : []),
        ].join('\n');
      } else if (opts.pageType) {
        if (word > 0xffffffffn) throw Object.assign(new Error('page_type is a 32-bit value'), { name: 'UsageError' });
        const d = decodePageTypeWord(Number(word), k);
        out = d;
        text = [
          `kernel     ${d.kernel}`,
          `page_type  ${d.raw}`,
          ...d.results.map(
            (r) =>
              `${r.encoding.padEnd(10)} ${r.typeName ? `${r.encoding === '5.10' ? 'PG_' : 'PGTY_'}${r.typeName} (Page${r.typeName === 'hugetlb' ? 'Huge' : r.typeName[0].toUpperCase() + r.typeName.slice(1)})${r.meaning.endsWith('+kmemcg') && r.typeName !== 'kmemcg' ? ' + PG_kmemcg (PageKmemcg: charged to a memcg)' : ''}` : r.meaning}`,
          ),
        ].join('\n');
      } else {
        const d = decodeKpfWord(word, k);
        out = d;
        text = [
          `kernel  ${kernelLabel(k)}`,
          `kpf     ${d.raw}`,
          `set     ${d.bits.join(' ') || '(none)'}`,
          ...d.notes.map((n) => `note    ${n}`),
        ].join('\n');
      }
      if (opts.json) printJson(out);
      else print(text);
    });
}
