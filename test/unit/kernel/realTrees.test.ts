// Checks our tables and the source index against the real Debian 6.1 and 6.12 trees.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { layoutFamily, familyFromRelease } from '../../../kernel/pageflags';
import { PAGE_TYPE_ENCODINGS } from '../../../kernel/pagetypes';
import { KPF } from '../../../kernel/kpf';
import { SECTION_FLAG_BITS } from '../../../kernel/sections';
import { decodeFlagsWord, resolveKernel } from '../../../kernel/decode';
import { buildSourceIndex, findDefinition, type SourceIndexData } from '../../../kernel/sourceIndex/indexer';
import { treeVersion } from '../../../kernel/sourceIndex/detectTree';
import { parseEnum, readConfig, realTree } from './realTrees';

const TREES = [
  { v: '6.1' as const, family: '5.15-6.1' as const },
  { v: '6.12' as const, family: '6.12-6.13' as const },
];

for (const t of TREES) {
  describe(`real Debian linux-source-${t.v}`, function () {
    this.timeout(600_000);
    let tree: string | undefined;
    let index: SourceIndexData;

    before(async function () {
      tree = realTree(t.v);
      if (!tree) return this.skip();
      index = await buildSourceIndex(tree);
    });

    const lineOf = (file: string, line: number) => readFileSync(join(tree!, file), 'utf8').split('\n')[line - 1];

    it('Makefile version picks the expected layout family', () => {
      const v = treeVersion(tree!)!;
      assert.match(v, new RegExp(`^${t.v.replace('.', '\\.')}\\.\\d+$`));
      assert.equal(familyFromRelease(v)?.id, t.family);
    });

    it('enum pageflags, with the Debian config, has exactly our bit numbers and aliases', () => {
      const config = readConfig(tree!);
      assert.ok(config.has('CONFIG_64BIT'), 'Debian .config present');
      const e = parseEnum(join(tree!, 'include/linux/page-flags.h'), 'pageflags', config);
      const fam = layoutFamily(t.family);
      const hw = e.members.indexOf('PG_hwpoison');
      assert.ok(hw > 0);
      assert.deepEqual(
        e.members.slice(0, hw + 1).map((m) => m.slice(3)),
        fam.bits,
        'bits up to PG_hwpoison',
      );
      for (const extra of e.members.slice(hw + 1))
        assert.ok(fam.above.includes(extra.slice(3)), `${extra} above hwpoison is listed as config-dependent`);
      // Every alias we list that exists in this header must point at the same base flag.
      const [maj, min] = t.v.split('.').map(Number);
      const inRange = (v: string | undefined, dir: 1 | -1) => {
        if (!v) return true;
        const [M, m] = v.split('.').map(Number);
        return dir * (maj !== M ? maj - M : min - m) >= 0;
      };
      for (const a of fam.aliases) {
        if (!inRange(a.since, 1) || !inRange(a.until, -1)) continue;
        const real = e.aliases.get(`PG_${a.name}`);
        if (real === undefined) continue;
        assert.equal(real, `PG_${a.of}`, `PG_${a.name}`);
      }
      // …and every header alias of a base flag is known to us (second-page and version-specific ones included).
      const ours = new Set(fam.aliases.map((a) => a.name));
      for (const [alias, base] of e.aliases)
        if (fam.bits.includes(base.slice(3)))
          assert.ok(ours.has(alias.slice(3)), `alias ${alias} = ${base} missing from our table`);
    });

    it("decodes raw words with this tree's layout (PG_head moved from bit 16 to bit 6)", () => {
      const k = resolveKernel(treeVersion(tree!)!)!;
      const e = parseEnum(join(tree!, 'include/linux/page-flags.h'), 'pageflags', readConfig(tree!));
      const head = e.members.indexOf('PG_head');
      assert.equal(head, t.v === '6.1' ? 16 : 6);
      assert.deepEqual(decodeFlagsWord(1n << BigInt(head), k).flags, ['PG_head']);
      // The same word means different things on the two layouts.
      assert.deepEqual(
        decodeFlagsWord(0x10040n, k).flags,
        t.v === '6.1' ? ['PG_workingset', 'PG_head'] : ['PG_head', 'PG_reclaim'],
      );
      for (const [i, m] of e.members.entries()) {
        if (i > e.members.indexOf('PG_hwpoison')) break;
        assert.deepEqual(decodeFlagsWord(1n << BigInt(i), k).flags, [m], `bit ${i}`);
      }
    });

    it('page types match the header (PG_buddy-style defines on 6.1, enum pagetype on 6.12)', () => {
      const text = readFileSync(join(tree!, 'include/linux/page-flags.h'), 'utf8');
      if (t.v === '6.1') {
        const enc = PAGE_TYPE_ENCODINGS.find((x) => x.id === '<=6.10')!;
        const base = Number(/#define PAGE_TYPE_BASE\s+(0x[0-9a-f]+)/.exec(text)![1]);
        for (const [name, v] of Object.entries(enc.values)) {
          const m = new RegExp(`#define PG_${name}\\s+(0x[0-9a-f]+)`).exec(text);
          if (!m) continue; // hugetlb/slab types arrived after 6.1
          assert.equal(v, (0xffffffff & ~Number(m[1])) >>> 0, name);
          assert.equal((v & 0xf0000000) >>> 0, base, `${name} keeps PAGE_TYPE_BASE`);
        }
      } else {
        const e = parseEnum(join(tree!, 'include/linux/page-flags.h'), 'pagetype', readConfig(tree!));
        const enc = PAGE_TYPE_ENCODINGS.find((x) => x.id === '>=6.12')!;
        const body = /enum pagetype \{([\s\S]*?)\};/.exec(text)![1];
        for (const m of body.matchAll(/PGTY_(\w+)\s*=\s*(0x[0-9a-f]+)/g)) {
          if (m[1] === 'mapcount_underflow') continue;
          assert.equal((enc.values as Record<string, number>)[m[1]], (Number(m[2]) << 24) >>> 0, m[1]);
        }
        assert.ok(e.members.length >= 0);
      }
    });

    it('KPF bits match include/uapi/linux/kernel-page-flags.h and include/linux/kernel-page-flags.h', () => {
      for (const f of ['include/uapi/linux/kernel-page-flags.h', 'include/linux/kernel-page-flags.h']) {
        for (const m of readFileSync(join(tree!, f), 'utf8').matchAll(/#define KPF_(\w+)\s+(\d+)/g)) {
          const ours = (KPF as Record<string, number>)[m[1] === 'OWNER_2' ? 'MAPPEDTODISK' : m[1]];
          assert.equal(ours, Number(m[2]), `KPF_${m[1]}`);
        }
      }
    });

    it('section flag bits match the mmzone.h enum', () => {
      const text = readFileSync(join(tree!, 'include/linux/mmzone.h'), 'utf8').split('\n');
      const start = text.findIndex((l) => /SECTION_MARKED_PRESENT_BIT,/.test(l));
      let bit = 0;
      for (const l of text.slice(start, start + 12)) {
        const m = /^\s*(SECTION_\w+)_BIT,/.exec(l);
        if (m?.[1] === 'SECTION_MAP_LAST') break;
        if (!m) continue;
        assert.equal(SECTION_FLAG_BITS.find((s) => s.name === m[1])?.bit, bit, m[1]);
        bit++;
      }
      assert.ok(bit >= 4);
    });

    it('index finds enum pageflags, PageOffline, offline_pages and KPF_OFFLINE at their lines', () => {
      const cases: [string, string, RegExp][] = [
        ['enum pageflags', 'include/linux/page-flags.h', /^enum pageflags \{/],
        ['PageOffline', 'include/linux/page-flags.h', /^PAGE_TYPE_OPS\(Offline, offline/],
        ['offline_pages', 'mm/memory_hotplug.c', /\boffline_pages\(unsigned long start_pfn/],
        ['KPF_OFFLINE', 'include/uapi/linux/kernel-page-flags.h', /^#define KPF_OFFLINE\s+23/],
        ['pfn_to_online_page', 'mm/memory_hotplug.c', /^struct page \*pfn_to_online_page\(/],
        ['struct page', 'include/linux/mm_types.h', /^struct page \{/],
        ['struct mem_section', 'include/linux/mmzone.h', /^struct mem_section \{/],
        ['SECTION_IS_ONLINE_BIT', 'include/linux/mmzone.h', /SECTION_IS_ONLINE_BIT,/],
        ['scan_movable_pages', 'mm/memory_hotplug.c', /scan_movable_pages\(/],
        ['virtio_mem_fake_offline', 'drivers/virtio/virtio_mem.c', /virtio_mem_fake_offline\(/],
        ['PG_head', 'include/linux/page-flags.h', /^\s*PG_head,/],
      ];
      for (const [sym, file, re] of cases) {
        const d = findDefinition(index, sym);
        assert.ok(d, `${sym} indexed`);
        assert.equal(d!.file, file, sym);
        assert.match(lineOf(file, d!.line), re, `${sym} at ${file}:${d!.line}`);
      }
      // Reference line numbers for these Debian trees (docs/kernel/README.md, "Source line numbers").
      const expect = t.v === '6.1' ? { pageflags: 100, offline: 1798 } : { pageflags: 93, offline: 1961 };
      assert.equal(findDefinition(index, 'enum pageflags')!.line, expect.pageflags);
      assert.equal(findDefinition(index, 'offline_pages')!.line, expect.offline);
      if (t.v === '6.12') assert.equal(findDefinition(index, 'PGTY_offline')?.file, 'include/linux/page-flags.h');
    });
  });
}
