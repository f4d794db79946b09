// What the guest kernel itself said during a lab scenario, read back for tests.

/** PFNs of the `dump_page(page, "unmovable page")` blocks in a dmesg (6.1 prints "page:<ptr> ...", 6.12 "page: ..."). */
export function unmovablePfnsInDmesg(dmesg: string): number[] {
  const out: number[] = [];
  let last: number | undefined;
  for (const line of dmesg.split('\n')) {
    const m = /\bpage:(?:\S+)? .*\bpfn:0x([0-9a-f]+)/.exec(line);
    if (m) last = parseInt(m[1], 16);
    if (/page dumped because: unmovable page/.test(line) && last !== undefined) out.push(last);
  }
  return out;
}
