#!/usr/bin/env bash
# Opt-in lab step: runs a given crash (e.g. the crash 8.0.6 of build-crash.sh, which opens 6.4+
# kernels) on the lab's dumps, read-only, and writes its outputs to a folder of your own (never into
# the lab). bench/bare-listing.ts compares them with drgn's walk of the same dumps.
#
#   test/lab/tools/crash-listings.sh --crash PATH --out DIR [--sets 'glob'] [--force]
#
# Per set it writes DIR/<set>/:
#   crash-session.txt   one session with "crash> cmd" prompts: sys, kmem -n, kmem -g, sym balloon_mops,
#                       dev -i, kmem -m <members this kernel has>, kmem -p
#   crash-kmem-p.txt    the kmem -p listing alone (header and rows, no prompt), as a user saves it
#   crash-stderr.txt, crash-seconds.txt, crash-version.txt
#   drgn-export.tsv     drgn's walk (tools/drgn/memmap_export.py), only for a set whose lab folder has none
# A set whose crash-kmem-p.txt exists is skipped (--force remakes it). Big sets are skipped.
set -euo pipefail
REPO="$(cd "$(dirname "$0")/../../.." && pwd)"

PY="${KMEMMAP_PYTHON:-/usr/bin/python3}"
LAB="${KMEMMAP_LAB_DIR:-$HOME/.cache/kmemmap-lab}"
CRASH=""; OUT=""; SET_GLOB='*'; FORCE=0
while [ $# -gt 0 ]; do
  case "$1" in
    --crash) CRASH="$2"; shift ;;
    --out) OUT="$2"; shift ;;
    --sets) SET_GLOB="$2"; shift ;;
    --force) FORCE=1 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
[ -x "$CRASH" ] && [ -n "$OUT" ] || { echo "usage: $0 --crash PATH --out DIR [--sets glob] [--force]" >&2; exit 2; }
case "$(cd "$(dirname "$OUT")" 2>/dev/null && pwd)/" in "$LAB"/*) echo "refusing to write into the lab ($LAB)" >&2; exit 2 ;; esac
log() { echo "[crash-listings] $*" >&2; }
VERSION=$("$CRASH" --version 2>/dev/null | sed -n 's/^crash \([0-9.]*\).*/\1/p' | head -1)

json_get() { "$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval("d"+sys.argv[2]))' "$@"; }

run_set() {
  local d="$1" set out rel vmlinux members
  set=$(basename "$d"); out="$OUT/$set"
  [ "$(json_get "$d/manifest.json" '.get("big", False)')" = True ] && { log "$set: big set, skipped"; return; }
  [ -s "$out/crash-kmem-p.txt" ] && [ "$FORCE" = 0 ] && { log "$set: done already"; return; }
  rel=$(json_get "$d/manifest.json" '["kernel"]["release"]')
  vmlinux="$LAB/tools/vmlinux-$rel"
  [ -s "$vmlinux" ] && [ -s "$d/vmcore.elf" ] || { log "$set: no vmlinux-$rel or vmcore.elf, skipped"; return; }
  # What kmem -p does not print. compound_dtor left struct page in 6.6 (hugetlb became a flag, then a
  # page type); asking crash for a member the kernel lacks fails the whole command.
  case "$rel" in
    [0-5].*|6.[0-5].*) members="_mapcount,compound_dtor,compound_head,private" ;;
    *) members="_mapcount,compound_head,private" ;;
  esac
  mkdir -p "$out"
  local cmds="$out/crash-commands.txt" c
  : > "$cmds"
  for c in "sys" "kmem -n" "kmem -g" "sym balloon_mops" "dev -i" "kmem -m $members" "kmem -p"; do
    printf '!echo "crash> %s"\n%s\n' "$c" "$c" >> "$cmds"
  done
  echo quit >> "$cmds"
  log "crash $VERSION on $set ($rel)"
  local t0; t0=$(date +%s)
  timeout 1800 nice -n 10 "$CRASH" -s "$vmlinux" "$d/vmcore.elf" < "$cmds" > "$out/crash-session.txt" 2> "$out/crash-stderr.txt" || log "$set: crash exited $?"
  awk '/^crash> kmem -p$/{on=1; next} /^crash> /{on=0} on' "$out/crash-session.txt" > "$out/crash-kmem-p.txt"
  echo $(( $(date +%s) - t0 )) > "$out/crash-seconds.txt"
  echo "$VERSION" > "$out/crash-version.txt"
  log "$set: $(grep -c . "$out/crash-kmem-p.txt") kmem -p lines in $(cat "$out/crash-seconds.txt") s"
  if [ ! -s "$d/tools/drgn-export.tsv" ] && [ ! -s "$out/drgn-export.tsv" ] && command -v drgn >/dev/null; then
    log "$set: the lab has no drgn export; drgn's walk into $out"
    DRGN_USE_LIBKDUMPFILE_FOR_ELF=1 timeout 1800 nice -n 10 drgn -q -c "$d/vmcore.elf" -s "$vmlinux" \
      "$REPO/tools/drgn/memmap_export.py" -o "$out/drgn-export.tsv" 2> "$out/drgn-stderr.txt" || log "$set: drgn exited $?"
  fi
}

for d in "$LAB"/sets/$SET_GLOB; do
  [ -f "$d/manifest.json" ] && run_set "$d"
done
