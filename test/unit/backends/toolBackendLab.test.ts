// The backend driver against the real tools on a lab dump: drgn 0.0.22 answers what VMCOREINFO
// cannot (the slab cache behind a page). Skipped when drgn, the -dbg vmlinux or the sets are absent.
import * as assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { labRoot, listSets } from '../../lab/sets';
import { drgnBackendSpec, ToolBackend } from '../../../backends/toolBackend';

const PY = '/usr/bin/python3';
const set = listSets().find((s) => s.manifest.kernel.short === '6.12');
const vmlinux = set && join(labRoot(), 'tools', `vmlinux-${set.manifest.kernel.release}`);

describe('tool backend with real drgn (lab)', function () {
  this.timeout(300000);
  if (!set || !vmlinux || !existsSync(vmlinux) || !existsSync(PY)) {
    it.skip('needs a 6.12 lab set and its vmlinux: `npm run lab` then `npm run lab:tools`', () => undefined);
    return;
  }
  it(`${set.name}: drgn answers the release and the slab cache of a slab page`, async () => {
    const b = new ToolBackend(drgnBackendSpec(PY, vmlinux, set.elf), { defaultTimeoutMs: 120000 });
    try {
      await b.start();
      assert.equal(await b.run('prog["init_uts_ns"].name.release.string_().decode()'), set.manifest.kernel.release);
      // The first slab page (page type slab, 6.12) of the memmap, then its cache name through struct slab
      // (drgn 0.0.22's slab helpers predate 6.12's layout, so the driver's caller reads the struct itself).
      const name = await b.run(
        'next(drgn.cast("struct slab *", p).slab_cache.name.string_().decode() for p in (pfn_to_page(prog, n) for n in range(0x1000, 0x40000)) if (p.page_type.value_() >> 24) == 0xf5)',
      );
      assert.match(name, /^[\w:.-]+$/, name);
      console.log(`      first slab page's cache: ${name}`);
      await assert.rejects(b.run('import time; time.sleep(5)', { timeoutMs: 300 }), /took longer/);
    } finally {
      await b.stop();
    }
  });
});
