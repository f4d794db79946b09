// The drgn side of "Ask crash/drgn About a Page": a Python helper, defined once per process with a
// single-line exec() (the backend protocol is one line per command), that prints one `key<TAB>value`
// line per fact about a page: its slab cache (through struct slab, 5.17+, or the page itself), or the
// file behind a page-cache page (mapping → inode → path). Pure: no vscode import.

/** The helper's Python source; kmx_page(pfn) returns the lines as one string. */
export const DRGN_HELPER = String.raw`def kmx_page(pfn):
    out = []
    def put(k, v):
        out.append(k + "\t" + " ".join(str(v).split()))
    def attempt(k, f):
        try:
            v = f()
            if v is not None: put(k, v)
        except Exception as e:
            put(k + ".error", type(e).__name__ + ": " + str(e))
    put("release", prog["init_uts_ns"].name.release.string_().decode())
    page = pfn_to_page(prog, pfn)
    put("page", hex(page.value_()))
    put("flags", hex(page.flags.value_()))
    attempt("flags.decoded", lambda: decode_page_flags(page))
    attempt("refcount", lambda: page._refcount.counter.value_())
    head = page
    try: head = compound_head(page)
    except Exception: pass
    if head.value_() != page.value_(): put("compound_head", hex(head.value_()))
    def is_slab():
        try:
            o = prog["PG_slab"]
            tn = o.type_.type_name()
            if "pageflags" in tn: return bool(head.flags.value_() & (1 << o.value_()))
            pt = head.page_type.value_() & 0xffffffff
            return (pt & (0xf0000000 | o.value_())) == 0xf0000000
        except KeyError:
            return (head.page_type.value_() & 0xffffffff) >> 24 == prog["PGTY_slab"].value_()
    slab = False
    try: slab = is_slab()
    except Exception as e: put("slab.error", type(e).__name__ + ": " + str(e))
    attempt("page_type", lambda: hex(head.page_type.value_() & 0xffffffff))
    put("slab", "yes" if slab else "no")
    if slab:
        try: s = drgn.cast("struct slab *", head)
        except LookupError: s = head
        c = s.slab_cache
        put("slab_cache", c.name.string_().decode(errors="replace"))
        put("slab_cache.address", hex(c.value_()))
        attempt("slab_cache.object_size", lambda: c.object_size.value_())
        attempt("slab_cache.size", lambda: c.size.value_())
        attempt("slab.objects", lambda: s.objects.value_())
        attempt("slab.inuse", lambda: s.inuse.value_())
        return "\n".join(out)
    m = head.mapping.value_()
    put("mapping", hex(m))
    if m == 0: return "\n".join(out)
    if m & 1:
        put("mapping.kind", "anon" if (m & 3) == 1 else "movable or ksm")
        return "\n".join(out)
    if m & 2:
        put("mapping.kind", "movable")
        return "\n".join(out)
    put("mapping.kind", "file")
    mp = drgn.Object(prog, "struct address_space *", m)
    inode = mp.host
    put("inode", hex(inode.value_()))
    attempt("inode.ino", lambda: inode.i_ino.value_())
    attempt("inode.fs", lambda: inode.i_sb.s_type.name.string_().decode(errors="replace"))
    attempt("inode.dev", lambda: inode.i_sb.s_id.string_().decode(errors="replace"))
    attempt("inode.size", lambda: inode.i_size.value_())
    def path():
        p = inode_path(inode)
        if p is None: return None
        p = p.decode(errors="replace")
        return p if p.startswith("/") else "/" + p
    attempt("file", path)
    attempt("file.offset", lambda: page.index.value_() * prog["PAGE_SIZE"].value_())
    return "\n".join(out)
`;

/** One line that defines kmx_page in the evaluator's globals (JSON strings are valid Python literals). */
export function drgnDefineCommand(): string {
  return `exec(${JSON.stringify(DRGN_HELPER)})`;
}

/** The command that answers for one PFN. */
export function drgnPageCommand(pfn: number): string {
  if (!Number.isSafeInteger(pfn) || pfn < 0) throw new Error(`not a PFN: ${pfn}`);
  return `print(kmx_page(0x${pfn.toString(16)}))`;
}
