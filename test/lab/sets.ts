// Read-only access to the lab's sets for tests (no vscode imports here).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KernelShort } from './kernels';
import { setName, type Manifest } from './manifest';
import { labRoot as root } from './paths';

export type { Manifest } from './manifest';

export interface LabSet {
  name: string;
  dir: string;
  manifest: Manifest;
  /** the capture bundle folder (kpageflags, kpagecount, kpagecgroup, iomem, ..., memory/) */
  capture: string;
  /** QEMU ELF dump (paging: false) */
  elf: string;
  /** QEMU kdump-zlib dump (makedumpfile flattened format) */
  kdump: string;
}

/** `big`: true = only big sets, false = none; unset = none unless KMEMMAP_LAB_BIG=1 (see listSets). */
export interface SetFilter {
  kernel?: KernelShort;
  scenario?: string;
  kaslr?: boolean;
  big?: boolean;
  /** the guest architecture; default x86_64 (arm64 sets, `arm64-*`, are found only when asked for) */
  arch?: SetArch;
}

/** The architecture of a set's guest (manifest `arch`, absent on x86_64 sets). */
export type SetArch = 'x86_64' | 'arm64' | 'arm64-16k';
export const setArch = (s: { manifest: Manifest }): SetArch => s.manifest.arch ?? 'x86_64';

/** An opt-in big set (`npm run lab -- --big`, e.g. 6.1-big: a 16 GiB guest for benchmarks). */
export const isBigSet = (s: { manifest: Manifest }): boolean => s.manifest.big === true;

/** Whether listSets() includes big sets when not told: only with KMEMMAP_LAB_BIG=1. */
const bigByDefault = (): boolean => process.env.KMEMMAP_LAB_BIG === '1';

/** Root of the lab cache: $KMEMMAP_LAB_DIR or ~/.cache/kmemmap-lab. */
export function labRoot(): string {
  return root();
}

/**
 * All complete sets (folders under <root>/sets with a manifest.json), sorted by name. Big sets
 * (manifest `big: true`) are left out unless `includeBig` (default: KMEMMAP_LAB_BIG=1): the tests iterate
 * over listSets(), and a 16 GiB dump would cost them minutes and GBs of RAM per test for nothing new.
 */
export function listSets(includeBig = bigByDefault(), arch: SetArch | 'all' = 'x86_64', root = labRoot()): LabSet[] {
  const dir = join(root, 'sets');
  if (!existsSync(dir)) return [];
  const out: LabSet[] = [];
  for (const name of readdirSync(dir).sort()) {
    if (name.startsWith('.')) continue;
    const d = join(dir, name);
    const mf = join(d, 'manifest.json');
    if (!existsSync(mf)) continue;
    let manifest: Manifest;
    try {
      manifest = JSON.parse(readFileSync(mf, 'utf8')) as Manifest;
    } catch {
      continue;
    }
    if (manifest.big === true && !includeBig) continue;
    // the x86_64 tests iterate over listSets(): arm64 sets only when asked for
    if (arch !== 'all' && (manifest.arch ?? 'x86_64') !== arch) continue;
    out.push({
      name,
      dir: d,
      manifest,
      capture: join(d, manifest.files.capture ?? 'capture'),
      elf: join(d, manifest.files.elf ?? 'vmcore.elf'),
      kdump: join(d, manifest.files.kdump ?? 'vmcore.kdump'),
    });
  }
  return out;
}

export function findSets(filter: SetFilter = {}): LabSet[] {
  return listSets(filter.big ?? bigByDefault(), filter.arch ?? 'x86_64').filter(
    (s) =>
      (filter.big === undefined || isBigSet(s) === filter.big) &&
      (filter.kernel === undefined || s.manifest.kernel.short === filter.kernel) &&
      (filter.scenario === undefined || s.manifest.scenario === filter.scenario) &&
      (filter.kaslr === undefined || s.manifest.kaslr === filter.kaslr),
  );
}

/** The first set matching the filter; throws an error that says how to create it. */
export function requireSet(filter: SetFilter = {}): LabSet {
  const s = findSets(filter)[0];
  if (s) return s;
  const want = JSON.stringify(filter);
  const have =
    listSets(true, 'all')
      .map((x) => x.name)
      .join(', ') || 'none';
  throw new Error(
    `No lab set matches ${want} under ${join(labRoot(), 'sets')} (present: ${have}). ` +
      (filter.arch && filter.arch !== 'x86_64'
        ? `Create them with \`npm run build && KMEMMAP_LAB_DIR=${labRoot()} node out/lab/lab.js --arch ${filter.arch} --kernel ${filter.kernel ?? '6.12'}${filter.scenario ? ` --sets ${filter.scenario}` : ''}\`.`
        : filter.big
          ? 'Create the big sets with `npm run lab -- --big` (16 GiB guests; KMEMMAP_LAB_DIR overrides the location).'
          : `Create the sets with \`npm run lab\` (or \`npm run lab -- --ensure-ci-sets\`; KMEMMAP_LAB_DIR overrides the location).`),
  );
}

/**
 * The sets CI makes (`lab.js --ensure-ci-sets`, per boot plan the scenarios snapshotted; earlier
 * snapshots of a boot are skipped) and what it derives from them (scripts/test-all.sh DERIVE_SETS and
 * TOOL_SETS, checked against these lists by test/unit/memmap/ciSets.test.ts). The lab tests iterate over
 * the sets present and, through missingCiSets(), fail for each CI set that is absent instead of skipping.
 */
export const CI_SETS: { kernel: KernelShort; plan: 'main' | 'load'; scenarios: string[]; arch?: SetArch }[] = [
  { kernel: '6.1', plan: 'main', scenarios: ['baseline', 'balloon', 'virtio-mem', 'offline-block'] },
  { kernel: '6.12', plan: 'main', scenarios: ['baseline', 'balloon', 'virtio-mem', 'offline-block'] },
  { kernel: '6.12', plan: 'load', scenarios: ['baseline'] },
  // 5.10 (bullseye) and 7.3 (trixie-backports): every scenario of the main boot, and the load boot's
  // THP + hugetlb + slab snapshot
  { kernel: '5.10', plan: 'main', scenarios: ['baseline', 'balloon', 'virtio-mem', 'offline-block'] },
  { kernel: '5.10', plan: 'load', scenarios: ['load'] },
  { kernel: '7.3', plan: 'main', scenarios: ['baseline', 'balloon', 'virtio-mem', 'offline-block'] },
  { kernel: '7.3', plan: 'load', scenarios: ['load'] },
  // arm64 (4 KiB pages; virt under TCG), sets arm64-<kernel>-<scenario>, read by vmcoreArm64Lab.test.ts
  // (every scenario of the main boot and the load boot's THP + hugetlb + slab snapshot; both boots of both
  // kernels took 5 min on 2 cores, downloads included, and the test reads a set in 1-3 s)
  { arch: 'arm64', kernel: '6.12', plan: 'main', scenarios: ['baseline', 'balloon', 'virtio-mem', 'offline-block'] },
  { arch: 'arm64', kernel: '6.12', plan: 'load', scenarios: ['load'] },
  { arch: 'arm64', kernel: '7.3', plan: 'main', scenarios: ['baseline', 'balloon', 'virtio-mem', 'offline-block'] },
  { arch: 'arm64', kernel: '7.3', plan: 'load', scenarios: ['load'] },
  // arm64-16k (16 KiB pages: 32 MiB pageblocks, order-11 buddy blocks, 8192-PFN sections): the main boot's
  // first and last snapshots, for 6.12 and 7.3
  { arch: 'arm64-16k', kernel: '6.12', plan: 'main', scenarios: ['baseline', 'offline-block'] },
  { arch: 'arm64-16k', kernel: '7.3', plan: 'main', scenarios: ['baseline', 'offline-block'] },
];
/** Sets that get makedumpfile-derived dumps in CI (LZO, zlib, -d 31, split, -E ELF). */
export const CI_DERIVE_SETS = ['6.1-balloon', '6.12-balloon', '5.10-offline-block', '7.3-offline-block'];
/** Sets that get drgn exports (and crash sessions where crash 8.0.2 reads the kernel) in CI. */
export const CI_TOOL_SETS = [
  '6.1-balloon',
  '6.1-baseline',
  '6.12-baseline',
  '6.12-virtio-mem',
  '5.10-offline-block',
  '7.3-offline-block',
  '7.3-load-nokaslr',
  // arm64: drgn 0.0.22 with the arm64 -dbg vmlinux (no crash: Debian's crash reads only x86_64 dumps)
  'arm64-6.12-baseline',
  'arm64-6.12-offline-block',
  'arm64-6.12-load-nokaslr',
  'arm64-7.3-offline-block',
  'arm64-7.3-load-nokaslr',
];

/** Names of the CI sets of an architecture (default x86_64; main boot: KASLR on; load boot: -nokaslr). */
export const ciSetNames = (arch: SetArch | 'all' = 'x86_64'): string[] =>
  CI_SETS.filter((j) => arch === 'all' || (j.arch ?? 'x86_64') === arch).flatMap((j) =>
    j.scenarios.map((sc) => setName(j.kernel, sc, j.plan === 'main', j.arch)),
  );

/**
 * CI sets (of `names`, default all) absent from the lab, with the reason to fail with; none when
 * KMEMMAP_SET picks one set (the caller then tests only that one).
 */
export function missingCiSets(names: string[] = ciSetNames(), what = 'set'): { name: string; reason: string }[] {
  if (process.env.KMEMMAP_SET) return [];
  const have = new Set(listSets(false, 'all').map((x) => x.name));
  return names
    .filter((n) => !have.has(n))
    .map((name) => ({
      name,
      reason:
        `CI ${what} ${name} is missing under ${join(labRoot(), 'sets')}: make it with \`node out/lab/lab.js --ensure-ci-sets\`` +
        (what === 'set' ? '' : ' and the step of scripts/test-all.sh that makes it'),
    }));
}
