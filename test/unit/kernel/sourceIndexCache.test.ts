// Source index on a tiny synthetic tree: rules, ranking, cache validity per tree state.

import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSourceIndex, findDefinition, parseRgOutput, rgPath } from '../../../kernel/sourceIndex/indexer';
import { getSourceIndex } from '../../../kernel/sourceIndex/cache';
import { isLinuxTree, treeVersion } from '../../../kernel/sourceIndex/detectTree';

function makeTree(): string {
  const root = mkdtempSync(join(tmpdir(), 'kmemmap-tree-'));
  const w = (p: string, s: string) => {
    mkdirSync(join(root, p, '..'), { recursive: true });
    writeFileSync(join(root, p), s);
  };
  w('Makefile', 'VERSION = 6\nPATCHLEVEL = 12\nSUBLEVEL = 117\nEXTRAVERSION =\nNAME = Baby Opossum Posse\n');
  w(
    'include/linux/page-flags.h',
    'enum pageflags {\n\tPG_locked,\n\tPG_head,\t/* x */\n\t__NR_PAGEFLAGS,\n\tPG_readahead = PG_reclaim,\n};\nPAGE_TYPE_OPS(Offline, offline, offline)\n__PAGEFLAG(OfflineSkippable, offline_skippable, PF_NO_COMPOUND)\n',
  );
  w('include/linux/memory_hotplug.h', 'static inline struct page *pfn_to_online_page(unsigned long pfn);\n');
  w(
    'mm/memory_hotplug.c',
    'static int foo(void)\n{\n\treturn offline_pages(1, 2, NULL);\n}\n\nint offline_pages(unsigned long start_pfn, unsigned long nr_pages,\n\t\t  struct zone *zone, struct memory_group *group)\n{\n}\n',
  );
  w('tools/include/linux/page-flags.h', 'enum pageflags {\n\tPG_head,\n};\n');
  return root;
}

describe('source index (synthetic tree)', function () {
  this.timeout(60_000);
  before(function () {
    if (!rgPath()) this.skip();
  });

  it('detects the tree and its version', () => {
    const root = makeTree();
    assert.ok(isLinuxTree(root));
    assert.equal(treeVersion(root), '6.12.117');
  });

  it('indexes enum members, accessor macros and function definitions (not calls, not prototypes, not tools/)', async () => {
    const root = makeTree();
    const idx = await buildSourceIndex(root);
    assert.deepEqual(
      [findDefinition(idx, 'PG_head')?.file, findDefinition(idx, 'PG_head')?.line],
      ['include/linux/page-flags.h', 3],
    );
    assert.equal(findDefinition(idx, 'enum pageflags')?.line, 1);
    assert.equal(findDefinition(idx, 'PageOffline')?.line, 7);
    assert.equal(findDefinition(idx, 'folio_test_offline')?.line, 7);
    assert.equal(findDefinition(idx, '__SetPageOfflineSkippable')?.line, 8);
    assert.deepEqual(
      [findDefinition(idx, 'offline_pages')?.file, findDefinition(idx, 'offline_pages')?.line],
      ['mm/memory_hotplug.c', 6],
    );
    assert.equal(findDefinition(idx, 'pfn_to_online_page'), undefined, 'a prototype is not a definition');
    assert.equal(idx.defs['PG_head'].length, 1, 'tools/ is skipped');
  });

  it('parses rg --null output', () => {
    const defs = parseRgOutput('include/linux/page-flags.h\u000012:\tPG_owner_2,\t/* x */\n', '/t');
    assert.deepEqual(
      defs.map((d) => [d.symbol, d.file, d.line]),
      [['PG_owner_2', 'include/linux/page-flags.h', 12]],
    );
  });

  it('caches per tree state and re-indexes when an indexed file changes', async () => {
    const root = makeTree();
    const cache = mkdtempSync(join(tmpdir(), 'kmemmap-cache-'));
    assert.equal((await getSourceIndex(cache, root)).fromCache, false);
    assert.equal((await getSourceIndex(cache, root)).fromCache, true);
    const f = join(root, 'mm/memory_hotplug.c');
    writeFileSync(f, '\n\nint offline_pages(unsigned long start_pfn, unsigned long nr_pages)\n{\n}\n');
    utimesSync(f, new Date(), new Date(Date.now() + 5000));
    const again = await getSourceIndex(cache, root);
    assert.equal(again.fromCache, false);
    assert.equal(findDefinition(again.index, 'offline_pages')?.line, 3);
  });
});
