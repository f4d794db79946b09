#!/bin/sh
# Capture this machine's memmap state as a Kernel Memmap Explorer bundle.
#
#   sudo sh capture-kpageflags.sh [OUT.tar.gz]
#
# Needs root (kpageflags and real /proc/iomem addresses are root-only). Reads only; writes one
# .tar.gz (default: kmemmap-capture-<host>-<time>.tar.gz in the current folder). POSIX sh and
# coreutils only, so it also runs from a busybox shell.
set -eu

out=${1:-kmemmap-capture-$(uname -n)-$(date +%Y%m%d-%H%M%S).tar.gz}
[ "$(id -u)" = 0 ] || { echo "capture-kpageflags: run as root (kpageflags and /proc/iomem addresses are root-only)" >&2; exit 1; }
[ -r /proc/kpageflags ] || { echo "capture-kpageflags: /proc/kpageflags missing (kernel without CONFIG_PROC_PAGE_MONITOR?)" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
name=capture
dir=$work/$name
mkdir -p "$dir/memory"

# The side files first: they change slowly. kpageflags last, as close to the moment as possible.
uname -a > "$dir/uname"
# the page size: kpageflags has one entry per page, so the reader needs it (16/64 KiB on some arm64 kernels)
{ getconf PAGESIZE 2>/dev/null || getconf PAGE_SIZE 2>/dev/null; } > "$dir/pagesize" || rm -f "$dir/pagesize"
cat /proc/iomem > "$dir/iomem"
for f in meminfo zoneinfo buddyinfo; do cat /proc/$f > "$dir/$f"; done
dmesg > "$dir/dmesg" 2>/dev/null || true
sys=/sys/devices/system/memory
for f in block_size_bytes auto_online_blocks; do [ -r $sys/$f ] && cat $sys/$f > "$dir/memory/$f"; done
for b in $sys/memory[0-9]*; do
  [ -d "$b" ] || continue
  n=$(basename "$b")
  mkdir -p "$dir/memory/$n"
  for f in state phys_index valid_zones removable online phys_device; do
    [ -r "$b/$f" ] && cat "$b/$f" > "$dir/memory/$n/$f" 2>/dev/null || true
  done
  for l in "$b"/node[0-9]*; do [ -e "$l" ] && mkdir -p "$dir/memory/$n/$(basename "$l")"; done
done
[ -r /proc/kpagecgroup ] && cat /proc/kpagecgroup > "$dir/kpagecgroup"
cat /proc/kpagecount > "$dir/kpagecount"
cat /proc/kpageflags > "$dir/kpageflags"

tar -C "$work" -czf "$out" "$name"
echo "wrote $out ($(du -h "$out" | cut -f1)); open it with: kmemmap summary $out"
