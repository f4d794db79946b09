// Dump format from the first bytes of a file (makes no claim about validity beyond the magic).
import { isElfHeader } from './elfHeaders';
import { isFlattenedHeader } from './flattened';
import { isKdumpHeader } from './kdumpHeader';

export type DumpFormat = 'elf' | 'kdump' | 'diskdump' | 'flattened';

/** 'elf' | 'kdump' | 'diskdump' | 'flattened' (makedumpfile -F stream), or undefined when not a dump. */
export function detectDumpFormat(header: Buffer): DumpFormat | undefined {
  if (isElfHeader(header)) return header.length >= 17 && header[16] === 4 ? 'elf' : undefined; // ET_CORE only
  if (isKdumpHeader(header)) return header.subarray(0, 8).toString('latin1') === 'DISKDUMP' ? 'diskdump' : 'kdump';
  if (isFlattenedHeader(header)) return 'flattened';
  return undefined;
}
