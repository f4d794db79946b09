// crash `kmem -i` (memory usage table) and `kmem -f` (free lists per zone; only the totals are kept).

export interface KmemIRow {
  label: string;
  pages: number;
  total: string;
  percent?: string;
}

export function parseKmemI(lines: string[]): KmemIRow[] {
  const rows: KmemIRow[] = [];
  for (const l of lines) {
    const m = /^\s*([A-Z][A-Z ]*?)\s{2,}(\d+)\s+([\d.]+ [KMGTP]?B)\s*(.*)$/.exec(l);
    if (m) rows.push({ label: m[1], pages: Number(m[2]), total: m[3], percent: m[4] || undefined });
  }
  return rows;
}

export interface KmemFZone {
  node?: number;
  zone: number;
  name: string;
  size: number;
  free: number;
}
export interface KmemFResult {
  zones: KmemFZone[];
  nrFreePages?: number;
  verified?: boolean;
}

export function parseKmemF(lines: string[]): KmemFResult {
  const r: KmemFResult = { zones: [] };
  let inZone = false;
  let node: number | undefined;
  for (const l of lines) {
    const t = l.trim();
    const nm = /^NODE\s*$/.test(t) ? undefined : /^(\d+)\s*$/.exec(t);
    if (/^ZONE\s+NAME\s+SIZE\s+FREE/.test(t)) {
      inZone = true;
      continue;
    }
    if (inZone) {
      const m = /^(\d+)\s+(\w+)\s+(\d+)\s+(\d+)\s/.exec(t);
      if (m) r.zones.push({ node, zone: Number(m[1]), name: m[2], size: Number(m[3]), free: Number(m[4]) });
      inZone = false;
      continue;
    }
    if (nm && node === undefined) node = Number(nm[1]);
    const f = /^nr_free_pages:\s*(\d+)\s*(\(verified\))?/.exec(t);
    if (f) {
      r.nrFreePages = Number(f[1]);
      r.verified = !!f[2];
    }
  }
  return r;
}
