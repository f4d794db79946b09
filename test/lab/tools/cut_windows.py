#!/usr/bin/env python3
"""Cuts PFN windows out of a crash `kmem -p` listing and out of drgn's export of the same dump, for
small real fixtures (test/fixtures/tools/). Read-only on its inputs.

  cut_windows.py --kmem-p LISTING --drgn EXPORT --windows 0xf0:0x100,0x2c00:0x2c40 \
                 --out-listing OUT.txt --out-drgn OUT.tsv

Windows are [first, end) PFN ranges (hex with 0x, or decimal). The listing excerpt keeps the header and
the rows of the windows, in order. The export excerpt keeps every record that is not a page row
(header, iomem, nodes, zones, memory blocks, sections), and the page rows of the windows (a `+n` run
is cut at the window's edges); its `@end` line is dropped, so readers report it as cut off.
"""
import argparse


def parse_windows(text):
    out = []
    for part in text.split(','):
        a, b = part.split(':')
        out.append((int(a, 0), int(b, 0)))
    return sorted(out)


def inside(windows, pfn):
    return any(a <= pfn < b for a, b in windows)


def cut_listing(path, windows, out):
    with open(path) as f, open(out, 'w') as o:
        for line in f:
            fields = line.split()
            if fields[:2] == ['PAGE', 'PHYSICAL']:
                o.write(line)
            elif len(fields) >= 5:
                try:
                    pfn = int(fields[1], 16) // 4096
                except ValueError:
                    continue
                if inside(windows, pfn):
                    o.write(line)


def export_pages(f):
    """Yields (pfn, rest) for every PFN of the export's page rows, runs expanded; other lines as (None, line)."""
    pfn, rest = None, None
    for line in f:
        c = line[0]
        if c == '+':
            for _ in range(int(line[1:])):
                pfn += 1
                yield pfn, rest
        elif c in '0123456789abcdef':
            p, _, r = line.partition(' ')
            pfn, rest = int(p, 16), r
            yield pfn, rest
        elif c == 'U':
            _, p, n = line.split()
            pfn, rest = int(p, 16) + int(n) - 1, None
            yield None, line
        else:
            yield None, line


def cut_export(path, windows, out):
    with open(path) as f, open(out, 'w') as o:
        prev_pfn, prev_rest, run = None, None, 0

        def flush():
            nonlocal run
            if run:
                o.write(f'+{run}\n')
                run = 0

        for pfn, rest in export_pages(f):
            if pfn is None:
                if rest.startswith('@end') or rest.startswith('U '):
                    continue
                flush()
                o.write(rest)
                continue
            if not inside(windows, pfn):
                continue
            if prev_pfn is not None and pfn == prev_pfn + 1 and rest == prev_rest:
                run += 1
            else:
                flush()
                o.write(f'{pfn:x} {rest}')
            prev_pfn, prev_rest = pfn, rest
        flush()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--kmem-p', required=True)
    ap.add_argument('--drgn', required=True)
    ap.add_argument('--windows', required=True)
    ap.add_argument('--out-listing', required=True)
    ap.add_argument('--out-drgn', required=True)
    a = ap.parse_args()
    w = parse_windows(a.windows)
    cut_listing(a.kmem_p, w, a.out_listing)
    cut_export(a.drgn, w, a.out_drgn)


if __name__ == '__main__':
    main()
