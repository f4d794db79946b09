// Our 5.10 and 7.2-7.3 tables against the real Debian trees, the way realTrees.test.ts checks 6.1 and
// 6.12: enum pageflags with the Debian config, 5.10's page-type bits, 7.x's enum pagetype and the
// VMCOREINFO keys the readers recognise 7.x by. scripts/kernel-sources-beyond.sh (run by npm test) fetches
// linux-source-5.10 (bullseye) and linux-source-7.3 (trixie-backports) with their linux-config-* through
// private apt lists and keeps the few files read here in $KMEMMAP_SRC_CACHE/linux-source-{5.10,7.3}, with
// the Debian amd64 config as .config. A tree that is missing fails its test, saying how to get it.
import * as assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { layoutFamily, type LayoutFamilyId } from '../../../kernel/pageflags';
import { pageTypeEncoding } from '../../../kernel/pagetypes';
import { parseEnum, readConfig, SRC_CACHE } from './realTrees';

const TREES: { v: string; family: LayoutFamilyId }[] = [
  { v: '5.10', family: '5.10' },
  { v: '7.3', family: '7.2-7.3' },
];

for (const t of TREES) {
  const tree = join(SRC_CACHE, `linux-source-${t.v}`);
  const missing = ['include/linux/page-flags.h', '.config', ...(t.v === '7.3' ? ['kernel/vmcore_info.c'] : [])].filter(
    (f) => !existsSync(join(tree, f)),
  );
  if (missing.length) {
    describe(`real Debian linux-source-${t.v}`, () =>
      it('the tree is there', () =>
        assert.fail(
          `${missing.join(', ')} missing under ${tree}: run scripts/kernel-sources-beyond.sh (fetches linux-source-${t.v} and linux-config-${t.v} through a private apt list)`,
        )));
    continue;
  }
  describe(`real Debian linux-source-${t.v}`, () => {
    const header = join(tree, 'include/linux/page-flags.h');
    const fam = layoutFamily(t.family);

    it('enum pageflags, with the Debian config, has exactly our bit numbers and aliases', () => {
      const e = parseEnum(header, 'pageflags', readConfig(tree));
      const hw = e.members.indexOf('PG_hwpoison');
      assert.ok(hw > 0);
      assert.deepEqual(
        e.members.slice(0, hw + 1).map((m) => m.slice(3)),
        fam.bits,
        'bits up to PG_hwpoison',
      );
      for (const extra of e.members.slice(hw + 1))
        assert.ok(fam.above.includes(extra.slice(3)), `${extra} above hwpoison is listed as config-dependent`);
      for (const [alias, base] of e.aliases) {
        if (!fam.bits.includes(base.slice(3))) continue;
        const ours = fam.aliases.filter((a) => a.name === alias.slice(3));
        assert.ok(ours.length, `alias ${alias} = ${base} missing from our table`);
        assert.ok(
          ours.some((a) => `PG_${a.of}` === base),
          `${alias}: ours ${ours.map((a) => a.of).join('/')}, header ${base}`,
        );
      }
    });

    if (t.v === '5.10')
      it('page types: PAGE_TYPE_BASE and the PG_* type bits equal the 5.10 encoding (bits cleared in the base)', () => {
        const text = readFileSync(header, 'utf8');
        const def = (n: string) => Number(new RegExp(`#define ${n}\\s+(0x[0-9a-f]+)`).exec(text)![1]);
        assert.equal(def('PAGE_TYPE_BASE'), 0xf0000000);
        const enc = pageTypeEncoding('5.10');
        for (const n of ['buddy', 'offline', 'kmemcg', 'table', 'guard'] as const)
          assert.equal(enc.values[n], (0xffffffff & ~def(`PG_${n}`)) >>> 0, n);
      });

    if (t.v === '7.3')
      it('enum pagetype equals the >=6.12 encoding; VMCOREINFO names page.compound_info and no kallsyms_relative_base', () => {
        const enc = pageTypeEncoding('>=6.12');
        const text = readFileSync(header, 'utf8');
        for (const [name, v] of Object.entries(enc.values))
          assert.match(text, new RegExp(`PGTY_${name}\\s*=\\s*0x${(v! >>> 24).toString(16)},`), name);
        const vi = readFileSync(join(tree, 'kernel/vmcore_info.c'), 'utf8');
        assert.match(vi, /VMCOREINFO_OFFSET\(page, compound_info\)/);
        assert.doesNotMatch(vi, /VMCOREINFO_OFFSET\(page, compound_head\)/);
        assert.doesNotMatch(vi, /kallsyms_relative_base/);
      });
  });
}
