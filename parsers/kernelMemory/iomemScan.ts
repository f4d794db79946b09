// Finding iomem_resource without kallsyms (5.10: VMCOREINFO exports no kallsyms keys). The root of the
// resource tree is a struct resource in the kernel's .data (kernel/resource.c): name "PCI mem",
// start 0, end (1 << x86_phys_bits) - 1 (set by setup_arch), flags IORESOURCE_MEM (0x200), and a
// child. The kernel image is scanned from SYMBOL(_stext) for a struct of that shape whose name reads
// "PCI mem"; only a unique match is used, and the caller checks the tree it leads to ("Kernel code"
// at _stext's physical address) before trusting it.
import type { KernelTranslator } from './translator';

const NAME = Buffer.from('PCI mem\0', 'latin1');
const IORESOURCE_MEM = 0x200n;
/** The kernel image is far smaller; .data and .rodata lie within this of _stext on x86_64. */
const SCAN_BYTES = 64 << 20;
const CHUNK = 1 << 20;

/** Chunks [va, buffer) of the image from _stext (unmapped or filtered chunks skipped). */
function* imageChunks(vm: KernelTranslator, stext: bigint): Generator<[bigint, Buffer]> {
  for (let o = 0; o < SCAN_BYTES; o += CHUNK) {
    const va = stext + BigInt(o);
    const b = vm.read(va, CHUNK);
    if (b) yield [va, b];
  }
}

/**
 * Address of iomem_resource, or undefined (none or several candidates). One pass over the image in
 * 32-bit words: the rare `end` word pattern first, then start, flags, child, and the name.
 */
export function scanForIomemResource(vm: KernelTranslator, stext: bigint): bigint | undefined {
  const found: bigint[] = [];
  for (const [va, b] of imageChunks(vm, stext)) {
    const w = new Uint32Array(b.buffer, b.byteOffset, b.length >>> 2);
    // struct resource: start @0, end @8, name @16, flags @24, child @56 (u32 index = byte offset / 4)
    for (let i = 0; i + 16 <= w.length; i += 2) {
      if (w[i + 2] !== 0xffffffff) continue;
      const hi = w[i + 3];
      if ((hi & (hi + 1)) !== 0 || hi >= 1 << 25 || w[i] !== 0 || w[i + 1] !== 0) continue;
      if ((BigInt(w[i + 6]) & IORESOURCE_MEM) === 0n || (w[i + 14] === 0 && w[i + 15] === 0)) continue;
      const name = (BigInt(w[i + 5]) << 32n) | BigInt(w[i + 4]);
      if (vm.readCString(name, NAME.length) === NAME.toString('latin1', 0, NAME.length - 1))
        found.push(va + BigInt(i * 4));
    }
  }
  return found.length === 1 ? found[0] : undefined;
}
