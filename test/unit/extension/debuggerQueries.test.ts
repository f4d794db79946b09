// The pure parts of "Ask crash/drgn About a Page": query building, answer parsing, settings, messages.
import * as assert from 'node:assert/strict';
import { BackendError } from '../../../backends/toolBackend';
import { formatAnswer, headline, parseDrgnAnswer, crashError } from '../../../extension/debugger/answer';
import { crashPageCommand, parseCrashKmem } from '../../../extension/debugger/crashQuery';
import {
  backendSpec,
  configProblem,
  debuggerConfig,
  drgnPython,
  dumpProblem,
  failureMessage,
  releaseMismatch,
} from '../../../extension/debugger/debuggerConfig';
import { drgnDefineCommand, drgnPageCommand } from '../../../extension/debugger/drgnQuery';
import { parsePfnInput } from '../../../extension/debugger/pfnInput';

// Real crash 8.0.2 output on the lab's 6.1 baseline dump (`kmem -P 0x1046000`, a kmalloc-16 slab page).
const CRASH_SLAB = `CACHE             OBJSIZE  ALLOCATED     TOTAL  SLABS  SSIZE  NAME
ffff8aac81042300       16       1341      1536      6     4k  kmalloc-16
  SLAB              MEMORY            NODE  TOTAL  ALLOCATED  FREE
  fffffb68c0041180  ffff8aac81046000     0    256        256     0
  FREE / [ALLOCATED]
  [ffff8aac81046000]

      PAGE       PHYSICAL      MAPPING       INDEX CNT FLAGS
fffffb68c0041180  1046000 ffff8aac81042300        0  1 fffffc0000200 slab`;
const CRASH_FILE = `      PAGE       PHYSICAL      MAPPING       INDEX CNT FLAGS
fffffb68c0b58080 2d602000 ffff8aac8221aff8       a9  1 fffffc008001e referenced,uptodate,dirty,lru,swapbacked`;
// Real drgn 0.0.22 output of kmx_page on the lab's 6.12 baseline dump.
const DRGN_FILE =
  'release\t6.12.117+deb12-amd64\npage\t0xfffff0da405680c0\nslab\tno\nmapping\t0xffff8e0281e3fd50\nmapping.kind\tfile\ninode.ino\t21\ninode.fs\trootfs\nfile\t/bin/labload\nfile.offset\t139264';

describe('debugger queries and answers', () => {
  it('builds single-line commands (the sentinel protocol needs one line each)', () => {
    assert.equal(crashPageCommand(0x1046, 4096), 'kmem -P 0x1046000');
    assert.equal(drgnPageCommand(0x15a03), 'print(kmx_page(0x15a03))');
    const def = drgnDefineCommand();
    assert.ok(!/[\r\n]/.test(def), 'the helper definition is one line');
    assert.match(def, /^exec\(".*def kmx_page\(pfn\):.*"\)$/);
    assert.throws(() => drgnPageCommand(-1));
  });

  it('parses crash kmem -P: the page row and the slab cache', () => {
    const f = parseCrashKmem(CRASH_SLAB);
    const get = (k: string) => f.find((x) => x.key === k)?.value;
    assert.equal(get('slab_cache'), 'kmalloc-16');
    assert.equal(get('slab_cache.object_size'), '16');
    assert.equal(get('page'), '0xfffffb68c0041180');
    assert.equal(get('flags.decoded'), 'slab');
    assert.equal(headline({ tool: 'crash', pfn: 0x1046, fields: f, raw: CRASH_SLAB }), 'slab page of cache kmalloc-16');
    const file = parseCrashKmem(CRASH_FILE);
    assert.equal(file.find((x) => x.key === 'mapping')?.value, '0xffff8aac8221aff8');
    assert.equal(
      file.some((x) => x.key === 'slab_cache'),
      false,
    );
    assert.equal(crashError('kmem: invalid physical address: 0x123'), 'kmem: invalid physical address: 0x123');
  });

  it('parses the drgn helper lines and a traceback', () => {
    const a = parseDrgnAnswer(DRGN_FILE);
    assert.equal(a.error, undefined);
    assert.equal(
      headline({ tool: 'drgn', pfn: 1, ...a, raw: DRGN_FILE }),
      'page-cache page of /bin/labload at offset 139264',
    );
    const tb = parseDrgnAnswer(
      'Traceback (most recent call last):\n  File "<string>", line 1\nFaultError: could not read memory from kdump: 0x0',
    );
    assert.equal(tb.error, 'FaultError: could not read memory from kdump: 0x0');
  });

  it('shows tool output as plain text in the report', () => {
    const raw = 'file\t<img src=x onerror=alert(1)> [link](command:foo)';
    const text = formatAnswer({ tool: 'drgn', pfn: 16, ...parseDrgnAnswer(raw), raw }, '/d/vmcore', '/v/vmlinux');
    assert.ok(
      text.startsWith('PFN 0x10 (16) — drgn: page-cache page of <img src=x onerror=alert(1)> [link](command:foo)'),
    );
    assert.ok(text.includes('--- drgn output ---'));
  });

  it('reads settings with defaults; none is never an error that runs anything', () => {
    const d = debuggerConfig({});
    assert.deepEqual(d, { tool: 'none', vmlinux: '', crashPath: 'crash', drgnPath: 'drgn', timeoutMs: 120000 });
    assert.match(configProblem(d)!, /kmemmap\.debugger\.tool/);
    assert.match(configProblem(debuggerConfig({ tool: 'drgn' }))!, /kmemmap\.debugger\.vmlinux/);
    const c = debuggerConfig({ tool: 'crash', vmlinux: ' /v ', timeoutSeconds: 5, crashPath: '/opt/crash' });
    assert.equal(configProblem(c), undefined);
    assert.equal(c.timeoutMs, 5000);
    const spec = backendSpec(c, '/d/vmcore');
    assert.deepEqual([spec.command, spec.args], ['/opt/crash', ['-s', '--no_scroll', '/v', '/d/vmcore']]);
    assert.throws(() => backendSpec(d, '/d/vmcore'));
  });

  it('runs a drgn launcher script with its own interpreter', () => {
    assert.equal(drgnPython('python3'), 'python3');
    assert.equal(
      drgnPython('/usr/bin/drgn', () => '#!/usr/bin/python3'),
      '/usr/bin/python3',
    );
    assert.equal(
      drgnPython('/x/drgn', () => '#!/usr/bin/env python3.11'),
      'python3.11',
    );
    assert.equal(
      drgnPython('/x/drgn', () => undefined),
      'python3',
    );
    assert.equal(
      drgnPython(
        'drgn',
        () => '#!/opt/py/bin/python3',
        () => '/opt/bin/drgn',
      ),
      '/opt/py/bin/python3',
    );
  });

  it('says what to fix', () => {
    const c = debuggerConfig({ tool: 'drgn', vmlinux: '/v' });
    assert.match(
      failureMessage(new BackendError('spawn', 'cannot start x: ENOENT'), c),
      /python3-drgn.*kmemmap\.debugger\.drgnPath/,
    );
    assert.match(failureMessage(new BackendError('timeout', '`x` took longer than 5 ms'), c), /timeoutSeconds/);
    assert.match(failureMessage(new BackendError('cancelled', 'x'), c), /Cancelled/);
    assert.match(
      failureMessage(
        new BackendError('exited', 'crash exited (1): crash: vmlinux and vmcore do not match!'),
        debuggerConfig({ tool: 'crash', vmlinux: '/v' }),
      ),
      /kmemmap\.debugger\.vmlinux/,
    );
    assert.match(releaseMismatch('6.1.0-56-amd64', '6.12.117+deb12-amd64', '/v')!, /does not match.*6\.12\.117/);
    assert.equal(releaseMismatch('6.1', '6.1', '/v'), undefined);
    assert.match(dumpProblem('kpageflags-bundle', 'drgn')!, /not a vmcore/);
    assert.match(dumpProblem('kdump-flattened (zlib)', 'drgn')!, /makedumpfile -R/);
    assert.equal(dumpProblem('elf-vmcore', 'drgn'), undefined);
  });

  it('parses typed PFNs', () => {
    const r = { start: 0x1000, end: 0x40000 };
    assert.deepEqual(parsePfnInput('0x1046', 4096, r), { pfn: 0x1046 });
    assert.deepEqual(parsePfnInput('4166', 4096, r), { pfn: 4166 });
    assert.deepEqual(parsePfnInput('pa:0x1046123', 4096, r), { pfn: 0x1046 });
    assert.ok('problem' in parsePfnInput('0x10', 4096, r));
    assert.ok('problem' in parsePfnInput('abc', 4096, r));
  });
});
