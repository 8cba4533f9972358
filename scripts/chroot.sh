#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The toolchain Linux 7.3 needs and Debian 12 lacks (libclang >= 17): a Debian
# trixie chroot with its rustc (1.85.1, the compiler Debian's own 7.3 kernels
# are built with), bindgen, clang, the kernel's build tools and a cross
# compiler for arm64 (the stock arm64 kernel's gcc), made once with
# debootstrap from the mirror this machine's apt sources name, and cached
# under $LW_CACHE/chroot, keyed by suite and package list.
#
# Usage: chroot.sh              print the chroot's path (create it if missing)
#        chroot.sh where        print the chroot's path only
#        chroot.sh remove       remove the chroot (to make it anew next time)
#        chroot.sh run CMD...   run CMD in it, as root, in a private mount
#                               namespace with /proc, /dev, the repository
#                               and $LW_CACHE mounted at their host paths (so
#                               paths are the same inside and out); the mounts
#                               go away with the command
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/scripts/lib.sh"
. "$here/scripts/debian.sh"

suite=trixie
pkgs=rustc,rust-src,rustfmt,rust-clippy,bindgen,clang,libclang-dev,llvm,lld,make,gcc,bc,flex,bison
pkgs+=,libelf-dev,libssl-dev,cpio,kmod,xz-utils,python3,pahole,perl,dkms,rust-analyzer
# The arm64 stock kernel's modules are built here too (KERNEL=debian-7.3-arm64):
# the cross compiler of the gcc that built it.
pkgs+=,gcc-aarch64-linux-gnu,binutils-aarch64-linux-gnu
key=$(echo "$suite $pkgs" | sha256sum | cut -c1-12)
root=$LW_CACHE/chroot/$suite-$key

# remove_root: removes $root, or what an interrupted debootstrap left of it,
# without ever reaching through a mount: whatever is still mounted under it
# (debootstrap mounts /proc and /sys in the target; a container may have
# bind mounts) is unmounted first, deepest first, and rm stays on the root's
# own file system.
remove_root() {
	local m left
	[ -e "$root" ] || return 0
	findmnt -rn -o TARGET | sed 's/\\x20/ /g' |
		awk -v r="$root" 'index($0, r "/") == 1 || $0 == r' | sort -r |
		while IFS= read -r m; do
			umount "$m" 2>/dev/null || umount -l "$m" ||
				lw_die "cannot unmount $m (under the old chroot $root)"
		done
	left=$(findmnt -rn -o TARGET | awk -v r="$root" 'index($0, r "/") == 1 || $0 == r')
	[ -z "$left" ] || lw_die "still mounted under $root: $left"
	rm -rf --one-file-system "$root"
}

create() {
	[ "$(id -u)" = 0 ] || lw_die "making the $suite chroot needs root (debootstrap)"
	command -v debootstrap >/dev/null || lw_die "debootstrap missing: run scripts/setup.sh"
	exec 8>"$LW_CACHE/chroot.lock"
	flock 8
	[ ! -f "$root/.done" ] || return 0
	local mirror log=$LW_CACHE/chroot/$suite-$key.log
	mirror=$(lw_debian_mirror)
	lw_say "chroot: debootstrap $suite into $root (log: $log; 2 to 8 min)" >&2
	remove_root
	mkdir -p "$root"
	# In a mount namespace of its own: the /proc and /sys it mounts in the
	# target go away with it, even if it is interrupted.
	unshare --mount --propagation private -- debootstrap --variant=minbase --include="$pkgs" \
		--keyring=/usr/share/keyrings/debian-archive-keyring.gpg \
		"$suite" "$root" "$mirror" >"$log" 2>&1 ||
		{ tail -30 "$log" >&2; lw_die "debootstrap $suite failed (log: $log)"; }
	rm -rf "$root/var/cache/apt/archives/"*.deb
	touch "$root/.done"
}

case "${1:-}" in
where) echo "$root"; exit 0 ;;
remove)
	[ "$(id -u)" = 0 ] || lw_die "removing the $suite chroot needs root"
	mkdir -p "$LW_CACHE"
	exec 8>"$LW_CACHE/chroot.lock"
	flock 8
	remove_root
	exit 0
	;;
esac

[ -f "$root/.done" ] || create

if [ "${1:-}" != run ]; then
	echo "$root"
	exit 0
fi
shift
[ $# -gt 0 ] || lw_die "usage: chroot.sh run CMD..."
mkdir -p "$LW_CACHE"
# shellcheck disable=SC2016 # expanded by the inner shell
exec unshare --mount --propagation private -- /bin/sh -euc '
	root=$1 repo=$2 cache=$3 cwd=$4 kernel=$5
	shift 5
	mount -t proc proc "$root/proc"
	mount --rbind /dev "$root/dev"
	for p in "$repo" "$cache"; do
		mkdir -p "$root$p"
		mount --bind "$p" "$root$p"
	done
	exec chroot "$root" /usr/bin/env -i HOME=/root LANG=C.UTF-8 LW_IN_CHROOT=1 \
		LW_CACHE="$cache" KERNEL="$kernel" PATH=/usr/sbin:/usr/bin:/sbin:/bin /bin/sh -c "cd \"\$0\" && exec \"\$@\"" "$cwd" "$@"
' chroot-run "$root" "$here" "$LW_CACHE" "$PWD" "$LW_KERNEL" "$@"
