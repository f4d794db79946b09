// Which snapshot files the integration suite opens: the bundled sample always, a real lab vmcore
// when the lab has made one ($KMEMMAP_LAB_DIR, passed in by the driver because HOME is a temp folder).
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export interface LabFile {
  label: string;
  path: string;
}

export function repoRootFromBundle(): string {
  // out/test/integration/<file>.js → repository root
  return join(__dirname, '..', '..', '..');
}

export function sampleFile(): LabFile {
  return { label: 'bundled sample (kpageflags capture, 6.12 + virtio-mem)', path: join(repoRootFromBundle(), 'samples', 'sample-6.12-virtio-mem.tar.gz') };
}

export function labVmcore(): LabFile | undefined {
  const dir = process.env.KMEMMAP_LAB_DIR;
  if (!dir) return undefined;
  const p = join(dir, 'sets', '6.12-virtio-mem', 'vmcore.kdump');
  return existsSync(p) ? { label: 'lab vmcore (kdump, 6.12 + virtio-mem)', path: p } : undefined;
}
