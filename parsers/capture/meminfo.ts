// /proc/meminfo: "Key:   value kB" lines into a map of kB values (or page counts for HugePages_*).

export function parseMeminfo(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^([A-Za-z0-9_()]+):\s+(\d+)/.exec(line);
    if (m) out.set(m[1], Number(m[2]));
  }
  return out;
}

/** The kernel release from `uname -a` output ("Linux host 6.12.57+deb12-amd64 #1 SMP ..."), or a bare release line. */
export function releaseFromUname(text: string): string | undefined {
  const t = text.trim();
  const parts = t.split(/\s+/);
  if (parts[0] === 'Linux' && parts.length >= 3) return parts[2];
  if (/^\d+\.\d+/.test(parts[0] ?? '')) return parts[0];
  return undefined;
}
