#!/usr/bin/env python3
"""Picks a few interesting struct pages from a drgn export (docs/drgn-export.md) for the crash and
drgn REPL captures: the first page of each distinct (page_type/mapcount, tail?, lru?, slab?) kind.
Prints struct page addresses (vmemmap + pfn * 64), or PFNs with --pfn."""
import sys

path = sys.argv[1]
as_pfn = "--pfn" in sys.argv
vmemmap = None
seen = {}
with open(path) as f:
    for line in f:
        if line.startswith("@vmemmap "):
            vmemmap = int(line.split()[1], 16)
        if not line or line[0] not in "0123456789abcdef":
            continue
        p = line.split()
        pfn, flags, ch, mapping, mc, rc = int(p[0], 16), int(p[1], 16), int(p[2], 16), int(p[4], 16), int(p[6], 16), int(p[7])
        kind = (mc if mc >= 0xf0000000 or mc > 0xffff0000 else 0, ch & 1, mapping & 3, (flags & 0xfffff) != 0, rc == 0)
        if kind not in seen:
            seen[kind] = pfn
        if len(seen) >= 12:
            break
for pfn in sorted(seen.values()):
    print(pfn if as_pfn else "%x" % (vmemmap + pfn * 64))
