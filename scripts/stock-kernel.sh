#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# KERNEL=debian-7.3 (run through scripts/kernel.sh): Debian's stock
# Rust-enabled kernel, linux-image-<release> (e.g. 7.3.4+deb13-amd64);
# KERNEL=debian-7.3-arm64: its arm64 build (7.3.4+deb13-arm64), whose tree is
# prepared with the chroot's cross compiler (ARCH=arm64). Its
# headers package has the .config and Module.symvers but no Rust metadata, so
# this prepares a tree that has it:
#
#  1. the release is the one whose headers package has the version
#     $LW_LINUX_73_VERSION in trixie-backports, flavour $LW_DEBIAN_FLAVOUR;
#  2. linux-source-7.3 of that version is unpacked, given the headers
#     package's .config and Module.symvers, and prepared (make olddefconfig,
#     then make KERNELRELEASE=<release> modules_prepare, which builds the
#     kernel crate's .rmeta) in the trixie chroot, whose rustc must print
#     exactly the kernel's CONFIG_RUSTC_VERSION_TEXT: .rmeta files are
#     compiler-specific, and a module built by another rustc does not link;
#  3. the kernel image and its modules (linux-binary-<release>,
#     linux-modules-<release>) are unpacked next to the tree, for the VMs.
#
# Pinned inputs: the source version (LW_LINUX_73_VERSION, shared with
# KERNEL=7.3), the suite (trixie-backports), the flavour, and the chroot's
# suite (trixie: its rustc is the kernel's). A newer stock kernel of the same
# series is a new LW_LINUX_73_VERSION; if it was built by a rustc that the
# chroot does not have, step 2 stops and says which.
#
# The result is cached in $LW_CACHE/kernel/debian-<version>-<flavour>-<key>,
# keyed by version, flavour and the chroot's compilers.
#
# Usage: stock-kernel.sh          print the prepared tree's path
#        stock-kernel.sh --boot   print the image's vmlinuz (virtme-ng finds
#                                 its modules in the unpacked image too)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/scripts/lib.sh"
. "$here/scripts/debian.sh"

suite=trixie-backports
srcver=$LW_LINUX_73_VERSION
srcpkg=linux-source-7.3
case $LW_KERNEL in
debian-7.3) flavour=$LW_DEBIAN_FLAVOUR cross=() ;;
debian-7.3-arm64)
	flavour=arm64 cross=(ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu-)
	export LW_APT_ARCH=arm64
	;;
*) lw_die "stock-kernel.sh: KERNEL=$LW_KERNEL is not a stock kernel" ;;
esac
run=("$here/scripts/chroot.sh" run)
[ -z "${LW_IN_CHROOT:-}" ] || run=()

tools=$("${run[@]}" sh -c 'rustc --version; bindgen --version') ||
	lw_die "the trixie chroot has no working rustc or bindgen"
key=$( { echo "debian $srcver $flavour"; echo "$tools"; } | sha256sum | cut -c1-12)
top=$LW_CACHE/kernel/debian-$srcver-$flavour-$key
tree=$top/$srcpkg
log=$top/build.log

done_out() {
	if [ "${1:-}" = --boot ]; then
		cat "$top/vmlinuz"
	else
		echo "$tree"
	fi
	exit 0
}
[ ! -f "$top/.built" ] || done_out "$@"

exec 9>"$LW_CACHE/kernel.lock"
flock -n 9 || { lw_say "kernel: another build holds $LW_CACHE/kernel.lock, waiting" >&2; flock 9; }
[ ! -f "$top/.built" ] || done_out "$@"

mkdir -p "$top"
: >"$log"
fail() {
	echo "---- last lines of $log ----" >&2
	tail -40 "$log" >&2
	lw_die "stock kernel: $1 failed (full log: $log)"
}

# 1. The release: the flavour's headers package of this version.
lw_debian_update "$suite"
upstream=${srcver%%-*}
release=
for p in $(lw_apt "$suite" apt-cache search --names-only \
	"^linux-headers-${upstream//./\\.}\\+[^-]*-$flavour\$" | awk '{ print $1 }'); do
	# (grep reads it all: with pipefail, -q could fail the pipe by SIGPIPE.)
	if lw_apt "$suite" apt-cache show "$p" | grep -x "Version: $srcver" >/dev/null; then
		release=${p#linux-headers-}
		break
	fi
done
[ -n "$release" ] ||
	lw_die "no linux-headers-$upstream+*-$flavour of version $srcver in $suite"
lw_say "kernel: Debian's stock kernel $release ($srcver)" >&2

debs=$LW_CACHE/debs
src=$(lw_debian_fetch "$suite" "$srcpkg" "$srcver" "$debs")
hdr=$(lw_debian_fetch "$suite" "linux-headers-$release" "$srcver" "$debs")
bin=$(lw_debian_fetch "$suite" "linux-binary-$release" "$srcver" "$debs")
mods=$(lw_debian_fetch "$suite" "linux-modules-$release" "$srcver" "$debs")

# 2. The tree, with the stock configuration.
lw_say "kernel: unpacking $srcpkg $srcver and the headers of $release" >&2
rm -rf "$top/deb" "$top/headers" "$tree"
dpkg -x "$src" "$top/deb" || fail "unpack ($src)"
tar -C "$top" -xf "$(find "$top/deb/usr/src" -name "$srcpkg.tar.*" | head -1)" || fail unpack
rm -rf "$top/deb"
dpkg -x "$hdr" "$top/headers" || fail "unpack ($hdr)"
hdir=$top/headers/usr/src/linux-headers-$release
for f in .config Module.symvers; do
	[ -f "$hdir/$f" ] || lw_die "linux-headers-$release has no $f"
done
cp "$hdir/.config" "$top/stock.config"
cp "$hdir/Module.symvers" "$top/stock.symvers"
cp "$hdir/.config" "$tree/.config"
rm -rf "$top/headers"

want=$(sed -n 's/^CONFIG_RUSTC_VERSION_TEXT="\(.*\)"$/\1/p' "$top/stock.config")
[ -n "$want" ] || lw_die "$release is not built with CONFIG_RUST=y (no CONFIG_RUSTC_VERSION_TEXT)"
have=$("${run[@]}" rustc --version)
[ "$have" = "$want" ] ||
	lw_die "$release was built by \"$want\"; the trixie chroot has \"$have\": its modules cannot be built here"

mk() { (cd "$tree" && "${run[@]}" make "${cross[@]}" "$@") >>"$log" 2>&1; }
lw_say "kernel: configuring with the stock .config (olddefconfig)" >&2
mk olddefconfig || fail "configuration (olddefconfig)"
# Only what the build tools report may differ (their versions and what they
# support): any other option would build modules for a different kernel.
# On arm64 that includes the 32-bit compat vDSO (CONFIG_COMPAT_VDSO, which
# needs a 32-bit arm compiler, CROSS_COMPILE_COMPAT): part of the image, not
# of what a module links against.
toolchain='^CONFIG_[A-Z0-9_]*(VERSION|VERSION_TEXT)=|^CONFIG_(CC|AS|LD|RUSTC|TOOLCHAIN|ARCH|GCC|OPENSSL)_(HAS|CAN|SUPPORTS|IS)_'
toolchain+='|^CONFIG_(THUMB2_)?COMPAT_VDSO='
diff <(grep '^CONFIG_' "$top/stock.config" | grep -Ev "$toolchain" | sort) \
	<(grep '^CONFIG_' "$tree/.config" | grep -Ev "$toolchain" | sort) >"$top/config.diff" ||
	{ cat "$top/config.diff" >&2; lw_die "olddefconfig changed the stock configuration (above; $top/config.diff)"; }
lw_say "kernel: make KERNELRELEASE=$release modules_prepare (a few minutes)" >&2
mk -j"$(( $(nproc) + 1 ))" KERNELRELEASE="$release" modules_prepare || fail modules_prepare
cp "$top/stock.symvers" "$tree/Module.symvers"
[ "$(cat "$tree/include/config/kernel.release")" = "$release" ] || fail "setting the release"
ls "$tree"/rust/*.rmeta >/dev/null 2>&1 || fail "modules_prepare (no rust/*.rmeta)"

# 3. The image and its modules, for the VMs.
lw_say "kernel: unpacking the image and modules of $release" >&2
rm -rf "$top/image"
dpkg -x "$bin" "$top/image" || fail "unpack ($bin)"
dpkg -x "$mods" "$top/image" || fail "unpack ($mods)"
[ -d "$top/image/usr/lib/modules/$release" ] || fail "unpack (no usr/lib/modules/$release)"
# Debian's 7.x packages put the image next to the modules; older ones in /boot.
for v in "$top/image/usr/lib/modules/$release/vmlinuz" "$top/image/boot/vmlinuz-$release" ""; do
	[ -z "$v" ] || [ -f "$v" ] && break
done
[ -n "$v" ] || fail "unpack (no vmlinuz)"
echo "$v" >"$top/vmlinuz"
depmod -b "$top/image/usr" "$release" >>"$log" 2>&1 || fail depmod
touch "$top/.built"
done_out "$@"
