#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# A Rust standard library for another architecture, for the host's rustc
# (Debian's rustc-web) to cross-build user-space programs with (the
# lastwords command for the arm64 guests): Debian's libstd-rust-web-dev of
# that architecture, of exactly the host's rustc-web version, from the
# suite of this machine's apt sources that has it (bookworm-security,
# say), downloaded through a private apt state (scripts/debian.sh; the
# machine's dpkg and apt are not touched) and unpacked as a sysroot under
# $LW_CACHE/rust-std. Prints the sysroot (rustc --sysroot) for the Rust
# target the architecture is.
#
# Usage: rust-std.sh [ARCH]     ARCH: a Debian architecture, arm64 the default
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/scripts/lib.sh"
. "$here/scripts/debian.sh"

arch=${1:-arm64}
case $arch in
arm64) target=aarch64-unknown-linux-gnu ;;
*) lw_die "rust-std.sh: no Rust target known for Debian architecture '$arch'" ;;
esac
pkg=libstd-rust-web-dev
ver=$(dpkg-query -W -f='${Version}' "$pkg:$(dpkg --print-architecture)" 2>/dev/null || true)
[ -n "$ver" ] || lw_die "$pkg (the host's) missing: run scripts/setup.sh"
sysroot=$LW_CACHE/rust-std/$ver-$arch
if [ -f "$sysroot/.done" ]; then
	echo "$sysroot"
	exit 0
fi

mkdir -p "$LW_CACHE/rust-std"
exec 8>"$LW_CACHE/rust-std.lock"
flock 8
if [ -f "$sysroot/.done" ]; then
	echo "$sysroot"
	exit 0
fi

# The suites this machine's apt sources name, for the same Debian.
export LW_APT_ARCH=$arch
suites=$(apt-get indextargets --format '$(ORIGIN) $(RELEASE)' 2>/dev/null |
	awk '$1 == "Debian" { print $2 }' | sort -u)
deb=
for suite in $suites; do
	if lw_apt_has "$suite" "$pkg" "$ver"; then
		deb=$(lw_debian_fetch "$suite" "$pkg" "$ver" "$LW_CACHE/debs/$suite-$arch")
		break
	fi
done
[ -n "$deb" ] || lw_die "no $arch $pkg $ver in this machine's suites ($(echo $suites))"

rm -rf "$sysroot.tmp"
mkdir -p "$sysroot.tmp"
dpkg-deb -x "$deb" "$sysroot.tmp/deb"
lib=$sysroot.tmp/deb/usr/lib/rustlib/$target/lib
[ -n "$(find "$lib" -maxdepth 1 -name 'libstd-*.rlib' 2>/dev/null)" ] ||
	lw_die "$deb holds no $target standard library"
mkdir -p "$sysroot.tmp/lib/rustlib/$target"
mv "$lib" "$sysroot.tmp/lib/rustlib/$target/lib"
rm -rf "$sysroot.tmp/deb"
touch "$sysroot.tmp/.done"
rm -rf "$sysroot"
mv "$sysroot.tmp" "$sysroot"
echo "$sysroot"
