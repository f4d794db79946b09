// The one kernel version type: major.minor as one number, major * 100 + minor (6.17 → 617), so that
// versions and inclusive ranges of them compare with < and >=. Patch levels never decide a rule here.

/** A kernel version major.minor encoded as major * 100 + minor (6.17 → 617, 5.10 → 510). */
export type KernelVersion = number;

/** Inclusive range of kernel versions [first, last]. */
export type VersionRange = [first: KernelVersion, last: KernelVersion];

/** The version major.minor. */
export const kernelVersion = (major: number, minor: number): KernelVersion => major * 100 + minor;

export const versionMajor = (v: KernelVersion): number => Math.floor(v / 100);
export const versionMinor = (v: KernelVersion): number => v % 100;

/** Newer than every kernel: the open end of a range. */
export const NEWEST_POSSIBLE: KernelVersion = 9999;

/** Every version: a range that rules nothing out. */
export const ANY_VERSION: VersionRange = [0, NEWEST_POSSIBLE];

/** "6.12.117+deb12-amd64", "6.12" → 612; undefined when not a recognisable release string. */
export function parseRelease(release: string): KernelVersion | undefined {
  const m = /^(\d+)\.(\d+)/.exec(release.trim());
  return m ? kernelVersion(Number(m[1]), Number(m[2])) : undefined;
}

/** 612 → "6.12". */
export const formatVersion = (v: KernelVersion): string => `${versionMajor(v)}.${versionMinor(v)}`;

/** A version is inside an inclusive range. */
export const inVersionRange = (v: KernelVersion, r: VersionRange): boolean => v >= r[0] && v <= r[1];

/** Two inclusive ranges share a version. */
export const rangesOverlap = (a: VersionRange, b: VersionRange): boolean => a[0] <= b[1] && a[1] >= b[0];

/** The versions both ranges allow (empty when first > last). */
export const intersectRanges = (a: VersionRange, b: VersionRange): VersionRange => [
  Math.max(a[0], b[0]),
  Math.min(a[1], b[1]),
];
