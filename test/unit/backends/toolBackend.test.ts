// The crash/drgn process driver, exercised with a shell standing in for the tool.
import * as assert from 'node:assert/strict';
import { BackendError, BackendSpec, ToolBackend } from '../../../backends/toolBackend';

const shell = (): BackendSpec => ({
  name: 'sh',
  command: 'bash',
  args: ['--norc', '--noprofile'],
  sentinelCommand: (id) => `echo ${id}`,
  isSentinel: (l, id) => l === id,
});

describe('tool backend driver', () => {
  it('runs commands in order and returns each answer without the sentinel', async () => {
    const b = new ToolBackend(shell());
    await b.start();
    const [a, c] = await Promise.all([b.run('echo one; echo two'), b.run('echo three')]);
    assert.equal(a, 'one\ntwo');
    assert.equal(c, 'three');
    await b.stop();
  });

  it('times out a slow command and stops the tool', async () => {
    const b = new ToolBackend(shell());
    await b.start();
    await assert.rejects(
      b.run('sleep 5', { timeoutMs: 200 }),
      (e: unknown) => e instanceof BackendError && e.kind === 'timeout',
    );
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(b.running, false);
  });

  it('cancels a command with an AbortSignal', async () => {
    const b = new ToolBackend(shell());
    await b.start();
    const ac = new AbortController();
    const p = b.run('sleep 5', { signal: ac.signal });
    setTimeout(() => ac.abort(), 100);
    await assert.rejects(p, (e: unknown) => e instanceof BackendError && e.kind === 'cancelled');
  });

  it('reports a tool that exits or cannot start', async () => {
    const b = new ToolBackend(shell());
    await b.start();
    await assert.rejects(b.run('exit 3'), (e: unknown) => e instanceof BackendError && e.kind === 'exited');
    const missing = new ToolBackend({ ...shell(), command: '/nonexistent/crash' });
    await assert.rejects(missing.start(), (e: unknown) => e instanceof BackendError);
  });

  it('rejects multi-line commands (they would break the sentinel protocol)', async () => {
    const b = new ToolBackend(shell());
    await b.start();
    await assert.rejects(b.run('echo a\necho b'), /single line/);
    await b.stop();
  });
});
