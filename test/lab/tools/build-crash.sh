#!/usr/bin/env bash
# Opt-in lab step: builds crash 8.0.6 from Debian trixie's source package, for dumps of kernels >= 6.4
# (Debian 12's crash 8.0.2 cannot open them). Not part of scripts/test-all.sh: it takes 20-40 min on
# 2 cores. The result is cached: when the binary exists the script prints its path and returns.
#
#   test/lab/tools/build-crash.sh [--jobs N]      prints the path of the crash binary on stdout
#
# Nothing in /etc/apt is changed: the trixie deb-src line lives in a private sources list under the
# cache folder ($KMEMMAP_CRASH_CACHE, default ~/.cache/kmemmap-crash), with its own package lists.
# The orig tarball bundles gdb (crash's Makefile unpacks and patches it). Build dependencies are
# installed with scripts/apt-install.sh (Debian packages, as root or with sudo).
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
REPO="$(cd "$HERE/../../.." && pwd)"
CACHE="${KMEMMAP_CRASH_CACHE:-$HOME/.cache/kmemmap-crash}"
VERSION="${KMEMMAP_CRASH_VERSION:-8.0.6}"
DEBVERSION="${KMEMMAP_CRASH_DEBVERSION:-$VERSION-1}"   # the trixie source package version
MIRROR="${KMEMMAP_CRASH_MIRROR:-http://deb.debian.org/debian}"
JOBS=2
while [ $# -gt 0 ]; do
  case "$1" in
    --jobs) JOBS="$2"; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
BIN="$CACHE/crash-$VERSION/crash"
log() { echo "[build-crash] $*" >&2; }

if [ -x "$BIN" ]; then echo "$BIN"; exit 0; fi

# gdb 10.2 (bundled) needs texinfo, bison, flex, gmp/mpfr; crash needs ncurses, zlib, lzo, snappy, zstd.
sh "$REPO/scripts/apt-install.sh" build-essential bison flex texinfo libncurses-dev zlib1g-dev \
  liblzo2-dev libsnappy-dev libzstd-dev libgmp-dev libmpfr-dev dpkg-dev lz4 xz-utils

# A private apt configuration that knows only trixie's sources.
mkdir -p "$CACHE/apt/lists/partial" "$CACHE/apt/cache/archives/partial" "$CACHE/src"
SRCLIST="$CACHE/apt/sources.list"
echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $MIRROR trixie main" > "$SRCLIST"
APT=(apt-get -o "Dir::Etc::SourceList=$SRCLIST" -o Dir::Etc::SourceParts=/dev/null
     -o "Dir::State::Lists=$CACHE/apt/lists" -o "Dir::Cache=$CACHE/apt/cache" -o Debug::NoLocking=1)
ORIG="$CACHE/src/crash_$VERSION.orig.tar.gz"
DSC="$CACHE/src/crash_$DEBVERSION.dsc"
if [ ! -s "$ORIG" ]; then
  log "apt-get update (private list: trixie deb-src)"
  "${APT[@]}" update >&2
  log "apt-get source --download-only crash=$DEBVERSION"
  # Some mirrors (or proxies) serve the orig tarball but not the .dsc/.debian.tar.xz: the orig
  # tarball alone is enough (it is checked below against the signed Sources index).
  (cd "$CACHE/src" && "${APT[@]}" source --download-only "crash=$DEBVERSION" >&2) ||
    log "apt-get source failed for some files; continuing if the orig tarball arrived"
  [ -s "$ORIG" ] || { log "no $ORIG: cannot build"; exit 1; }
fi

if [ ! -s "$ORIG.sha256" ]; then
  # The orig tarball's SHA-256 as the signed trixie Sources index lists it (apt checked it too).
  want=$(for f in "$CACHE"/apt/lists/*_trixie_main_source_Sources*; do
           case "$f" in *.lz4) lz4cat "$f" ;; *.xz) xzcat "$f" ;; *.gz) zcat "$f" ;; *) cat "$f" ;; esac
         done | awk -v v="$DEBVERSION" '/^Package: /{p=$2} /^Version: /{ver=$2}
           p=="crash" && ver==v && $3 ~ /orig\.tar/ && length($1)==64 && !n++ {print $1}')
  got=$(sha256sum "$ORIG" | cut -d' ' -f1)
  [ -n "$want" ] && [ "$want" = "$got" ] || { log "orig tarball checksum $got is not the index's '$want'"; rm -f "$ORIG"; exit 1; }
  echo "$got  $(basename "$ORIG")" > "$ORIG.sha256"
  log "orig tarball SHA-256 $got matches trixie's Sources index"
fi

# Unpack into a fresh tree: with the .dsc, Debian's way (orig + Debian patches); without it, the
# orig tarball (upstream crash $VERSION with gdb-10.2.tar.gz and crash's gdb patch inside).
# crash's Makefile unpacks the bundled gdb, patches it and links crash against it.
TREE="$CACHE/build-$VERSION"
if [ ! -d "$TREE" ]; then
  rm -rf "$TREE.part"
  if [ -s "$DSC" ]; then
    dpkg-source --no-check -x "$DSC" "$TREE.part" >&2
  else
    log "no $(basename "$DSC") from the mirror: building the upstream orig tarball without Debian's patches"
    mkdir -p "$TREE.part"
    tar -xzf "$ORIG" -C "$TREE.part" --strip-components=1
  fi
  mv "$TREE.part" "$TREE"
fi
# lzo, snappy, zstd: crash reads makedumpfile dumps compressed with them (as Debian builds it).
log "building in $TREE (nice -n 10 make -j$JOBS lzo snappy zstd; 20-40 min on 2 cores)"
(cd "$TREE" && nice -n 10 make -j"$JOBS" lzo snappy zstd >&2)
mkdir -p "$(dirname "$BIN")"
cp "$TREE/crash" "$BIN.part"
mv "$BIN.part" "$BIN"
log "built $("$BIN" --version | head -2 | tail -1)"
echo "$BIN"
