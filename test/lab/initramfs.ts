// Builds the guest initramfs: static busybox, our /init + /lab/lib.sh, the labload helper and the
// kernel modules the lab needs, resolved with their dependencies from that kernel's modules.dep
// (modules listed in modules.builtin are skipped). Compressed modules are decompressed on the host.
import { copyFileSync, chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Kernel } from './kernels';
import { q, repoRoot, run, sh } from './util';

/** What the lab loads, in this order (deps are inserted before each). */
export const WANTED_MODULES = ['virtio_pci', 'virtio_blk', 'virtio_balloon', 'virtio_mem', 'qemu_fw_cfg'];

const norm = (name: string): string => name.replace(/-/g, '_');
const modName = (path: string): string => norm(basename(path).replace(/\.ko(\.(xz|zst|gz))?$/, ''));

export interface ModulePlan {
  load: string[];
  builtin: string[];
}

/** Module files (relative to the modules dir) to insmod, dependencies first. */
export function resolveModules(k: Kernel, wanted = WANTED_MODULES): ModulePlan {
  const dep = new Map<string, { path: string; deps: string[] }>();
  for (const line of readFileSync(join(k.modulesDir, 'modules.dep'), 'utf8').split('\n')) {
    const m = /^([^:]+):\s*(.*)$/.exec(line);
    if (m) dep.set(modName(m[1]!), { path: m[1]!, deps: m[2]!.split(/\s+/).filter(Boolean) });
  }
  const builtin = new Set(
    readFileSync(join(k.modulesDir, 'modules.builtin'), 'utf8').split('\n').filter(Boolean).map(modName),
  );
  const load: string[] = [];
  const seen = new Set<string>();
  const builtinHit: string[] = [];
  const visit = (name: string): void => {
    if (seen.has(name)) return;
    seen.add(name);
    const e = dep.get(name);
    if (!e) {
      if (builtin.has(name)) {
        builtinHit.push(name);
        return;
      }
      throw new Error(`module ${name} is neither in modules.dep nor modules.builtin of ${k.release}`);
    }
    for (const d of e.deps) visit(modName(d));
    load.push(e.path);
  };
  for (const w of wanted) visit(norm(w));
  return { load, builtin: builtinHit };
}

/** Compiles the static labload helper (cached next to the initramfs work dir). */
function buildLabload(outDir: string, arch: Kernel['arch']): string {
  const src = join(repoRoot(), 'test', 'lab', 'guest', 'labload.c');
  const out = join(outDir, 'labload');
  // arm64: Debian's cross compiler (gcc-aarch64-linux-gnu + libc6-dev-arm64-cross)
  run(arch !== 'x86_64' ? 'aarch64-linux-gnu-gcc' : 'gcc', ['-static', '-O2', '-o', out, src]);
  return out;
}

/** Writes <workDir>/initramfs.cpio.gz and returns its path plus the module plan. */
export function buildInitramfs(k: Kernel, workDir: string): { path: string; modules: ModulePlan } {
  const stage = join(workDir, 'initramfs');
  rmSync(stage, { recursive: true, force: true });
  for (const d of ['bin', 'sbin', 'proc', 'sys', 'dev', 'tmp', 'lab', 'lib/modules', 'etc'])
    mkdirSync(join(stage, d), { recursive: true });
  copyFileSync(k.busybox, join(stage, 'bin', 'busybox'));
  chmodSync(join(stage, 'bin', 'busybox'), 0o755);
  run('ln', ['-s', 'busybox', join(stage, 'bin', 'sh')]);
  const guest = join(repoRoot(), 'test', 'lab', 'guest');
  copyFileSync(join(guest, 'init.sh'), join(stage, 'init'));
  chmodSync(join(stage, 'init'), 0o755);
  copyFileSync(join(guest, 'lib.sh'), join(stage, 'lab', 'lib.sh'));
  copyFileSync(buildLabload(workDir, k.arch), join(stage, 'bin', 'labload'));
  chmodSync(join(stage, 'bin', 'labload'), 0o755);
  const modules = resolveModules(k);
  const list: string[] = [];
  for (const rel of modules.load) {
    const src = join(k.modulesDir, rel);
    const name = `${modName(rel)}.ko`;
    const dst = join(stage, 'lib', 'modules', name);
    if (rel.endsWith('.xz')) sh(`xz -dc ${q(src)} > ${q(dst)}`);
    else if (rel.endsWith('.zst')) sh(`zstd -dc ${q(src)} > ${q(dst)}`);
    else if (rel.endsWith('.gz')) sh(`gzip -dc ${q(src)} > ${q(dst)}`);
    else copyFileSync(src, dst);
    list.push(name);
  }
  writeFileSync(join(stage, 'lab', 'modules.list'), list.join('\n') + '\n');
  const out = join(workDir, 'initramfs.cpio.gz');
  sh(`cd ${q(stage)} && find . | cpio -o -H newc -R 0:0 --quiet | gzip -1 > ${q(out)}`);
  if (!existsSync(out)) throw new Error('initramfs not written');
  return { path: out, modules };
}
