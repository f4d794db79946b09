// Host-side logic of the webview protocol in plain Node: request/response ids, errors, bounded
// section answers, blocking pages, and the parse worker against the committed sample.

import * as assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { MessageChannel } from '../../../shared/messageChannel';
import type { Envelope } from '../../../shared/protocol';
import { blockingPages } from '../../../extension/blockingPages';
import { parseInWorker } from '../../../extension/parseWorkerClient';
import { CancelledError } from '../../../extension/workerJob';
import { SnapshotSession, MAX_SECTION_DATA_PFNS } from '../../../extension/snapshotSession';
import { CLASS_ID } from '../../../kernel/pageClasses';
import { SnapshotError } from '../../../parsers/errors';

const SAMPLE = 'samples/sample-6.12-virtio-mem.tar.gz';
const WORKER = resolve('out/extension/parseWorker.js');

describe('extension: message channel', () => {
  it('pairs answers with requests by id and carries errors', async () => {
    let a!: MessageChannel<never, never>;
    const b = new MessageChannel<never, never>(
      (m) => void a.receive(m),
      {
        sectionData: (p) => ({ startPfn: p.startPfn, classes: new Uint8Array(p.count) }),
        pageDetail: () => {
          throw new Error('boom');
        },
      },
      () => undefined,
    );
    a = new MessageChannel<never, never>(
      (m) => void b.receive(m),
      {},
      () => undefined,
    );
    const [x, y] = await Promise.all([
      a.request('sectionData', { startPfn: 5, count: 3 }),
      a.request('sectionData', { startPfn: 9, count: 1 }),
    ]);
    assert.equal(x.startPfn, 5);
    assert.equal(x.classes.length, 3);
    assert.equal(y.startPfn, 9);
    await assert.rejects(a.request('pageDetail', { pfn: 1 }), /boom/);
    await assert.rejects(a.request('ready', { protocolVersion: 1 }), /no handler/);
  });

  it('rejects pending requests when disposed', async () => {
    const sent: Envelope[] = [];
    const c = new MessageChannel<never, never>(
      (m) => sent.push(m),
      {},
      () => undefined,
    );
    const p = c.request('pageDetail', { pfn: 1 });
    c.dispose();
    await assert.rejects(p, /closed/);
  });
});

describe('extension: blocking pages and source links', () => {
  it('lists unmovable pages of a block, capped', () => {
    const c = new Uint8Array(100).fill(CLASS_ID.free);
    c[10] = CLASS_ID.reserved;
    c[50] = CLASS_ID['offline-unmovable'];
    c[60] = CLASS_ID['offline-skippable'];
    const r = blockingPages(c, 1000, { startPfn: 1000, nrPfns: 100 }, 'mainline', 1);
    assert.equal(r.total, 2);
    assert.deepEqual(r.pages, [{ pfn: 1010, classId: CLASS_ID.reserved }]);
  });
});

describe('extension: parse worker', function () {
  this.timeout(60000);
  it('reads the sample off the main thread and answers page details', async function () {
    if (!existsSync(SAMPLE) || !existsSync(WORKER)) this.skip();
    let progress = 0;
    const p = await parseInWorker(WORKER, SAMPLE, { onProgress: () => progress++ });
    try {
      assert.equal(p.classes.length, p.summary.pfns.end - p.summary.pfns.start);
      const session = new SnapshotSession('file:///sample', 'sample', p);
      const d = session.sectionData(p.summary.pfns.start, 10 ** 9);
      assert.ok(d.classes.length <= MAX_SECTION_DATA_PFNS);
      assert.equal(d.classes.buffer.byteLength, d.classes.byteLength, 'a tight buffer (VS Code ships whole buffers)');
      const pfn = p.summary.pfns.start + p.classes.indexOf(CLASS_ID['offline-skippable']);
      const info = await session.pageDetailInfo(pfn);
      assert.equal(info?.class, 'offline-skippable');
      assert.match(info!.physAddr, /^0x[0-9a-f]+$/);
      assert.ok(info!.sources.length > 0);
    } finally {
      await p.dispose();
    }
  });
  it('reports a bad file as a SnapshotError naming it', async function () {
    if (!existsSync(WORKER)) this.skip();
    await assert.rejects(
      parseInWorker(WORKER, 'package.json'),
      (e: unknown) => e instanceof SnapshotError && e.file.endsWith('package.json'),
    );
  });
  it('can be cancelled', async function () {
    if (!existsSync(SAMPLE) || !existsSync(WORKER)) this.skip();
    const ac = new AbortController();
    const p = parseInWorker(WORKER, SAMPLE, { signal: ac.signal });
    ac.abort();
    await assert.rejects(p, CancelledError);
  });
});
