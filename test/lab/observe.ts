// Host-side sanity figures for a finished set: kpageflags bit counts, block states, VMCOREINFO note.
import { existsSync, openSync, readSync, closeSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Observed } from './manifest';
import { run } from './util';

function countFlags(
  path: string,
): Pick<
  Observed,
  'kpageflagsPfns' | 'kpfOffline' | 'kpfNopage' | 'kpfBuddy' | 'kpfHuge' | 'kpfThp' | 'kpfSlab' | 'kpfReserved'
> {
  const r = {
    kpageflagsPfns: 0,
    kpfOffline: 0,
    kpfNopage: 0,
    kpfBuddy: 0,
    kpfHuge: 0,
    kpfThp: 0,
    kpfSlab: 0,
    kpfReserved: 0,
  };
  const fd = openSync(path, 'r');
  const buf = Buffer.alloc(8 << 20);
  try {
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n <= 0) break;
      for (let o = 0; o + 8 <= n; o += 8) {
        const lo = buf.readUInt32LE(o),
          hi = buf.readUInt32LE(o + 4);
        r.kpageflagsPfns++;
        if (lo & (1 << 23)) r.kpfOffline++;
        if (lo & (1 << 20)) r.kpfNopage++;
        if (lo & (1 << 10)) r.kpfBuddy++;
        if (lo & (1 << 17)) r.kpfHuge++;
        if (lo & (1 << 22)) r.kpfThp++;
        if (lo & (1 << 7)) r.kpfSlab++;
        if (hi & 1) r.kpfReserved++;
      }
    }
  } finally {
    closeSync(fd);
  }
  return r;
}

export function observe(setDir: string): Observed {
  const cap = join(setDir, 'capture');
  const blocks: Record<string, number[]> = {};
  const mem = join(cap, 'memory');
  if (existsSync(mem)) {
    for (const d of readdirSync(mem)) {
      const m = /^memory(\d+)$/.exec(d);
      if (!m) continue;
      const st = existsSync(join(mem, d, 'state')) ? readFileSync(join(mem, d, 'state'), 'utf8').trim() : '?';
      (blocks[st] ??= []).push(Number(m[1]));
    }
    for (const k of Object.keys(blocks)) blocks[k]!.sort((a, b) => a - b);
  }
  const elf = join(setDir, 'vmcore.elf');
  const notes = run('readelf', ['-n', elf], { allowFail: true }).stdout;
  return {
    ...countFlags(join(cap, 'kpageflags')),
    blocks,
    elfHasVmcoreinfo: /VMCOREINFO/.test(notes),
    elfBytes: statSync(elf).size,
    kdumpBytes: statSync(join(setDir, 'vmcore.kdump')).size,
  };
}
