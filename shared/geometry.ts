// The page geometry a panel draws with, from what the snapshot carries (Overview.kernel.pageSize and
// pageShift, pfnsPerSection, pfnsPerBlock): PFN ↔ physical address, sizes in bytes, the machine's name.
// arm64 has 4, 16 and 64 KiB pages, so nothing here assumes 4096 (docs/kernel/arm64.md, Geometry).
// Imported by both sides; no vscode or DOM imports.

/** log2 of a page size: 4096 → 12, 16384 → 14, 65536 → 16. Throws on a size that is not a power of two ≥ 4 KiB. */
export function pageShiftOf(pageSize: number): number {
  const shift = Math.log2(pageSize);
  if (!Number.isInteger(shift) || shift < 12 || shift > 21)
    throw new RangeError(`page size ${pageSize} is not 4 KiB–2 MiB and a power of two`);
  return shift;
}

/** Physical address of the first byte of a PFN (exact beyond 2^53: arm64 LPA2 has 52-bit addresses). */
export function physOfPfn(pfn: number, pageShift: number): bigint {
  return BigInt(pfn) << BigInt(pageShift);
}

/** The PFN holding a physical address. */
export function pfnOfPhys(pa: bigint, pageShift: number): number {
  return Number(pa >> BigInt(pageShift));
}

/** "0x40000000": the physical address of a PFN, as the labels, inspector and block table print it. */
export function physHex(pfn: number, pageShift: number): string {
  return '0x' + physOfPfn(pfn, pageShift).toString(16);
}

/** The machine as the panels name it ("aarch64", "x86_64"), or that it is unknown. */
export function machineLabel(machine: string | undefined): string {
  return machine ?? 'unknown architecture';
}
