// Debian guest kernels: pick the newest package apt knows, download the .deb into the lab cache and
// unpack it there (never into /boot), then run depmod on the unpacked tree so modules.dep exists.
// 6.1 and 6.12 come from the host's bookworm lists; the opt-in 5.10 (bullseye) and 7.3
// (trixie-backports) come from a private sources list under <lab>/kernels/apt-<short>/ (never /etc/apt).
// The opt-in arm64 lab (`--arch arm64`) takes bookworm's arm64 kernel and busybox-static the same way
// (<lab>/kernels/apt-arm64-<short>/, APT::Architecture=arm64).
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { kernelsDir } from './paths';
import { log, run } from './util';

export type KernelShort = '5.10' | '6.1' | '6.12' | '7.3';
/** The kernels `--kernel all` and the default run boot (CI's kernels). */
export const KERNEL_SHORTS: KernelShort[] = ['6.1', '6.12'];
/** Kernels `--kernel all` leaves out, booted when asked for by name (`--kernel 5.10`, `--kernel 7.3`);
 *  --ensure-ci-sets makes their CI sets too (CI_SETS in sets.ts). */
export const OPT_IN_KERNELS: KernelShort[] = ['5.10', '7.3'];
export const isKernelShort = (v: string | undefined): v is KernelShort =>
  v !== undefined && [...KERNEL_SHORTS, ...OPT_IN_KERNELS].includes(v as KernelShort);

/** The guest's architecture: x86_64 (q35) or the opt-in arm64 (`--arch arm64`, virt, TCG). */
export type LabArch = 'x86_64' | 'arm64' | 'arm64-16k';
/** Kernels the arm64 lab can boot (Debian `arm64` flavour, 4 KiB pages; `arm64-16k`, 16 KiB pages). */
export const ARM64_KERNELS: KernelShort[] = ['6.12', '7.3'];

export interface Kernel {
  short: KernelShort;
  arch: LabArch;
  /** static busybox for the guest (the host's /bin/busybox on x86_64, busybox-static:arm64 unpacked in the cache on arm64) */
  busybox: string;
  package: string;
  version: string;
  release: string;
  /** unpacked .deb root */
  root: string;
  vmlinuz: string;
  modulesDir: string;
}

interface KernelSource {
  /** The package holding vmlinuz (first group: the number to sort by). */
  pattern: RegExp;
  /** `apt-cache pkgnames` prefix. */
  prefix: string;
  /** Further packages of the same kernel, from the main package's name (7.3: modules and base). */
  companions?: (pkg: string) => string[];
  /** Private apt sources (one-line format), for kernels bookworm's lists do not have. */
  sources?: string[];
  /** dpkg architecture of the packages (APT::Architecture of the private list); default the host's */
  aptArch?: string;
}

const KEYRING = '/usr/share/keyrings/debian-archive-keyring.gpg';
const SOURCES: Record<KernelShort, KernelSource> = {
  '5.10': {
    pattern: /^linux-image-5\.10\.0-(\d+)-amd64-unsigned$/,
    prefix: 'linux-image-5.10.',
    sources: ['debian bullseye', 'debian bullseye-updates', 'debian-security bullseye-security'].map(
      (x) => `deb [signed-by=${KEYRING}] http://deb.debian.org/${x.split(' ')[0]} ${x.split(' ')[1]} main`,
    ),
  },
  '6.1': { pattern: /^linux-image-6\.1\.0-(\d+)-amd64-unsigned$/, prefix: 'linux-image-6.1.' },
  '6.12': { pattern: /^linux-image-6\.12\.(\d+)\+deb12-amd64-unsigned$/, prefix: 'linux-image-6.12.' },
  // the image package is a meta package: vmlinuz is in linux-binary-*, modules in linux-modules-*,
  // modules.builtin in linux-base-*
  '7.3': {
    pattern: /^linux-binary-7\.3\.(\d+)\+deb13-amd64$/,
    prefix: 'linux-binary-7.3.',
    companions: (pkg) => [pkg.replace('linux-binary-', 'linux-modules-'), pkg.replace('linux-binary-', 'linux-base-')],
    sources: [`deb [signed-by=${KEYRING}] http://deb.debian.org/debian trixie-backports main`],
  },
};

/** bookworm's own lists, for another architecture (arm64 kernels and busybox-static:arm64). */
const bookworm = (arch: string): string[] =>
  ['debian bookworm', 'debian bookworm-updates', 'debian-security bookworm-security'].map(
    (x) => `deb [arch=${arch} signed-by=${KEYRING}] http://deb.debian.org/${x.split(' ')[0]} ${x.split(' ')[1]} main`,
  );
const ARM64_SOURCES: Partial<Record<KernelShort, KernelSource>> = {
  '6.12': {
    pattern: /^linux-image-6\.12\.(\d+)\+deb12-arm64-unsigned$/,
    prefix: 'linux-image-6.12.',
    sources: bookworm('arm64'),
    aptArch: 'arm64',
  },
  // as on x86_64: the image package is a meta package (vmlinuz in linux-binary-*, modules, modules.builtin in linux-base-*)
  '7.3': {
    pattern: /^linux-binary-7\.3\.(\d+)\+deb13-arm64$/,
    prefix: 'linux-binary-7.3.',
    aptArch: 'arm64',
    companions: (pkg) => [pkg.replace('linux-binary-', 'linux-modules-'), pkg.replace('linux-binary-', 'linux-base-')],
    sources: [`deb [arch=arm64 signed-by=${KEYRING}] http://deb.debian.org/debian trixie-backports main`],
  },
};
const ARM64_16K_SOURCES: Partial<Record<KernelShort, KernelSource>> = {
  '6.12': {
    pattern: /^linux-image-6\.12\.(\d+)\+deb12-arm64-16k-unsigned$/,
    prefix: 'linux-image-6.12.',
    sources: bookworm('arm64'),
    aptArch: 'arm64',
  },
  '7.3': {
    pattern: /^linux-binary-7\.3\.(\d+)\+deb13-arm64-16k$/,
    prefix: 'linux-binary-7.3.',
    aptArch: 'arm64',
    companions: (pkg) => [pkg.replace('linux-binary-', 'linux-modules-'), pkg.replace('linux-binary-', 'linux-base-')],
    sources: [`deb [arch=arm64 signed-by=${KEYRING}] http://deb.debian.org/debian trixie-backports main`],
  },
};

/** The package source of a kernel line on an architecture. */
function sourceOf(short: KernelShort, arch: LabArch): KernelSource {
  const s = arch === 'arm64' ? ARM64_SOURCES[short] : arch === 'arm64-16k' ? ARM64_16K_SOURCES[short] : SOURCES[short];
  if (!s) throw new Error(`the ${arch} lab has no kernel ${short} (arm64: ${ARM64_KERNELS.join(', ')})`);
  return s;
}
const aptKey = (short: KernelShort, arch: LabArch): string => (arch === 'x86_64' ? short : `${arch}-${short}`);

/** apt options for a kernel's private sources list (none for bookworm's own kernels); `apt-get update`
 *  of that list once per run. */
const aptUpdated = new Set<string>();
function aptOptions(short: KernelShort, arch: LabArch = 'x86_64'): string[] {
  const { sources: src, aptArch } = sourceOf(short, arch);
  if (!src) return [];
  const key = aptKey(short, arch);
  const dir = join(kernelsDir(), `apt-${key}`);
  const opts = [
    '-o',
    `Dir::Etc::SourceList=${join(dir, 'sources.list')}`,
    '-o',
    'Dir::Etc::SourceParts=/dev/null',
    '-o',
    `Dir::State::Lists=${join(dir, 'lists')}`,
    '-o',
    `Dir::Cache=${join(dir, 'cache')}`,
    ...(aptArch ? ['-o', `APT::Architecture=${aptArch}`, '-o', `APT::Architectures::=${aptArch}`] : []),
  ];
  if (!aptUpdated.has(key)) {
    mkdirSync(join(dir, 'lists', 'partial'), { recursive: true });
    mkdirSync(join(dir, 'cache', 'archives', 'partial'), { recursive: true });
    writeFileSync(join(dir, 'sources.list'), src.join('\n') + '\n');
    log(`apt-get update of the private ${key} sources (${dir})`);
    run('apt-get', [...opts, 'update'], { allowFail: true, stdio: ['ignore', 'ignore', 'inherit'] });
    aptUpdated.add(key);
  }
  return opts;
}

/** Newest package name for a kernel line: highest ABI / sublevel number among what apt-cache lists. */
function newestPackage(short: KernelShort, arch: LabArch): string {
  const re = sourceOf(short, arch).pattern;
  // `apt-cache pkgnames <prefix>` is much faster than `apt-cache search <regex>`
  const r = run('apt-cache', [...aptOptions(short, arch), 'pkgnames', sourceOf(short, arch).prefix], {
    allowFail: true,
  });
  let names = r.stdout
    .split('\n')
    .map((l) => l.trim())
    .filter((n) => re.test(n));
  if (!names.length) {
    // offline fallback: whatever .deb is already in the cache
    names = existsSync(kernelsDir())
      ? readdirSync(kernelsDir())
          .filter((f) => f.endsWith('.deb'))
          .map((f) => f.split('_')[0]!)
          .filter((n) => re.test(n))
      : [];
  }
  if (!names.length) throw new Error(`no Debian package matching ${re.source} (run apt-get update?)`);
  const num = (n: string): number => Number(re.exec(n)![1]);
  names.sort((a, b) => num(b) - num(a));
  return names[0]!;
}

function candidateVersion(short: KernelShort, pkg: string, arch: LabArch): string | undefined {
  const r = run('apt-cache', [...aptOptions(short, arch), 'policy', pkg], { allowFail: true });
  const m = /Candidate:\s*(\S+)/.exec(r.stdout);
  return m && m[1] !== '(none)' ? m[1] : undefined;
}

const resolved = new Map<string, Kernel>();

/** Newest Debian kernel of a line, downloaded and unpacked in the cache (memoised per run: every
 *  apt-cache call re-reads the package lists here, which takes seconds). */
export function resolveKernel(short: KernelShort, arch: LabArch = 'x86_64'): Kernel {
  const key = aptKey(short, arch);
  const hit = resolved.get(key);
  if (hit) return hit;
  const k = resolveKernelUncached(short, arch);
  resolved.set(key, k);
  return k;
}

function resolveKernelUncached(short: KernelShort, arch: LabArch): Kernel {
  const dir = kernelsDir();
  mkdirSync(dir, { recursive: true });
  const pkg = newestPackage(short, arch);
  let version = candidateVersion(short, pkg, arch);
  const debs = [pkg, ...(sourceOf(short, arch).companions?.(pkg) ?? [])].map((p) =>
    downloadDeb(short, p, version, arch),
  );
  const deb = debs[0]!;
  version ??= decodeURIComponent(deb.split('_')[1]!);
  const root = join(dir, deb.replace(/\.deb$/, ''));
  if (!existsSync(join(root, '.unpacked'))) {
    log(`unpacking ${debs.join(', ')}`);
    const tmp = `${root}.tmp-${process.pid}`;
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp, { recursive: true });
    for (const d of debs) run('dpkg-deb', ['-x', join(dir, d), tmp]);
    // merged-/usr packages (7.x) put modules and vmlinuz under usr/lib/modules: depmod -b reads lib/modules
    if (!existsSync(join(tmp, 'lib')) && existsSync(join(tmp, 'usr', 'lib', 'modules')))
      symlinkSync('usr/lib', join(tmp, 'lib'));
    const rel = readdirSync(join(tmp, 'lib', 'modules'))[0]!;
    const depmod = existsSync('/sbin/depmod') ? '/sbin/depmod' : 'depmod';
    run(depmod, ['-b', tmp, rel]);
    run('touch', [join(tmp, '.unpacked')]);
    rmSync(root, { recursive: true, force: true });
    renameSync(tmp, root);
  }
  const release = readdirSync(join(root, 'lib', 'modules'))[0]!;
  const inBoot = join(root, 'boot', `vmlinuz-${release}`);
  const vmlinuz = existsSync(inBoot) ? inBoot : join(root, 'lib', 'modules', release, 'vmlinuz');
  if (!existsSync(vmlinuz)) throw new Error(`no ${vmlinuz}`);
  const busybox = arch === 'x86_64' ? '/bin/busybox' : foreignBusybox(short, arch);
  return {
    short,
    arch,
    busybox,
    package: pkg,
    version,
    release,
    root,
    vmlinuz,
    modulesDir: join(root, 'lib', 'modules', release),
  };
}

/** busybox-static of another architecture, downloaded with the kernel's private list and unpacked in the cache. */
function foreignBusybox(short: KernelShort, arch: LabArch): string {
  const dir = kernelsDir();
  const deb = downloadDeb(short, 'busybox-static', candidateVersion(short, 'busybox-static', arch), arch);
  const root = join(dir, deb.replace(/\.deb$/, ''));
  const bin = join(root, 'bin', 'busybox');
  if (!existsSync(bin)) {
    mkdirSync(root, { recursive: true });
    run('dpkg-deb', ['-x', join(dir, deb), root]);
  }
  if (!existsSync(bin)) throw new Error(`${deb} has no bin/busybox`);
  return bin;
}

/** The .deb of pkg in the kernels dir (the candidate version when known), downloaded when missing. */
function downloadDeb(short: KernelShort, pkg: string, version: string | undefined, arch: LabArch = 'x86_64'): string {
  const dir = kernelsDir();
  const debArch = sourceOf(short, arch).aptArch;
  const find = (anyVersion: boolean) =>
    readdirSync(dir).find(
      (f) =>
        f.startsWith(`${pkg}_`) &&
        f.endsWith(debArch ? `_${debArch}.deb` : '.deb') &&
        (anyVersion || !version || f.includes(`_${version.replace(/:/g, '%3a')}_`)),
    );
  let deb = find(false);
  if (!deb) {
    log(`downloading ${pkg} ${version ?? ''}`);
    run('chmod', ['a+rwx', dir], { allowFail: true }); // lets apt's _apt user write (avoids the "unsandboxed" warning)
    run('apt-get', [...aptOptions(short, arch), 'download', pkg], { cwd: dir, stdio: ['ignore', 'ignore', 'inherit'] });
    deb = find(true);
    if (!deb) throw new Error(`apt-get download ${pkg} produced no .deb in ${dir}`);
  }
  return deb;
}
