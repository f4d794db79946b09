#!/usr/bin/env drgn
# Kernel Memmap Explorer: export the memmap (struct page array) of a vmcore or a live kernel in the
# compact text format documented in docs/drgn-export.md, for `kmemmap summary <file>` and the panel.
#
#   drgn -c vmcore -s vmlinux memmap_export.py -o memmap.kmx       (a dump)
#   drgn -k memmap_export.py -o memmap.kmx                          (the running kernel, as root)
#   DRGN_USE_LIBKDUMPFILE_FOR_ELF=1 drgn -c qemu-dump.elf ...       (QEMU ELF dumps with drgn 0.0.22)
#
# Works with drgn 0.0.22 (Debian 12) and later: it uses only Program.read, types, symbols and
# enum constants, not the mm helpers whose names changed between releases.
import argparse
import struct
import sys
import time
from array import array

from drgn import FaultError, Object, cast, offsetof, sizeof

FORMAT = "kmemmap-drgn-export 1"



def off_tail(off):
    """Offset of the compound tail word: compound_head, or compound_info from 7.x (a mask or head|1)."""
    o = off("compound_head")
    return o if o is not None else off("compound_info")

def parse_args():
    ap = argparse.ArgumentParser(description="Export the memmap for Kernel Memmap Explorer")
    ap.add_argument("-o", "--output", default="-", help="output file (default: stdout)")
    ap.add_argument("--max-pfn", type=lambda s: int(s, 0), default=None, help="stop at this PFN (testing)")
    return ap.parse_args(sys.argv[1:])


def try_(f, default=None):
    try:
        return f()
    except (LookupError, FaultError, ValueError, TypeError, AttributeError):
        return default


def enum_pairs(prog, name):
    t = try_(lambda: prog.type(name))
    if t is None or t.enumerators is None:
        return None
    return [(e.name, e.value) for e in t.enumerators]


def release_of(prog):
    try:
        return prog["init_uts_ns"].name.release.string_().decode()
    except Exception:
        return ""


def iomem(prog, out):
    """The resource tree under iomem_resource, depth-first (depth, start, end, name)."""
    root = try_(lambda: prog["iomem_resource"].address_of_())
    if root is None:
        return

    def walk(res, depth):
        child = res.child
        n = 0
        while child and n < 100000:
            name = try_(lambda: child.name.string_().decode(errors="replace"), "?")
            out.write("I %d %x %x %s\n" % (depth, child.start.value_(), child.end.value_(), name))
            if depth < 3:
                walk(child, depth + 1)
            child = child.sibling
            n += 1

    walk(root, 0)


def zones(prog, out):
    node_data = try_(lambda: prog["node_data"])
    nr = try_(lambda: len(node_data), 0) if node_data is not None else 0
    for nid in range(nr):
        pgdat = node_data[nid]
        if not pgdat.value_():
            continue
        out.write("N %d %x %d\n" % (nid, pgdat.node_start_pfn.value_(), pgdat.node_spanned_pages.value_()))
        for z in range(pgdat.nr_zones.value_()):
            zone = pgdat.node_zones[z]
            out.write("Z %d %d %s %x %d %d\n" % (
                nid, z, zone.name.string_().decode(), zone.zone_start_pfn.value_(),
                zone.spanned_pages.value_(), zone.present_pages.value_()))


BLOCK_STATES = {1: "online", 2: "going-offline", 4: "offline", 8: "going-online"}


def memory_blocks(prog, out):
    """memoryN devices from the memory_blocks xarray (5.10+); silently nothing when absent."""
    try:
        from drgn.helpers.linux.xarray import xa_for_each
        xa = prog.variable("memory_blocks", "drivers/base/memory.c").address_of_()
    except Exception:
        try:
            xa = prog["memory_blocks"].address_of_()
            from drgn.helpers.linux.xarray import xa_for_each
        except Exception:
            return
    bt = prog.type("struct memory_block *")
    for idx, entry in xa_for_each(xa):
        mb = cast(bt, entry)
        state = mb.state.value_()
        zone = try_(lambda: mb.zone.name.string_().decode() if mb.zone else "-", "-")
        nid = try_(lambda: mb.nid.value_(), -1)
        out.write("M %d %d %s %d %s %d\n" % (idx, mb.start_section_nr.value_(), BLOCK_STATES.get(state, "state%d" % state),
                                            nid, zone, try_(lambda: mb.nr_vmemmap_pages.value_(), 0)))


def main():
    args = parse_args()
    out = sys.stdout if args.output == "-" else open(args.output, "w")
    t0 = time.time()
    page_t = prog.type("struct page")
    size = sizeof(page_t)
    page_size = try_(lambda: prog["PAGE_SIZE"].value_(), None) or 4096
    page_shift = page_size.bit_length() - 1
    section_size_bits = try_(lambda: prog.constant("SECTION_SIZE_BITS").value_(), 27) if hasattr(prog, "constant") else 27
    pfns_per_section = 1 << (section_size_bits - page_shift)
    ms_t = prog.type("struct mem_section")
    per_root = page_size // sizeof(ms_t)
    mem_section = prog["mem_section"]
    # x86_64: vmemmap_base; arm64 has no such variable (drgn 0.0.22 still finds one reading 0 there) and drgn
    # gives the vmemmap macro's value as the object "vmemmap" (VMEMMAP_START - (memstart_addr >> PAGE_SHIFT))
    vmemmap = try_(lambda: prog["vmemmap_base"].value_()) or try_(lambda: prog["vmemmap"].value_())

    def off(member):
        return try_(lambda: offsetof(page_t, member))

    out.write("# %s\n" % FORMAT)
    out.write("# Written by Kernel Memmap Explorer's tools/drgn/memmap_export.py; format: docs/drgn-export.md\n")
    out.write("@release %s\n" % release_of(prog))
    out.write("@machine %s\n" % try_(lambda: prog["init_uts_ns"].name.machine.string_().decode(), "?"))
    out.write("@drgn %s\n" % __import__("drgn").__version__)
    out.write("@source %s\n" % ("live" if (prog.flags & __import__("drgn").ProgramFlags.IS_LIVE) else "vmcore"))
    out.write("@page_size %d\n" % page_size)
    nn = try_(lambda: len(prog["node_data"]))
    if nn:
        out.write("@max_numnodes %d\n" % nn)
    out.write("@struct_page_size %d\n" % size)
    out.write("@pfns_per_section %d\n" % pfns_per_section)
    if vmemmap is not None:
        out.write("@vmemmap %x\n" % vmemmap)
    out.write("@offsets flags=%s compound_head=%s mapping=%s private=%s _mapcount=%s _refcount=%s compound_dtor=%s\n" % tuple(
        "-" if v is None else v for v in (off("flags"), off_tail(off), off("mapping"), off("private"),
                                          off("_mapcount"), off("_refcount"), off("compound_dtor"))))
    for ename, key in (("enum pageflags", "pageflags"), ("enum pagetype", "pagetype")):
        pairs = enum_pairs(prog, ename)
        if pairs:
            out.write("@%s %s\n" % (key, " ".join("%s=%d" % p for p in pairs)))
    for sym in ("balloon_mops", "empty_zero_page"):
        addr = try_(lambda: prog.symbol(sym).address)
        if addr is not None:
            out.write("@symbol %s %x\n" % (sym, addr))
    for name in ("HUGETLB_PAGE_DTOR",):
        v = try_(lambda: prog.constant(name).value_())
        if v is not None:
            out.write("@constant %s %d\n" % (name, v))
    iomem(prog, out)
    zones(prog, out)
    try_(lambda: memory_blocks(prog, out))

    # Sections: one S line per present root entry with a non-zero section word.
    nr_roots = try_(lambda: len(mem_section), None) or 1
    sections = []
    for r in range(nr_roots):
        root = try_(lambda: mem_section[r])
        if root is None or not root.value_():
            continue
        raw = try_(lambda: prog.read(root.value_(), per_root * sizeof(ms_t)))
        if raw is None:
            out.write("# section root %d unreadable\n" % r)
            continue
        for i in range(per_root):
            word = struct.unpack_from("<Q", raw, i * sizeof(ms_t))[0]
            usage = struct.unpack_from("<Q", raw, i * sizeof(ms_t) + 8)[0] if sizeof(ms_t) >= 16 else 0
            if not word:
                continue
            nr = r * per_root + i
            sub = ""
            if usage and not (word & 0x8):  # not early: the subsection map matters
                u = try_(lambda: prog.read(usage, 24))
                if u is not None:
                    w0, w1, w2 = struct.unpack("<QQQ", u)
                    sub = " %x" % (w2 if (w0 == 0 and w1 == 0 and w2 != 0) else w0)
            out.write("S %d %x%s\n" % (nr, word, sub))
            sections.append((nr, word))

    # Pages: per section with a memmap, read the struct pages in bulk and write one row per PFN,
    # collapsing runs of identical rows into "+N".
    o_flags, o_ch, o_map, o_priv, o_mc = off("flags"), off_tail(off), off("mapping"), off("private"), off("_mapcount")
    words_per_page = size // 8
    pages = 0
    unreadable = 0
    for nr, word in sections:
        if not (word & 0x1) or not (word & 0x2):
            continue
        start = nr * pfns_per_section
        if args.max_pfn is not None and start >= args.max_pfn:
            break
        coded = word & ~0x3F
        base = (vmemmap + start * size) if vmemmap is not None else (coded + start * size) & 0xFFFFFFFFFFFFFFFF
        chunks = []
        try:
            chunks.append((0, prog.read(base, pfns_per_section * size)))
        except FaultError:
            per = page_size // size  # struct pages per vmemmap page
            for k in range(0, pfns_per_section, per):
                try:
                    chunks.append((k, prog.read(base + k * size, per * size)))
                except FaultError:
                    chunks.append((k, None))
        prev = None
        run = 0
        ustart = None
        for k, buf in chunks:
            if buf is None:
                if run:
                    out.write("+%d\n" % run)
                    run = 0
                prev = None
                if ustart is None:
                    ustart = start + k
                continue
            if ustart is not None:
                out.write("U %x %d\n" % (ustart, start + k - ustart))
                unreadable += start + k - ustart
                ustart = None
            w = array("Q")
            w.frombytes(buf)
            n = len(buf) // size
            for i in range(n):
                b = i * words_per_page
                mc = w[b + o_mc // 8]
                row = (w[b + o_flags // 8], w[b + o_ch // 8], w[b + 2], w[b + o_map // 8], w[b + o_priv // 8],
                       mc & 0xFFFFFFFF, mc >> 32)
                if row == prev:
                    run += 1
                    continue
                if run:
                    out.write("+%d\n" % run)
                    run = 0
                rc = row[6] - (1 << 32) if row[6] & 0x80000000 else row[6]
                out.write("%x %x %x %x %x %x %x %d\n" % (start + k + i, row[0], row[1], row[2], row[3], row[4], row[5], rc))
                prev = row
            pages += n
        if run:
            out.write("+%d\n" % run)
        if ustart is not None:
            out.write("U %x %d\n" % (ustart, start + pfns_per_section - ustart))
            unreadable += start + pfns_per_section - ustart
    out.write("@end pages=%d unreadable=%d seconds=%.1f\n" % (pages, unreadable, time.time() - t0))
    if out is not sys.stdout:
        out.close()


main()
