#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Print the path of a built, Rust-enabled kernel tree, building it first if
# needed. With KDIR set, check that tree and use it as it is. Otherwise unpack
# Debian's linux-source-6.12, configure it with virtme-ng's kconfig plus
# config/lastwords.config, and build bzImage + modules into the cache, keyed by
# source version, fragment and compiler, so that later runs reuse it.
#
# Progress goes to stderr; the tree's path is the only line on stdout.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/scripts/lib.sh"

if [ -n "${KDIR:-}" ]; then
	[ -f "$KDIR/.config" ] || lw_die "KDIR=$KDIR has no .config (not a configured kernel tree)"
	grep -q '^CONFIG_RUST=y' "$KDIR/.config" || lw_die "KDIR=$KDIR is not built with CONFIG_RUST=y"
	[ -f "$KDIR/Module.symvers" ] || lw_die "KDIR=$KDIR is not built (no Module.symvers): run make there first"
	echo "$KDIR"
	exit 0
fi

tarball=/usr/src/linux-source-6.12.tar.xz
[ -f "$tarball" ] || lw_die "$tarball missing: run scripts/setup.sh (apt-get install linux-source-6.12)"
[ -x "$LW_RUSTC" ] || lw_die "$LW_RUSTC missing: run scripts/setup.sh (apt-get install rustc-web rust-web-src)"

fragment=$here/config/lastwords.config
srcver=$(dpkg-query -W -f='${Version}' linux-source-6.12)
key=$( { echo "$srcver"; cat "$fragment"; "$LW_RUSTC" --version; bindgen --version; \
	 vng --version; } | sha256sum | cut -c1-12)
top=$LW_CACHE/kernel/$srcver-$key
tree=$top/linux-source-6.12
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
	lw_say "kernel: unpacking $tarball ($srcver) into $top" >&2
	rm -rf "$tree"
	tar -C "$top" -xf "$tarball" || fail unpack
	touch "$top/.unpacked"
fi

mk() { make -C "$tree" RUSTC="$LW_RUSTC" BINDGEN=bindgen "$@" >>"$log" 2>&1; }

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
lw_say "kernel: building bzImage + modules with -j$jobs (log: $log; ~14 min on 2 cores)" >&2
mk -j"$jobs" bzImage modules || fail build
touch "$top/.built"
lw_say "kernel: done, $(make -s -C "$tree" kernelversion) in $tree" >&2
echo "$tree"
