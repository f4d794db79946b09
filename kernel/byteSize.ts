// Memory sizes as warnings and notes print them ("640 KiB", "256 MiB", "3.1 GiB", "2.0 TiB"): one
// rule for every reader, so the same size never reads two ways in one snapshot's warnings.

const UNITS = ['KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'] as const;

/** bytes in the largest binary unit that keeps the number at 1 or more; KiB and MiB whole, larger with one decimal. */
export function formatByteSize(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 1024) return `${bytes} B`;
  let unit = 0;
  let v = bytes / 1024;
  while (v >= 1024 && unit < UNITS.length - 1) {
    v /= 1024;
    unit++;
  }
  return `${v.toFixed(unit <= 1 ? 0 : 1)} ${UNITS[unit]}`;
}
