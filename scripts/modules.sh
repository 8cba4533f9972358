#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the out-of-tree modules against the kernel tree (KDIR, or the cached
# one) with the rustc that tree was built with. Extra arguments go to kbuild,
# e.g. `scripts/modules.sh CLIPPY=1 modules` (default target: modules).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/scripts/lib.sh"

kdir=$(KDIR=${KDIR:-} "$here/scripts/kernel.sh")

# The .rmeta files of the kernel crate are compiler-specific: use the rustc
# whose version the tree recorded, not whatever is first on PATH.
want=$(sed -n 's/^CONFIG_RUSTC_VERSION_TEXT="\(.*\)"$/\1/p' "$kdir/.config")
rustc=
for c in ${RUSTC:-} "$LW_RUSTC" /usr/bin/rustc $(command -v rustc || true); do
	[ -x "$c" ] || continue
	if [ -z "$want" ] || [ "$("$c" --version)" = "$want" ]; then rustc=$c; break; fi
done
run=()
if [ -z "$rustc" ] && lw_chroot_kernel; then
	# Our 7.3 trees, built or prepared in the trixie chroot (scripts/kernel.sh):
	# build there.
	run=("$here/scripts/chroot.sh" run)
	rustc=rustc
fi
[ -n "$rustc" ] || lw_die "no rustc matching the tree's \"$want\" (set RUSTC=/path/to/rustc)"

# A tree of another architecture (Debian's stock arm64 kernel): its cross
# compiler, the one the chroot has (scripts/chroot.sh).
cross=()
if grep -qx 'CONFIG_ARM64=y' "$kdir/.config"; then
	cross=(ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu-)
fi

cd "$here"
"${run[@]}" "$here/scripts/bindgen.sh" "$kdir"
[ $# -gt 0 ] || set -- modules
exec "${run[@]}" make -C "$kdir" M="$here" RUSTC="$rustc" "${cross[@]}" -j"$(( $(nproc) + 1 ))" "$@"
