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

# capture: snapshot the /proc and sysfs state onto the capture disk. The small side files go
# first, as a tar at the start of the disk (then the RAM copy is dropped again). The per-PFN
# files go straight from /proc to fixed offsets of the disk with O_DIRECT, so reading them
# allocates no page cache and no RAM copy, and /proc/kpageflags is read LAST, right before the
# host pauses the guest: the dump then differs from it only by the capture's own short-lived
# processes. The host reads the raw files back from the offsets and sizes printed as @@RAW lines.
# capture [stride MiB]: the raw files go to 1x, 2x, 3x the stride (default 32: up to 4 Mi PFNs each).
capture() {
  s=${1:-32}
  d=/tmp/cap
  disk=$(disk_by_serial labcap) || { echo "no capture disk"; return 1; }
  rm -rf $d; mkdir -p $d/memory
  for f in $MEM/* $MEM/memory*/*; do
    [ -f "$f" ] || continue
    rel=${f#$MEM/}
    case "$rel" in */uevent|uevent) continue ;; esac
    mkdir -p "$d/memory/$(dirname "$rel")"
    cat "$f" > "$d/memory/$rel" 2>/dev/null || rm -f "$d/memory/$rel"
  done
  cat /proc/iomem > $d/iomem
  uname -a > $d/uname
  labload pagesize > $d/pagesize
  dmesg > $d/dmesg
  cat /proc/zoneinfo > $d/zoneinfo
  cat /proc/buddyinfo > $d/buddyinfo
  cat /proc/meminfo > $d/meminfo
  tar -cf "$disk" -C $d . || return 1
  rm -rf $d
  sync
  blockdev --flushbufs "$disk"
  raw_copy kpagecgroup $s || return 1
  raw_copy kpagecount $((2 * s)) || return 1
  raw_copy kpageflags $((3 * s)) || return 1
  echo "@@CAPTURED"
}

# raw_copy <proc file> <offset MiB>: /proc/<file> to the capture disk at the offset, O_DIRECT
# (the last block zero-padded); prints "@@RAW <file> <offset MiB> <bytes>".
raw_copy() {
  [ -e /proc/$1 ] || { echo "@@RAW $1 $2 absent"; return 0; }
  n=$(wc -c < /proc/$1)
  dd if=/proc/$1 of="$disk" bs=1M seek=$2 oflag=direct conv=notrunc,sync 2>/dev/null || return 1
  echo "@@RAW $1 $2 $n"
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
