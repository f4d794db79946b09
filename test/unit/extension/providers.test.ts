// The VS Code providers of issue 5 against a fake `vscode` module (the real-VS-Code run is another harness).

import { registered, config, state, fakeDocument } from './fakeVscode';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { registerKnowledgeFeatures } from '../../../extension/hovers/index';
import { realTree } from '../kernel/realTrees';
import { rgPath } from '../../../kernel/sourceIndex/indexer';

const PATCH = readFileSync(
  resolve(__dirname, '../../../../test/fixtures/patches/v2-1-1-mm-memory_hotplug-PG_offline_skippable.patch'),
  'utf8',
);

interface HoverLike {
  contents: { value: string; isTrusted: unknown };
  range: { start: { character: number } };
}
type Provide = (doc: unknown, pos: unknown) => HoverLike | undefined;
type Define = (doc: unknown, pos: unknown) => Promise<{ uri: { fsPath: string }; range: { line: number } } | undefined>;

describe('providers (fake vscode)', function () {
  this.timeout(300_000);
  let trees: ReturnType<typeof registerKnowledgeFeatures>['trees'];

  before(function () {
    const tree = realTree('6.12');
    if (tree && rgPath()) state.workspaceFolders = [{ uri: { scheme: 'file', fsPath: tree } as never }];
    const context = {
      subscriptions: [] as unknown[],
      globalStorageUri: { fsPath: mkdtempSync(resolve(tmpdir(), 'kmemmap-gs-')) },
    };
    trees = registerKnowledgeFeatures(context as never).trees;
  });

  it('registers the hover and definition providers and the commands', () => {
    assert.equal(registered.hovers.length, 1);
    assert.equal(registered.definitions.length, 1);
    for (const c of ['kmemmap.openKernelSource', 'kmemmap.chooseKernelVersion', 'kmemmap.reindexKernelSources'])
      assert.ok(registered.commands.has(c), c);
  });

  it('hovers a dmesg dump_page with the kernel from its banner; trusted only for our command', () => {
    const log =
      '[    0.000000] Linux version 6.1.0-26-amd64 (debian-kernel@lists.debian.org)\n[  9.9] flags: 0x17ffffc0010200(slab|head|node=0|zone=2|lastcpupid=0x1fffff)\n';
    const doc = fakeDocument(log, 'kmemmap-kernel-log');
    const h = (registered.hovers[0] as { provideHover: Provide }).provideHover(doc, { line: 1, character: 20 })!;
    assert.match(
      h.contents.value,
      /kernel 6\\\.1\\\.0\\-26\\-amd64 \\\(flag layout 5\\\.15\\-6\\\.1\\\) · from dmesg banner/,
    );
    assert.match(h.contents.value, /PG\\_slab PG\\_head/);
    assert.deepEqual(h.contents.isTrusted, { enabledCommands: ['kmemmap.openKernelSource'] });
  });

  it('names the 7.3 bits from a 7.3 banner, and says so when the banner names a release outside the tables', () => {
    const hp = registered.hovers[0] as { provideHover: Provide };
    const provide: Provide = (doc, pos) => hp.provideHover(doc, pos);
    const flags = '[  9.9] flags: 0x17ffffc0000048(uptodate|head|node=0|zone=2)\n';
    const h7 = provide(
      fakeDocument(
        '[    0.000000] Linux version 7.3.4+deb13-amd64 (debian-kernel@lists.debian.org)\n' + flags,
        'kmemmap-kernel-log',
      ),
      { line: 1, character: 20 },
    )!;
    assert.match(h7.contents.value, /flag layout 7\\\.2\\-7\\\.3/);
    assert.match(h7.contents.value, /PG\\_movable\\_ops/);
    const h8 = provide(
      fakeDocument(
        '[    0.000000] Linux version 8.1.0-1-amd64 (debian-kernel@lists.debian.org)\n' + flags,
        'kmemmap-kernel-log',
      ),
      { line: 1, character: 20 },
    )!;
    assert.match(
      h8.contents.value.replace(/\\/g, ''),
      /kernel "8\.1\.0-1-amd64" is newer than every kernel the tables cover \(the last is 7\.3\).*\(named by dmesg banner\)/,
    );
    assert.match(h8.contents.value, /no kernel known/);
  });

  // arm64 6.12 dump_page (mm/debug.c __dump_folio) as Debian's arm64 build prints it: node (4 bits) and zone
  // (3 bits) on top, lastcpupid (17 bits: NR_CPUS 512) below, PG_reserved = bit 13, MTE's PG_arch_2 = bit 23.
  const ARM64_DUMP = [
    '[  142.372201] page: refcount:1 mapcount:0 mapping:0000000000000000 index:0x0 pfn:0x4a1b2',
    '[  142.372215] flags: 0x1ffff0000002000(reserved|node=0|zone=0|lastcpupid=0x1ffff)',
    '[  142.372230] raw: 01ffff0000002000 fffffc1ffc1286c8 fffffc1ffc1286c8 0000000000000000',
    '[  142.372245] page dumped because: unmovable page',
    '[  142.372301] anon flags: 0x3ffff0000820028(uptodate|lru|swapbacked|arch_2|node=0|zone=1|lastcpupid=0x1ffff)',
  ];
  const plain = (h: HoverLike) => h.contents.value.replace(/\\/g, '');

  it('decodes an arm64 dump_page with the arm64 layout when the banner says arm64', () => {
    const hp = registered.hovers[0] as { provideHover: Provide };
    const doc = fakeDocument(
      '[    0.000000] Linux version 6.12.118+deb12-arm64 (debian-kernel@lists.debian.org) (gcc-12)\n' +
        ARM64_DUMP.join('\n') +
        '\n',
      'kmemmap-kernel-log',
    );
    const h = plain(hp.provideHover(doc, { line: 2, character: 30 })!);
    assert.match(h, /flag layout 6\.12-6\.13, arm64/);
    assert.match(h, /set: PG_reserved$/m);
    assert.match(h, /zone 0 \(DMA\) as printed$/m, 'our arm64 field widths agree with what the kernel printed');
    assert.match(h, /matches this layout/);
    assert.match(h, /NR_PAGEFLAGS 25/);
    const mte = plain(hp.provideHover(doc, { line: 5, character: 30 })!);
    assert.match(mte, /set: PG_uptodate PG_lru PG_swapbacked PG_arch_2$/m);
    assert.match(mte, /PG_mte_tagged\(=PG_arch_2\)/);
    assert.match(mte, /matches this layout/);
  });

  it("decodes the arm64 lab guests' own dump_page lines (6.12 and 7.3, 4 and 16 KiB pages; offline-block dmesg) as the kernel printed them", () => {
    const hp = registered.hovers[0] as { provideHover: Provide };
    for (const [flavour, v] of [
      ['arm64', '6.12'],
      ['arm64', '7.3'],
      ['arm64-16k', '6.12'],
      ['arm64-16k', '7.3'],
    ]) {
      const text = readFileSync(
        resolve(__dirname, `../../../../test/fixtures/dmesg/${flavour}-${v}-offline-block.dmesg`),
        'utf8',
      );
      const doc = fakeDocument(text, 'kmemmap-kernel-log');
      const lines = text.split('\n');
      const flagLines = lines.flatMap((l, i) => (/\] flags: 0x/.test(l) ? [i] : []));
      assert.ok(flagLines.length >= 2, `${v}: dump_page flags lines in the fixture`);
      for (const i of flagLines) {
        const h = plain(hp.provideHover(doc, { line: i, character: lines[i].indexOf('flags: ') + 10 })!);
        assert.match(
          h,
          new RegExp(
            `kernel ${v.replace('.', '\\.')}\\.\\d+\\+deb\\d+-${flavour} \\(flag layout [^,]+, arm64\\) · from dmesg banner`,
          ),
        );
        assert.match(h, /set: PG_reserved$/m, `${v} line ${i}`);
        assert.match(h, /zone 0 \(DMA\) as printed$/m, `${v}: arm64 field widths agree with the kernel`);
        assert.match(h, /matches this layout/, `${v} line ${i}`);
      }
    }
  });

  it('decodes a drgn REPL struct page of the arm64 lab guest with the arm64 layout (release from init_uts_ns)', () => {
    const hp = registered.hovers[0] as { provideHover: Provide };
    const text = readFileSync(
      resolve(__dirname, '../../../../test/fixtures/tools/arm64-6.12-drgn-repl-page.txt'),
      'utf8',
    );
    const lines = text.split('\n');
    const i = lines.findIndex((l) => l.includes('.flags = (unsigned long)'));
    assert.ok(i > 0, 'the fixture has the struct page flags line');
    const h = plain(
      hp.provideHover(fakeDocument(text, 'plaintext'), { line: i, character: lines[i].indexOf('flags') + 2 })!,
    );
    assert.match(h, /kernel 6\.12\.118\+deb12-arm64 \(flag layout 6\.12-6\.13, arm64\) · from drgn init_uts_ns/);
    assert.match(h, /PG_dcache_clean\(=PG_arch_1\)/);
    assert.match(h, /node 0, zone DMA \(.*Debian arm64\)/);
  });

  it('takes arm64 from a pstate trace line when no release says it, and from kmemmap.architecture otherwise', () => {
    const hp = registered.hovers[0] as { provideHover: Provide };
    config.set('kernelVersion', '6.12');
    const traced = fakeDocument(
      [
        '[  150.100001] pc : offline_pages+0x3a4/0x6c0',
        '[  150.100002] pstate: 60400005 (nZCv daif +PAN -UAO -TCO -DIT -SSBS BTYPE=--)',
        ...ARM64_DUMP,
      ].join('\n'),
      'kmemmap-kernel-log',
    );
    const h = plain(hp.provideHover({ ...traced, version: 3 }, { line: 3, character: 30 })!);
    assert.match(h, /arm64 from arm64 register dump \(pstate\)/);
    assert.match(h, /matches this layout/);
    // the same dump_page alone: x86_64 unless the setting says arm64
    const bare = fakeDocument(ARM64_DUMP.join('\n'), 'kmemmap-kernel-log');
    const x86 = plain(hp.provideHover({ ...bare, version: 4 }, { line: 1, character: 30 })!);
    assert.doesNotMatch(x86, /arm64/);
    assert.match(x86, /field widths differ from the Debian x86_64 assumption/);
    config.set('architecture', 'arm64');
    const set = plain(hp.provideHover({ ...bare, version: 4 }, { line: 1, character: 30 })!);
    assert.match(set, /arm64 from setting kmemmap\.architecture/);
    assert.match(set, /zone 0 \(DMA\) as printed$/m);
    config.delete('architecture');
    config.delete('kernelVersion');
  });

  it('says so, rather than decoding with x86_64, when an arm64 log names a release without an arm64 layout', () => {
    const hp = registered.hovers[0] as { provideHover: Provide };
    const doc = fakeDocument(
      '[    0.000000] Linux version 6.1.0-26-arm64 (debian-kernel@lists.debian.org)\n' + ARM64_DUMP.join('\n'),
      'kmemmap-kernel-log',
    );
    const h = plain(hp.provideHover(doc, { line: 2, character: 30 })!);
    assert.match(h, /arm64 page->flags layout is in the tables from 6\.12/);
    assert.match(h, /no kernel known/);
    assert.doesNotMatch(h, /set: PG_/);
  });

  it('uses the kmemmap.kernelVersion setting when chosen', () => {
    config.set('kernelVersion', '6.12');
    const doc = fakeDocument('[    0.000000] Linux version 6.1.0-26-amd64\n[  9.9] flags: 0x40(head)\n', 'log');
    const h = (registered.hovers[0] as { provideHover: Provide }).provideHover(
      { ...doc, version: 2 },
      { line: 1, character: 16 },
    )!;
    assert.match(h.contents.value, /setting kmemmap\.kernelVersion|setting kmemmap\\\.kernelVersion/);
    assert.match(h.contents.value, /matches this layout/);
    config.delete('kernelVersion');
  });

  it('goes to the definition in the workspace 6.12 tree from the patch', async function () {
    if (!state.workspaceFolders.length) return this.skip();
    if (!trees.find(['PageOffline']))
      await new Promise<void>((res) => {
        const d = trees.onDidChange(() => {
          d.dispose();
          res();
        });
      });
    const doc = fakeDocument(PATCH, 'diff', '/tmp/x.patch');
    const lines = PATCH.split('\n');
    const n = lines.findIndex((l) => l.startsWith('-') && l.includes('PageOffline(page) && page_count(page)'));
    const loc = await (registered.definitions[0] as { provideDefinition: Define }).provideDefinition(doc, {
      line: n,
      character: lines[n].indexOf('PageOffline') + 2,
    });
    assert.ok(loc);
    assert.match(loc!.uri.fsPath, /include\/linux\/page-flags\.h$/);
    assert.match(
      readFileSync(loc!.uri.fsPath, 'utf8').split('\n')[loc!.range.line],
      /^PAGE_TYPE_OPS\(Offline, offline, offline\)/,
    );
    // The hover now links through our command (a tree is open).
    const h = (registered.hovers[0] as { provideHover: Provide }).provideHover(doc, {
      line: n,
      character: lines[n].indexOf('PageOffline') + 2,
    })!;
    assert.match(h.contents.value, /\]\(command:kmemmap\.openKernelSource\?/);
    // The command opens the same place.
    await registered.commands.get('kmemmap.openKernelSource')!('offline_pages', '6.12.117');
    assert.match(state.opened.at(-1)!, /mm\/memory_hotplug\.c$/);
  });
});
