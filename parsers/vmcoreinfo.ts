// VMCOREINFO note text → typed object. Format: KEY=VALUE lines written by the kernel's
// crash_save_vmcoreinfo_init() (kernel/vmcore_info.c) and arch_crash_save_vmcoreinfo().
// Parsing rules (include/linux/vmcore_info.h): SYMBOL(x) and KERNELOFFSET are hex without 0x;
// NUMBER(x) is %ld but a few are hand-written 0x%lx, so auto-base and signed; OFFSET/SIZE/LENGTH are %lu.
// Unknown keys are kept verbatim in `raw`.

export interface VmcoreInfo {
  /** Every line as written, key → value text (last one wins). */
  raw: Map<string, string>;
  osrelease?: string;
  buildId?: string;
  pageSize?: number;
  kernelOffset?: bigint;
  crashTime?: number;
  symbols: Map<string, bigint>;
  numbers: Map<string, bigint>;
  offsets: Map<string, number>;
  sizes: Map<string, number>;
  lengths: Map<string, number>;
  /** CONFIG_X=y lines. */
  configs: Set<string>;
  /** Lines that could not be parsed (kept for diagnostics, never fatal). */
  malformed: string[];
}

const KEYED = /^(SYMBOL|NUMBER|OFFSET|SIZE|LENGTH)\(([^)]*)\)$/;

function parseHex(v: string): bigint | undefined {
  return /^(0x)?[0-9a-fA-F]+$/.test(v) ? BigInt(v.startsWith('0x') ? v : '0x' + v) : undefined;
}

/** strtol(…, 0) semantics: optional sign, 0x hex, leading-0 octal, else decimal. */
export function parseAutoBase(v: string): bigint | undefined {
  const m = /^([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)$/.exec(v.trim());
  if (!m) return undefined;
  let body = m[2];
  if (/^0[0-7]+$/.test(body)) body = '0o' + body.slice(1);
  const n = BigInt(body);
  return m[1] === '-' ? -n : n;
}

function parseDec(v: string): number | undefined {
  return /^[0-9]+$/.test(v) ? Number(v) : undefined;
}

export function parseVmcoreInfo(text: string): VmcoreInfo {
  const info: VmcoreInfo = {
    raw: new Map(),
    symbols: new Map(),
    numbers: new Map(),
    offsets: new Map(),
    sizes: new Map(),
    lengths: new Map(),
    configs: new Set(),
    malformed: [],
  };
  for (const rawLine of text.split('\n')) {
    const line = rawLine.replace(/\0+$/, '').trimEnd();
    if (!line) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) {
      info.malformed.push(line);
      continue;
    }
    const key = line.slice(0, eq);
    const val = line.slice(eq + 1);
    info.raw.set(key, val);
    const m = KEYED.exec(key);
    if (m) {
      const [, kind, name] = m;
      let ok = true;
      if (kind === 'SYMBOL') {
        const v = parseHex(val);
        if (v === undefined) ok = false;
        else info.symbols.set(name, v);
      } else if (kind === 'NUMBER') {
        const v = parseAutoBase(val);
        if (v === undefined) ok = false;
        else info.numbers.set(name, v);
      } else {
        const v = parseDec(val);
        if (v === undefined) ok = false;
        else (kind === 'OFFSET' ? info.offsets : kind === 'SIZE' ? info.sizes : info.lengths).set(name, v);
      }
      if (!ok) info.malformed.push(line);
      continue;
    }
    switch (key) {
      case 'OSRELEASE':
        info.osrelease = val;
        break;
      case 'BUILD-ID':
        info.buildId = val;
        break;
      case 'PAGESIZE': {
        const v = parseDec(val);
        if (v === undefined) info.malformed.push(line);
        else info.pageSize = v;
        break;
      }
      case 'KERNELOFFSET': {
        const v = parseHex(val);
        if (v === undefined) info.malformed.push(line);
        else info.kernelOffset = v;
        break;
      }
      case 'CRASHTIME': {
        const v = parseDec(val);
        if (v !== undefined) info.crashTime = v;
        break;
      }
      default:
        if (/^CONFIG_[A-Za-z0-9_]+$/.test(key) && val === 'y') info.configs.add(key);
    }
  }
  return info;
}

/** NUMBER(name) as a JS number (safe for the small values it carries), or undefined. */
export function vmNumber(info: VmcoreInfo, name: string): number | undefined {
  const v = info.numbers.get(name);
  return v === undefined ? undefined : Number(v);
}

/** Looks like VMCOREINFO text at all (used to reject garbage notes). */
export function looksLikeVmcoreInfo(info: VmcoreInfo): boolean {
  return info.osrelease !== undefined || info.symbols.size > 0;
}
