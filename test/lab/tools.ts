// --with-tools: derive dumps with Debian's makedumpfile (1.7.2) into <set>/derived/.
// makedumpfile ignores e_phoff and expects the program headers right after the ELF header, while QEMU
// 7.2 puts two section headers there; so a temporary COPY of vmcore.elf gets its program headers moved
// to offset 64 (section headers dropped) and is used as the input. makedumpfile cannot refilter QEMU's
// kdump file (it has no utsname/VMCOREINFO it accepts: "Can't get the address of system_utsname"), so
// the kdump is only reassembled from the flattened format with -R.
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import type { Manifest } from './manifest';
import type { LabSet } from './sets';
import { log, q, run, sh } from './util';

/** Rewrites an ELF64 core's header in place so its program headers directly follow the ELF header. */
export function movePhdrsAfterEhdr(path: string): void {
  const fd = openSync(path, 'r+');
  try {
    const eh = Buffer.alloc(64);
    readSync(fd, eh, 0, 64, 0);
    if (eh.readUInt32BE(0) !== 0x7f454c46 || eh[4] !== 2) throw new Error(`${path}: not an ELF64 file`);
    const phoff = Number(eh.readBigUInt64LE(32));
    const phentsize = eh.readUInt16LE(54);
    const phnum = eh.readUInt16LE(56);
    if (phoff === 64) return;
    const ph = Buffer.alloc(phentsize * phnum);
    readSync(fd, ph, 0, ph.length, phoff);
    let firstData = Infinity;
    for (let i = 0; i < phnum; i++) firstData = Math.min(firstData, Number(ph.readBigUInt64LE(i * phentsize + 8)));
    if (64 + ph.length > firstData) throw new Error(`${path}: no room for the program headers after the ELF header`);
    eh.writeBigUInt64LE(64n, 32); // e_phoff
    eh.writeBigUInt64LE(0n, 40); // e_shoff
    eh.writeUInt16LE(64, 52); // e_ehsize
    eh.writeUInt16LE(0, 58); // e_shentsize
    eh.writeUInt16LE(0, 60); // e_shnum
    eh.writeUInt16LE(0, 62); // e_shstrndx
    writeSync(fd, eh, 0, 64, 0);
    writeSync(fd, ph, 0, ph.length, 64);
  } finally {
    closeSync(fd);
  }
}

const MDF = 'makedumpfile';

export function deriveWithTools(set: LabSet): string[] {
  const out = join(set.dir, 'derived');
  if (set.manifest.files.derived?.length && existsSync(out)) {
    log(`${set.name}: derived dumps present`);
    return set.manifest.files.derived;
  }
  const tmp = `${out}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const made: string[] = [];
  const notes: string[] = [];
  const mdf = (args: string[], file: string | string[]): void => {
    const r = run(MDF, args, { cwd: tmp, allowFail: true });
    const files = Array.isArray(file) ? file : [file];
    if (r.code === 0 && files.every((f) => existsSync(join(tmp, f)))) made.push(...files.map((f) => `derived/${f}`));
    else
      notes.push(
        `makedumpfile ${args.join(' ')} failed (${r.code}): ${(r.stdout + r.stderr).trim().split('\n').slice(-3).join(' | ')}`,
      );
  };
  try {
    // 1. flattened -> standard kdump-compressed
    const rr = sh(`${MDF} -R ${q(join(tmp, 'vmcore.kdump.raw'))} < ${q(set.kdump)}`, { allowFail: true });
    if (rr.code === 0) made.push('derived/vmcore.kdump.raw');
    else notes.push(`makedumpfile -R failed: ${rr.stderr.trim()}`);
    // 2. header-fixed ELF copy (sparse) as input for the filtered dumps
    const fixed = join(tmp, 'input-fixed.elf');
    run('cp', ['--sparse=always', set.elf, fixed]);
    movePhdrsAfterEhdr(fixed);
    mdf(['-c', '-d', '31', fixed, 'dump-c-d31.kdump'], 'dump-c-d31.kdump');
    mdf(['-l', '-d', '31', fixed, 'dump-l-d31.kdump'], 'dump-l-d31.kdump');
    mdf(['-p', '-d', '31', fixed, 'dump-p-d31.kdump'], 'dump-p-d31.kdump');
    mdf(['-z', '-d', '31', fixed, 'dump-z-d31.kdump'], 'dump-z-d31.kdump');
    mdf(['-c', '-d', '1', fixed, 'dump-c-d1.kdump'], 'dump-c-d1.kdump');
    mdf(['-E', '-d', '31', fixed, 'dump-E-d31.elf'], 'dump-E-d31.elf');
    mdf(['--split', '-c', '-d', '31', fixed, 'dump-split.1', 'dump-split.2'], ['dump-split.1', 'dump-split.2']);
    rmSync(fixed, { force: true });
    notes.push(
      'input-fixed.elf (vmcore.elf with its program headers moved to offset 64) was used as input and deleted',
    );
    writeFileSync(
      join(tmp, 'README.txt'),
      `Derived by makedumpfile ${run(MDF, ['-v'], { allowFail: true }).stdout.split('\n')[0]}\n${notes.join('\n')}\n`,
    );
    made.push('derived/README.txt');
    rmSync(out, { recursive: true, force: true });
    renameSync(tmp, out);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  const mfPath = join(set.dir, 'manifest.json');
  const m = JSON.parse(readFileSync(mfPath, 'utf8')) as Manifest;
  m.files.derived = made;
  m.actions.push(`with-tools: ${made.length} derived files; ${notes.join('; ')}`);
  writeFileSync(`${mfPath}.tmp`, JSON.stringify(m, null, 2) + '\n');
  renameSync(`${mfPath}.tmp`, mfPath);
  log(
    `${set.name}: derived ${made.map((f) => `${f} (${(statSync(join(set.dir, f)).size / 1048576).toFixed(1)} MiB)`).join(', ')}`,
  );
  for (const n of notes) log(`${set.name}: ${n}`);
  return made;
}
