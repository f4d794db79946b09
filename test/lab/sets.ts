// Read-only access to the lab's sets for tests (no vscode imports here).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Manifest } from './manifest';
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

export interface SetFilter { kernel?: '6.1' | '6.12'; scenario?: string; kaslr?: boolean }

/** Root of the lab cache: $KMEMMAP_LAB_DIR or ~/.cache/kmemmap-lab. */
export function labRoot(): string {
  return root();
}

/** All complete sets (folders under <root>/sets with a manifest.json), sorted by name. */
export function listSets(): LabSet[] {
  const dir = join(labRoot(), 'sets');
  if (!existsSync(dir)) return [];
  const out: LabSet[] = [];
  for (const name of readdirSync(dir).sort()) {
    if (name.startsWith('.')) continue;
    const d = join(dir, name);
    const mf = join(d, 'manifest.json');
    if (!existsSync(mf)) continue;
    let manifest: Manifest;
    try { manifest = JSON.parse(readFileSync(mf, 'utf8')) as Manifest; } catch { continue; }
    out.push({
      name, dir: d, manifest,
      capture: join(d, manifest.files.capture ?? 'capture'),
      elf: join(d, manifest.files.elf ?? 'vmcore.elf'),
      kdump: join(d, manifest.files.kdump ?? 'vmcore.kdump'),
    });
  }
  return out;
}

export function findSets(filter: SetFilter = {}): LabSet[] {
  return listSets().filter((s) =>
    (filter.kernel === undefined || s.manifest.kernel.short === filter.kernel) &&
    (filter.scenario === undefined || s.manifest.scenario === filter.scenario) &&
    (filter.kaslr === undefined || s.manifest.kaslr === filter.kaslr));
}

/** The first set matching the filter; throws an error that says how to create it. */
export function requireSet(filter: SetFilter = {}): LabSet {
  const s = findSets(filter)[0];
  if (s) return s;
  const want = JSON.stringify(filter);
  const have = listSets().map((x) => x.name).join(', ') || 'none';
  throw new Error(`No lab set matches ${want} under ${join(labRoot(), 'sets')} (present: ${have}). ` +
    `Create the sets with \`npm run lab\` (or \`npm run lab -- --ensure-ci-sets\`; KMEMMAP_LAB_DIR overrides the location).`);
}
