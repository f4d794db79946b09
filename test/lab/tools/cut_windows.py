#!/usr/bin/env python3
"""Cuts PFN windows out of a crash `kmem -p` listing and out of drgn's export of the same dump, for
small real fixtures (test/fixtures/tools/). Read-only on its inputs.

  cut_windows.py --kmem-p LISTING --drgn EXPORT --windows 0xf0:0x100,0x2c00:0x2c40 \
                 --out-listing OUT.txt --out-drgn OUT.tsv [--session SESSION --out-session OUT.txt]

Windows are [first, end) PFN ranges (hex with 0x, or decimal). The listing excerpt keeps the header and
the rows of the windows, in order. The export excerpt keeps every record that is not a page row
(header, iomem, nodes, zones, memory blocks, sections), and the page rows of the windows (a `+n` run
is cut at the window's edges); its `@end` line is dropped, so readers report it as cut off.
With --session, the session's sys, kmem -g, sym balloon_mops and dev -i outputs are kept whole and its
kmem -m listing is cut to the windows' rows (PAGE located through the listing's vmemmap); its kmem -p
(and any other command) is left out: the listing excerpt goes with it.
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


KEEP = ('sys', 'kmem -g', 'sym balloon_mops', 'dev -i')


def vmemmap_of(listing):
    with open(listing) as f:
        for line in f:
            fields = line.split()
            if len(fields) >= 5 and fields[0] != 'PAGE':
                return int(fields[0], 16) - int(fields[1], 16) // 4096 * 64
    raise SystemExit('no kmem -p row in ' + listing)


def cut_session(path, windows, vmemmap, out):
    with open(path) as f, open(out, 'w') as o:
        mode = None
        for line in f:
            if line.startswith('crash> '):
                cmd = line[7:].strip()
                mode = 'keep' if cmd in KEEP else 'kmem-m' if cmd.startswith('kmem -m ') else None
                if mode:
                    o.write(line)
                continue
            if mode == 'keep':
                o.write(line)
            elif mode == 'kmem-m':
                first = line.split()[:1]
                if first == ['PAGE']:
                    o.write(line)
                elif first and inside(windows, (int(first[0], 16) - vmemmap) // 64):
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
    ap.add_argument('--session')
    ap.add_argument('--out-session')
    a = ap.parse_args()
    w = parse_windows(a.windows)
    cut_listing(a.kmem_p, w, a.out_listing)
    cut_export(a.drgn, w, a.out_drgn)
    if a.session and a.out_session:
        cut_session(a.session, w, vmemmap_of(a.kmem_p), a.out_session)


if __name__ == '__main__':
    main()
