#!/bin/sh
# Host tools for the QEMU lab (test/lab). Idempotent: installs only what is missing.
# Usage: scripts/lab-deps.sh [--with-tools]   (as root, or with sudo available)
set -eu
need=""
have() { command -v "$1" >/dev/null 2>&1; }
have qemu-system-x86_64 || need="$need qemu-system-x86"
dpkg -s busybox-static >/dev/null 2>&1 || need="$need busybox-static"
have cpio || need="$need cpio"
have depmod || [ -x /sbin/depmod ] || need="$need kmod"
have gcc || need="$need gcc libc6-dev"
[ -f /usr/lib/x86_64-linux-gnu/libc.a ] || need="$need libc6-dev"
have dpkg-deb || need="$need dpkg"
have readelf || need="$need binutils"
have gzip || need="$need gzip"
have tar || need="$need tar"
case " ${1:-} " in *" --with-tools "*) have makedumpfile || need="$need makedumpfile" ;; esac
if [ -n "$need" ]; then
  echo "lab-deps: installing:$need" >&2
  # shellcheck disable=SC2086
  sh "$(dirname "$0")/apt-install.sh" $need
else
  echo "lab-deps: all present" >&2
fi
