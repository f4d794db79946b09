// Knowledge base: symbol spellings, completeness, rendering, CLI-level decoding.

import assert from 'node:assert/strict';
import { ALL_ENTRIES, lookupSymbol } from '../../../kernel/knowledge/index';
import { renderMarkdown, renderText, escapeMarkdown } from '../../../kernel/knowledge/render';
import { bitFacts } from '../../../kernel/knowledge/bitFacts';
import { elixirUrl } from '../../../kernel/knowledge/elixir';
import { LAYOUT_FAMILIES } from '../../../kernel/pageflags';
import { KPF } from '../../../kernel/kpf';
import { PAGE_CLASSES } from '../../../kernel/pageClasses';
import { decodeFlagsWord, decodeKpfWord, decodePageTypeWord, resolveKernel } from '../../../kernel/decode';
import { detectKernelInText } from '../../../kernel/knowledge/detectKernel';

const first = (s: string) => lookupSymbol(s)[0]?.name;

describe('knowledge: symbol lookup', () => {
  it('resolves every spelling a kernel developer reads', () => {
    const cases: [string, string][] = [
      ['PG_head', 'PG_head'],
      ['PageHead', 'PG_head'],
      ['SetPageDirty', 'PG_dirty'],
      ['__SetPageOffline', 'PGTY_offline'],
      ['PageOffline', 'PGTY_offline'],
      ['folio_test_offline', 'PGTY_offline'],
      ['__ClearPageOfflineSkippable', 'PG_offline_skippable'],
      ['PageOfflineSkippable', 'PG_offline_skippable'],
      ['folio_test_lru', 'PG_lru'],
      ['PageLRU', 'PG_lru'],
      ['PageHWPoison', 'PG_hwpoison'],
      ['PageSwapCache', 'PG_swapcache'],
      ['PageMappedToDisk', 'PG_mappedtodisk'],
      ['PageAnonExclusive', 'PG_anon_exclusive'],
      ['PageHuge', 'PGTY_hugetlb'],
      ['PageBuddy', 'PGTY_buddy'],
      ['PG_buddy', 'PGTY_buddy'],
      ['PAGE_BUDDY_MAPCOUNT_VALUE', 'PGTY_buddy'],
      ['PAGE_OFFLINE_MAPCOUNT_VALUE', 'PGTY_offline'],
      ['KPF_OFFLINE', 'KPF_OFFLINE'],
      ['KPF_OWNER_2', 'KPF_MAPPEDTODISK'],
      ['KPF_BALLOON', 'KPF_OFFLINE'],
      ['SECTION_IS_ONLINE_BIT', 'SECTION_IS_ONLINE'],
      ['SECTION_MAP_MASK', 'SECTION_MAP_LAST_BIT'],
      ['PAGE_MAPPING_MOVABLE', 'PAGE_MAPPING_MOVABLE'],
      ['FOLIO_MAPPING_ANON_KSM', 'FOLIO_MAPPING_ANON_KSM'],
      ['MEM_GOING_OFFLINE', 'MEM_GOING_OFFLINE'],
      ['pfn_to_online_page', 'pfn_to_online_page'],
      ['offline_pages', 'offline_pages'],
      ['scan_movable_pages', 'scan_movable_pages'],
      ['has_unmovable_pages', 'has_unmovable_pages'],
      ['balloon_page_insert', 'balloon_page_insert'],
      ['virtio_mem_fake_offline', 'virtio_mem_fake_offline'],
      ['mem_section', 'struct mem_section'],
      ['struct page', 'struct page'],
      ['offline-skippable', 'offline-skippable'],
      ['PGTY_large_kmalloc', 'PGTY_large_kmalloc'],
      ['PAGE_TYPE_BASE', 'PAGE_TYPE_BASE'],
    ];
    for (const [sym, want] of cases) assert.equal(first(sym), want, sym);
    assert.deepEqual(
      lookupSymbol('PageSlab')
        .map((e) => e.name)
        .sort(),
      ['PGTY_slab', 'PG_slab'],
    );
    assert.deepEqual(lookupSymbol('page'), []);
    assert.deepEqual(lookupSymbol('online'), []);
  });

  it('covers every PG_ name of every layout family, every KPF bit and every page class', () => {
    for (const f of LAYOUT_FAMILIES)
      for (const n of [...f.bits, ...f.above, ...f.aliases.map((a) => a.name)])
        assert.ok(lookupSymbol(`PG_${n}`).length, `PG_${n}`);
    for (const n of Object.keys(KPF)) assert.ok(lookupSymbol(`KPF_${n}`).length, `KPF_${n}`);
    for (const c of PAGE_CLASSES) assert.ok(lookupSymbol(c).length, c);
  });

  it('every entry has a meaning, versions and (except our classes) a source to jump to', () => {
    for (const e of ALL_ENTRIES) {
      assert.ok(e.meaning.length > 10, e.name);
      assert.ok(e.versions, e.name);
      if (e.kind !== 'page-class') assert.ok(e.source.length && e.source[0].file.includes('/'), e.name);
    }
  });

  it('bit facts come from the shared tables and mark the target kernel', () => {
    const k = resolveKernel('6.12.117+deb12-amd64')!;
    const facts = bitFacts(lookupSymbol('PG_head')[0], k.family);
    assert.deepEqual(
      facts.map((f) => f.what.split(' ').slice(0, 2).join(' ')),
      ['bit 16', 'bit 16', 'bit 6', 'bit 6', 'bit 6', 'bit 6', 'bit 6'],
    );
    assert.equal(facts.find((f) => f.current)?.where, '6.12–6.13');
    const skippable = bitFacts(lookupSymbol('PG_offline_skippable')[0]);
    assert.match(skippable.find((f) => f.where === '6.12–6.13')!.what, /bit 11 \(= PG_owner_2\)/);
    // the unmerged series is in no 7.x tree: the 7.2-7.3 family does not name it
    assert.equal(skippable.find((f) => f.where === '7.2–7.3')!.what, 'absent');
    assert.match(
      bitFacts(lookupSymbol('PGTY_offline')[0])
        .map((f) => f.what)
        .join('\n'),
      /0xfffffeff[\s\S]*0xdfffffff[\s\S]*0xf1000000, VMCOREINFO -251658240/,
    );
  });

  it('renders text (CLI) and markdown (hover) naming the kernel version and linking the definition', () => {
    const k = resolveKernel('6.12.117')!;
    const text = renderText(lookupSymbol('PageOffline'), k);
    assert.match(text, /PGTY_offline {2}\[page-type\] {2}— kernel 6\.12\.117 \(flag layout 6\.12-6\.13\)/);
    assert.match(text, /refcount|MEM_GOING_OFFLINE/);
    const md = renderMarkdown(lookupSymbol('offline_pages'), k);
    assert.match(md, /kernel 6\\\.12\\\.117/);
    assert.match(md, /\]\(https:\/\/elixir\.bootlin\.com\/linux\/v6\.12\.117\/source\/mm\/memory_hotplug\.c#L1961\)/);
    assert.match(renderMarkdown(lookupSymbol('PG_head'), undefined), /no kernel selected/);
  });

  it('Elixir links: exact line only for the tag the line was read from, identifier search otherwise', () => {
    const ref = { file: 'include/linux/page-flags.h', symbol: 'enum pageflags', lines: { '6.1': 100, '6.12': 93 } };
    assert.equal(
      elixirUrl(ref, '6.1.192'),
      'https://elixir.bootlin.com/linux/v6.1.192/source/include/linux/page-flags.h#L100',
    );
    assert.equal(elixirUrl(ref, '6.1'), 'https://elixir.bootlin.com/linux/v6.1/A/ident/pageflags');
  });

  it('escapes markdown', () => {
    assert.equal(escapeMarkdown('[x](command:evil)'), '\\[x\\]\\(command:evil\\)');
  });
});

describe('decode: version-aware raw words', () => {
  const k61 = resolveKernel('6.1')!;
  const k612 = resolveKernel('6.12')!;

  it('gives different, correct names for the same flags word on 6.1 and 6.12', () => {
    assert.deepEqual(decodeFlagsWord(0x10000n, k61).flags, ['PG_head']);
    assert.deepEqual(decodeFlagsWord(0x10000n, k612).flags, ['PG_reclaim']);
    assert.deepEqual(decodeFlagsWord(0x40n, k61).flags, ['PG_workingset']);
    assert.deepEqual(decodeFlagsWord(0x40n, k612).flags, ['PG_head']);
    // crash kmem -p row of a 6.1 slab head: "fffffc0010200 slab,head"
    const d = decodeFlagsWord(0xfffffc0010200n, k61);
    assert.deepEqual(d.flags, ['PG_slab', 'PG_head']);
    assert.equal(d.zone, 'DMA32'); // physical 0x104e000 in crash's row: below 4 GiB
    assert.deepEqual(
      decodeFlagsWord(0x800n, k612, { pageState: 'offline' }).aliases.includes('PG_offline_skippable(=PG_owner_2)'),
      true,
    );
  });

  it('decodes page_type for 6.1 (PG_buddy-style), 6.11 and 6.12 (PGTY, top byte alone too)', () => {
    assert.equal(decodePageTypeWord(0xfffffeff, k61).results[0].typeName, 'offline');
    assert.equal(decodePageTypeWord(0xf1, k612).results[0].typeName, 'offline');
    assert.equal(decodePageTypeWord(0xf0000000, k612).results[0].typeName, 'buddy');
    assert.equal(decodePageTypeWord(0xffffffff, k612).results[0].meaning, 'mapcount 0');
    const fam = resolveKernel('6.10-6.11')!;
    assert.deepEqual(
      decodePageTypeWord(0xdfffffff, fam).results.map((r) => r.typeName),
      [undefined, 'offline'],
    );
    assert.equal(decodePageTypeWord(0xdfffffff, resolveKernel('6.11.3')!).results[0].typeName, 'offline');
  });

  it('decodes kpageflags with version notes', () => {
    const d = decodeKpfWord((1n << 23n) | (1n << 34n), k612);
    assert.deepEqual(d.bits, ['KPF_OFFLINE', 'KPF_MAPPEDTODISK']);
    assert.ok(d.notes.some((n) => /offline_skippable|PG_offline_skippable/.test(n)));
    assert.ok(decodeKpfWord(1n << 20n, resolveKernel('6.16')!).notes.some((n) => /NOPAGE/.test(n)));
  });

  it('rejects unknown kernels', () => {
    assert.equal(resolveKernel('4.19'), undefined);
    assert.equal(resolveKernel('banana'), undefined);
  });
});

describe('detectKernelInText', () => {
  it('reads crash sys, dmesg banner, VMCOREINFO and oops headers', () => {
    assert.deepEqual(
      detectKernelInText('      KERNEL: vmlinux\n    DUMPFILE: vmcore\n     RELEASE: 6.1.0-26-amd64\n'),
      { release: '6.1.0-26-amd64', origin: 'crash sys' },
    );
    assert.equal(
      detectKernelInText('[    0.000000] Linux version 6.12.117+deb12-amd64 (debian-kernel@lists.debian.org)')?.release,
      '6.12.117+deb12-amd64',
    );
    assert.equal(detectKernelInText('OSRELEASE=6.18.2\nPAGESIZE=4096')?.origin, 'VMCOREINFO');
    assert.equal(
      detectKernelInText('CPU: 1 PID: 77 Comm: bash Not tainted 6.12.117+deb12-amd64 #1  Debian')?.release,
      '6.12.117+deb12-amd64',
    );
    assert.equal(detectKernelInText('nothing here'), undefined);
  });
});
