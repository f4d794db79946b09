// Patch review on the real PG_offline_skippable fixture patch, the real Debian 6.12 and 6.1 trees
// (scripts/kernel-sources.sh) and the real 6.12 virtio-mem lab snapshots: symbols per hunk, the
// in-memory apply, the layout delta (the alias), the verdict delta with the deciding page, the
// report, and the specific errors bad input gets.
import * as assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parsePatchText, PatchError } from '../../../review/patchSeries';
import { readPatchSeries } from '../../../review/readSeries';
import { seriesSymbols, symbolTotals } from '../../../review/patchSymbols';
import { chooseTree, reviewSeries, treeReader } from '../../../review/review';
import { deriveLayoutDelta } from '../../../review/layoutDelta';
import { patchRules } from '../../../review/declaredRules';
import { reviewMarkdown } from '../../../review/reportMarkdown';
import { parseConfigText } from '../../../kernel/headerEnum';
import { parseRuleSet, RuleSetError, SKIPPABLE_RULES } from '../../../memmap/offlineRules';
import { openSnapshot } from '../../../memmap/open';
import { openFdsUnder } from '../../support/openFds';
import { realTree } from '../kernel/realTrees';
import { findSets } from '../../lab/sets';

const FIXTURE = resolve(
  __dirname,
  '../../../../test/fixtures/patches/v2-1-1-mm-memory_hotplug-PG_offline_skippable.patch',
);
const text = () => readFileSync(FIXTURE, 'utf8');
const tree612 = () => {
  const t = realTree('6.12');
  assert.ok(t, 'the Debian linux-source-6.12 tree is needed: run scripts/kernel-sources.sh (npm test does)');
  return t!;
};

describe('patch review: parsing and symbols (fixture patch)', () => {
  it('reads the git format-patch mail: one patch, four files, seven hunks, its subject and Message-ID', () => {
    const s = parsePatchText(text(), 'fixture.patch');
    assert.equal(s.patches.length, 1);
    const p = s.patches[0];
    assert.match(p.subject, /^\[PATCH v2 1\/1\] mm\/memory_hotplug: PG_offline_skippable/);
    assert.equal(p.messageId, '<20250520164216.866543-2-david@redhat.com>');
    assert.deepEqual(
      p.files.map((f) => [f.newPath, f.hunks.length]),
      [
        ['drivers/virtio/virtio_mem.c', 2],
        ['include/linux/page-flags.h', 2],
        ['mm/memory_hotplug.c', 1],
        ['mm/page_isolation.c', 2],
      ],
    );
    assert.equal(p.files[1].oldBlob, '53171d7');
  });

  it('lists the page-state symbols each hunk touches, resolved like the hovers (PageOfflineSkippable → PG_offline_skippable)', () => {
    const hs = seriesSymbols(parsePatchText(text(), 'fixture.patch'));
    const iso = hs.find((h) => h.file === 'mm/page_isolation.c' && h.hunk.index === 1)!;
    const sk = iso.symbols.find((x) => x.name === 'PageOfflineSkippable')!;
    assert.equal(sk.added, 1);
    assert.equal(sk.entries[0].name, 'PG_offline_skippable');
    assert.ok(
      iso.symbols.some((x) => x.name === 'has_unmovable_pages'),
      'the function git names after @@',
    );
    const flags = hs.find((h) => h.file === 'include/linux/page-flags.h' && h.hunk.index === 1)!;
    assert.deepEqual(
      flags.symbols
        .filter((x) => x.added)
        .map((x) => x.name)
        .sort(),
      ['PG_offline_skippable', 'PG_owner_2', 'PageOffline'],
    );
    const totals = symbolTotals(hs);
    assert.deepEqual(totals.find((t) => t.name === 'PageOffline')!.files.length, 4);
  });

  it('reads an mbox (cover letter skipped) and a git format-patch folder alike', async () => {
    const cover =
      'From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001\nFrom: A <a@b>\nSubject: [PATCH v2 0/1] cover\n\nwhy\n\n';
    const mbox = parsePatchText(cover + text(), 'series.mbox');
    assert.equal(mbox.patches.length, 1);
    assert.deepEqual(mbox.skipped, ['[PATCH v2 0/1] cover']);
    const dir = mkdtempSync(join(tmpdir(), 'kmemmap-series-'));
    writeFileSync(join(dir, '0000-cover-letter.patch'), cover);
    writeFileSync(join(dir, '0001-mm-memory_hotplug-PG_offline_skippable.patch'), text());
    const folder = await readPatchSeries(dir);
    assert.equal(folder.patches.length, 1);
    assert.equal(folder.patches[0].files.length, 4);
  });

  it('refuses garbage, truncated hunks and binary data with specific errors', async () => {
    assert.throws(
      () => parsePatchText('hello\nworld\n', 'notes.txt'),
      (e: unknown) => e instanceof PatchError && /no unified diff found/.test(e.message),
    );
    const cut = text().split('\n').slice(0, 48).join('\n');
    assert.throws(
      () => parsePatchText(cut, 'cut.patch'),
      /cut.patch line 45: hunk 1 of include\/linux\/page-flags.h: its @@ header promises 6 old and 14 new lines, the hunk has 3 and 3 \(a truncated or hand-edited patch\?\)/,
    );
    assert.throws(() => parsePatchText('diff --git a/x b/x\n\0', 'bin'), /binary data/);
    await assert.rejects(readPatchSeries(join(tmpdir(), 'no-such-patch-kmemmap')), /cannot open: ENOENT/);
  });
});

describe('patch review: layout delta on the real 6.12 tree', function () {
  this.timeout(120_000);

  it("applies in memory (page_isolation.c hunk 2 at offset +24, its blob is 6.12.118's not the base's) and picks 6.12 over 6.1", () => {
    const s = parsePatchText(text(), 'fixture.patch');
    const t61 = realTree('6.1');
    assert.ok(t61, 'the Debian linux-source-6.1 tree is needed: run scripts/kernel-sources.sh');
    const c = chooseTree(s, [t61!, tree612()]);
    assert.equal(c.tree!.path, tree612());
    assert.match(
      c.tree!.why,
      /3 of the series' pre-image blob ids match this tree; every hunk of its 4 files applies; chosen over linux-source-6.1 \(\d+ failing\)/,
    );
    assert.deepEqual(
      c.applied!.results.filter((r) => r.status === 'offset').map((r) => [r.file, r.hunk, r.offset]),
      [['mm/page_isolation.c', 2, 24]],
    );
    assert.deepEqual(
      c.applied!.blobMismatches.map((m) => [m.file, m.patchBlob]),
      [['mm/page_isolation.c', '6989c5f']],
    );
    assert.match(c.applied!.files.get('include/linux/page-flags.h')!, /PG_offline_skippable = PG_owner_2,/);
  });

  it("derives the new enum pageflags with the tree's .config: bit 11 gains the alias PG_offline_skippable, no bit moves", () => {
    const t = tree612();
    const d = deriveLayoutDelta(
      parsePatchText(text(), 'fixture.patch'),
      treeReader(t),
      parseConfigText(readFileSync(join(t, '.config'), 'utf8')),
    );
    assert.equal(d.unavailable, undefined);
    assert.deepEqual(
      d.triggers.map((x) => [x.file, x.hunk, x.what]),
      [['include/linux/page-flags.h', 1, 'enum pageflags']],
    );
    assert.deepEqual(d.pageflags!.bits, [
      {
        bit: 11,
        before: ['PG_owner_2', 'PG_anon_exclusive', 'PG_mappedtodisk'],
        after: ['PG_owner_2', 'PG_anon_exclusive', 'PG_mappedtodisk', 'PG_offline_skippable'],
        what: 'alias PG_offline_skippable added',
      },
    ]);
    assert.deepEqual(d.pageflags!.moved, []);
    assert.equal(d.pageflags!.after.members[11], 'PG_owner_2');
    assert.equal(d.changedMask, 1n << 11n);
    assert.deepEqual(d.pagetype, []);
  });

  it('reports a hunk that does not apply (never a guessed layout): the 6.1 tree, and an edited context line', () => {
    const s = parsePatchText(text(), 'fixture.patch');
    const t61 = realTree('6.1')!;
    const d61 = deriveLayoutDelta(s, treeReader(t61), parseConfigText(readFileSync(join(t61, '.config'), 'utf8')));
    assert.equal(d61.pageflags, undefined);
    assert.match(
      d61.unavailable!,
      /does not apply to this tree's layout headers \(include\/linux\/page-flags.h hunk 1: hunk does not apply: at line \d+ the patch expects .*, the tree has .*\): no layout is derived from a guess/,
    );
    const edited = text().replace(' \tPG_mappedtodisk = PG_owner_2,', ' \tPG_mappedtodisk = PG_owner_3,');
    const t = tree612();
    const d = deriveLayoutDelta(parsePatchText(edited, 'edited.patch'), treeReader(t), new Set(['CONFIG_64BIT']));
    assert.match(
      d.unavailable!,
      /hunk 1: hunk does not apply: at line 151 the patch expects "\\tPG_mappedtodisk = PG_owner_3,", the tree has "\\tPG_mappedtodisk = PG_owner_2,"/,
    );
  });

  it('never reads outside the tree: a path with .. is a missing file', () => {
    const evil = text()
      .replace(/a\/mm\/memory_hotplug.c/g, 'a/../../../etc/passwd')
      .replace(/b\/mm\/memory_hotplug.c/g, 'b/../../../etc/passwd');
    const c = chooseTree(parsePatchText(evil, 'evil.patch'), [tree612()]);
    assert.deepEqual(
      c.applied!.results.filter((r) => r.status === 'no-file').map((r) => r.file),
      ['../../../etc/passwd'],
    );
  });
});

describe('patch review: offlining rule sets', () => {
  it('recognises the fixture as the PG_offline_skippable rules; an Offline-Rules: trailer declares a set; bad sets are specific errors', () => {
    const s = parsePatchText(text(), 'fixture.patch');
    const r = patchRules(s);
    assert.equal(r.how, 'recognised');
    assert.equal(r.rules, SKIPPABLE_RULES);
    assert.ok(r.offliningHunks.includes('mm/page_isolation.c hunk 1 (has_unmovable_pages)'));
    const declared = parsePatchText(
      text().replace(
        '---\n drivers',
        'Offline-Rules: {"id":"strict","isolationFails":{"offline-skippable":"no page is skipped"}}\n---\n drivers',
      ),
      'x.patch',
    );
    const d = patchRules(declared);
    assert.equal(d.how, 'declared');
    assert.deepEqual(Object.keys(d.rules!.isolationFails), ['offline-skippable']);
    assert.throws(
      () => parseRuleSet('{"id":"x","isolationFails":{"slab":"no"}}'),
      (e: unknown) =>
        e instanceof RuleSetError && /names "slab"; a rule set may name only offline-movable/.test(e.message),
    );
    assert.throws(() => parseRuleSet('{"id":"x","colour":1}'), /unknown field "colour"/);
    assert.throws(
      () => parseRuleSet('nonsense'),
      /neither a built-in rule set \(mainline, skippable\) nor a JSON object/,
    );
  });
});

describe('patch review: verdict delta on the 6.12 virtio-mem lab set', function () {
  this.timeout(300_000);
  const set = findSets({ kernel: '6.12', scenario: 'virtio-mem' })[0];
  it('lab set present', () =>
    assert.ok(set, 'needs the 6.12-virtio-mem lab set (node out/lab/lab.js --ensure-ci-sets)'));
  if (!set) return;

  it('a custom rule set equal to PG_offline_skippable decides every block as the built-in one does', async () => {
    const custom = parseRuleSet(JSON.stringify({ id: 'same', base: 'skippable' }));
    const s = await openSnapshot(set.elf, { ruleSets: [custom] });
    assert.ok(s.blocks.length > 8);
    for (const b of s.blocks) assert.deepEqual(b.verdict!.byRuleSet!.same, b.verdict!.skippable, `memory${b.id}`);
    s.close?.();
  });

  it("the fixture: layout delta, no change as its drivers mark pages, and with the snapshot's own bits memory34 fails at a virtio-mem page", async () => {
    const held = [openFdsUnder(set.elf), openFdsUnder(set.capture)]; // by tests before this one
    const r = await reviewSeries(parsePatchText(text(), 'fixture.patch'), {
      trees: [tree612()],
      snapshots: [set.elf, set.capture],
      openSnapshot: (p, ruleSets) => openSnapshot(p, { ruleSets }),
      logs: [
        {
          name: 'dmesg.txt',
          text: '[ 1.0] page: refcount:1 mapcount:0 mapping:0 index:0x0 pfn:0x10\n[ 1.0] flags: 0x800(owner_2)\n[ 1.0] flags: 0x4(referenced)\n',
        },
      ],
    });
    assert.equal(r.layout.pageflags!.bits[0].what, 'alias PG_offline_skippable added');
    const [elf, cap] = r.snapshots;
    assert.equal(elf.error, undefined);
    assert.deepEqual(elf.blocks, []);
    assert.equal(elf.blocksCompared, 11);
    // every virtio-mem fake-offline page was read: none carries PG_owner_2 on this unpatched kernel
    assert.deepEqual(elf.words!.flag, { name: 'PG_offline_skippable', bit: 11, pages: 21504, read: 21504, withBit: 0 });
    assert.ok(elf.bitsBlocks!.length >= 1);
    for (const b of elf.bitsBlocks!) {
      assert.equal(b.before.ok, true);
      assert.equal(b.after.ok, false);
      assert.equal(b.after.reason, 'failure to isolate range');
      assert.equal(b.after.blockingClass, 'offline-skippable');
      assert.ok(b.after.blockingPfn! >= b.startPfn && b.after.blockingPfn! < b.startPfn + 32768);
    }
    assert.ok(
      elf.bitsBlocks!.some((b) => b.block === 34 && b.after.blockingPfn === 0x117e00),
      JSON.stringify(elf.bitsBlocks!.map((b) => [b.block, b.after.blockingPfn])),
    );
    assert.match(cap.wordsNote!, /kpageflags capture holds KPF_\* bits/);
    assert.equal(cap.bitsBlocks, undefined);
    assert.deepEqual(r.logs[0].listed, [
      {
        where: 2,
        word: '0x800',
        before: ['PG_owner_2', 'PG_anon_exclusive', 'PG_mappedtodisk'],
        after: ['PG_owner_2', 'PG_anon_exclusive', 'PG_mappedtodisk', 'PG_offline_skippable'],
      },
    ]);
    assert.equal(r.logs[0].wordsFound, 2);
    // the extension host reviews in-process: the dump and the capture's files are closed again
    assert.deepEqual(
      [openFdsUnder(set.elf), openFdsUnder(set.capture)],
      held,
      'no descriptor left on the dump or the capture',
    );

    const md = reviewMarkdown(r);
    assert.match(
      md,
      /- bit 11: ` PG_owner_2 = PG_anon_exclusive = PG_mappedtodisk ` → ` PG_owner_2 = PG_anon_exclusive = PG_mappedtodisk = PG_offline_skippable ` — alias PG_offline_skippable added/,
    );
    assert.match(
      md,
      /memory34 \(pfn 0x110000\): offlines → fails: failure to isolate range \(EBUSY\) at pfn 0x117e00 \(offline-skippable\)/,
    );
    assert.match(md, /` PageOfflineSkippable ` \(` PG_offline_skippable `\): \+4\/−0 lines/);
  });
});

describe('patch review: the report escapes hostile patch text', () => {
  it('a subject with HTML, backticks and an escape sequence stays inert; a symbol list stays bounded', async () => {
    const hostile = text().replace(
      'Subject: [PATCH v2 1/1]',
      'Subject: [PATCH v2 1/1] <img src=x onerror=alert(1)> ``` \x1b[31m [x](javascript:alert(1))',
    );
    const r = await reviewSeries(parsePatchText(hostile, 'hostile.patch'), {});
    const md = reviewMarkdown(r);
    assert.doesNotMatch(md, /(?<!\\)<img/);
    assert.ok(!md.includes('\x1b'), 'an escape character reached the report');
    assert.doesNotMatch(md, /(?<!\\)\]\(javascript/);
    assert.match(md, /\\<img src=x onerror=alert\(1\)\\>/);
    assert.match(md, /no Linux tree given/);
  });
});

describe('patch review: a new flag and a new page type (example patch made against the real 6.12 tree)', function () {
  this.timeout(120_000);
  const EXAMPLE = resolve(__dirname, '../../../../test/fixtures/patches/example-new-flag-and-page-type-6.12.patch');

  it('names every bit that moves, the new bit, the new PGTY value and accessor; words with those bits decode differently', async () => {
    const s = parsePatchText(readFileSync(EXAMPLE, 'utf8'), 'example.patch');
    const r = await reviewSeries(s, {
      trees: [tree612()],
      logs: [{ name: 'dmesg.txt', text: 'flags: 0x100000(hwpoison)\nflags: 0x80000(mlocked)\n' }],
    });
    const d = r.layout;
    assert.deepEqual(
      d.triggers.map((t) => [t.hunk, t.what]),
      [
        [1, 'enum pageflags'],
        [2, 'enum pagetype'],
        [3, 'page-type macros'],
      ],
    );
    assert.equal(d.pageflags!.bits[0].bit, 20);
    assert.equal(d.pageflags!.bits[0].what, 'now PG_scanned (was PG_hwpoison)');
    assert.deepEqual(
      d.pageflags!.moved.find((m) => m.name === 'PG_hwpoison'),
      { name: 'PG_hwpoison', from: 20, to: 21 },
    );
    const last = d.pageflags!.bits[d.pageflags!.bits.length - 1];
    assert.match(last.what, /^new bit PG_/);
    assert.deepEqual(d.pagetype, [{ name: 'PGTY_example', before: undefined, after: 0xf8 }]);
    assert.deepEqual(d.typeOps, { added: ['example'], removed: [] });
    assert.deepEqual(
      r.logs[0].listed.map((w) => [w.where, w.before, w.after]),
      [[1, ['PG_hwpoison'], ['PG_scanned']]],
    );
    assert.equal(r.rules.how, 'none');
    const md = reviewMarkdown(r);
    assert.match(md, /- ` PG_hwpoison ` moves from bit 20 to bit 21/);
    assert.match(md, /- ` PGTY_example `: new → 0xf8/);
    assert.match(md, /the series does not change the offlining functions: no verdict delta/);
  });
});
