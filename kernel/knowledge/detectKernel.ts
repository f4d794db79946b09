// Finds which kernel a log, crash session or patch talks about, from the text itself.

export interface DetectedKernel {
  release: string;
  /** How it was found, shown in hovers: "crash sys", "dmesg banner", "VMCOREINFO", "oops header". */
  origin: string;
}

const RULES: { re: RegExp; origin: string }[] = [
  { re: /^\s*RELEASE:\s*(\d+\.\d+[\w.+~-]*)/m, origin: 'crash sys' },
  { re: /Linux version (\d+\.\d+[\w.+~-]*)/, origin: 'dmesg banner' },
  { re: /^OSRELEASE=(\d+\.\d+[\w.+~-]*)/m, origin: 'VMCOREINFO' },
  { re: /\b(?:Not tainted|Tainted: [A-Z ]+?) (\d+\.\d+[\w.+~-]*) #/, origin: 'oops header' },
  { re: /^\s*Linux (\d+\.\d+\.\d+[\w.+~-]*)\s*$/m, origin: 'uname' },
  // drgn REPL: prog["init_uts_ns"].name.release prints (char [65])"6.12.118+deb12-arm64"
  { re: /^\(char \[65\]\)"(\d+\.\d+[\w.+~-]*)"$/m, origin: 'drgn init_uts_ns' },
];

/** The first kernel release named in the text (searching at most the first `limit` characters). */
export function detectKernelInText(text: string, limit = 2_000_000): DetectedKernel | undefined {
  const t = text.length > limit ? text.slice(0, limit) : text;
  let best: { idx: number; k: DetectedKernel } | undefined;
  for (const r of RULES) {
    const m = r.re.exec(t);
    if (m && (!best || m.index < best.idx)) best = { idx: m.index, k: { release: m[1], origin: r.origin } };
  }
  return best?.k;
}
