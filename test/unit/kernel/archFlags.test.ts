// arm64 page->flags decoding (kernel/archFlags.ts through kernel/decode.ts): the bits above PG_hwpoison
// (MTE's PG_arch_2/PG_arch_3), NR_PAGEFLAGS, Debian arm64's node/zone widths, the machine named by a
// --kernel spec and by a log's own lines. Words are written from the tables (flagBit), not copied.

import assert from 'node:assert/strict';
import { decodeFlagsWord, kernelLabel, resolveKernel, unknownKernelMessage } from '../../../kernel/decode';
import { archFromRelease, detectArchInText, parseArch } from '../../../kernel/archFlags';
import { flagBit, layoutFamily } from '../../../kernel/pageflags';
import { bitFacts } from '../../../kernel/knowledge/bitFacts';
import { lookupSymbol } from '../../../kernel/knowledge/index';

/** A flags word of Debian arm64: node, zone in the top 7 bits, lastcpupid (17 bits, NR_CPUS 512) below. */
function arm64Word(bits: number[], node: number, zone: number, lastcpupid = 0x1ffff): bigint {
  let w = (BigInt(node) << 60n) | (BigInt(zone) << 57n) | (BigInt(lastcpupid) << 40n);
  for (const b of bits) w |= 1n << BigInt(b);
  return w;
}

describe('arm64 flag layout (kernel/archFlags.ts)', () => {
  const f612 = layoutFamily('6.12-6.13');
  const f73 = layoutFamily('7.2-7.3');
  const hw612 = flagBit(f612, 'hwpoison')!;
  const hw73 = flagBit(f73, 'hwpoison')!;

  it('knows which machine a spec, a release and a setting name', () => {
    assert.equal(parseArch('arm64'), 'aarch64');
    assert.equal(parseArch('AArch64'), 'aarch64');
    assert.equal(parseArch('amd64'), 'x86_64');
    assert.equal(parseArch('riscv64'), undefined);
    assert.equal(archFromRelease('6.12.118+deb12-arm64'), 'aarch64');
    assert.equal(archFromRelease('6.12.118+deb12-arm64-16k'), 'aarch64');
    assert.equal(archFromRelease('6.12.117+deb12-amd64'), 'x86_64');
    assert.equal(archFromRelease('6.12.117'), undefined);
    assert.equal(resolveKernel('6.12.118+deb12-arm64')?.arch, 'aarch64');
    assert.equal(resolveKernel('6.12/arm64')?.arch, 'aarch64');
    assert.equal(resolveKernel('6.12', '--kernel', 'aarch64', '--arch')?.archOrigin, '--arch');
    assert.equal(resolveKernel('6.12.117+deb12-amd64')?.arch, undefined);
    assert.equal(resolveKernel('6.12.117+deb12-amd64', '--kernel', 'aarch64'), undefined);
    assert.match(unknownKernelMessage('6.12.117+deb12-amd64', 'aarch64'), /names arm64 and x86_64/);
  });

  it('refuses arm64 before 6.12 instead of reading it with the x86_64 numbers', () => {
    assert.equal(resolveKernel('6.1.0-26-arm64'), undefined);
    assert.equal(resolveKernel('6.1', '--kernel', 'aarch64'), undefined);
    assert.match(unknownKernelMessage('6.1.0-26-arm64'), /arm64 page->flags layout is in the tables from 6\.12/);
    assert.ok(resolveKernel('6.1'), 'x86_64 6.1 still resolves');
  });

  it("decodes MTE's PG_arch_2/PG_arch_3 and PG_young/PG_idle above PG_hwpoison, with NR_PAGEFLAGS", () => {
    for (const [spec, hw] of [
      ['6.12.118+deb12-arm64', hw612],
      ['7.3.4+deb13-arm64', hw73],
    ] as const) {
      const k = resolveKernel(spec)!;
      const w = arm64Word([flagBit(k.family, 'uptodate')!, hw + 3, hw + 4], 0, 1);
      const d = decodeFlagsWord(w, k);
      assert.equal(d.arch, 'arm64');
      assert.equal(d.nrPageflags, hw + 5, spec);
      assert.deepEqual(d.flags, ['PG_uptodate', 'PG_arch_2', 'PG_arch_3']);
      assert.ok(d.aliases.includes('PG_mte_tagged(=PG_arch_2)'));
      assert.ok(d.aliases.includes('PG_mte_lock(=PG_arch_3)'));
      assert.deepEqual(d.configDependentBits, []);
      assert.equal(d.node, 0);
      assert.equal(d.zone, 'DMA32');
      assert.match(d.fieldsAssumption!, /NODES_SHIFT=4, ZONES_WIDTH=3 \(Debian arm64\)/);
      const idle = decodeFlagsWord(arm64Word([hw + 1, hw + 2], 3, 2), k);
      assert.deepEqual(idle.flags, ['PG_young', 'PG_idle']);
      assert.equal(idle.node, 3);
      assert.equal(idle.zone, 'Normal');
    }
  });

  it('reads the same word differently with the x86_64 layout (the arm64 one is not the default by accident)', () => {
    const w = arm64Word([hw612 + 3], 0, 0);
    const x86 = decodeFlagsWord(w, resolveKernel('6.12')!);
    const arm = decodeFlagsWord(w, resolveKernel('6.12/arm64')!);
    assert.equal(x86.arch, 'x86_64');
    assert.equal(x86.nrPageflags, undefined);
    assert.deepEqual(x86.configDependentBits, [hw612 + 3]);
    assert.notEqual(x86.node, arm.node);
    assert.deepEqual(arm.flags, ['PG_arch_2']);
    assert.equal(arm.zone, 'DMA');
    assert.match(kernelLabel(resolveKernel('6.12/arm64')!), /arm64/);
    assert.doesNotMatch(kernelLabel(resolveKernel('6.12')!), /arm64/);
  });

  it('explains PG_arch_3 with its arm64 bit per family, marked for an arm64 target; x86_64 rows unchanged', () => {
    const e = lookupSymbol('PG_arch_3')[0];
    const k = resolveKernel('6.12/arm64')!;
    const facts = bitFacts(e, k.family, k.arch);
    const arm = facts.filter((f) => f.where.endsWith('arm64'));
    assert.deepEqual(
      arm.map((f) => [f.where, f.what.replace(/ \(.*/, ''), !!f.current]),
      [
        ['6.12–6.13 arm64', `bit ${hw612 + 4}`, true],
        ['6.14–6.18 arm64', `bit ${flagBit(layoutFamily('6.14-6.18'), 'hwpoison')! + 4}`, false],
        ['7.2–7.3 arm64', `bit ${hw73 + 4}`, false],
      ],
    );
    assert.ok(facts.filter((f) => !f.where.endsWith('arm64')).every((f) => f.what === 'absent' && !f.current));
    // a flag arm64 numbers as x86_64 gets no arm64 rows unless the target is arm64
    assert.equal(bitFacts(lookupSymbol('PG_head')[0], f612).filter((f) => f.where.endsWith('arm64')).length, 0);
    const head = bitFacts(lookupSymbol('PG_head')[0], f612, 'aarch64').find((f) => f.current)!;
    assert.deepEqual([head.where, head.what], ['6.12–6.13 arm64', `bit ${flagBit(f612, 'head')}`]);
  });

  it('finds arm64 in crash sys, VMCOREINFO, a dmesg banner and arm64 traces; x86_64 likewise', () => {
    const cases: [string, string | undefined, string | undefined][] = [
      [
        'crash> sys\n      KERNEL: vmlinux\n     RELEASE: 6.12.118\n     MACHINE: aarch64  (unknown Mhz)\n',
        'aarch64',
        'crash sys MACHINE',
      ],
      ['     MACHINE: x86_64  (2995 Mhz)\n', 'x86_64', 'crash sys MACHINE'],
      [
        'OSRELEASE=6.12.118\nPAGESIZE=4096\nNUMBER(VA_BITS)=52\nNUMBER(kimage_voffset)=0xffff800040000000\n',
        'aarch64',
        'VMCOREINFO arm64 keys',
      ],
      [
        '[    0.000000] Linux version 6.12.118+deb12-arm64 (debian-kernel@lists.debian.org) (gcc-12)\n',
        'aarch64',
        'dmesg banner',
      ],
      [
        '[  150.1] pstate: 60400005 (nZCv daif +PAN -UAO -TCO -DIT -SSBS BTYPE=--)\n',
        'aarch64',
        'arm64 register dump (pstate)',
      ],
      ['[  150.2]  el1h_64_sync+0x64/0x68\n', 'aarch64', 'arm64 exception vector in a trace'],
      ['[  150.1] RIP: 0010:offline_pages+0x3a4/0x6c0\n', 'x86_64', 'x86_64 register dump (RIP)'],
      ['[  9.9] flags: 0x17ffffc0010200(slab|head|node=0|zone=2)\n', undefined, undefined],
    ];
    for (const [text, arch, origin] of cases) {
      const d = detectArchInText(text);
      assert.equal(d?.arch, arch, text);
      assert.equal(d?.origin, origin, text);
    }
  });
});
