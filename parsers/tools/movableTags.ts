// Rows of a kmem -p listing whose MAPPING is a movable_ops pointer tagged PAGE_MAPPING_MOVABLE: evidence
// of the kernel version when the listing has no release.
import { CHUNK_PFNS, COVER_PAGE, OFF, PageImage } from './pageImage';

/**
 * Rows whose MAPPING is a movable_ops pointer tagged PAGE_MAPPING_MOVABLE (mapping & 3 == 2, pointing
 * into the kernel image or a module, refcount > 0): balloon or zsmalloc pages of a kernel before 6.17,
 * which dropped the tag (movable_ops pages are a page flag since). Counted over kmem -p rows only.
 */
export function movableTagRows(image: PageImage, onlyKmemP: (pfn: number) => boolean): number {
  let n = 0;
  for (const c of image.chunks())
    for (let i = 0; i < CHUNK_PFNS; i++) {
      if (c.cover[i] !== COVER_PAGE) continue;
      const off = i * 64;
      const lo = c.buf.readUInt32LE(off + OFF.mapping);
      if ((lo & 3) !== 2 || lo < 0x80000000 || c.buf.readUInt32LE(off + OFF.mapping + 4) !== 0xffffffff) continue;
      if (c.buf.readInt32LE(off + OFF.refcount) > 0 && onlyKmemP(c.base + i)) n++;
    }
  return n;
}
