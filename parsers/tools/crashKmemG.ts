// crash `kmem -g`: the dumped kernel's enum pageflags, aliases included.
//   PAGE-FLAG       BIT  VALUE
//   PG_locked         0  0000001

export function parseKmemG(lines: string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const l of lines) {
    const r = /^\s*PG_(\w+)\s+(\d+)\s+[0-9a-f]+\s*$/.exec(l);
    if (r && !m.has(r[1])) m.set(r[1], Number(r[2]));
  }
  return m;
}
