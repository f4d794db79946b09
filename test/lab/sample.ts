// --make-sample: samples/sample-6.12-virtio-mem.tar.gz = one folder named like the set holding the
// capture bundle files and the manifest.json (vmcore files are left out to stay small).
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Manifest } from './manifest';
import { setPath } from './setwriter';
import { log, q, repoRoot, sh } from './util';

export const SAMPLE_SET = '6.12-virtio-mem';
export const SAMPLE_MAX_BYTES = 10 * 1024 * 1024;

export function makeSample(setNameArg = SAMPLE_SET): string {
  const dir = setPath(setNameArg);
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Manifest;
  const stage = mkdtempSync(join(tmpdir(), 'kmemmap-sample-'));
  try {
    const folder = join(stage, setNameArg);
    mkdirSync(folder);
    cpSync(join(dir, 'capture'), folder, { recursive: true });
    const sampleManifest: Manifest = {
      ...manifest,
      actions: [
        ...manifest.actions,
        'sample: capture bundle files and this manifest only (no vmcore files); files.capture is "." (this folder)',
      ],
      files: { capture: '.' },
    };
    writeFileSync(join(folder, 'manifest.json'), JSON.stringify(sampleManifest, null, 2) + '\n');
    const outDir = join(repoRoot(), 'samples');
    mkdirSync(outDir, { recursive: true });
    const out = join(outDir, `sample-${setNameArg}.tar.gz`);
    const tmpOut = `${out}.tmp`;
    // deterministic-ish tar: sorted names, root owner, fixed mtime
    sh(
      `tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=${q(manifest.createdAt)} -C ${q(stage)} -cf - ${q(setNameArg)} | gzip -9n > ${q(tmpOut)} && mv ${q(tmpOut)} ${q(out)}`,
    );
    const size = statSync(out).size;
    if (size > SAMPLE_MAX_BYTES) throw new Error(`${out} is ${size} bytes, over the ${SAMPLE_MAX_BYTES} limit`);
    log(`sample written: ${out} (${(size / 1024 / 1024).toFixed(2)} MiB)`);
    return out;
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}
