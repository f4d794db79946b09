// Every documented `kmemmap ... --json` shape (diff included) (README, "JSON output") checked against the written
// schema docs/schemas/cli-json.schema.json, on the bundled sample, a real lab vmcore and a real drgn
// export: an accidental change of the contract fails here.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import { requireSet } from '../../lab/sets';
import { openVmcoreSnapshot } from '../../../memmap/vmcoreSnapshot';
import { CLASS_ID, PAGE_CLASSES, PageClass } from '../../../kernel/pageClasses';

const ROOT = resolve(__dirname, '../../../..');
const CLI = resolve(ROOT, 'out/cli/kmemmap.js');
const SAMPLE = resolve(ROOT, 'samples/sample-6.12-virtio-mem.tar.gz');
const DRGN_EXPORT = resolve(ROOT, 'test/fixtures/tools/drgn-0.0.22-6.12-load-export-cut.tsv');
const schema = JSON.parse(readFileSync(resolve(ROOT, 'docs/schemas/cli-json.schema.json'), 'utf8'));
const ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false, allowUnionTypes: true });
ajv.addSchema(schema);

const json = (...args: string[]) =>
  JSON.parse(execFileSync(process.execPath, [CLI, ...args, '--json'], { encoding: 'utf8', maxBuffer: 256 << 20 }));

function assertShape(def: string, value: unknown): void {
  const validate = ajv.getSchema(`${schema.$id}#/$defs/${def}`);
  assert.ok(validate, `schema has $defs/${def}`);
  const ok = validate(value);
  assert.ok(ok, `${def}: ${ajv.errorsText(validate.errors, { separator: '\n' })}`);
}

describe('CLI --json output matches its written schema', function () {
  this.timeout(300_000);

  it('the schema names exactly the page classes of kernel/pageClasses.ts', () => {
    assert.deepEqual(schema.$defs.pageClass.enum, [...PAGE_CLASSES]);
  });

  it('rejects what the contract does not allow (the schema can fail)', () => {
    const v = ajv.getSchema(`${schema.$id}#/$defs/summary`)!;
    const good = json('summary', SAMPLE);
    assert.ok(v(good));
    assert.equal(v({ ...good, extra: 1 }), false, 'an unknown top-level field');
    assert.equal(v({ ...good, classes: { ...good.classes, 'no-such-class': 3 } }), false, 'an unknown class');
    assert.equal(
      v({
        ...good,
        blocks: [{ ...good.blocks[0], offline: { mainline: { ok: false }, offlineSkippablePatch: { ok: true } } }],
      }),
      false,
      'a failing verdict without a reason',
    );
  });

  for (const [name, file] of [
    ['sample capture', SAMPLE],
    ['drgn export', DRGN_EXPORT],
  ] as const) {
    it(`${name}: summary, sections, blocks, export`, () => {
      const s = json('summary', file);
      assertShape('summary', s);
      assertShape('sections', json('sections', file));
      assertShape('blocks', json('blocks', file));
      const e = json('export', file);
      assertShape('export', e);
      // the runs cover the snapshot's PFN range exactly, and their sum per class is the class count
      const sum: Record<string, number> = {};
      let next = s.pfns.start;
      for (const [first, count, cls] of e.runs as [number, number, string][]) {
        assert.equal(first, next, 'runs are contiguous');
        next += count;
        sum[cls] = (sum[cls] ?? 0) + count;
      }
      assert.equal(next, s.pfns.end);
      assert.deepEqual(sum, s.classes);
    });
  }

  it('sample capture: page of each class present', () => {
    const s = json('summary', SAMPLE);
    const runs = json('export', SAMPLE).runs as [number, number, PageClass][];
    for (const cls of Object.keys(s.classes)) {
      const run = runs.find((r) => r[2] === cls)!;
      const p = json('page', SAMPLE, String(run[0]));
      assertShape('page', p);
      assert.equal(p.class, cls);
    }
  });

  it('real 6.12 vmcore: summary and a page of each class present', async () => {
    const set = requireSet({ kernel: '6.12', scenario: 'virtio-mem' });
    assertShape('summary', json('summary', set.kdump));
    const snap = await openVmcoreSnapshot([set.kdump]);
    for (const cls of PAGE_CLASSES) {
      const i = snap.classes.indexOf(CLASS_ID[cls]);
      if (i < 0) continue;
      const p = json('page', set.kdump, String(snap.startPfn + i));
      assertShape('page', p);
      assert.equal(p.class, cls);
    }
  });

  it('diff: two lab snapshots of one guest, and the sample against a drgn export', () => {
    const a = requireSet({ kernel: '6.12', scenario: 'balloon' }),
      b = requireSet({ kernel: '6.12', scenario: 'virtio-mem' });
    const d = json('diff', a.elf, b.kdump);
    assertShape('diff', d);
    assert.ok(d.runs.length > 0 && d.blocks.length > 0);
    assertShape('diff', json('diff', SAMPLE, DRGN_EXPORT));
  });

  it('explain and decode', () => {
    for (const sym of [
      'PG_offline',
      'KPF_OFFLINE',
      'PageOfflineSkippable',
      'SECTION_IS_ONLINE',
      'offline_pages',
      'offline-skippable',
    ]) {
      assertShape('explain', json('explain', sym));
      assertShape('explain', json('explain', sym, '--kernel', '6.12'));
    }
    assertShape('decodeFlags', json('decode', '--kernel', '6.1', '--flags', '0x17ffffc0010200'));
    assertShape('decodeFlags', json('decode', '--kernel', '6.12', '--flags', '0x40', '--no-fields'));
    assertShape('decodePageType', json('decode', '--kernel', '6.12', '--page-type', '0xf0000000'));
    assertShape('decodePageType', json('decode', '--kernel', '6.1', '--page-type', '0xffffff7f'));
    assertShape('decodeKpf', json('decode', '--kernel', '6.12', '--kpf', '0x100400'));
  });
});
