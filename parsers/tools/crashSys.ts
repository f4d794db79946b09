// crash `sys` (KEY: value lines) and `sym` (address (type) name) output.

export interface CrashSys {
  fields: Map<string, string>;
  release?: string;
  machine?: string;
}

export function parseCrashSys(lines: string[]): CrashSys {
  const fields = new Map<string, string>();
  for (const l of lines) {
    const m = /^\s*([A-Z][A-Z ]*[A-Z]):\s?(.*)$/.exec(l);
    if (m) fields.set(m[1], m[2].trim());
  }
  return { fields, release: fields.get('RELEASE') || undefined, machine: fields.get('MACHINE')?.split(/\s+/)[0] };
}

/** `sym name` / `sym addr` lines: "ffffffff8783f3c0 (d) balloon_mops" → name → address. */
export function parseCrashSym(lines: string[], into: Map<string, bigint>): void {
  for (const l of lines) {
    const m = /^\s*([0-9a-f]{8,16})\s+\(\w\)\s+(\S+)/.exec(l);
    if (m) into.set(m[2], BigInt('0x' + m[1]));
  }
}
