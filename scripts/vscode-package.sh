#!/usr/bin/env bash
# Builds and packages the extension as kernel-memmap-explorer.vsix at the repository root (everything
# is bundled by esbuild, so --no-dependencies), then checks the archive holds what the extension needs.
# Prints the .vsix path on the last line.
set -euo pipefail
cd "$(dirname "$0")/.."
VSIX="${KMEMMAP_VSIX:-$PWD/kernel-memmap-explorer.vsix}"
npm run build --silent >&2
npx --no-install vsce package --no-dependencies --allow-missing-repository --skip-license --no-rewrite-relative-links --out "$VSIX" >&2
if ! command -v unzip >/dev/null; then echo "[package] unzip missing: contents not checked" >&2; echo "$VSIX"; exit 0; fi
listing="$(unzip -Z1 "$VSIX")"
need=(extension/package.json extension/out/extension/extension.js extension/out/extension/parseWorker.js extension/out/extension/kdumpDecodeWorker.js extension/out/extension/lzo-wasm.wasm extension/out/webview/main.js extension/out/webview/main.css)
[ -f samples/sample-6.12-virtio-mem.tar.gz ] && need+=(extension/samples/sample-6.12-virtio-mem.tar.gz)
need+=(extension/out/extension/compareWorker.js extension/out/webview/diff.js extension/out/webview/diff.css) # the diff panel
need+=(extension/THIRD_PARTY_NOTICES.md) # licenses of what the .vsix ships, LGPL notice of lzo-wasm.wasm
for f in "${need[@]}"; do
  grep -qx "$f" <<<"$listing" || { echo "[package] $VSIX lacks $f" >&2; exit 1; }
done
if grep -q '^extension/node_modules/\|^extension/out/test/\|\.map$' <<<"$listing"; then
  echo "[package] $VSIX ships files it should not (node_modules, tests or source maps)" >&2; exit 1
fi
echo "[package] $(wc -l <<<"$listing") files, $(du -h "$VSIX" | cut -f1)" >&2
echo "$VSIX"
