// npm run lab:derive [-- --sets 6.1-balloon,6.12-balloon] — opt-in: derives makedumpfile dumps from a
// lab set's QEMU dumps into <set>/derived/, for test/unit/memmap/vmcoreDerivedDumps.test.ts.
//
// Debian 12's makedumpfile 1.7.2 (zlib and lzo; snappy and zstd are compiled out, see VARIANTS):
//   vmcore.kdump.raw        makedumpfile -R (the QEMU flattened kdump reassembled)
//   dump-<c|l|p|z>-d31.kdump  compressed, -d 31 (zero, cache, private cache, user, free pages dropped)
//   dump-<c|l>-d0.kdump     compressed, unfiltered
//   dump-split3.{1,2,3}     --split -c -d 31 into three files
//   dump-E-d31.elf          -E -d 31 (ELF with excluded pages as p_filesz < p_memsz)
// makedumpfile ignores e_phoff, and QEMU 7.2 puts section headers where it expects the program headers,
// so the input is a sparse COPY of vmcore.elf with its program headers moved to offset 64
// (movePhdrsAfterEhdr); the lab's files are never modified. makedumpfile reads VMCOREINFO from the
// input's note, so no vmlinux is needed. Known: on 6.12 it filters by stale page-flag rules (drops slab
// pages with -d 31, keeps hugetlb/THP); the tests account for what survives.
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CI_DERIVE_SETS, listSets, LabSet } from './sets';
import { movePhdrsAfterEhdr } from './tools';
import type { Manifest } from './manifest';
import { haveTool, log, q, run, sh } from './util';

const MDF = 'makedumpfile';
const DEFAULT_SETS = CI_DERIVE_SETS;

interface Variant {
  files: string[];
  args: (input: string) => string[];
}

// Debian's build has snappy and zstd compiled out: -p/-z then write UNCOMPRESSED pages (status 0), a
// useful variant but 750 MB unfiltered, so those two are only made with -d 31.
const VARIANTS: Variant[] = [
  ...(
    [
      ['c', [31, 0]],
      ['l', [31, 0]],
      ['p', [31]],
      ['z', [31]],
    ] as const
  ).flatMap(([c, levels]) =>
    levels.map((d) => ({
      files: [`dump-${c}-d${d}.kdump`],
      args: (i: string) => [`-${c}`, '-d', String(d), i, `dump-${c}-d${d}.kdump`],
    })),
  ),
  {
    files: ['dump-split3.1', 'dump-split3.2', 'dump-split3.3'],
    args: (i) => ['--split', '-c', '-d', '31', i, 'dump-split3.1', 'dump-split3.2', 'dump-split3.3'],
  },
  { files: ['dump-E-d31.elf'], args: (i) => ['-E', '-d', '31', i, 'dump-E-d31.elf'] },
];

export function deriveDumps(set: LabSet): { made: string[]; failed: string[] } {
  const out = join(set.dir, 'derived');
  mkdirSync(out, { recursive: true });
  const made: string[] = [];
  const failed: string[] = [];
  const have = (f: string) => existsSync(join(out, f)) && statSync(join(out, f)).size > 0;
  if (!have('vmcore.kdump.raw')) {
    const r = sh(`${MDF} -R ${q(join(out, 'vmcore.kdump.raw.tmp'))} < ${q(set.kdump)}`, { allowFail: true });
    if (r.code === 0) renameSync(join(out, 'vmcore.kdump.raw.tmp'), join(out, 'vmcore.kdump.raw'));
    else failed.push(`-R: ${r.stderr.trim().split('\n').pop()}`);
  }
  if (have('vmcore.kdump.raw')) made.push('vmcore.kdump.raw');
  const todo = VARIANTS.filter((v) => !v.files.every(have));
  let input: string | undefined;
  try {
    for (const v of todo) {
      if (!input) {
        input = join(out, `input-fixed-${process.pid}.elf`);
        run('cp', ['--sparse=always', set.elf, input]);
        movePhdrsAfterEhdr(input);
      }
      for (const f of v.files) rmSync(join(out, f), { force: true });
      const r = run(MDF, v.args(input), { cwd: out, allowFail: true });
      if (r.code !== 0 || !v.files.every(have)) {
        for (const f of v.files) rmSync(join(out, f), { force: true });
        failed.push(
          `${v.args('<input>').join(' ')}: ${(r.stdout + r.stderr).trim().split('\n').filter(Boolean).slice(-2).join(' | ')}`,
        );
      }
    }
  } finally {
    if (input) rmSync(input, { force: true });
  }
  for (const v of VARIANTS) if (v.files.every(have)) made.push(...v.files);
  const readme = [
    `Derived by ${run(MDF, ['-v'], { allowFail: true }).stdout.split('\n')[0]} (test/lab/derive-dumps.ts)`,
    `from ${set.elf} (header-fixed sparse copy, deleted) and ${set.kdump}`,
    'made:',
    ...made.map((f) => `  ${f}`),
    'failed:',
    ...failed.map((f) => `  ${f}`),
  ].join('\n');
  writeFileSync(join(out, 'README.txt'), readme + '\n');
  // record in the manifest (the lab's --with-tools step uses the same field)
  const mfPath = join(set.dir, 'manifest.json');
  const m = JSON.parse(readFileSync(mfPath, 'utf8')) as Manifest;
  m.files.derived = [...new Set([...(m.files.derived ?? []), ...made.map((f) => `derived/${f}`)])];
  writeFileSync(`${mfPath}.tmp`, JSON.stringify(m, null, 2) + '\n');
  renameSync(`${mfPath}.tmp`, mfPath);
  return { made, failed };
}

function main(): void {
  if (!haveTool(MDF)) {
    console.error('makedumpfile is not installed: apt-get install -y makedumpfile');
    process.exit(2);
  }
  const i = process.argv.indexOf('--sets');
  const names = i > 0 ? process.argv[i + 1].split(',') : DEFAULT_SETS;
  const sets = listSets().filter((s) => names.includes(s.name));
  if (!sets.length) {
    console.error(`none of the sets ${names.join(', ')} exist (npm run lab)`);
    process.exit(2);
  }
  for (const s of sets) {
    const { made, failed } = deriveDumps(s);
    log(
      `${s.name}: ${made.map((f) => `${f} (${(statSync(join(s.dir, 'derived', f)).size / 2 ** 20).toFixed(1)} MiB)`).join(', ')}`,
    );
    for (const f of failed) log(`${s.name}: failed: ${f}`);
  }
}

if (require.main === module) main();
