// Settings and workspace trust: a workspace cannot name the programs we run, and in Restricted Mode
// "Ask crash/drgn" runs nothing (checked with a stand-in drgn that leaves a mark when it runs).

import { config, registered, state } from './fakeVscode';
import * as assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { registerAskDebugger, ASK_COMMAND, AskResult } from '../../../extension/debugger/askDebugger';
import type { SnapshotStore } from '../../../extension/snapshotStore';

interface Setting {
  scope?: string;
  description?: string;
  markdownDescription?: string;
}
const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as {
  contributes: { configuration: { properties: Record<string, Setting> } };
  capabilities?: { untrustedWorkspaces?: { supported: string | boolean; restrictedConfigurations?: string[] } };
};
const settings = pkg.contributes.configuration.properties;

/** Settings that name a program we run, or a file a program we run reads. */
const EXECUTABLE_PATHS = ['kmemmap.debugger.crashPath', 'kmemmap.debugger.drgnPath', 'kmemmap.debugger.vmlinux'];

describe('extension: settings scopes and workspace trust', () => {
  it('every executable path setting is machine-scoped (a workspace cannot set it)', () => {
    for (const key of EXECUTABLE_PATHS) assert.equal(settings[key]?.scope, 'machine', key);
    // Any setting named like a program path must be machine-scoped too.
    for (const [key, s] of Object.entries(settings)) if (/Path$/.test(key)) assert.equal(s.scope, 'machine', key);
  });

  it('untrusted workspaces are declared limited, with the debugger settings restricted', () => {
    const u = pkg.capabilities?.untrustedWorkspaces;
    assert.equal(u?.supported, 'limited');
    for (const key of [...EXECUTABLE_PATHS, 'kmemmap.debugger.tool', 'kmemmap.kernelSourceTree'])
      assert.ok(u?.restrictedConfigurations?.includes(key), `${key} is restricted`);
    for (const key of u?.restrictedConfigurations ?? []) assert.ok(settings[key], `${key} is a real setting`);
  });

  describe('Ask crash/drgn', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kmemmap-trust-'));
    const mark = join(dir, 'ran');
    const fakeDrgn = join(dir, 'fake-python');
    const session = {
      uri: 'file:///tmp/vmcore',
      title: 'vmcore',
      summary: { input: { format: 'elf' }, kernel: { release: '6.1.0', pageSize: 4096 }, pfns: { start: 0, end: 16 } },
      onDispose() {},
    };
    const store = { get: () => session, sessions: () => [session] } as unknown as SnapshotStore;
    const ask = (): Promise<AskResult> =>
      registered.commands.get(ASK_COMMAND)!({ pfn: 1, show: false }) as Promise<AskResult>;

    before(() => {
      writeFileSync(fakeDrgn, `#!/bin/sh\ntouch '${mark}'\n`);
      chmodSync(fakeDrgn, 0o755);
      registerAskDebugger({ subscriptions: [] } as never, store);
      config.set('tool', 'drgn');
      config.set('vmlinux', join(dir, 'vmlinux'));
      config.set('drgnPath', fakeDrgn);
      config.set('timeoutSeconds', 20);
    });
    after(() => {
      for (const k of ['tool', 'vmlinux', 'drgnPath', 'timeoutSeconds']) config.delete(k);
      state.trusted = true;
      rmSync(dir, { recursive: true, force: true });
    });

    it('in Restricted Mode it refuses and runs nothing', async () => {
      state.trusted = false;
      const r = await ask();
      assert.match(r.error ?? '', /Restricted Mode: crash and drgn are not run here/);
      assert.equal(existsSync(mark), false, 'the configured program did not run');
    });

    it('in a trusted workspace the same settings do run the program (so the refusal above is the trust check)', async () => {
      state.trusted = true;
      const r = await ask();
      assert.ok(r.error, 'the stand-in is not a real drgn, so the question fails');
      assert.equal(existsSync(mark), true, 'the configured program ran');
    });
  });
});
