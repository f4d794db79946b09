#!/bin/sh
# Installs the Debian packages named that are not installed yet, as root or with sudo. Waits for the
# dpkg lock (another apt or unattended-upgrades run) instead of failing, and refreshes the package
# lists once when a package cannot be found.
#   sh scripts/apt-install.sh PACKAGE...
set -eu
SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"
missing=""
for p in "$@"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
done
[ -n "$missing" ] || exit 0
echo "apt-install:$missing" >&2
# DPkg::Lock::Timeout covers the dpkg frontend lock of install; update takes the lists lock, so it is
# retried while another apt holds it.
APT="$SUDO env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=900 -y --no-install-recommends"
update() {
  for i in 1 2 3 4 5 6 7 8 9 10; do
    $SUDO apt-get -o DPkg::Lock::Timeout=900 update >&2 && return 0
    echo "apt-install: apt-get update failed (try $i), retrying in 20 s" >&2
    sleep 20
  done
  return 1
}
# shellcheck disable=SC2086
$APT install $missing >&2 || { update && $APT install $missing >&2; }
