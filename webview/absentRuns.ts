// Runs of absent memory in a snapshot: sections with no memmap (state absent, or every page
// no-memmap) and section ranges the overview does not list at all (holes, unpopulated hotplug
// space; but not between the sections a bare crash/drgn listing touches). Half-open PFN ranges,
// section-aligned, in address order.

import type { Overview, PfnRange } from '../shared/protocol';

export type { PfnRange };

export function absentRuns(o: Overview): PfnRange[] {
  if (!o.sections.length) return []; // no section listing: nothing is known to be absent
  // A crash/drgn listing without a section table (`kmem -n`) lists only the sections its rows touch:
  // the others are not in the listing, not absent.
  if (/^(crash-log|drgn-repl)$/.test(o.format) && o.sections.every((s) => s.flags === undefined)) return [];
  const pps = o.pfnsPerSection;
  const noMemmap = o.classNames.indexOf('no-memmap');
  const origin = Math.floor(o.startPfn / pps) * pps;
  const nSections = Math.ceil((o.endPfn - origin) / pps);
  const present = new Uint8Array(nSections);
  for (const s of o.sections) {
    const absent = s.state === 'absent' || (s.uniformClass !== undefined && s.uniformClass === noMemmap);
    if (absent) continue;
    const a = Math.max(0, Math.floor((s.startPfn - origin) / pps));
    const b = Math.min(nSections, Math.ceil((s.startPfn + s.nrPfns - origin) / pps));
    present.fill(1, a, b);
  }
  const runs: PfnRange[] = [];
  for (let i = 0; i < nSections;) {
    if (present[i]) {
      i++;
      continue;
    }
    let j = i;
    while (j < nSections && !present[j]) j++;
    runs.push([Math.max(o.startPfn, origin + i * pps), Math.min(o.endPfn, origin + j * pps)]);
    i = j;
  }
  return runs;
}

/** "3.0 GiB absent: 0x40000000–0xffffffff" */
export function describeAbsent(r: PfnRange, pageSize: number): string {
  const bytes = (r[1] - r[0]) * pageSize;
  const size = bytes >= 2 ** 30 ? `${(bytes / 2 ** 30).toFixed(1)} GiB` : `${(bytes / 2 ** 20).toFixed(0)} MiB`;
  const a = BigInt(r[0]) * BigInt(pageSize);
  const b = BigInt(r[1]) * BigInt(pageSize) - 1n;
  return `${size} absent: 0x${a.toString(16)}–0x${b.toString(16)}`;
}
