// Hovers on a log that is a bare kmem -p listing (no `sys`): the layout its flag names pin is the one
// the hover decodes with (issue 13), the same inference the snapshot reader makes.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { computeHover } from '../../../extension/hovers/hoverContent';
import { detectKernelInText } from '../../../kernel/knowledge/detectKernel';
import { familyFromListingText } from '../../../parsers/tools/listingFamily';

const session = readFileSync(
  resolve(__dirname, '../../../../test/fixtures/tools/crash-8.0.2-6.1-balloon-session.txt'),
  'utf8',
);
const listing = session.slice(session.indexOf('crash> kmem -p\n'));

describe('hovers on a bare kmem -p listing', () => {
  it('the crash 8.0.2 listing without sys: no release in the text, the names pin layout 5.15-6.1', () => {
    assert.equal(detectKernelInText(listing), undefined);
    const f = familyFromListingText(listing)!;
    assert.equal(f.family.id, '5.15-6.1');
    assert.match(f.origin, /flag names of 832 kmem -p row\(s\)/);
  });

  it('a mail-quoted CRLF slice of it pins the same layout', () => {
    const rows = listing
      .split('\n')
      .filter((l) => /slab/.test(l))
      .slice(0, 20);
    assert.equal(familyFromListingText(rows.map((l) => '> ' + l).join('\r\n'))?.family.id, '5.15-6.1');
  });

  it('rows whose names fit two layouts (6.12-6.13 and 6.14-6.18), or rows without names, pin nothing', () => {
    const r612 = [
      'ffffea0004000000 100000000                0        0  1 17ffffc0002000 reserved',
      'ffffea0004000040 100001000 ffff8cd6c26aace9      120  2 17ffffc002012c referenced,uptodate,lru,active,swapbacked',
    ];
    assert.equal(familyFromListingText(r612.join('\n')), undefined);
    assert.equal(
      familyFromListingText(
        listing
          .split('\n')
          .filter((l) => !/[a-z]{4}/.test(l))
          .join('\n'),
      ),
      undefined,
    );
  });

  it('the hover on a row decodes FLAGS with that layout and says where it came from', () => {
    const f = familyFromListingText(listing)!;
    const row = listing.split('\n').find((l) => l.endsWith(' slab,head'))!;
    const h = computeHover({
      lineText: row,
      character: row.indexOf('fffffc0010200') + 2,
      kind: 'log',
      kernel: { family: f.family, origin: f.origin },
    })!;
    assert.match(h.markdown, /PG\\_slab PG\\_head[\s\S]*matches this layout/);
    assert.match(h.markdown, /from the flag names of 832 kmem \\-p row\\\(s\\\)/);
    const quoted = '>> ' + row.replace(/\r$/, '') + '\r';
    const q = computeHover({
      lineText: quoted,
      character: quoted.indexOf('fffffc0010200') + 2,
      kind: 'log',
      kernel: { family: f.family, origin: f.origin },
    })!;
    assert.match(q.markdown, /PG\\_slab PG\\_head[\s\S]*matches this layout/);
  });
});
