// Boot memory from a captured dmesg: mm/mm_init.c free_area_init() prints "Early memory node ranges"
// followed by one "  node   N: [mem 0xSTART-0xEND]" line per memblock range. Sections overlapping them
// are early sections (boot memory), which arm64 never offlines.

/** The early memory ranges [start, end] in bytes (end inclusive), or undefined when the dmesg lacks them (ring buffer wrapped). */
export function earlyMemoryRanges(dmesg: string): { start: number; end: number }[] | undefined {
  const at = dmesg.indexOf('Early memory node ranges');
  if (at < 0) return undefined;
  const out: { start: number; end: number }[] = [];
  for (const line of dmesg.slice(at).split('\n').slice(1)) {
    const m = /node\s+\d+: \[mem 0x([0-9a-f]+)-0x([0-9a-f]+)\]/i.exec(line);
    if (!m) break;
    out.push({ start: parseInt(m[1], 16), end: parseInt(m[2], 16) });
  }
  return out.length ? out : undefined;
}
