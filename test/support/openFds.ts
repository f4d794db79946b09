// What this process holds open, from /proc/self/fd: tests that a reader releases its files.

import { readdirSync, readlinkSync } from 'node:fs';

/** Descriptors of this process open on a path under prefix (a file the kernel may since have deleted). */
export function openFdsUnder(prefix: string, opts: { deletedOnly?: boolean } = {}): number {
  return readdirSync('/proc/self/fd').filter((fd) => {
    try {
      const l = readlinkSync(`/proc/self/fd/${fd}`);
      return l.startsWith(prefix) && (!opts.deletedOnly || l.endsWith('(deleted)'));
    } catch {
      return false; // closed between readdir and readlink (the readdir's own descriptor)
    }
  }).length;
}
