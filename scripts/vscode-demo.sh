#!/usr/bin/env bash
# `npm run demo`: build, package the .vsix, install it into a throwaway VS Code server (installed and
# cached on first use: needs root or sudo for apt the first time), start it on 127.0.0.1 with the
# bundled sample open in the Kernel Memmap Explorer editor, print the URL, run until Ctrl-C.
#   npm run demo             interactive
#   npm run demo -- --smoke  open it in headless Chromium, screenshot test-artifacts/demo/demo.png, exit
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules/@vscode/vsce ] || npm ci
bash scripts/vscode-server-install.sh >/dev/null
VSIX="$(bash scripts/vscode-package.sh | tail -n1)"
exec node out/test/vscode/demo.js "$VSIX" "$@"
