// Which snapshot files the integration suite opens: the bundled sample always (or $KMEMMAP_TEST_SAMPLE),
// and the lab's 6.12 virtio-mem kdump vmcore when the lab has made it. The driver passes
// KMEMMAP_LAB_DIR in, because HOME is a throwaway folder inside the extension host.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { findSets } from '../lab/sets';

export interface LabFile {
  label: string;
  path: string;
}

export function repoRootFromBundle(): string {
  // out/test/integration/<file>.js → repository root
  return join(__dirname, '..', '..', '..');
}

export function sampleFile(): LabFile {
  const path =
    process.env.KMEMMAP_TEST_SAMPLE ?? join(repoRootFromBundle(), 'samples', 'sample-6.12-virtio-mem.tar.gz');
  return { label: `sample ${path.split('/').pop()} (kpageflags capture bundle)`, path };
}

/** The lab's kdump of the 6.12 virtio-mem scenario, or why it is not there. */
export function labVmcore(): LabFile | { missing: string } {
  const set = findSets({ kernel: '6.12', scenario: 'virtio-mem' })[0];
  if (!set) return { missing: 'no 6.12 virtio-mem lab set (make it with `npm run lab -- --kernel 6.12`)' };
  if (!existsSync(set.kdump)) return { missing: `${set.kdump} is missing` };
  return { label: `lab vmcore ${set.name}/${set.kdump.split('/').pop()} (kdump)`, path: set.kdump };
}
