// The PFN typed into "Ask crash/drgn About a Page…": decimal, 0x-hex, or a physical address with a
// "pa:" prefix (rounded down to its page). Pure: no vscode import.

export function parsePfnInput(
  text: string,
  pageSize: number,
  range: { start: number; end: number },
): { pfn: number } | { problem: string } {
  const t = text.trim().toLowerCase().replace(/_/g, '');
  const pa = t.startsWith('pa:');
  const body = pa ? t.slice(3).trim() : t;
  if (!/^(0x[0-9a-f]+|\d+)$/.test(body))
    return { problem: 'enter a PFN (decimal or 0x hex), or pa:<physical address>' };
  const v = BigInt(body);
  const pfnBig = pa ? v / BigInt(pageSize) : v;
  if (pfnBig > BigInt(Number.MAX_SAFE_INTEGER)) return { problem: 'too large' };
  const pfn = Number(pfnBig);
  if (pfn < range.start || pfn >= range.end)
    return {
      problem: `PFN 0x${pfn.toString(16)} is outside this dump (0x${range.start.toString(16)}..0x${range.end.toString(16)})`,
    };
  return { pfn };
}
