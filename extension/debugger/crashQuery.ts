// The crash side of "Ask crash/drgn About a Page": `kmem -P <physical address>` prints the page's
// `kmem -p` row and, for a slab page, the `kmem -s`-style cache table (CACHE … NAME). Pure: no vscode.

import type { AnswerField } from './answer';

export function crashPageCommand(pfn: number, pageSize: number): string {
  if (!Number.isSafeInteger(pfn) || pfn < 0) throw new Error(`not a PFN: ${pfn}`);
  return `kmem -P 0x${(BigInt(pfn) * BigInt(pageSize)).toString(16)}`;
}

/** Facts from `kmem -P` output: the page row (PAGE PHYSICAL MAPPING INDEX CNT FLAGS) and the slab cache. */
export function parseCrashKmem(text: string): AnswerField[] {
  const fields: AnswerField[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const head = lines[i].trim().split(/\s+/);
    const row = lines[i + 1]?.trim().split(/\s+/) ?? [];
    if (head[0] === 'PAGE' && head[1] === 'PHYSICAL' && row.length >= 6 && /^[0-9a-f]+$/i.test(row[0])) {
      fields.push({ key: 'page', value: '0x' + row[0] }, { key: 'physical', value: '0x' + row[1] });
      fields.push({ key: 'mapping', value: '0x' + row[2] }, { key: 'index', value: '0x' + row[3] });
      fields.push({ key: 'refcount', value: row[4] }, { key: 'flags', value: '0x' + row[5] });
      if (row.length > 6) fields.push({ key: 'flags.decoded', value: row.slice(6).join(' ') });
    } else if (
      head[0] === 'CACHE' &&
      head.includes('NAME') &&
      row.length >= head.length &&
      /^[0-9a-f]+$/i.test(row[0])
    ) {
      const col = (n: string) => row[head.indexOf(n)];
      fields.push(
        { key: 'slab', value: 'yes' },
        { key: 'slab_cache', value: row.slice(head.indexOf('NAME')).join(' ') },
      );
      fields.push({ key: 'slab_cache.address', value: '0x' + row[0] });
      if (head.includes('OBJSIZE')) fields.push({ key: 'slab_cache.object_size', value: col('OBJSIZE') });
    }
  }
  return fields;
}
