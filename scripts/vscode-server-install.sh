#!/usr/bin/env bash
# Installs a VS Code server (the one bundled in code-server 4.100.3) plus Debian's Chromium, offline-safe:
# no GitHub downloads, only the Debian and npm registries. Idempotent; the result is cached in
#   ${KMEMMAP_VSCODE_CACHE:-$HOME/.cache/kmemmap-vscode}/tools
# and reused when the stamp file matches. Prints the server-main.js path on the last line.
# Recipe: docs/testing.md, "Which VS Code: offline, no download".
set -euo pipefail

CODE_SERVER_VERSION=4.100.3
CACHE="${KMEMMAP_VSCODE_CACHE:-$HOME/.cache/kmemmap-vscode}"
TOOLS="$CACHE/tools"
STAMP="$TOOLS/.installed-$CODE_SERVER_VERSION"
VSCODE="$TOOLS/node_modules/code-server/lib/vscode"
SERVER_MAIN="$VSCODE/out/server-main.js"

log() { echo "[vscode-install] $*" >&2; }

need_apt=()
command -v rg >/dev/null 2>&1 || need_apt+=(ripgrep)
[ -x /usr/bin/chromium ] || need_apt+=(chromium)
[ -f /usr/include/gssapi/gssapi.h ] || [ -f "$STAMP" ] || need_apt+=(libkrb5-dev)
if [ ${#need_apt[@]} -gt 0 ]; then
  log "apt-get install ${need_apt[*]}"
  sh "$(dirname "$0")/apt-install.sh" "${need_apt[@]}"
fi

if [ -f "$STAMP" ] && [ -f "$SERVER_MAIN" ]; then
  log "cached: $TOOLS"
  echo "$SERVER_MAIN"
  exit 0
fi

mkdir -p "$TOOLS"
# One installer at a time (parallel CI jobs on one machine); the loser finds the stamp and returns.
exec 9>"$CACHE/.install.lock"
flock 9
if [ -f "$STAMP" ] && [ -f "$SERVER_MAIN" ]; then
  log "cached (installed meanwhile): $TOOLS"
  echo "$SERVER_MAIN"
  exit 0
fi

start=$(date +%s)
cd "$TOOLS"
[ -f package.json ] || echo '{ "name": "kmemmap-vscode-tools", "private": true }' > package.json

log "npm install code-server@$CODE_SERVER_VERSION --ignore-scripts"
npm install --no-audit --no-fund --ignore-scripts "code-server@$CODE_SERVER_VERSION" >&2

cd "$VSCODE"
log "lib/vscode: npm install --omit=dev --ignore-scripts"
npm install --no-audit --no-fund --omit=dev --ignore-scripts >&2
# Its postinstall downloads ripgrep from GitHub; use Debian's instead.
mkdir -p node_modules/@vscode/ripgrep/bin
cp -f "$(command -v rg)" node_modules/@vscode/ripgrep/bin/rg
log "lib/vscode: npm rebuild (native modules)"
npm_config_yes=true npm rebuild >&2

# The symlinks code-server's postinstall.sh would make.
ln -sfn node_modules node_modules.asar
[ -e bin/remote-cli/code-linux.sh ] && ln -sfn code-linux.sh bin/remote-cli/code-server
[ -e bin/helpers/browser-linux.sh ] && ln -sfn browser-linux.sh bin/helpers/browser.sh
log "lib/vscode/extensions: npm install --omit=dev"
(cd extensions && npm install --no-audit --no-fund --omit=dev >&2)

cd "$TOOLS"
log "npm rebuild argon2"
npm_config_yes=true npm rebuild argon2 >&2

[ -f "$SERVER_MAIN" ] || { log "missing $SERVER_MAIN"; exit 1; }
touch "$STAMP"
log "installed in $(( $(date +%s) - start )) s: $TOOLS"
echo "$SERVER_MAIN"
