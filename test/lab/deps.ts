// Makes sure the host tools exist, calling scripts/lab-deps.sh (apt-get) only when one is missing.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { haveTool, log, repoRoot, run } from './util';

const REQUIRED = ['qemu-system-x86_64', 'cpio', 'gcc', 'dpkg-deb', 'depmod', 'readelf', 'tar', 'gzip', 'xz'];

export function ensureHostTools(withTools = false): void {
  const missing = REQUIRED.filter((t) => !haveTool(t));
  let busyboxOk = run('dpkg', ['-s', 'busybox-static'], { allowFail: true }).code === 0;
  if (withTools && !haveTool('makedumpfile')) missing.push('makedumpfile');
  if (!missing.length && busyboxOk) return;
  log(
    `host tools missing (${[...missing, ...(busyboxOk ? [] : ['busybox-static'])].join(', ')}); running scripts/lab-deps.sh`,
  );
  run('/bin/sh', [join(repoRoot(), 'scripts', 'lab-deps.sh'), ...(withTools ? ['--with-tools'] : [])], {
    stdio: 'inherit',
  });
  busyboxOk = run('dpkg', ['-s', 'busybox-static'], { allowFail: true }).code === 0;
  const still = REQUIRED.filter((t) => !haveTool(t));
  if (still.length || !busyboxOk)
    throw new Error(
      `host tools still missing after lab-deps.sh: ${still.join(', ')}${busyboxOk ? '' : ' busybox-static'}`,
    );
}

/** arm64's static libc, which `aarch64-linux-gnu-gcc -static` links labload with (libc6-dev-arm64-cross is only a
 *  Recommends of gcc-aarch64-linux-gnu, and scripts/apt-install.sh installs without recommends). */
const ARM64_LIBC_A = '/usr/aarch64-linux-gnu/lib/libc.a';

/** The arm64 lab's host tools: qemu-system-aarch64 and the cross compiler for labload (apt, only when missing).
 *  The kernel and busybox-static:arm64 come through the lab's private arm64 apt list (kernels.ts). */
export function ensureArm64Tools(): void {
  const pkgs: Record<string, string[]> = {
    'qemu-system-aarch64': ['qemu-system-arm'],
    'aarch64-linux-gnu-gcc': ['gcc-aarch64-linux-gnu'],
    [ARM64_LIBC_A]: ['libc6-dev-arm64-cross'],
  };
  const have = (t: string) => (t.startsWith('/') ? existsSync(t) : haveTool(t));
  const missing = Object.keys(pkgs).filter((t) => !have(t));
  if (!missing.length) return;
  const need = missing.flatMap((t) => pkgs[t]!);
  log(`arm64 lab tools missing (${missing.join(', ')}); installing ${need.join(' ')}`);
  run('/bin/sh', [join(repoRoot(), 'scripts', 'apt-install.sh'), ...need], { stdio: 'inherit' });
  const still = Object.keys(pkgs).filter((t) => !have(t));
  if (still.length) throw new Error(`arm64 lab tools still missing: ${still.join(', ')}`);
}
