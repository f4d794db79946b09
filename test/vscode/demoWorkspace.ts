// The folder the demo (and the e2e tier) opens: a copy of the bundled sample plus workspace settings
// that open snapshot files in the Kernel Memmap Explorer editor and keep the welcome page away.
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';

export const SAMPLE_NAME = 'sample-6.12-virtio-mem.tar.gz';

export function makeDemoWorkspace(dir: string, sample: string): { folder: string; sampleFile: string } {
  mkdirSync(join(dir, '.vscode'), { recursive: true });
  const sampleFile = join(dir, basename(sample));
  copyFileSync(sample, sampleFile);
  const settings = {
    'workbench.editorAssociations': {
      '*.tar.gz': 'kmemmap.snapshot',
      '*.kdump': 'kmemmap.snapshot',
      '*.vmcore': 'kmemmap.snapshot',
    },
    'workbench.startupEditor': 'none',
    'workbench.tips.enabled': false,
    'extensions.ignoreRecommendations': true,
    'telemetry.telemetryLevel': 'off',
  };
  writeFileSync(join(dir, '.vscode', 'settings.json'), JSON.stringify(settings, null, 2) + '\n');
  return { folder: dir, sampleFile };
}
