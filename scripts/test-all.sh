#!/usr/bin/env bash
# The whole test suite, from a fresh Debian 12 + Node 20 machine (run after `npm ci`): installs what
# the tests need (apt and npm only), makes the lab snapshots and the outputs derived from them that
# are missing (makedumpfile dumps, crash and drgn outputs), then runs every tier. Used by `npm test`
# and by CI (.ci/run). Ends with one line "N passed, N failed" summed over the tiers; a tier that
# fails does not stop the later tiers, a tier that ran no test fails. The lint tier (ESLint and the
# prettier check, two checks) runs right after the build, before the lab, and counts like the others.
#
#   KMEMMAP_SKIP_SETUP=1   skip the apt/npm setup steps (they are idempotent anyway)
#   KMEMMAP_TIERS="lint fuzz unit webview vscode e2e"   run only these tiers
#   KMEMMAP_FUZZ_MINUTES=N                          minutes of the fuzz tier (default 3)
set -euo pipefail
cd "$(dirname "$0")/.."

t0=$SECONDS
stage_name=""
stage_start=$SECONDS
stage_times=()
end_stage() { [ -z "$stage_name" ] || stage_times+=("$(printf '%5d s  %s' $((SECONDS - stage_start)) "$stage_name")"); }
stage() { end_stage; stage_name="$1"; stage_start=$SECONDS; printf '\n=== %s (%s)\n' "$1" "$(date +%T)"; }
has_script() { node -e "process.exit(require('./package.json').scripts['$1'] ? 0 : 1)"; }
tiers=" ${KMEMMAP_TIERS:-lint fuzz unit webview vscode e2e} "

# Debian kernel lines whose sources (with Debian's config) the knowledge tables are checked against.
SOURCE_LINES="6.1 6.12"
# Lab sets that get crash/drgn outputs (drgn 0.0.22 reads 5.10, 6.1, 6.12 and 7.3, x86_64 and arm64;
# crash 8.0.2 reads only the x86_64 6.1 and 5.10 dumps) and makedumpfile-derived dumps (LZO, zlib, -d 31,
# split sets, -E ELF), as a glob per set. test/unit/memmap/ciSets.test.ts checks these against test/lab/sets.ts.
TOOL_SETS="6.1-balloon 6.1-baseline 6.12-baseline 6.12-virtio-mem 5.10-offline-block 7.3-offline-block 7.3-load-nokaslr arm64-6.12-baseline arm64-6.12-offline-block arm64-6.12-load-nokaslr arm64-7.3-offline-block arm64-7.3-load-nokaslr"
DERIVE_SETS="6.1-balloon,6.12-balloon,5.10-offline-block,7.3-offline-block"

if [ -z "${KMEMMAP_SKIP_SETUP:-}" ]; then
  stage "setup: lab tools (x86_64 and arm64), kernel sources, crash, drgn, makedumpfile, ripgrep (apt)"
  sh scripts/lab-deps.sh --with-tools
  pkgs="xz-utils ripgrep crash python3-drgn makedumpfile"
  # the arm64 lab (CI sets arm64-*): QEMU for aarch64 and the cross compiler + static libc for labload
  # (test/lab/deps.ts ensureArm64Tools installs the same when missing); its kernels, busybox-static:arm64 and
  # -dbg packages come through the lab's private arm64 apt lists
  pkgs="$pkgs qemu-system-arm gcc-aarch64-linux-gnu libc6-dev-arm64-cross"
  for v in $SOURCE_LINES; do pkgs="$pkgs linux-source-$v linux-config-$v"; done
  # shellcheck disable=SC2086
  sh scripts/apt-install.sh $pkgs
  stage "setup: unpack Debian kernel sources"
  sh scripts/kernel-sources.sh
  # 5.10 and 7.3: the few files realTreesBeyond.test.ts reads, through private apt lists
  sh scripts/kernel-sources-beyond.sh
  if [[ "$tiers" == *" vscode "* || "$tiers" == *" e2e "* || "$tiers" == *" webview "* ]]; then
    stage "setup: VS Code server and Chromium"
    bash scripts/vscode-server-install.sh
  fi
fi

stage "build and typecheck"
npm run build --silent
npm run typecheck --silent

counts_file=$(mktemp)
trap 'rm -f "$counts_file"' EXIT
failed_tiers=()

# Lint: ESLint (errors fail, warnings are listed) and the prettier check, each one counted check.
if [[ "$tiers" == *" lint "* ]]; then
  stage "tier: lint (eslint, prettier --check)"
  lint_passed=0 lint_failed=0
  for check in lint format:check; do
    if npm run --silent "$check"; then lint_passed=$((lint_passed + 1)); else lint_failed=$((lint_failed + 1)); echo "lint: npm run $check failed"; fi
  done
  echo "{\"tier\":\"lint\",\"passed\":$lint_passed,\"failed\":$lint_failed,\"skipped\":0}" >> "$counts_file"
  [ "$lint_failed" -eq 0 ] || failed_tiers+=("lint")
fi

# Fuzz: every reader of untrusted input for a few minutes on both cores, a fixed seed (the same
# inputs each run, as far as the time goes); one check per reader, failed when it crashed or hung.
if [[ "$tiers" == *" fuzz "* ]]; then
  stage "tier: fuzz (${KMEMMAP_FUZZ_MINUTES:-3} min, every reader)"
  KMEMMAP_COUNTS_FILE="$counts_file" node --max-old-space-size=2048 out/bench/fuzz.js \
    --minutes "${KMEMMAP_FUZZ_MINUTES:-3}" --jobs 2 --seed 20261203 || failed_tiers+=("fuzz")
fi

stage "lab: real kernel snapshots, x86_64 and arm64 (cached)"
node out/lab/lab.js --ensure-ci-sets

stage "lab: makedumpfile-derived dumps (cached)"
node out/lab/derive-dumps.js --sets "$DERIVE_SETS"

stage "lab: crash and drgn outputs, -dbg vmlinux (cached)"
for s in $TOOL_SETS; do bash test/lab/tools/run-tools.sh --sets "$s"; done

for tier in unit webview vscode e2e; do
  [[ "$tiers" == *" $tier "* ]] || continue
  has_script "test:$tier" || { echo "(no test:$tier tier yet)"; continue; }
  stage "tier: $tier"
  before=$(wc -l < "$counts_file")
  if ! KMEMMAP_COUNTS_FILE="$counts_file" KMEMMAP_TIER="$tier" npm run --silent "test:$tier"; then failed_tiers+=("$tier"); fi
  if [ "$(wc -l < "$counts_file")" -eq "$before" ]; then
    echo "tier $tier: no counts recorded (the runner did not finish)"
    echo "{\"tier\":\"$tier\",\"passed\":0,\"failed\":1,\"skipped\":0}" >> "$counts_file"
    [[ " ${failed_tiers[*]-} " == *" $tier "* ]] || failed_tiers+=("$tier")
  fi
done
end_stage
stage_name=""

printf '\n=== stage times\n'
printf '%s\n' "${stage_times[@]}"
printf '%5d s  total\n' $((SECONDS - t0))
summary=$(node scripts/tier-summary.mjs "$counts_file") || failed_tiers+=("summary")
printf '\n%s\n' "$summary"
[ ${#failed_tiers[@]} -eq 0 ] || exit 1
