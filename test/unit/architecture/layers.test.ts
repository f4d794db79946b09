// The layers of the source tree import one way only (README, "Architecture"): a file may import
// from its own layer and from the layers listed for it, never from a layer above it. A new import
// that points upward fails here with the file and the import named.
import * as assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative, sep } from 'node:path';

// The bundle runs from out/test/unit/architecture.
const ROOT = join(__dirname, '..', '..', '..', '..');

/** Each layer and the layers below it that it may import. */
const MAY_IMPORT: Record<string, readonly string[]> = {
  kernel: [],
  parsers: ['kernel'],
  arch: ['kernel', 'parsers'],
  memmap: ['kernel', 'parsers', 'arch'],
  backends: ['kernel', 'parsers', 'arch', 'memmap'],
  review: ['kernel', 'parsers', 'arch', 'memmap'],
  shared: ['kernel', 'memmap'],
  cli: ['kernel', 'parsers', 'arch', 'memmap', 'backends', 'review'],
  extension: ['kernel', 'parsers', 'arch', 'memmap', 'backends', 'review', 'shared'],
  webview: ['shared'],
};

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sourceFiles(p));
    else if (/\.tsx?$/.test(name) && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** Relative module specifiers of static imports/exports, import() and require() in a source text. */
export function relativeImports(src: string): string[] {
  const specs: string[] = [];
  const re = /(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|^\s*import\s+)['"](\.{1,2}\/[^'"]+)['"]/gm;
  for (const m of src.matchAll(re)) specs.push(m[1]);
  return specs;
}

/** Every import that leaves its layer for one it may not use, as "file → target". */
function upwardImports(): string[] {
  const bad: string[] = [];
  for (const layer of Object.keys(MAY_IMPORT)) {
    for (const file of sourceFiles(join(ROOT, layer))) {
      for (const spec of relativeImports(readFileSync(file, 'utf8'))) {
        const target = relative(ROOT, normalize(join(dirname(file), spec)));
        const to = target.split(sep)[0];
        if (to !== layer && !MAY_IMPORT[layer].includes(to)) bad.push(`${relative(ROOT, file)} → ${target}`);
      }
    }
  }
  return bad;
}

describe('layers import one way', () => {
  it('no source file imports from a layer above its own', () => {
    assert.deepEqual(upwardImports(), []);
  });

  it('the scan sees imports of every form (so the check above cannot pass by reading nothing)', () => {
    const src =
      "import { a } from '../memmap/x';\nexport * from './y';\nconst z = await import('../../kernel/z');\nimport '../side';\nconst w = require('./w');";
    assert.deepEqual(relativeImports(src), ['../memmap/x', './y', '../../kernel/z', '../side', './w']);
    const files = Object.keys(MAY_IMPORT).flatMap((l) => sourceFiles(join(ROOT, l)));
    assert.ok(files.length > 150, `only ${files.length} source files found under ${ROOT}`);
  });
});
