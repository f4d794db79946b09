#!/usr/bin/env bash
# Lab step (npm run lab:tools; CI runs it): runs Debian's crash and drgn on the lab's dumps and stores
# their outputs next to each set, for the tests in test/unit/memmap/toolOutput*.test.ts.
#
#   test/lab/tools/run-tools.sh [--fetch-only] [--sets 'glob'] [--skip-crash] [--skip-drgn] [--force]
#
# A set whose tools/tools.json exists is left as it is (--force remakes its outputs); exits 1 when a tool
# wrote no output for a set.
#
# Needs: apt-get (crash 8.0.2, python3-drgn 0.0.22 are installed with apt) and ~1.9 GB of downloads:
# the linux-image-<release>-dbg .deb of each lab kernel (5.10's and 7.x's through the lab's private apt
# lists, see apt_opts_for). Only the vmlinux is extracted from them
# into $LAB/tools/vmlinux-<release>; the .deb is deleted afterwards; nothing is installed system-wide.
#
# Per set it writes <set>/tools/:
#   crash-session.txt    one crash session with "crash> cmd" prompts (sys, kmem -n/-i/-f/-g, sym balloon_mops, dev -i, kmem -m,
#                        kmem <page>, struct page <page>, kmem -p) (6.1 and 5.10 only: crash 8.0.2 cannot open >= 6.4 kernels)
#   crash-kmem-p.txt     the kmem -p listing alone (header and rows, no prompt)
#   drgn-export.tsv      our drgn export (tools/drgn/memmap_export.py), see docs/drgn-export.md
#   drgn-repl-page.txt   the drgn REPL's printing of a few struct pages
#   tools.json           versions, commands, timings
# Big sets (`npm run lab -- --big`, manifest "big": true, 16 GiB guests) get only their vmlinux: crash's
# kmem -p of 4 M pages is ~400 MB of text and the drgn export as big; the tests skip big sets anyway and
# bench/bench-vmcore.ts needs only the vmlinux.
set -euo pipefail

PY="${KMEMMAP_PYTHON:-/usr/bin/python3}"  # Debian python3 (python3-drgn lives in its dist-packages)
HERE="$(cd "$(dirname "$0")" && pwd)"
REPO="$(cd "$HERE/../../.." && pwd)"
LAB="${KMEMMAP_LAB_DIR:-$HOME/.cache/kmemmap-lab}"
TOOLS="$LAB/tools"
FETCH_ONLY=0; SKIP_CRASH=0; SKIP_DRGN=0; FORCE=0; SET_GLOB='*'
while [ $# -gt 0 ]; do
  case "$1" in
    --fetch-only) FETCH_ONLY=1 ;;
    --skip-crash) SKIP_CRASH=1 ;;
    --skip-drgn) SKIP_DRGN=1 ;;
    --force) FORCE=1 ;;
    --sets) SET_GLOB="$2"; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
mkdir -p "$TOOLS"
log() { echo "[lab:tools] $*" >&2; }

ensure_packages() {
  local need=()
  command -v crash >/dev/null || need+=(crash)
  "$PY" -c 'import drgn' 2>/dev/null || need+=(python3-drgn)
  if [ ${#need[@]} -gt 0 ]; then
    log "installing ${need[*]} with apt-get"
    sh "$REPO/scripts/apt-install.sh" "${need[@]}"
  fi
}

# apt options for a release's -dbg package: the kernels bookworm's amd64 lists lack (5.10 from bullseye, 7.x
# from trixie-backports, every arm64 kernel) come through the private sources list the lab fetched the kernel with
# (<lab>/kernels/apt-<short>/, test/lab/kernels.ts), never /etc/apt.
apt_opts_for() {
  local short; short=$(echo "$1" | cut -d. -f1,2)
  # arm64 kernels (release ...-arm64 or ...-arm64-16k): the lab's private arm64 list of that flavour and line
  # (<lab>/kernels/apt-arm64-<short>/ or apt-arm64-16k-<short>/), read with APT::Architecture=arm64
  local key="" arch=""
  case "$1" in
    *-arm64-16k) key="arm64-16k-$short"; arch=arm64 ;;
    *-arm64) key="arm64-$short"; arch=arm64 ;;
    5.10.*|7.*) key="$short" ;;
    *) return 0 ;;
  esac
  local a="$LAB/kernels/apt-$key"
  [ -s "$a/sources.list" ] || { log "no $a/sources.list (made when the lab fetches the $key kernel)"; return 1; }
  local o="-o Dir::Etc::SourceList=$a/sources.list -o Dir::Etc::SourceParts=/dev/null -o Dir::State::Lists=$a/lists -o Dir::Cache=$a/cache"
  [ -z "$arch" ] || o="$o -o APT::Architecture=$arch -o APT::Architectures::=$arch"
  [ -n "$(ls "$a/lists" 2>/dev/null | grep -v partial || true)" ] || apt-get -q $o update >&2
  echo "$o"
}

# vmlinux for a release, extracted from linux-image-<release>-dbg without installing it.
ensure_vmlinux() {
  local rel="$1" out="$TOOLS/vmlinux-$1"
  [ -s "$out" ] && { echo "$out"; return; }
  local pkg="linux-image-$rel-dbg" dl="$TOOLS/dl-$rel"
  mkdir -p "$dl"; chmod a+rwx "$dl"
  local deb; deb=$(ls "$dl"/"$pkg"_*.deb 2>/dev/null | head -1 || true)
  if [ -z "$deb" ]; then
    log "downloading $pkg (about 1 GB)"
    local opts; opts=$(apt_opts_for "$rel")
    # shellcheck disable=SC2086
    (cd "$dl" && apt-get $opts download "$pkg" >&2)
    deb=$(ls "$dl"/"$pkg"_*.deb | head -1)
  fi
  log "extracting vmlinux-$rel from $(basename "$deb")"
  # 7.x packages make boot/vmlinux-<rel> a symlink to lib/modules/<rel>/vmlinux: extract both, keep the file
  local x="$dl/x"
  rm -rf "$x"; mkdir -p "$x"
  dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$x" --wildcards './usr/lib/debug/*vmlinux*'
  local f; f=$(readlink -f "$x/usr/lib/debug/boot/vmlinux-$rel")
  [ -s "$f" ] || { log "no vmlinux-$rel in $(basename "$deb")"; return 1; }
  mv "$f" "$out"
  rm -rf "$dl"
  echo "$out"
}

release_of_set() { "$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["kernel"]["release"])' "$1/manifest.json"; }
is_big_set() { "$PY" -c 'import json,sys; sys.exit(0 if json.load(open(sys.argv[1])).get("big") is True else 1)' "$1/manifest.json"; }

ensure_packages

RELEASES=()
if [ -n "${KMEMMAP_TOOLS_RELEASES:-}" ]; then
  read -r -a RELEASES <<<"$KMEMMAP_TOOLS_RELEASES"
fi
for d in "$LAB"/sets/$SET_GLOB; do
  [ -f "$d/manifest.json" ] || continue
  RELEASES+=("$(release_of_set "$d")")
done
mapfile -t RELEASES < <(printf '%s\n' "${RELEASES[@]}" | sort -u | grep -v '^$' || true)
for rel in "${RELEASES[@]}"; do ensure_vmlinux "$rel" >/dev/null; done
[ "$FETCH_ONLY" = 1 ] && { log "fetched: ${RELEASES[*]}"; exit 0; }

CRASH_VERSION=$(crash --version 2>/dev/null | sed -n 's/^crash \([0-9.]*\).*/\1/p' | head -1)
DRGN_VERSION=$("$PY" -c 'import drgn; print(drgn.__version__)')

run_crash() {
  local d="$1" vmlinux="$2" out="$1/tools"
  local cmds="$out/crash-commands.txt"
  # A few struct pages of distinct kinds, picked from the drgn export (run first).
  local pages; pages=$("$PY" "$HERE/pick_pages.py" "$out/drgn-export.tsv" 2>/dev/null | head -6 || echo "")
  local list=("sys" "kmem -n" "kmem -i" "kmem -f" "kmem -g" "sym balloon_mops" "dev -i")
  # what kmem -p does not print (page_type, compound_head, private, compound_dtor), one listing
  list+=("kmem -m _mapcount,compound_dtor,compound_head,private")
  for p in $pages; do list+=("kmem $p" "struct page $p"); done
  list+=("kmem -p")
  # Each command is preceded by a shell echo of the prompt, so the output reads like a session a
  # user pastes ("crash> kmem -n" followed by its output).
  : > "$cmds"
  for c in "${list[@]}"; do printf '!echo "crash> %s"\n%s\n' "$c" "$c" >> "$cmds"; done
  echo quit >> "$cmds"
  log "crash $CRASH_VERSION on $(basename "$d")"
  local t0; t0=$(date +%s)
  timeout 1800 crash -s "$vmlinux" "$d/vmcore.elf" < "$cmds" > "$out/crash-session.txt" 2> "$out/crash-stderr.txt" || log "crash exited $?"
  # The kmem -p listing alone, as a user would save it.
  awk '/^crash> kmem -p$/{on=1; next} /^crash> /{on=0} on' "$out/crash-session.txt" > "$out/crash-kmem-p.txt"
  echo $(( $(date +%s) - t0 )) > "$out/crash-seconds.txt"
}

run_drgn() {
  local d="$1" vmlinux="$2" out="$1/tools"
  log "drgn $DRGN_VERSION on $(basename "$d")"
  local t0; t0=$(date +%s)
  DRGN_USE_LIBKDUMPFILE_FOR_ELF=1 timeout 1800 drgn -q -c "$d/vmcore.elf" -s "$vmlinux" \
    "$REPO/tools/drgn/memmap_export.py" -o "$out/drgn-export.tsv" 2> "$out/drgn-stderr.txt" || log "drgn exited $?"
  echo $(( $(date +%s) - t0 )) > "$out/drgn-seconds.txt"
  local pages; pages=$("$PY" "$HERE/pick_pages.py" "$out/drgn-export.tsv" --pfn 2>/dev/null || echo "")
  DRGN_USE_LIBKDUMPFILE_FOR_ELF=1 timeout 600 "$PY" "$HERE/drgn_repl_pages.py" "$d/vmcore.elf" "$vmlinux" $pages \
    > "$out/drgn-repl-page.txt" 2>> "$out/drgn-stderr.txt" || log "drgn REPL capture exited $?"
}

# crash 8.0.2 opens kernels before 6.4 only, and Debian's amd64 crash only x86_64 dumps (not arm64's).
crash_reads() { case "$1" in *-arm64*) return 1 ;; 6.1.*|6.2.*|6.3.*|5.*) return 0 ;; *) return 1 ;; esac; }
failed=()
for d in "$LAB"/sets/$SET_GLOB; do
  [ -f "$d/manifest.json" ] || continue
  rel=$(release_of_set "$d")
  vmlinux="$TOOLS/vmlinux-$rel"
  if is_big_set "$d"; then log "$(basename "$d") is a big set: only its vmlinux ($vmlinux), no crash/drgn outputs"; continue; fi
  # tools.json is written last, once every output is there: a set that has it is done.
  if [ "$FORCE" = 0 ] && [ -s "$d/tools/tools.json" ]; then log "$(basename "$d"): outputs present (--force remakes them)"; continue; fi
  mkdir -p "$d/tools"
  rm -f "$d/tools/tools.json"
  ok=1
  if [ "$SKIP_DRGN" = 0 ]; then
    run_drgn "$d" "$vmlinux"
    [ -s "$d/tools/drgn-export.tsv" ] || { ok=0; log "drgn wrote no export for $(basename "$d"): see $d/tools/drgn-stderr.txt"; }
  fi
  if crash_reads "$rel"; then
    if [ "$SKIP_CRASH" = 0 ]; then
      run_crash "$d" "$vmlinux"
      [ -s "$d/tools/crash-kmem-p.txt" ] || { ok=0; log "crash wrote no kmem -p listing for $(basename "$d"): see $d/tools/crash-stderr.txt"; }
    fi
  else
    case "$rel" in
      *-arm64*) log "Debian's crash $CRASH_VERSION reads only the host's (x86_64) dumps: no crash outputs for $(basename "$d")" ;;
      *) log "crash $CRASH_VERSION cannot open $rel (>= 6.4): no crash outputs for $(basename "$d")" ;;
    esac
  fi
  if [ "$ok" = 1 ] && [ "$SKIP_DRGN$SKIP_CRASH" = 00 ]; then
    "$PY" - "$d/tools/tools.json" "$CRASH_VERSION" "$DRGN_VERSION" "$rel" <<'EOF'
import json, sys
path, crash, drgn, rel = sys.argv[1:]
json.dump({"crash": crash, "drgn": drgn, "release": rel}, open(path, "w"), indent=1)
EOF
  fi
  [ "$ok" = 1 ] || failed+=("$(basename "$d")")
done
if [ ${#failed[@]} -gt 0 ]; then log "failed: ${failed[*]}"; exit 1; fi
log "done"
