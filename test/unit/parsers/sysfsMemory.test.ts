// A capture's copy of /sys/devices/system/memory: every block in order, values read without
// following links or blocking, oversized values cut, and the read spread over turns of the event loop.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readSysfsMemory } from '../../../parsers/capture/sysfsMemory';

describe('capture memory/ folder (sysfs copy)', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'kmemmap-sysfs-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const block = (id: number, files: Record<string, string>, node = 0) => {
    const b = join(dir, `memory${id}`);
    mkdirSync(join(b, `node${node}`), { recursive: true });
    for (const [k, v] of Object.entries(files)) writeFileSync(join(b, k), v);
  };

  it('reads a thousand blocks in id order, with their state, first section, zones, removable and node', async () => {
    writeFileSync(join(dir, 'block_size_bytes'), '8000000\n');
    for (let i = 999; i >= 0; i--)
      block(
        i,
        { state: i % 7 ? 'online\n' : 'offline\n', phys_index: `${i.toString(16).padStart(8, '0')}\n` },
        i >= 500 ? 1 : 0,
      );
    writeFileSync(join(dir, 'memory3', 'valid_zones'), 'Normal Movable\n');
    writeFileSync(join(dir, 'memory3', 'removable'), '1\n');
    let turns = 0;
    const ticking = setInterval(() => turns++, 0);
    const m = await readSysfsMemory(dir);
    clearInterval(ticking);
    assert.equal(m.blockSizeBytes, 0x8000000n);
    assert.deepEqual(
      m.blocks.map((b) => b.id),
      [...Array(1000).keys()],
    );
    assert.deepEqual(m.blocks[3], {
      id: 3,
      physIndex: 3,
      state: 'online',
      validZones: ['Normal', 'Movable'],
      removable: true,
      node: 0,
    });
    assert.equal(m.blocks[7].state, 'offline');
    assert.equal(m.blocks[999].physIndex, 999);
    assert.equal(m.blocks[999].node, 1);
    assert.deepEqual(m.problems, []);
    // 1000 blocks are four batches: the event loop turned between them
    assert.ok(turns >= 1, `the event loop never turned while 1000 blocks were read`);
  });

  it('never follows a link, never blocks on a named pipe, and cuts an oversized value', async () => {
    const secret = join(dir, '..', `kmemmap-sysfs-secret-${process.pid}`);
    writeFileSync(secret, 'online\n');
    try {
      block(0, {});
      symlinkSync(secret, join(dir, 'memory0', 'state'));
      block(1, { state: 'offline\n' });
      execFileSync('mkfifo', [join(dir, 'memory1', 'phys_index')]);
      block(2, { state: `${'x'.repeat(1 << 20)}\n` });
      const m = await readSysfsMemory(dir);
      assert.equal(m.blocks[0].state, 'unknown', 'a state behind a link is not read');
      assert.equal(m.blocks[1].state, 'offline');
      assert.equal(m.blocks[1].physIndex, undefined);
      assert.equal(m.blocks[2].state, 'unknown');
      assert.match(m.problems.join('\n'), /memory2\/state has an unknown value "x{40}"/);
    } finally {
      rmSync(secret, { force: true });
    }
  });

  it('a memory/ that is not a folder is one problem, no blocks', async () => {
    const file = join(dir, 'memory');
    writeFileSync(file, 'not a folder');
    const m = await readSysfsMemory(file);
    assert.deepEqual(m.blocks, []);
    assert.deepEqual(m.problems, ['memory/ folder cannot be read']);
  });
});
