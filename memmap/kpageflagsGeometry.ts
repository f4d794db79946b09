// The geometry of a kpageflags capture. /proc/kpageflags has one word per page of the kernel's page
// size, which the file itself does not say: scripts/capture-kpageflags.sh records `getconf PAGESIZE`
// in a `pagesize` file; older captures are read in the page size their System RAM proves, else the one
// an arm64 release names (`-16k`, `+64k`), else 4 KiB — with a warning on arm64, where it may be wrong.
import type { CaptureBundle } from '../parsers/capture/bundle';
import { isSystemRam, parseIomem } from '../parsers/capture/iomem';
import { releaseFromUname } from '../parsers/capture/meminfo';
import { SnapshotError } from '../parsers/errors';
import { architectureNamed } from '../arch';
import type { Geometry } from '../arch';

/** Page sizes a Linux kernel on x86_64 or arm64 can have. */
const PAGE_SIZES = [4096, 16384, 65536] as const;

/** A capture's geometry and how its page size was found. */
export interface CaptureGeometry {
  geometry: Geometry;
  /** e.g. "the capture's pagesize file", "System RAM ends at 0x80000000: ..." */
  pageSizeSource: string;
  machine?: 'x86_64' | 'aarch64';
}

/** The machine a capture's uname names, if x86_64 or aarch64. */
export function captureMachine(uname: string | undefined): 'x86_64' | 'aarch64' | undefined {
  return /x86_64/.test(uname ?? '') ? 'x86_64' : /aarch64/.test(uname ?? '') ? 'aarch64' : undefined;
}

/** The page size an arm64 kernel release names: Debian `-arm64-16k`, Ubuntu `-64k`, RHEL/Fedora `+64k`/`+16k`. */
export function pageSizeOfRelease(release: string | undefined): number | undefined {
  const m = /[-+.](16|64)k\b/.exec(release ?? '');
  return m ? Number(m[1]) * 1024 : undefined;
}

/** The `pagesize` file's value: a page size Linux has on x86_64/arm64, else a problem. */
export function parsePageSizeFile(text: string): number | string {
  const t = text.trim();
  const v = /^\d+$/.test(t) ? Number(t) : NaN;
  return (PAGE_SIZES as readonly number[]).includes(v)
    ? v
    : `the capture's pagesize file says ${JSON.stringify(t.slice(0, 40))}, not a page size of x86_64 or arm64 (4096, 16384, 65536)`;
}

/**
 * The smallest page size for which the capture's kpageflags words reach the end of System RAM
 * (/proc/kpageflags covers max_pfn rounded up to a section, so it reaches every RAM page): the page
 * size is at least this. undefined when /proc/iomem has no System RAM (or was captured without root).
 */
export function pageSizeLowerBound(
  words: number,
  iomemText: string | undefined,
): { pageSize: number; ramEnd: number } | undefined {
  if (!iomemText || words <= 0) return undefined;
  const ram = parseIomem(iomemText).filter((r) => isSystemRam(r.name) && r.end > 0);
  if (!ram.length) return undefined;
  const ramEnd = Math.max(...ram.map((r) => r.end + 1));
  const pageSize = PAGE_SIZES.find((ps) => words * ps >= ramEnd);
  return pageSize === undefined ? undefined : { pageSize, ramEnd };
}

/** The geometry to read a capture with; warnings and notes say where its page size came from. */
export function captureGeometry(
  bundle: CaptureBundle,
  words: number,
  warnings: string[],
  notes: string[],
): CaptureGeometry {
  const machine = captureMachine(bundle.texts.uname);
  const release = bundle.texts.uname ? releaseFromUname(bundle.texts.uname) : undefined;
  const { pageSize, source } = capturePageSize(bundle, machine, release, words, warnings);
  if (machine === 'x86_64' && pageSize !== 4096)
    throw new SnapshotError(
      bundle.source,
      `x86_64 capture whose page size reads as ${pageSize} bytes (${source}): x86_64 has 4 KiB pages only; the capture is inconsistent`,
    );
  const arch = architectureNamed(machine ?? 'x86_64')!;
  const geometry = arch.geometry(undefined, pageSize);
  notes.push(`page size ${pageSize / 1024} KiB (${source}); ${geometry.sources.slice(1).join('; ')}`);
  return { geometry, pageSizeSource: source, machine };
}

function capturePageSize(
  bundle: CaptureBundle,
  machine: string | undefined,
  release: string | undefined,
  words: number,
  warnings: string[],
): { pageSize: number; source: string } {
  // x86_64 has 4 KiB pages only: its System RAM is not asked (a pagesize file saying otherwise is refused)
  const bound = machine === 'aarch64' ? pageSizeLowerBound(words, bundle.texts.iomem) : undefined;
  const boundText = (b: { pageSize: number; ramEnd: number }) =>
    `${words} kpageflags words reach System RAM's end 0x${b.ramEnd.toString(16)} only with pages of at least ${b.pageSize / 1024} KiB`;
  const file = bundle.texts.pagesize !== undefined ? parsePageSizeFile(bundle.texts.pagesize) : undefined;
  if (typeof file === 'string') warnings.push(`${file}: ignored`);
  if (typeof file === 'number') {
    if (bound && bound.pageSize > file)
      warnings.push(
        `the capture's pagesize file says ${file} but ${boundText(bound)}: the capture is inconsistent; read with ${file}-byte pages`,
      );
    return { pageSize: file, source: "the capture's pagesize file" };
  }
  const named = machine === 'aarch64' ? pageSizeOfRelease(release) : undefined;
  if (bound && bound.pageSize > 4096) {
    if (named !== undefined && named !== bound.pageSize)
      warnings.push(
        `release ${release} names ${named / 1024} KiB pages but ${boundText(bound)}; read with ${bound.pageSize / 1024} KiB pages`,
      );
    return { pageSize: bound.pageSize, source: `no pagesize file; ${boundText(bound)}` };
  }
  if (named !== undefined)
    return {
      pageSize: named,
      source: `no pagesize file; the arm64 release ${release} names ${named / 1024} KiB pages${bound ? '' : ' (no System RAM in /proc/iomem to check it against)'}`,
    };
  if (machine === 'aarch64')
    warnings.push(
      `arm64 capture without a pagesize file (captured before scripts/capture-kpageflags.sh recorded it) whose release ${release ?? '(unknown)'} names no page size: read with 4 KiB pages${bound ? ', which its System RAM allows' : ''}; a 16 or 64 KiB-page kernel would be drawn wrong — capture again to record the page size`,
    );
  return {
    pageSize: 4096,
    source:
      machine === 'aarch64'
        ? 'assumed: no pagesize file'
        : machine === 'x86_64'
          ? 'x86_64'
          : 'assumed: no pagesize file, no uname',
  };
}
