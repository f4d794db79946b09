// PageQuestioner (the process behind kmemmap.askDebugger) against real drgn and crash on lab dumps:
// a slab page names its cache, a page-cache page its file, a wrong vmlinux is refused. The pages are
// found in the dump by the pure core (the first slab head and the first page-cache page), so the test
// holds for whatever kernel build the lab booted. Fails with the reason when the tools, the -dbg
// vmlinux files (made by `npm test`, or `npm run lab:tools`) or the sets are absent.
import * as assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { labRoot, listSets } from '../../lab/sets';
import { field } from '../../../extension/debugger/answer';
import { debuggerConfig } from '../../../extension/debugger/debuggerConfig';
import { PageQuestioner } from '../../../extension/debugger/pageQuestion';
import { openVmcoreSnapshot } from '../../../memmap/vmcoreSnapshot';
import { CLASS_ID } from '../../../kernel/pageClasses';

/** The first PFN of a class in a dump whose rule is the given one (e.g. a slab head, not a tail). */
async function firstPage(elf: string, cls: number, rule: string): Promise<number> {
  const snap = await openVmcoreSnapshot([elf]);
  for (let i = snap.classes.indexOf(cls); i >= 0; i = snap.classes.indexOf(cls, i + 1))
    if (snap.pageDetail?.(snap.startPfn + i)?.rule === rule) return snap.startPfn + i;
  throw new Error(`no page with rule ${rule} in ${elf}`);
}
const hex = (n: number) => `0x${n.toString(16)}`;

const vmlinuxOf = (release: string) => join(labRoot(), 'tools', `vmlinux-${release}`);
const set = (k: string) =>
  listSets().find(
    (s) =>
      s.manifest.kernel.short === k &&
      s.manifest.scenario === 'baseline' &&
      existsSync(vmlinuxOf(s.manifest.kernel.release)),
  );

describe('ask a debugger about a page (lab dumps)', function () {
  this.timeout(300000);
  const s612 = set('6.12');
  const s61 = set('6.1');
  if (!existsSync('/usr/bin/drgn') || !s612)
    it.skip('needs drgn and a 6.12 baseline set with its vmlinux (`npm run lab:tools`)', () => undefined);
  else {
    it(`drgn on ${s612.name}: the slab cache of a slab page, the file behind a page-cache page, wrong vmlinux refused`, async () => {
      const slabPfn = await firstPage(s612.elf, CLASS_ID.slab, 'slab');
      const filePfn = await firstPage(s612.elf, CLASS_ID['lru-file'], 'lru-file');
      const q = new PageQuestioner(
        debuggerConfig({ tool: 'drgn', drgnPath: '/usr/bin/drgn', vmlinux: vmlinuxOf(s612.manifest.kernel.release) }),
        { path: s612.elf, release: s612.manifest.kernel.release, pageSize: 4096 },
      );
      try {
        const slab = await q.ask(slabPfn);
        assert.match(field(slab, 'slab_cache') ?? '', /^[\w:.-]+$/, slab.raw);
        const file = await q.ask(filePfn);
        console.log(`      ${hex(slabPfn)}: ${field(slab, 'slab_cache')}; ${hex(filePfn)}: ${field(file, 'file')}`);
        assert.equal(field(file, 'mapping.kind'), 'file', file.raw);
      } finally {
        await q.dispose();
      }
      if (s61) {
        const wrong = new PageQuestioner(
          debuggerConfig({ tool: 'drgn', vmlinux: vmlinuxOf(s61.manifest.kernel.release) }),
          { path: s612.elf, release: s612.manifest.kernel.release, pageSize: 4096 },
        );
        await assert.rejects(wrong.ask(slabPfn), /does not match|vmlinux/);
        await wrong.dispose();
      }
    });
  }
  if (!existsSync('/usr/bin/crash') || !s61)
    it.skip('needs crash and a 6.1 baseline set with its vmlinux', () => undefined);
  else {
    it(`crash on ${s61.name}: kmem -P names the slab cache of a slab page`, async () => {
      const slabPfn = await firstPage(s61.elf, CLASS_ID.slab, 'slab');
      const q = new PageQuestioner(debuggerConfig({ tool: 'crash', vmlinux: vmlinuxOf(s61.manifest.kernel.release) }), {
        path: s61.elf,
        release: s61.manifest.kernel.release,
        pageSize: 4096,
      });
      try {
        const a = await q.ask(slabPfn);
        assert.match(field(a, 'slab_cache') ?? '', /^[\w:.-]+$/, a.raw);
        console.log(`      ${hex(slabPfn)}: ${field(a, 'slab_cache')}`);
      } finally {
        await q.dispose();
      }
    });
  }
});
