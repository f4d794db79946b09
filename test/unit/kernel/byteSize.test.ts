// The one size format of warnings and notes: a user compares sizes across warnings of one snapshot.
import * as assert from 'node:assert/strict';
import { formatByteSize } from '../../../kernel/byteSize';

describe('formatByteSize', () => {
  it('picks the largest unit that keeps the number at 1 or more', () => {
    assert.equal(formatByteSize(512), '512 B');
    assert.equal(formatByteSize(640 * 1024), '640 KiB');
    assert.equal(formatByteSize(256 * 2 ** 20), '256 MiB');
    assert.equal(formatByteSize(3.125 * 2 ** 30), '3.1 GiB');
    assert.equal(formatByteSize(2 ** 41), '2.0 TiB');
    assert.equal(formatByteSize(2 ** 32 * 65536), '256.0 TiB');
    assert.equal(formatByteSize(2 ** 52), '4.0 PiB');
  });
});
