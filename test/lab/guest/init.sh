#!/bin/sh
# /init of the lab initramfs (busybox sh). Loads the lab modules, then serves the host driver:
# it reads shell lines from the serial console; the host wraps each in `r <id> <cmd>` and waits for
# the "@@END <id> <rc>" line printed by r() (see lib.sh).
/bin/busybox --install -s /bin
export PATH=/bin:/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mkdir -p /tmp /dev/hugepages
mount -t tmpfs -o size=512m tmpfs /tmp
mount -t hugetlbfs none /dev/hugepages 2>/dev/null
while read -r m; do
  [ -n "$m" ] && { insmod "/lib/modules/$m" || echo "@@INSMOD-FAILED $m"; }
done < /lab/modules.list
dmesg -n 1
# the serial console: ttyS0 on x86_64, ttyAMA0 (PL011) on arm64 virt
TTY=/dev/ttyS0
grep -q 'console=ttyAMA0' /proc/cmdline && TTY=/dev/ttyAMA0
stty -echo -icrnl -onlcr < $TTY 2>/dev/null
. /lab/lib.sh
echo "@@MODULES $(cut -d' ' -f1 /proc/modules | tr '\n' ' ')"
echo "@@READY $(uname -r)"
# serve: one shell line per console line, evaluated in this shell (so lib.sh functions exist)
while :; do
  while IFS= read -r line; do eval "$line"; done < $TTY > $TTY 2>&1
  sleep 1
done
