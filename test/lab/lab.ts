// Kernel Memmap Explorer QEMU lab: boots Debian 6.1 / 6.12 kernels (and, opt-in, 5.10 / 7.3) under TCG
// and writes real snapshot sets (capture bundle + ELF + kdump) into $KMEMMAP_LAB_DIR or ~/.cache/kmemmap-lab/sets.
//   node out/lab/lab.js [--kernel 6.1|6.12|all|5.10|7.3] [--ensure-ci-sets] [--force] [--make-sample] [--list]
//   node out/lab/lab.js --big [--kernel 6.1|6.12|all]   opt-in 16 GiB guests (6.1-big, 6.12-big) for benchmarks
//   node out/lab/lab.js --arch arm64 [--kernel 6.12] [--sets baseline,balloon,...]   opt-in arm64 guests (arm64-6.12-*)
import { liveBuilders, liveVms, runBoot, type BootResult } from './boot';
import { ensureArm64Tools, ensureHostTools } from './deps';
import { ARM64_KERNELS, isKernelShort, KERNEL_SHORTS, resolveKernel, type KernelShort, type LabArch } from './kernels';
import { setName } from './manifest';
import { labRoot } from './paths';
import { makeSample, SAMPLE_SET } from './sample';
import { BIG_RAM, bigPlan, loadPlan, mainPlan, type BootPlan } from './scenarios';
import { CI_SETS, listSets } from './sets';
import { deriveWithTools } from './tools';
import { cleanStaleTemps, setExists } from './setwriter';
import { setsDir } from './paths';
import { mkdirSync, statfsSync } from 'node:fs';
import { log, run } from './util';

interface Args {
  arch: LabArch;
  sets?: string[];
  kernels: KernelShort[];
  kernelGiven: boolean;
  ensureCi: boolean;
  force: boolean;
  makeSample: boolean;
  list: boolean;
  withTools: boolean;
  big: boolean;
}

function parseArgs(argv: string[]): Args {
  const a: Args = {
    arch: 'x86_64',
    kernels: [...KERNEL_SHORTS],
    kernelGiven: false,
    ensureCi: false,
    force: false,
    makeSample: false,
    list: false,
    withTools: false,
    big: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const x = argv[i]!;
    if (x === '--kernel') {
      const v = argv[++i];
      a.kernelGiven = true;
      if (v === 'all') a.kernels = [...KERNEL_SHORTS];
      else if (isKernelShort(v)) a.kernels = [v];
      else throw new Error(`--kernel wants 6.1, 6.12, all, or the opt-in 5.10 or 7.3 (got ${v})`);
    } else if (x === '--arch') {
      const v = argv[++i];
      if (v !== 'x86_64' && v !== 'arm64' && v !== 'arm64-16k')
        throw new Error(`--arch wants x86_64, arm64 or arm64-16k (got ${v})`);
      a.arch = v;
    } else if (x === '--sets') {
      // scenarios (baseline, balloon, ...) or set names (arm64-6.12-load-nokaslr): only those are made
      a.sets = (argv[++i] ?? '')
        .split(',')
        .map((t) => t.trim())
        .filter(Boolean);
    } else if (x === '--ensure-ci-sets') a.ensureCi = true;
    else if (x === '--force') a.force = true;
    else if (x === '--make-sample') a.makeSample = true;
    else if (x === '--list') a.list = true;
    else if (x === '--with-tools') a.withTools = true;
    else if (x === '--big') a.big = true;
    else if (x === '-h' || x === '--help') {
      process.stdout.write(
        'usage: node out/lab/lab.js [--kernel 6.1|6.12|all|5.10|7.3] [--ensure-ci-sets] [--force] [--make-sample] [--with-tools] [--list]\n' +
          '       node out/lab/lab.js --arch arm64|arm64-16k [--kernel 6.12] [--sets SCENARIO|SET,...] [--force]   opt-in arm64 guests (sets arm64-<kernel>-<scenario>)\n' +
          '       node out/lab/lab.js --big [--kernel 6.1|6.12|all] [--force]   only the opt-in 16 GiB sets <kernel>-big (benchmarks)\n',
      );
      process.exit(0);
    } else throw new Error(`unknown argument ${x}`);
  }
  if (a.arch !== 'x86_64') {
    if (a.ensureCi || a.big || a.makeSample || a.withTools)
      throw new Error('--arch arm64 takes only --kernel, --sets, --force and --list');
    if (!a.kernelGiven) a.kernels = [...ARM64_KERNELS];
    const bad = a.kernels.filter((k) => !ARM64_KERNELS.includes(k));
    if (bad.length) throw new Error(`the arm64 lab has kernels ${ARM64_KERNELS.join(', ')} (got ${bad.join(', ')})`);
  }
  return a;
}

/** Jobs: (kernel, plan, scenarios wanted from that plan). */
interface Job {
  kernel: KernelShort;
  plan: BootPlan;
  scenarios: string[];
  arch?: LabArch;
}

function ciJobs(): Job[] {
  // the table is in sets.ts, where the tests find which sets must be there
  return CI_SETS.map((j) => ({
    kernel: j.kernel,
    plan: j.plan === 'main' ? mainPlan() : loadPlan(),
    scenarios: j.scenarios,
    arch: j.arch,
  }));
}

function fullJobs(kernels: KernelShort[]): Job[] {
  const jobs: Job[] = [];
  for (const k of kernels) {
    for (const plan of [mainPlan(), loadPlan()]) {
      jobs.push({ kernel: k, plan, scenarios: plan.steps.flatMap((s) => (s.kind === 'snapshot' ? [s.scenario] : [])) });
    }
  }
  return jobs;
}

/** What the lab holds on disk and what is left: CI's disk is not ours to size, so every run says both. */
function diskReport(): string {
  mkdirSync(labRoot(), { recursive: true });
  const fs = statfsSync(labRoot());
  const used = Number(run('du', ['-s', '--block-size=1', labRoot()], { allowFail: true }).stdout.split('\t')[0]) || 0;
  return `disk: the lab holds ${(used / 2 ** 30).toFixed(1)} GiB, ${((fs.bavail * fs.bsize) / 2 ** 30).toFixed(1)} GiB free`;
}

/** The big sets' ELF is written whole (RAM size) before its zero blocks are punched out: refuse to start
 *  without room for it plus the rest of the set. */
function checkBigDiskRoom(): void {
  mkdirSync(setsDir(), { recursive: true });
  const fs = statfsSync(setsDir());
  const free = fs.bavail * fs.bsize,
    need = BIG_RAM + 6 * 2 ** 30;
  if (free < need)
    throw new Error(
      `--big needs ${(need / 2 ** 30).toFixed(0)} GiB free under ${setsDir()} while it writes the ELF (${(BIG_RAM / 2 ** 30).toFixed(0)} GiB before holes are punched); ${(free / 2 ** 30).toFixed(1)} GiB free`,
    );
  log(
    `disk: ${(free / 2 ** 30).toFixed(1)} GiB free under ${setsDir()} (a big set needs ${(need / 2 ** 30).toFixed(0)} GiB while its ELF is written, ~2 GiB after)`,
  );
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (args.list) {
    for (const s of listSets(true, 'all'))
      process.stdout.write(`${s.name}\t${s.dir}${s.manifest.big ? '\t(big)' : ''}\n`);
    return;
  }
  log(`lab root: ${labRoot()}; ${diskReport()}`);
  cleanStaleTemps();
  let jobs: Job[] = [];
  if (args.ensureCi) jobs.push(...ciJobs());
  // the full scenario list runs by default, or whenever --kernel is given explicitly (but not with --big,
  // where --kernel picks the big sets' kernels)
  if (args.big) jobs.push(...args.kernels.map((kernel) => ({ kernel, plan: bigPlan(), scenarios: ['big'] })));
  if ((!args.ensureCi && !args.makeSample && !args.big) || (args.kernelGiven && !args.big))
    jobs.push(...fullJobs(args.kernels));
  if (args.arch !== 'x86_64') {
    const arch = args.arch;
    jobs = fullJobs(args.kernels).map((j) => ({ ...j, arch }));
  }
  if (args.sets) {
    const want = new Set(args.sets);
    jobs = jobs
      .map((j) => ({
        ...j,
        scenarios: j.scenarios.filter((s) => want.has(s) || want.has(setName(j.kernel, s, j.plan.kaslr, j.arch))),
      }))
      .filter((j) => j.scenarios.length);
    if (!jobs.length) throw new Error(`--sets ${args.sets.join(',')} names no scenario or set of the boots asked for`);
  }
  if (
    args.makeSample &&
    (args.force || !setExists(SAMPLE_SET)) &&
    !jobs.some((j) => j.kernel === '6.12' && j.plan.id === 'main')
  )
    jobs.push({ kernel: '6.12', plan: mainPlan(), scenarios: ['virtio-mem'] });
  const t0 = Date.now();
  // resolve (download/unpack) every kernel needed before booting anything: apt-cache is slow when QEMU
  // is eating both cores
  const needed = jobs.filter((job) =>
    job.scenarios.some((s) => args.force || !setExists(setName(job.kernel, s, job.plan.kaslr, job.arch))),
  );
  if (needed.length) ensureHostTools();
  if (needed.some((j) => j.arch && j.arch !== 'x86_64')) ensureArm64Tools();
  if (needed.some((j) => j.plan.big)) checkBigDiskRoom();
  for (const j of needed) resolveKernel(j.kernel, j.arch);
  const results: { job: string; r: BootResult }[] = [];
  for (const job of jobs) {
    const wanted = new Set(
      job.scenarios
        .map((s) => setName(job.kernel, s, job.plan.kaslr, job.arch))
        .filter((n) => args.force || !setExists(n)),
    );
    const label = `${job.arch && job.arch !== 'x86_64' ? `${job.arch}-` : ''}${job.kernel}-${job.plan.id}${job.plan.kaslr ? '' : '-nokaslr'}`;
    if (!wanted.size) {
      log(`${label}: all sets present (use --force to re-make)`);
      continue;
    }
    const k = resolveKernel(job.kernel, job.arch);
    log(`${label}: booting ${k.package} ${k.version} for ${[...wanted].join(', ')}`);
    const r = await runBoot(k, job.plan, wanted);
    results.push({ job: label, r });
    log(`${label}: done in ${r.totalSec}s (boot ${r.bootSec}s; per set ${JSON.stringify(r.perSet)})`);
  }
  if (args.makeSample) makeSample();
  if (args.withTools) {
    ensureHostTools(true);
    for (const s of listSets().filter((x) => args.kernels.includes(x.manifest.kernel.short))) deriveWithTools(s);
  }
  const total = Math.round((Date.now() - t0) / 1000);
  log(diskReport());
  for (const { job, r } of results) log(`summary ${job}: ${r.totalSec}s, sets ${r.written.join(', ')}`);
  log(
    `total ${total}s; sets present: ${
      listSets(true, 'all')
        .map((s) => s.name)
        .join(', ') || 'none'
    }`,
  );
}

function onSignal(sig: NodeJS.Signals): void {
  log(`${sig}: stopping QEMU and dropping unfinished sets`);
  for (const vm of liveVms) vm.kill();
  for (const b of liveBuilders) b.abandon();
  process.exit(130);
}
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

main().catch((e: unknown) => {
  log(`FAILED: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  for (const vm of liveVms) vm.kill();
  process.exit(1);
});
