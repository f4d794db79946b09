// Capture archives are not trusted: hostile .tar.gz files built here (links, devices, `..` and
// absolute paths, sizes no capture can have) are refused naming the entry; nothing is written
// outside a temporary folder, and that folder is gone when the reading ends, however it ends.

import * as assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { Header } from 'tar';
import { openCaptureBundle } from '../../../parsers/capture/bundle';
import { checkEntry, checkTotals, ArchiveEntry } from '../../../parsers/capture/captureArchive';
import { openKpageflagsSnapshot } from '../../../memmap/kpageflagsSnapshot';
import { SnapshotError } from '../../../parsers/errors';
import { parseInWorker } from '../../../extension/parseWorkerClient';
import { openFdsUnder } from '../../support/openFds';

const SAMPLE = resolve('samples/sample-6.12-virtio-mem.tar.gz');
const WORKER = resolve('out/extension/parseWorker.js');

interface TarEntry {
  path: string;
  type?: string;
  body?: Buffer | string;
  /** Declared size when it differs from the body's (a header that lies). */
  size?: number;
  linkpath?: string;
}

/** A .tar.gz written header by header, so an entry can be anything a hostile archive holds. */
function tarGz(entries: TarEntry[]): Buffer {
  const blocks: Buffer[] = [];
  for (const e of entries) {
    const body = Buffer.from(e.body ?? '');
    const h = Buffer.alloc(512);
    new Header({
      path: e.path,
      type: (e.type ?? 'File') as never,
      size: e.size ?? body.length,
      mode: 0o644,
      uid: 0,
      gid: 0,
      mtime: new Date(0),
      linkpath: e.linkpath,
    }).encode(h, 0);
    blocks.push(h, body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return gzipSync(Buffer.concat(blocks));
}

const words = (n: number) => Buffer.alloc(n * 8);

/** Folders this file made, removed after its tests. */
const made: string[] = [];
function tmpFolder(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  made.push(d);
  return d;
}

/** Runs fn with TMPDIR pointing at a fresh folder, so what the reader leaves there can be seen. */
async function inFreshTmp<T>(fn: (tmp: string) => Promise<T>): Promise<T> {
  const saved = process.env.TMPDIR;
  const tmp = tmpFolder('kmemmap-archive-test-');
  process.env.TMPDIR = tmp;
  try {
    return await fn(tmp);
  } finally {
    if (saved === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = saved;
  }
}

function writeArchive(entries: TarEntry[]): string {
  const d = tmpFolder('kmemmap-test-');
  const f = join(d, 'capture.tar.gz');
  writeFileSync(f, tarGz(entries));
  return f;
}

async function refused(entries: TarEntry[], re: RegExp): Promise<void> {
  const f = writeArchive(entries);
  await inFreshTmp(async (tmp) => {
    await assert.rejects(openCaptureBundle(f), (e: unknown) => {
      assert.ok(e instanceof SnapshotError, `expected SnapshotError, got ${String(e)}`);
      assert.equal(e.file, f);
      assert.match(e.message, re);
      return true;
    });
    assert.deepEqual(readdirSync(tmp), [], 'nothing is left in the temporary folder');
    assert.equal(openFdsUnder(f), 0, 'the archive is closed again');
  });
}

/** Descriptors of this process open on deleted files under dir. */
const deletedFdsUnder = (dir: string) => openFdsUnder(dir, { deletedOnly: true });

describe('kpageflags: capture archives', () => {
  after(() => made.forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('a symbolic link uname -> /etc/passwd is refused and never read', async () => {
    await refused(
      [
        { path: 'cap/kpageflags', body: words(4) },
        { path: 'cap/uname', type: 'SymbolicLink', linkpath: '/etc/passwd' },
      ],
      /"cap\/uname" is a symbolic link \(to "\/etc\/passwd"\)/,
    );
  });

  it('an archive that does not unpack (bad gzip, cut, a damaged header) is refused and closed again', async () => {
    const good = tarGz([{ path: 'cap/kpageflags', body: words(4) }]);
    const tar = gunzipSync(good);
    const damaged = Buffer.from(tar);
    damaged.fill(0x7f, 148, 156); // the header checksum
    const d = tmpFolder('kmemmap-test-');
    for (const [name, bytes] of Object.entries({
      'not-gzip.tar.gz': Buffer.concat([good.subarray(0, 2), Buffer.alloc(4096, 0x41)]),
      'cut.tar.gz': good.subarray(0, good.length >> 1),
      'checksum.tar.gz': gzipSync(damaged),
    })) {
      const f = join(d, name);
      writeFileSync(f, bytes);
      await assert.rejects(openKpageflagsSnapshot(f), SnapshotError, name);
      assert.equal(openFdsUnder(f), 0, `${name}: no descriptor is left on the archive`);
    }
  });

  it('a hard link is refused', async () => {
    await refused(
      [
        { path: 'cap/kpageflags', body: words(4) },
        { path: 'cap/kpagecount', type: 'Link', linkpath: 'cap/kpageflags' },
      ],
      /"cap\/kpagecount" is a hard link/,
    );
  });

  it('a `..` path is refused and nothing lands beside the archive', async () => {
    const f = writeArchive([
      { path: 'cap/kpageflags', body: words(4) },
      { path: '../escaped', body: 'x' },
    ]);
    await inFreshTmp(async (tmp) => {
      await assert.rejects(openCaptureBundle(f), /"\.\.\/escaped" has a "\.\." path component/);
      assert.deepEqual(readdirSync(tmp), []);
    });
    assert.deepEqual(readdirSync(join(f, '..')), ['capture.tar.gz']);
  });

  it('an absolute path is refused', async () => {
    await refused(
      [
        { path: '/tmp/kmemmap-absolute', body: 'x' },
        { path: 'kpageflags', body: words(4) },
      ],
      /"\/tmp\/kmemmap-absolute" has an absolute path/,
    );
  });

  it('a character device is refused', async () => {
    await refused(
      [
        { path: 'cap/kpageflags', body: words(4) },
        { path: 'cap/dmesg', type: 'CharacterDevice' },
      ],
      /"cap\/dmesg" is a character device/,
    );
  });

  it('a declared size of 1 TiB for kpagecount is refused from its header, before any data is read', async () => {
    // The archive holds no data for the entry at all: only the header's claim is checked.
    await refused([{ path: 'cap/kpagecount', size: 2 ** 40 }], /"cap\/kpagecount" is 1099511627776 bytes: more than/);
  });

  it('a per-PFN file larger than kpageflags is refused (it cannot cover more PFNs)', async () => {
    await refused(
      [
        { path: 'cap/kpageflags', body: words(4) },
        { path: 'cap/kpagecgroup', body: words(5) },
      ],
      /kpagecgroup is 40 bytes but kpageflags is 32/,
    );
  });

  it('a text file larger than a capture can hold is refused', async () => {
    await refused(
      [
        { path: 'cap/kpageflags', body: words(4) },
        { path: 'cap/uname', body: 'L'.repeat(5000) },
      ],
      /"cap\/uname" is 5000 bytes: a capture's uname is at most 4096/,
    );
  });

  it('more memory/ entries than a capture of that many PFNs has are refused', async () => {
    const many = Array.from({ length: 300 }, (_, i) => ({ path: `cap/memory/memory${i}/state`, body: 'online\n' }));
    await refused(
      [{ path: 'cap/kpageflags', body: words(4) }, ...many],
      /memory\/ has 300 entries: a capture of 4 PFNs has at most 272/,
    );
  });

  it('files a capture does not have are not unpacked; the capture still opens', async () => {
    const f = writeArchive([
      { path: 'cap/', type: 'Directory' },
      { path: 'cap/kpageflags', body: words(3) },
      { path: 'cap/uname', body: 'Linux h 6.12.1 #1 SMP x86_64 GNU/Linux\n' },
      { path: 'cap/notes/evil.sh', body: 'rm -rf ~' },
    ]);
    await inFreshTmp(async (tmp) => {
      const b = await openCaptureBundle(f);
      assert.equal(b.kpageflags.size, 24);
      assert.match(b.texts.uname ?? '', /6\.12\.1/);
      assert.deepEqual(readdirSync(tmp), [], 'the unpacked folder is removed once the files are open');
      b.close();
    });
  });

  it('the bundled sample opens with the folder removed and its data held only by open descriptors', async () => {
    await inFreshTmp(async (tmp) => {
      const s = await openKpageflagsSnapshot(SAMPLE);
      assert.equal(s.endPfn, 0x120000);
      assert.deepEqual(readdirSync(tmp), []);
      assert.equal(s.pageDetail?.(0x100)?.pfn, 0x100, 'page details still read the unpacked kpageflags');
      assert.equal(deletedFdsUnder(tmp), 3, 'kpageflags, kpagecount and kpagecgroup');
      s.close?.();
      assert.equal(deletedFdsUnder(tmp), 0, 'close() let the kernel free the unpacked data');
      assert.equal(s.pageDetail?.(0x100), undefined, 'a closed snapshot reads no page (its descriptors may be reused)');
    });
  });

  it('a parse worker stopped with terminate() leaves no unpacked data behind', async () => {
    await inFreshTmp(async (tmp) => {
      const p = await parseInWorker(WORKER, SAMPLE);
      assert.deepEqual(readdirSync(tmp), [], 'no folder while the snapshot is open');
      assert.equal(deletedFdsUnder(tmp), 3, 'kpageflags, kpagecount and kpagecgroup are held open by the worker');
      await p.dispose();
      assert.equal(deletedFdsUnder(tmp), 0, 'terminate() closed them: the kernel frees the data');
    });
  });

  it('a capture folder whose uname is a symbolic link does not read it, and says so', async () => {
    const d = tmpFolder('kmemmap-test-');
    writeFileSync(join(d, 'kpageflags'), words(2));
    symlinkSync('/etc/passwd', join(d, 'uname'));
    mkdirSync(join(d, 'memory'));
    symlinkSync('/etc/passwd', join(d, 'memory', 'block_size_bytes'));
    const s = await openKpageflagsSnapshot(d);
    assert.equal(s.kernel.release, undefined);
    assert.ok(
      s.warnings.some((w) => /uname is a symbolic link: not read/.test(w)),
      s.warnings.join('\n'),
    );
    assert.ok(
      !JSON.stringify(s, (_k, v) => (typeof v === 'bigint' ? String(v) : v)).includes('root:'),
      'nothing of /etc/passwd reached the snapshot',
    );
  });

  it('checkEntry and checkTotals, entry by entry', () => {
    assert.deepEqual(checkEntry('./cap/memory/memory0/state', 'File', 7), {
      path: './cap/memory/memory0/state',
      role: 'memory',
      name: 'memory/memory0/state',
      size: 7,
    });
    assert.equal(checkEntry('cap/README', 'File', 10), undefined);
    assert.match(String(checkEntry('cap/x', 'FIFO', 0)), /named pipe/);
    const e = (name: string, size: number): ArchiveEntry => ({ path: name, role: 'u64', name, size });
    assert.deepEqual(checkTotals([e('kpageflags', 80), e('kpagecount', 80)]), { pfns: 10, totalBytes: 160 });
    assert.match(String(checkTotals([e('kpagecount', 8)])), /kpageflags is missing/);
  });
});
