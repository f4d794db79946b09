#!/bin/sh
# Unpack the Debian kernel source packages into a cache dir for tests and benchmarks.
#   apt-get install linux-source-6.1 linux-source-6.12 linux-config-6.1 linux-config-6.12   (once, as root)
#   scripts/kernel-sources.sh            -> prints the unpacked tree paths
# Cache: ${KMEMMAP_SRC_CACHE:-$HOME/.cache/kmemmap-src}/linux-source-6.X (+ .config from the Debian
# amd64 config). Idempotent: a tree is unpacked once (marker file .kmemmap-unpacked).
set -eu
CACHE="${KMEMMAP_SRC_CACHE:-$HOME/.cache/kmemmap-src}"
mkdir -p "$CACHE"
for v in 6.1 6.12; do
  tarball="/usr/src/linux-source-$v.tar.xz"
  tree="$CACHE/linux-source-$v"
  if [ ! -f "$tree/.kmemmap-unpacked" ]; then
    if [ ! -f "$tarball" ]; then
      echo "missing $tarball: apt-get install linux-source-$v" >&2
      continue
    fi
    rm -rf "$tree.tmp"
    mkdir -p "$tree.tmp"
    tar -xJf "$tarball" -C "$tree.tmp"
    rm -rf "$tree"
    mv "$tree.tmp/linux-source-$v" "$tree"
    rmdir "$tree.tmp"
    touch "$tree/.kmemmap-unpacked"
  fi
  # Debian's amd64 config (linux-config-$v), also when the package came after the tree was unpacked.
  cfg="/usr/src/linux-config-$v/config.amd64_none_amd64.xz"
  if [ ! -s "$tree/.config" ]; then
    if [ -f "$cfg" ]; then xz -dc "$cfg" > "$tree/.config.tmp" && mv "$tree/.config.tmp" "$tree/.config"
    else echo "missing $cfg: apt-get install linux-config-$v" >&2; fi
  fi
  echo "$tree"
done
