# Functions the host driver calls over the serial console (sourced by /init).
MEM=/sys/devices/system/memory

# r <id> <cmd...>: run a command, then print the end marker with its exit status.
r() { _id=$1; shift; eval "$@"; _rc=$?; echo "@@END $_id $_rc"; }

# The virtio-blk disk whose serial is $1 (labcap / labdata), as /dev/vdX.
disk_by_serial() {
  for b in /sys/block/vd*; do
    [ "$(cat "$b/serial" 2>/dev/null)" = "$1" ] && { echo "/dev/${b##*/}"; return 0; }
  done
  return 1
}

# capture: snapshot the /proc and sysfs state into /tmp/cap, stream it as a tar onto the capture
# disk, then drop the copy again (and the block device cache) so the dump that follows sees the
# system as it was before the capture, give or take the capture's own short-lived processes.
capture() {
  d=/tmp/cap
  rm -rf $d; mkdir -p $d/memory
  dd if=/proc/kpageflags of=$d/kpageflags bs=1M 2>/dev/null
  dd if=/proc/kpagecount of=$d/kpagecount bs=1M 2>/dev/null
  [ -e /proc/kpagecgroup ] && dd if=/proc/kpagecgroup of=$d/kpagecgroup bs=1M 2>/dev/null
  for f in $MEM/* $MEM/memory*/*; do
    [ -f "$f" ] || continue
    rel=${f#$MEM/}
    case "$rel" in */uevent|uevent) continue ;; esac
    mkdir -p "$d/memory/$(dirname "$rel")"
    cat "$f" > "$d/memory/$rel" 2>/dev/null || rm -f "$d/memory/$rel"
  done
  cat /proc/iomem > $d/iomem
  cat /proc/zoneinfo > $d/zoneinfo
  cat /proc/buddyinfo > $d/buddyinfo
  cat /proc/meminfo > $d/meminfo
  uname -a > $d/uname
  dmesg > $d/dmesg
  disk=$(disk_by_serial labcap) || { echo "no capture disk"; return 1; }
  tar -cf "$disk" -C $d . || return 1
  sync
  echo "@@CAPTURED $(du -sk $d | cut -f1)KiB"
  rm -rf $d
  blockdev --flushbufs "$disk"
  sync
}

# offline_try <N> [seconds]: try to offline memoryN; reports rc, resulting state and the error text.
offline_try() {
  f=$MEM/memory$1/state
  [ -e "$f" ] || { echo "@@OFFLINE $1 nodev absent no such block"; return 0; }
  timeout "${2:-60}" sh -c "echo offline > $f" 2> /tmp/offline.err
  rc=$?
  echo "@@OFFLINE $1 $rc $(cat $f) $(tr '\n' ' ' < /tmp/offline.err)"
}

# blocks: one line per memory block "N state valid_zones"
blocks() {
  for b in $MEM/memory*; do echo "${b##*/memory} $(cat $b/state) $(cat $b/valid_zones 2>/dev/null)"; done
}

# bg_start <name> <cmd...>: start a background program that prints "ready" when set up.
bg_start() {
  _n=$1; shift
  "$@" > /tmp/$_n.out 2>&1 &
  _i=0
  while ! grep -q ready /tmp/$_n.out 2>/dev/null; do
    sleep 1; _i=$((_i+1)); [ $_i -gt 300 ] && { cat /tmp/$_n.out; return 1; }
  done
  cat /tmp/$_n.out
}
