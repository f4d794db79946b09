// kmemmap explain / decode: same explanation as the hover (renderText of the same entries), JSON output.

import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { lookupSymbol } from '../../../kernel/knowledge/index';
import { renderText } from '../../../kernel/knowledge/render';
import { resolveKernel } from '../../../kernel/decode';

const CLI = resolve(__dirname, '../../../cli/kmemmap.js');
const run = (...args: string[]) => execFileSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });

describe('CLI: kmemmap explain / decode', function () {
  this.timeout(30_000);
  before(function () {
    if (!existsSync(CLI)) this.skip();
  });

  it('explain prints the knowledge-base text for the given kernel', () => {
    assert.equal(
      run('explain', 'PageOfflineSkippable', '--kernel', '6.12'),
      renderText(lookupSymbol('PageOfflineSkippable'), resolveKernel('6.12', '--kernel')),
    );
    const j = JSON.parse(run('explain', 'KPF_OFFLINE', '--json'));
    assert.equal(j.entries[0].name, 'KPF_OFFLINE');
    assert.match(j.entries[0].links[0], /^https:\/\/elixir\.bootlin\.com\/linux\/v6\.18\//);
  });

  it('decode gives the layout-specific names, as text and JSON', () => {
    assert.match(run('decode', '--kernel', '6.1', '--flags', '0x10000'), /set\s+PG_head/);
    assert.match(run('decode', '--kernel', '6.12', '--flags', '0x10000'), /set\s+PG_reclaim/);
    assert.deepEqual(JSON.parse(run('decode', '--kernel', '6.12-6.13', '--flags', '0x40', '--json')).flags, [
      'PG_head',
    ]);
    assert.match(run('decode', '--kernel', '6.12.117+deb12-amd64', '--page-type', 'f1'), /PGTY_offline/);
    assert.deepEqual(JSON.parse(run('decode', '--kernel', '6.1', '--kpf', '0x800400', '--json')).bits, [
      'KPF_BUDDY',
      'KPF_OFFLINE',
    ]);
    // 5.10's page-type bits combine; 7.3 names PG_movable_ops
    assert.match(
      run('decode', '--kernel', '5.10', '--page-type', '0xfffff9ff'),
      /5\.10 +PG_table \(PageTable\) \+ PG_kmemcg/,
    );
    assert.match(run('decode', '--kernel', '7.3', '--flags', '0x8'), /PG_movable_ops\(=PG_uptodate\)/);
    assert.match(run('explain', 'PG_head', '--kernel', '5.10'), /▶ 5\.10: bit 16/);
  });

  it('decode --arch arm64 (or a -arm64 release, or 6.12/arm64) uses the arm64 layout: MTE bits, NR_PAGEFLAGS, node/zone', () => {
    // PG_reserved (13) and PG_arch_2 (23: hwpoison 20 + young, idle) in ZONE_DMA32 of node 2, lastcpupid all ones
    const word = '0x' + ((2n << 60n) | (1n << 57n) | (0x1ffffn << 40n) | (1n << 13n) | (1n << 23n)).toString(16);
    const text = run('decode', '--kernel', '6.12', '--arch', 'arm64', '--flags', word);
    assert.match(text, /^arch +arm64 +\(NR_PAGEFLAGS 25\)$/m);
    assert.match(text, /^set +PG_reserved PG_arch_2$/m);
    assert.match(text, /PG_mte_tagged\(=PG_arch_2\)/);
    assert.match(text, /node=2 zone=DMA32 +\(.*Debian arm64\)/);
    for (const spec of ['6.12.118+deb12-arm64', '6.12/arm64'])
      assert.equal(
        run('decode', '--kernel', spec, '--flags', word),
        text.replace('kernel   6.12 (', `kernel   ${spec.replace('/arm64', '')} (`),
      );
    const j = JSON.parse(run('decode', '--kernel', '6.12', '--arch', 'aarch64', '--flags', word, '--json'));
    assert.equal(j.arch, 'arm64');
    assert.equal(j.nrPageflags, 25);
    // the same word on x86_64: another node, the MTE bit only a config-dependent bit
    const x86 = JSON.parse(run('decode', '--kernel', '6.12', '--flags', word, '--json'));
    assert.equal(x86.arch, 'x86_64');
    assert.deepEqual(x86.configDependentBits, [23]);
    assert.notEqual(x86.node, 2);
    const old = spawnSync(process.execPath, [CLI, 'decode', '--kernel', '6.1', '--arch', 'arm64', '--flags', '1'], {
      encoding: 'utf8',
    });
    assert.equal(old.status, 2);
    assert.match(old.stderr, /arm64 page->flags layout is in the tables from 6\.12/);
    const bad = spawnSync(process.execPath, [CLI, 'decode', '--kernel', '6.12', '--arch', 'sparc', '--flags', '1'], {
      encoding: 'utf8',
    });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--arch sparc: give x86_64 or arm64/);
  });

  it('fails clearly on bad input', () => {
    const r = spawnSync(process.execPath, [CLI, 'decode', '--kernel', '4.19', '--flags', '1'], { encoding: 'utf8' });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /kernel "4\.19" is older than every kernel the tables cover \(the first is 5\.10\)/);
    const r7 = spawnSync(process.execPath, [CLI, 'decode', '--kernel', '7.4', '--flags', '1'], { encoding: 'utf8' });
    assert.equal(r7.status, 2);
    assert.match(r7.stderr, /kernel "7\.4" is newer than every kernel the tables cover \(the last is 7\.3\)/);
    const r2 = spawnSync(process.execPath, [CLI, 'explain', 'no_such_symbol'], { encoding: 'utf8' });
    assert.equal(r2.status, 1);
  });
});
