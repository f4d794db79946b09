// PageQuestioner (the process behind kmemmap.askDebugger) against real drgn and crash on lab dumps:
// a slab page names its cache, a page-cache page its file, a wrong vmlinux is refused. Skipped when
// the tools, the -dbg vmlinux files (`npm run lab:tools`) or the sets are absent.
import * as assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { labRoot, listSets } from '../../lab/sets';
import { field } from '../../../extension/debugger/answer';
import { debuggerConfig } from '../../../extension/debugger/debuggerConfig';
import { PageQuestioner } from '../../../extension/debugger/pageQuestion';

const vmlinuxOf = (release: string) => join(labRoot(), 'tools', `vmlinux-${release}`);
const set = (k: string) => listSets().find((s) => s.manifest.kernel.short === k && s.manifest.scenario === 'baseline' && existsSync(vmlinuxOf(s.manifest.kernel.release)));

describe('ask a debugger about a page (lab dumps)', function () {
  this.timeout(300000);
  const s612 = set('6.12');
  const s61 = set('6.1');
  if (!existsSync('/usr/bin/drgn') || !s612) it.skip('needs drgn and a 6.12 baseline set with its vmlinux (`npm run lab:tools`)', () => undefined);
  else {
    it(`drgn on ${s612.name}: slab cache of PFN 0x1046, file behind PFN 0x15a03, wrong vmlinux refused`, async () => {
      const q = new PageQuestioner(debuggerConfig({ tool: 'drgn', drgnPath: '/usr/bin/drgn', vmlinux: vmlinuxOf(s612.manifest.kernel.release) }),
        { path: s612.elf, release: s612.manifest.kernel.release, pageSize: 4096 });
      try {
        const slab = await q.ask(0x1046);
        assert.match(field(slab, 'slab_cache') ?? '', /^[\w:.-]+$/, slab.raw);
        const file = await q.ask(0x15a03);
        console.log(`      0x1046: ${field(slab, 'slab_cache')}; 0x15a03: ${field(file, 'file')}`);
        assert.equal(field(file, 'mapping.kind'), 'file', file.raw);
      } finally {
        await q.dispose();
      }
      if (s61) {
        const wrong = new PageQuestioner(debuggerConfig({ tool: 'drgn', vmlinux: vmlinuxOf(s61.manifest.kernel.release) }),
          { path: s612.elf, release: s612.manifest.kernel.release, pageSize: 4096 });
        await assert.rejects(wrong.ask(0x1046), /does not match|vmlinux/);
        await wrong.dispose();
      }
    });
  }
  if (!existsSync('/usr/bin/crash') || !s61) it.skip('needs crash and a 6.1 baseline set with its vmlinux', () => undefined);
  else {
    it(`crash on ${s61.name}: kmem -P names the slab cache of PFN 0x1046`, async () => {
      const q = new PageQuestioner(debuggerConfig({ tool: 'crash', vmlinux: vmlinuxOf(s61.manifest.kernel.release) }),
        { path: s61.elf, release: s61.manifest.kernel.release, pageSize: 4096 });
      try {
        const a = await q.ask(0x1046);
        assert.match(field(a, 'slab_cache') ?? '', /^kmalloc-/, a.raw);
      } finally {
        await q.dispose();
      }
    });
  }
});
