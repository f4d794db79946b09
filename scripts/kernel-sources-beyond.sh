#!/bin/sh
# The few files of the Debian 5.10 (bullseye) and 7.3 (trixie-backports) kernel trees that
# test/unit/kernel/realTreesBeyond.test.ts checks our 5.10 and 7.2-7.3 tables against, with Debian's
# amd64 config. bookworm's lists have neither package, so they come through a private sources list
# (never /etc/apt): apt-get -o Dir::Etc::SourceList=... download linux-source-V linux-config-V, then only
# the named files are taken out of the source tarball (the .debs and the tarball are not kept).
#   scripts/kernel-sources-beyond.sh     -> prints the tree paths
# Cache: ${KMEMMAP_SRC_CACHE:-$HOME/.cache/kmemmap-src}/linux-source-V (marker .kmemmap-headers: NOT a
# whole tree, so nothing that wants a whole tree, marked .kmemmap-unpacked, takes it for one) and the
# private apt state in .../apt-V. Idempotent.
set -eu
CACHE="${KMEMMAP_SRC_CACHE:-$HOME/.cache/kmemmap-src}"
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
mkdir -p "$CACHE"
rc=0
for v in 5.10 7.3; do
  tree="$CACHE/linux-source-$v"
  case "$v" in
    5.10) suites="debian:bullseye debian:bullseye-updates debian-security:bullseye-security"
          files="include/linux/page-flags.h include/linux/mm_types.h kernel/crash_core.c" ;;
    7.3)  suites="debian:trixie-backports debian:trixie"
          files="include/linux/page-flags.h include/linux/mm_types.h kernel/vmcore_info.c" ;;
  esac
  if [ -f "$tree/.kmemmap-headers" ] || [ -f "$tree/.kmemmap-unpacked" ]; then echo "$tree"; continue; fi
  apt="$CACHE/apt-$v"
  mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$apt/dl"
  : > "$apt/sources.list"
  for s in $suites; do echo "deb [signed-by=$KEYRING] http://deb.debian.org/${s%%:*} ${s#*:} main" >> "$apt/sources.list"; done
  opts="-o Dir::Etc::SourceList=$apt/sources.list -o Dir::Etc::SourceParts=/dev/null -o Dir::State::Lists=$apt/lists -o Dir::Cache=$apt/cache"
  chmod -R a+rwX "$apt" 2>/dev/null || true  # lets apt's _apt user write (no "unsandboxed" warning)
  # shellcheck disable=SC2086
  apt-get -q $opts update >/dev/null || { echo "kernel-sources-beyond: apt-get update of $apt/sources.list failed" >&2; rc=1; continue; }
  rm -f "$apt/dl"/*.deb
  # shellcheck disable=SC2086
  (cd "$apt/dl" && apt-get -q $opts download "linux-source-$v" "linux-config-$v" >/dev/null) ||
    { echo "kernel-sources-beyond: apt-get download linux-source-$v linux-config-$v failed" >&2; rc=1; continue; }
  rm -rf "$tree.tmp"
  mkdir -p "$tree.tmp"
  members=""
  for f in $files; do members="$members linux-source-$v/$f"; done
  # shellcheck disable=SC2086
  dpkg-deb --fsys-tarfile "$apt/dl"/linux-source-"$v"_*.deb | tar -xO "./usr/src/linux-source-$v.tar.xz" |
    tar -xJ -C "$tree.tmp" $members
  dpkg-deb --fsys-tarfile "$apt/dl"/linux-config-"$v"_*.deb | tar -xO "./usr/src/linux-config-$v/config.amd64_none_amd64.xz" |
    xz -dc > "$tree.tmp/linux-source-$v/.config"
  for f in $files .config; do [ -s "$tree.tmp/linux-source-$v/$f" ] || { echo "kernel-sources-beyond: no $f in linux-source-$v" >&2; rc=1; }; done
  dpkg-deb -f "$apt/dl"/linux-source-"$v"_*.deb Version > "$tree.tmp/linux-source-$v/.kmemmap-version"
  rm -f "$apt/dl"/*.deb
  [ "$rc" = 0 ] || continue
  touch "$tree.tmp/linux-source-$v/.kmemmap-headers"
  rm -rf "$tree"
  mv "$tree.tmp/linux-source-$v" "$tree"
  rmdir "$tree.tmp"
  echo "$tree"
done
exit $rc
