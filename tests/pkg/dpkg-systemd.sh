#!/bin/bash
# tests/pkg/dpkg-systemd.sh: installs the xres and xres-agent packages with
# apt (dpkg -i and the maintainer scripts) into a fresh Debian 12 root with
# systemd as its init, then checks what an operator relies on: every
# packaged file in place, the units enabled and valid, the binaries'
# libraries resolved by Debian's own packages, a changed conffile kept on
# remove and gone on purge, and nothing left enabled after purge.
#
# The root is made by mmdebstrap from Debian 12 (main, updates, security,
# as a real Debian 12 host has them) into build/pkg-root, and runs only in
# a chroot: no systemd is booted, so units are checked with systemd's
# offline tools.  Needs root and Debian's package archive.
#
# Usage: tests/pkg/dpkg-systemd.sh [DEB_DIR]   (default build/deb)
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DEB_DIR=${1:-$REPO/build/deb}
ROOT=$REPO/build/pkg-root
MIRROR=http://deb.debian.org
passed=0
failed=0

msg() { printf 'pkg-check: %s\n' "$*"; }
die() { printf 'pkg-check: error: %s\n' "$*" >&2; exit 1; }
# in_root SCRIPT: runs a shell script in the root; it is expanded there.
in_root() { chroot "$ROOT" /bin/sh -c "$1"; }
status() { in_root "dpkg-query -W -f '\${Status}' $1" 2>&1; }

# check WHAT EXPECTED GOT
check() {
    if [ "$2" = "$3" ]; then
        passed=$((passed + 1))
        printf 'PASS %s\n' "$1"
    else
        failed=$((failed + 1))
        printf "FAIL %s: expected '%s', got '%s'\n" "$1" "$2" "$3"
    fi
}

[ "$(id -u)" -eq 0 ] || die "needs root (chroot and dpkg)"
command -v mmdebstrap >/dev/null || die "mmdebstrap is missing: run 'make deps'"
xres_deb=$(find "$DEB_DIR" -maxdepth 1 -name 'xres_*.deb' | sort -V | tail -n 1)
agent_deb=$(find "$DEB_DIR" -maxdepth 1 -name 'xres-agent_*.deb' | sort -V | tail -n 1)
if [ -z "$xres_deb" ] || [ -z "$agent_deb" ]; then
    die "no packages in $DEB_DIR: run 'make deb'"
fi

# A run that was killed may have left its /proc mounted there.
umount "$ROOT/proc" 2>/dev/null || true
rm -rf --one-file-system "$ROOT"
msg "making a Debian 12 root with systemd in $ROOT"
mmdebstrap --quiet --variant=apt --include=systemd,systemd-sysv bookworm "$ROOT" \
    "deb $MIRROR/debian bookworm main" \
    "deb $MIRROR/debian bookworm-updates main" \
    "deb $MIRROR/debian-security bookworm-security main" ||
    die "mmdebstrap failed"
cp "$xres_deb" "$agent_deb" "$ROOT/tmp/"
trap 'umount "$ROOT/proc" 2>/dev/null || true' EXIT
mount -t proc proc "$ROOT/proc"

# --- install
out=$(in_root "apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -q --no-install-recommends /tmp/${xres_deb##*/} /tmp/${agent_deb##*/} 2>&1") &&
    rc=0 || rc=$?
check "apt-get install of both packages" 0 "$rc"
[ "$rc" -eq 0 ] || printf '%s\n' "$out" | tail -n 20
check "dpkg: xres installed" "install ok installed" \
    "$(status xres)"
check "dpkg: xres-agent installed" "install ok installed" \
    "$(status xres-agent)"

# Every file the packages own is there.
# shellcheck disable=SC2016 # expanded in the root
missing=$(in_root 'for p in xres xres-agent; do dpkg -L $p; done |
    while read -r f; do [ -e "$f" ] || echo "$f"; done')
check "every packaged file exists" "" "$missing"
for f in /usr/sbin/xresd /usr/sbin/xres /usr/sbin/xres-agent /etc/xres/xres.conf \
    /etc/xres/agent.conf /lib/systemd/system/xresd.service \
    /lib/systemd/system/xres-agent.service /etc/init.d/xresd /etc/init.d/xres-agent \
    /usr/share/man/man1/xres.1.gz /usr/share/man/man5/xres.conf.5.gz \
    /usr/share/man/man8/xresd.8.gz /usr/share/man/man8/xres-agent.8.gz \
    /usr/share/bash-completion/completions/xres /usr/lib/ocf/resource.d/xres/domain \
    /usr/sbin/xres-migrate-receive /lib/systemd/system/xres-migrate-receive.service \
    /usr/lib/xres/xres-crm \
    /usr/share/man/man7/xres-ocf.7.gz /usr/share/man/man8/xres-migrate-receive.8.gz; do
    check "installed: $f" yes "$([ -e "$ROOT$f" ] && echo yes || echo no)"
done

# --- units
check "xresd.service enabled" enabled "$(in_root 'systemctl is-enabled xresd.service' 2>&1)"
check "xres-agent.service enabled" enabled \
    "$(in_root 'systemctl is-enabled xres-agent.service' 2>&1)"
check "xres-migrate-receive.service shipped disabled" disabled \
    "$(in_root 'systemctl is-enabled xres-migrate-receive.service' 2>&1)"
check "systemd-analyze verify: no complaint" "" \
    "$(in_root 'systemd-analyze verify --man=no xresd.service xres-agent.service xres-migrate-receive.service' 2>&1)"
check "ocf:xres:domain meta-data" 0 \
    "$(in_root '/usr/lib/ocf/resource.d/xres/domain meta-data >/dev/null 2>&1; echo $?')"

# --- the binaries run with the libraries Debian's packages gave them
check "xres: every library found" "" "$(in_root 'ldd /usr/sbin/xres | grep "not found"' || true)"
check "xresd: every library found" "" "$(in_root 'ldd /usr/sbin/xresd | grep "not found"' || true)"
check "xres --help" 0 "$(in_root 'xres --help >/dev/null 2>&1; echo $?')"
check "xresd --help" 0 "$(in_root 'xresd --help >/dev/null 2>&1; echo $?')"
check "xres-agent --help" 0 "$(in_root 'xres-agent --help >/dev/null 2>&1; echo $?')"
# Outside a Xen dom0 xresd refuses to start, with a reason, and exits 1.
out=$(in_root 'xresd --foreground 2>&1; echo "rc=$?"')
check "xresd outside dom0 exits 1" "rc=1" "$(tail -n 1 <<<"$out")"
check "xresd outside dom0 says why" 1 "$(grep -c 'is this a Xen dom0' <<<"$out")"

# --- remove keeps the operator's changed conffile; purge removes it
in_root 'echo "# changed by the operator" >>/etc/xres/xres.conf'
in_root 'DEBIAN_FRONTEND=noninteractive dpkg -r xres >/dev/null 2>&1'
check "dpkg -r: xres removed, config kept" "deinstall ok config-files" \
    "$(status xres)"
check "dpkg -r: changed xres.conf kept" 1 \
    "$(grep -c '^# changed by the operator' "$ROOT/etc/xres/xres.conf" 2>/dev/null || echo 0)"
check "dpkg -r: binaries gone" no "$([ -e "$ROOT/usr/sbin/xresd" ] && echo yes || echo no)"
in_root "DEBIAN_FRONTEND=noninteractive dpkg -i /tmp/${xres_deb##*/} >/dev/null 2>&1"
check "dpkg -i again: changed xres.conf still kept" 1 \
    "$(grep -c '^# changed by the operator' "$ROOT/etc/xres/xres.conf" 2>/dev/null || echo 0)"
check "dpkg -i again: enabled" enabled "$(in_root 'systemctl is-enabled xresd.service' 2>&1)"
in_root 'DEBIAN_FRONTEND=noninteractive dpkg --purge xres xres-agent >/dev/null 2>&1'
check "purge: xres.conf gone" no "$([ -e "$ROOT/etc/xres/xres.conf" ] && echo yes || echo no)"
check "purge: agent.conf gone" no "$([ -e "$ROOT/etc/xres/agent.conf" ] && echo yes || echo no)"
check "purge: no unit left enabled" "" \
    "$(find "$ROOT/etc/systemd/system" -name 'xres*' -printf '%P\n' 2>/dev/null)"
check "purge: no init script left" "" "$(find "$ROOT/etc/init.d" "$ROOT/etc/rc"?.d \
    -name '*xres*' -printf '%P\n' 2>/dev/null)"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
