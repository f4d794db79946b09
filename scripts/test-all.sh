#!/usr/bin/env bash
# The whole test suite, from a fresh Debian 12 + Node 20 machine (run after `npm ci`):
# installs what the tests need (apt and npm only), makes the lab snapshots that are missing,
# then runs every tier that exists. Used by `npm test` and by CI (.ci/run).
#
#   KMEMMAP_SKIP_SETUP=1   skip the apt/npm setup steps (they are idempotent anyway)
#   KMEMMAP_TIERS="unit webview vscode e2e"   run only these tiers
set -euo pipefail
cd "$(dirname "$0")/.."

stage() { printf '\n=== %s (%s)\n' "$1" "$(date +%T)"; }
has_script() { node -e "process.exit(require('./package.json').scripts['$1'] ? 0 : 1)"; }
tiers=" ${KMEMMAP_TIERS:-unit webview vscode e2e} "
t0=$SECONDS

if [ -z "${KMEMMAP_SKIP_SETUP:-}" ]; then
  stage "setup: lab tools"
  sh scripts/lab-deps.sh
  if [ -f scripts/kernel-sources.sh ]; then
    stage "setup: Debian kernel sources"
    if [ ! -f /usr/src/linux-source-6.1.tar.xz ] || [ ! -f /usr/src/linux-source-6.12.tar.xz ]; then
      SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
      $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends linux-source-6.1 linux-source-6.12 xz-utils \
        || { $SUDO apt-get update && $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends linux-source-6.1 linux-source-6.12 xz-utils; }
    fi
    sh scripts/kernel-sources.sh
  fi
  if [[ "$tiers" == *" vscode "* || "$tiers" == *" e2e "* || "$tiers" == *" webview "* ]] && [ -f scripts/vscode-server-install.sh ]; then
    stage "setup: VS Code server and Chromium"
    bash scripts/vscode-server-install.sh
  fi
fi

stage "build and typecheck"
npm run build --silent
npm run typecheck --silent

stage "lab: real kernel snapshots (cached)"
node out/lab/lab.js --ensure-ci-sets

for tier in unit webview vscode e2e; do
  [[ "$tiers" == *" $tier "* ]] || continue
  has_script "test:$tier" || { echo "(no test:$tier tier yet)"; continue; }
  stage "tier: $tier"
  npm run --silent "test:$tier"
done

stage "done in $((SECONDS - t0)) s"
