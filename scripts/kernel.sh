#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Print the path of a built, Rust-enabled kernel tree, building it first if
# needed. With KDIR set, check that tree and use it as it is. Otherwise take
# the Debian source of the kernel KERNEL names (default 7.3):
#
#   6.12  linux-source-6.12 (Debian 12), built with this machine's toolchain
#         (rustc-web 1.96, bindgen from scripts/setup.sh)
#   7.3   linux-source-7.3 $LW_LINUX_73_VERSION (trixie-backports, fetched
#         through a private apt state, scripts/debian.sh), built in the trixie chroot
#         (scripts/chroot.sh: rustc 1.85.1, libclang 19), since 7.3 needs a
#         libclang newer than Debian 12 has
#
# configure it with virtme-ng's kconfig plus config/lastwords.config, and
# build bzImage + modules into the cache, keyed by kernel, source version,
# fragment and compilers, so that later runs reuse it.
#
#   debian-7.3  Debian's stock kernel of the same version (linux-image-
#         <release>, e.g. 7.3.4+deb13-amd64), built with CONFIG_RUST=y but
#         shipped without Rust metadata: the same source, configured with
#         the headers package's .config, prepared (modules_prepare, which
#         builds the kernel crate's .rmeta) with its Module.symvers and
#         release in the trixie chroot, whose rustc must be the one the
#         kernel was built with (checked). No kernel is built: the VMs boot
#         the stock image, unpacked next to the tree (see --boot).
#   debian-7.3-arm64  the same for Debian's stock arm64 kernel
#         (7.3.4+deb13-arm64), prepared with the chroot's cross compiler
#         (ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu-); its VMs run
#         qemu-system-aarch64 with AAVMF and an arm64 root (scripts/rootfs.sh).
#
# Progress goes to stderr; the tree's path is the only line on stdout.
# --boot prints what the VMs boot instead: the tree for a built kernel, the
# image's vmlinuz for the stock kernel.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/scripts/lib.sh"

if [ -n "${KDIR:-}" ]; then
	[ -f "$KDIR/.config" ] || lw_die "KDIR=$KDIR has no .config (not a configured kernel tree)"
	grep -q '^CONFIG_RUST=y' "$KDIR/.config" || lw_die "KDIR=$KDIR is not built with CONFIG_RUST=y"
	[ -f "$KDIR/Module.symvers" ] || lw_die "KDIR=$KDIR is not built (no Module.symvers): run make there first"
	# A distribution's headers package has the .config and Module.symvers of
	# a Rust-enabled kernel, but not the kernel crate's metadata.
	[ -f "$KDIR/rust/libkernel.rmeta" ] ||
		lw_die "KDIR=$KDIR has no Rust metadata (rust/libkernel.rmeta): a headers package is not enough; prepare a tree (make modules_prepare), or use KERNEL=debian-7.3 for Debian's stock kernel"
	echo "$KDIR"
	exit 0
fi
case $LW_KERNEL in debian-7.3 | debian-7.3-arm64) exec "$here/scripts/stock-kernel.sh" "$@" ;; esac

fragment=$here/config/lastwords.config
case $LW_KERNEL in
6.12)
	srcpkg=linux-source-6.12
	tarball=/usr/src/$srcpkg.tar.xz
	[ -f "$tarball" ] || lw_die "$tarball missing: run scripts/setup.sh (apt-get install $srcpkg)"
	[ -x "$LW_RUSTC" ] || lw_die "$LW_RUSTC missing: run scripts/setup.sh (apt-get install rustc-web rust-web-src)"
	srcver=$(dpkg-query -W -f='${Version}' "$srcpkg")
	run=()
	rust=(RUSTC="$LW_RUSTC" BINDGEN=bindgen)
	;;
7.3)
	. "$here/scripts/debian.sh"
	srcpkg=linux-source-7.3
	srcver=$LW_LINUX_73_VERSION
	run=("$here/scripts/chroot.sh" run)
	# Already inside it (lint.sh and modules.sh run there for 7.3).
	[ -z "${LW_IN_CHROOT:-}" ] || run=()
	rust=()
	;;
*) lw_die "KERNEL=$LW_KERNEL: unknown (7.3, 6.12, debian-7.3 or debian-7.3-arm64; or KDIR=/path/to/tree)" ;;
esac
# The compilers that build the tree (for 6.12 the key is what it always was,
# so that existing caches stay valid).
if [ "$LW_KERNEL" = 6.12 ]; then
	tools="$("$LW_RUSTC" --version)
$(bindgen --version)"
else
	tools=$("${run[@]}" sh -c 'rustc --version; bindgen --version') ||
		lw_die "the trixie chroot has no working rustc or bindgen"
fi
key=$( { echo "$srcver"; cat "$fragment"; echo "$tools"; vng --version; } | sha256sum | cut -c1-12)
top=$LW_CACHE/kernel/$srcver-$key
tree=$top/$srcpkg
log=$top/build.log

if [ -f "$top/.built" ]; then
	echo "$tree"
	exit 0
fi

exec 9>"$LW_CACHE/kernel.lock"
flock -n 9 || { lw_say "kernel: another build holds $LW_CACHE/kernel.lock, waiting" >&2; flock 9; }
if [ -f "$top/.built" ]; then
	echo "$tree"
	exit 0
fi

mkdir -p "$top"
: >"$log"
fail() {
	echo "---- last lines of $log ----" >&2
	tail -40 "$log" >&2
	lw_die "kernel $1 failed (full log: $log)"
}

if [ ! -f "$top/.unpacked" ]; then
	if [ "$LW_KERNEL" = 7.3 ]; then
		deb=$(lw_debian_fetch trixie-backports "$srcpkg" "$srcver" "$LW_CACHE/debs")
		rm -rf "$top/deb"
		dpkg -x "$deb" "$top/deb" || fail "unpack ($deb)"
		tarball=$(find "$top/deb/usr/src" -name "$srcpkg.tar.*" | head -1)
	fi
	lw_say "kernel: unpacking $tarball ($srcver) into $top" >&2
	rm -rf "$tree"
	tar -C "$top" -xf "$tarball" || fail unpack
	rm -rf "$top/deb"
	touch "$top/.unpacked"
fi

mk() { (cd "$tree" && "${run[@]}" make "${rust[@]}" "$@") >>"$log" 2>&1; }

lw_say "kernel: configuring (vng --kconfig + config/lastwords.config)" >&2
(cd "$tree" && vng --kconfig >>"$log" 2>&1) || fail "configuration (vng --kconfig)"
(cd "$tree" && scripts/kconfig/merge_config.sh -m .config "$fragment" >>"$log" 2>&1) ||
	fail "configuration (merge_config)"
mk olddefconfig || fail "configuration (olddefconfig)"
mk rustavailable || fail "configuration (rustavailable: is the Rust toolchain complete?)"

bad=0
while IFS= read -r line; do
	case "$line" in CONFIG_*=*) ;; *) continue ;; esac
	opt=${line%%=*} val=${line#*=}
	if [ "$val" = n ]; then
		grep -qE "^$opt=[ym]" "$tree/.config" && { echo "config: $opt wanted n, is set" >&2; bad=1; }
	else
		grep -qx "$opt=$val" "$tree/.config" ||
			{ echo "config: $opt wanted $val, got $(grep -E "^(# )?$opt[= ]" "$tree/.config" || echo unset)" >&2; bad=1; }
	fi
done <"$fragment"
[ $bad = 0 ] || lw_die "kernel configuration lost options of config/lastwords.config (see above)"

jobs=$(( $(nproc) + 1 ))
lw_say "kernel: building $LW_KERNEL bzImage + modules with -j$jobs (log: $log; 15-30 min on 2 cores)" >&2
mk -j"$jobs" bzImage modules || fail build
touch "$top/.built"
lw_say "kernel: done, $(make -s -C "$tree" kernelversion) in $tree" >&2
echo "$tree"
