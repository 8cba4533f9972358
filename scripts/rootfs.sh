#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# A root file system for the arm64 test VMs (KERNEL=debian-7.3-arm64): an
# x86-64 host's own root, which the amd64 VMs share, cannot run in an arm64
# guest. Debian 12's arm64 packages of the tools the guest commands use
# (bash, coreutils, util-linux, kmod, ...), and a static busybox for
# virtme-ng's initramfs, unpacked (debootstrap --foreign, then every
# downloaded package extracted: nothing of arm64 runs on the host, so no
# binfmt or qemu-user is needed; the packages are not configured, which
# these tools do not need). Cached under $LW_CACHE/rootfs, keyed by suite,
# architecture and package list; the VMs get it read-only.
#
# Usage: rootfs.sh [ARCH]   print the root's path (make it if missing;
#                           ARCH: arm64, the default)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/scripts/lib.sh"
. "$here/scripts/debian.sh"

arch=${1:-arm64}
suite=$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")
pkgs=bash,coreutils,util-linux,kmod,procps,grep,sed,mawk,gawk,findutils,diffutils,tar,gzip
pkgs+=,busybox-static,efivar,kexec-tools,makedumpfile,iproute2,psmisc,python3
# (The revision of what this script does after unpacking.)
key=$(echo "$suite $arch $pkgs rev4" | sha256sum | cut -c1-12)
root=$LW_CACHE/rootfs/$suite-$arch-$key

if [ -f "$root/.done" ]; then
	echo "$root"
	exit 0
fi
[ "$(id -u)" = 0 ] || lw_die "making the $arch root needs root (debootstrap)"
command -v debootstrap >/dev/null || lw_die "debootstrap missing: run scripts/setup.sh"
mkdir -p "$LW_CACHE/rootfs"
exec 8>"$LW_CACHE/rootfs.lock"
flock 8
if [ -f "$root/.done" ]; then
	echo "$root"
	exit 0
fi
log=$root.log
mirror=$(lw_debian_mirror)
lw_say "rootfs: $suite $arch into $root (log: $log; 1 to 3 min)" >&2
rm -rf --one-file-system "$root"
mkdir -p "$root"
unshare --mount --propagation private -- debootstrap --foreign --arch="$arch" --variant=minbase \
	--include="$pkgs" --keyring=/usr/share/keyrings/debian-archive-keyring.gpg \
	"$suite" "$root" "$mirror" >"$log" 2>&1 ||
	{ tail -30 "$log" >&2; lw_die "debootstrap --foreign $suite $arch failed (log: $log)"; }
# The first stage extracts only the required packages: the rest too.
for deb in "$root"/var/cache/apt/archives/*.deb; do
	dpkg-deb -x "$deb" "$root" >>"$log" 2>&1 || lw_die "extracting $deb failed (log: $log)"
done
rm -rf "$root/var/cache/apt/archives/"*.deb "$root/debootstrap"
# What the packages' scripts would have made: the users and groups, and
# /bin/sh (dash's postinst is what links it on a configured system).
cp "$root/usr/share/base-passwd/passwd.master" "$root/etc/passwd"
cp "$root/usr/share/base-passwd/group.master" "$root/etc/group"
[ -e "$root/bin/sh" ] || ln -s dash "$root/usr/bin/sh"
# The alternatives the packages' scripts would have set up, as a configured
# system has them (the highest priority wins: gawk over mawk).
for alt in awk:gawk nawk:gawk which:which.debianutils; do
	[ -e "$root/usr/bin/${alt%%:*}" ] || ln -s "${alt#*:}" "$root/usr/bin/${alt%%:*}"
done
# virtme-ng's init ends the boot with `poweroff -f` (systemd's, on a
# configured system): busybox's does the same, without an init to ask. Else
# the init exits and the kernel panics at the end of every boot.
# The mount points of the overlays virtme-ng puts on a root.
mkdir -p "$root/opt" "$root/srv"
[ -e "$root/sbin/poweroff" ] || [ -e "$root/usr/sbin/poweroff" ] || ln -s /bin/busybox "$root/usr/sbin/poweroff"
for t in bash insmod taskset busybox poweroff awk which python3; do
	[ -e "$root/usr/bin/$t" ] || [ -e "$root/usr/sbin/$t" ] || [ -e "$root/bin/$t" ] ||
		[ -e "$root/sbin/$t" ] || lw_die "the $arch root has no $t (log: $log)"
done
touch "$root/.done"
lw_say "rootfs: done ($(du -sh "$root" | cut -f1))" >&2
echo "$root"
