// The lists of lab sets CI makes things for live twice: in scripts/test-all.sh (which runs the steps)
// and in test/lab/sets.ts (which the lab tests read to fail when something CI makes is missing). They
// must name the same sets, or a test would demand what CI never makes (or CI make what no test checks).
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CI_DERIVE_SETS, CI_TOOL_SETS, ciSetNames } from '../../lab/sets';

const script = readFileSync(join(__dirname, '../../../../scripts/test-all.sh'), 'utf8');
const shellList = (name: string): string[] => {
  const m = new RegExp(`^${name}="([^"]*)"`, 'm').exec(script);
  assert.ok(m, `${name}="..." in scripts/test-all.sh`);
  return m[1]
    .split(/[\s,]+/)
    .filter(Boolean)
    .sort();
};

describe('CI lab set lists', () => {
  it('scripts/test-all.sh DERIVE_SETS and TOOL_SETS equal CI_DERIVE_SETS and CI_TOOL_SETS', () => {
    assert.deepEqual(shellList('DERIVE_SETS'), [...CI_DERIVE_SETS].sort());
    assert.deepEqual(shellList('TOOL_SETS'), [...CI_TOOL_SETS].sort());
  });
  it('every set CI derives dumps of or runs the tools on is a CI set', () => {
    const ci = new Set(ciSetNames('all'));
    assert.deepEqual(
      [...CI_DERIVE_SETS, ...CI_TOOL_SETS].filter((n) => !ci.has(n)),
      [],
    );
  });
  it('the arm64 CI sets cover 6.12 and 7.3 with baseline and offline-block, named arm64-<kernel>-<scenario>', () => {
    const names = ciSetNames('arm64');
    for (const k of ['6.12', '7.3'])
      for (const sc of ['baseline', 'offline-block']) assert.ok(names.includes(`arm64-${k}-${sc}`), `arm64-${k}-${sc}`);
    assert.deepEqual(
      names.filter((n) => !/^arm64-\d+\.\d+-/.test(n)),
      [],
    );
    // the x86_64 list (what the x86_64 lab tests demand) holds no other architecture's set
    assert.deepEqual(
      ciSetNames().filter((n) => n.startsWith('arm64')),
      [],
    );
  });
  it('the CI sets cover 5.10, 6.1, 6.12 and 7.3, with virtio-mem and offline-block on each', () => {
    const names = ciSetNames();
    for (const k of ['5.10', '6.1', '6.12', '7.3'])
      for (const sc of ['virtio-mem', 'offline-block']) assert.ok(names.includes(`${k}-${sc}`), `${k}-${sc}`);
  });
});
