// A ParsedSnapshot made in the test process (no worker), from a Snapshot read with openSnapshot or
// built synthetically, so the fake host can answer the protocol exactly like the extension does.

import { summaryJson } from '../../memmap/summaryJson';
import type { Snapshot } from '../../memmap/snapshot';
import { basicPageDetail } from '../../extension/basicPageDetail';
import type { ParsedSnapshot } from '../../extension/parseWorkerClient';

export function inProcess(s: Snapshot): ParsedSnapshot {
  return {
    summary: summaryJson(s),
    classes: s.classes,
    elapsedMs: 0,
    pageDetail: async (pfn) => s.pageDetail?.(pfn) ?? basicPageDetail(s, pfn),
    dispose: async () => undefined,
  };
}

/** The real snapshot the UI tests use: the committed sample, else a lab capture, else undefined. */
export function realSnapshotPath(): string | undefined {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { existsSync } = require('node:fs') as typeof import('node:fs');
  const home = process.env.HOME ?? '';
  const candidates = [
    'samples/sample-6.12-virtio-mem.tar.gz',
    `${home}/.cache/kmemmap-lab/sets/6.12-virtio-mem/capture`,
    `${home}/.cache/kmemmap-lab/sets/6.1-virtio-mem/capture`,
  ];
  return candidates.find((p) => existsSync(p));
}
