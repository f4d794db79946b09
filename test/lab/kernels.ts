// Debian guest kernels: pick the newest package apt knows, download the .deb into the lab cache and
// unpack it there (never into /boot), then run depmod on the unpacked tree so modules.dep exists.
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { kernelsDir } from './paths';
import { log, run } from './util';

export type KernelShort = '6.1' | '6.12';
export const KERNEL_SHORTS: KernelShort[] = ['6.1', '6.12'];

export interface Kernel {
  short: KernelShort;
  package: string;
  version: string;
  release: string;
  /** unpacked .deb root */
  root: string;
  vmlinuz: string;
  modulesDir: string;
}

const PATTERNS: Record<KernelShort, RegExp> = {
  '6.1': /^linux-image-6\.1\.0-(\d+)-amd64-unsigned$/,
  '6.12': /^linux-image-6\.12\.(\d+)\+deb12-amd64-unsigned$/,
};

/** Newest package name for a kernel line: highest ABI / sublevel number among what apt-cache lists. */
function newestPackage(short: KernelShort): string {
  const re = PATTERNS[short];
  // `apt-cache pkgnames <prefix>` is much faster than `apt-cache search <regex>`
  const r = run('apt-cache', ['pkgnames', `linux-image-${short}.`], { allowFail: true });
  let names = r.stdout.split('\n').map((l) => l.trim()).filter((n) => re.test(n));
  if (!names.length) {
    // offline fallback: whatever .deb is already in the cache
    names = existsSync(kernelsDir()) ? readdirSync(kernelsDir()).filter((f) => f.endsWith('.deb')).map((f) => f.split('_')[0]!).filter((n) => re.test(n)) : [];
  }
  if (!names.length) throw new Error(`no Debian package matching ${re.source} (run apt-get update?)`);
  const num = (n: string): number => Number(re.exec(n)![1]);
  names.sort((a, b) => num(b) - num(a));
  return names[0]!;
}

function candidateVersion(pkg: string): string | undefined {
  const r = run('apt-cache', ['policy', pkg], { allowFail: true });
  const m = /Candidate:\s*(\S+)/.exec(r.stdout);
  return m && m[1] !== '(none)' ? m[1] : undefined;
}

const resolved = new Map<KernelShort, Kernel>();

/** Newest Debian kernel of a line, downloaded and unpacked in the cache (memoised per run: every
 *  apt-cache call re-reads the package lists here, which takes seconds). */
export function resolveKernel(short: KernelShort): Kernel {
  const hit = resolved.get(short);
  if (hit) return hit;
  const k = resolveKernelUncached(short);
  resolved.set(short, k);
  return k;
}

function resolveKernelUncached(short: KernelShort): Kernel {
  const dir = kernelsDir();
  mkdirSync(dir, { recursive: true });
  const pkg = newestPackage(short);
  let version = candidateVersion(pkg);
  let deb = readdirSync(dir).find((f) => f.startsWith(`${pkg}_`) && f.endsWith('.deb') && (!version || f.includes(`_${version.replace(/:/g, '%3a')}_`)));
  if (!deb) {
    log(`downloading ${pkg} ${version ?? ''}`);
    run('chmod', ['a+rwx', dir], { allowFail: true }); // lets apt's _apt user write (avoids the "unsandboxed" warning)
    run('apt-get', ['download', pkg], { cwd: dir, stdio: ['ignore', 'ignore', 'inherit'] });
    deb = readdirSync(dir).find((f) => f.startsWith(`${pkg}_`) && f.endsWith('.deb'));
    if (!deb) throw new Error(`apt-get download ${pkg} produced no .deb in ${dir}`);
  }
  version ??= decodeURIComponent(deb.split('_')[1]!);
  const root = join(dir, deb.replace(/\.deb$/, ''));
  if (!existsSync(join(root, '.unpacked'))) {
    log(`unpacking ${deb}`);
    const tmp = `${root}.tmp-${process.pid}`;
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp, { recursive: true });
    run('dpkg-deb', ['-x', join(dir, deb), tmp]);
    const rel = readdirSync(join(tmp, 'lib', 'modules'))[0]!;
    const depmod = existsSync('/sbin/depmod') ? '/sbin/depmod' : 'depmod';
    run(depmod, ['-b', tmp, rel]);
    run('touch', [join(tmp, '.unpacked')]);
    rmSync(root, { recursive: true, force: true });
    renameSync(tmp, root);
  }
  const release = readdirSync(join(root, 'lib', 'modules'))[0]!;
  const vmlinuz = join(root, 'boot', `vmlinuz-${release}`);
  if (!existsSync(vmlinuz)) throw new Error(`no ${vmlinuz}`);
  return { short, package: pkg, version, release, root, vmlinuz, modulesDir: join(root, 'lib', 'modules', release) };
}
