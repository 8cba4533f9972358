#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# `make tool`: builds the `lastwords` command (tools/lastwords, release, with
# Debian's cargo; crates pinned by its Cargo.lock) and puts it at
# ./lastwords, beside the modules. `cargo install --path tools/lastwords`
# installs it into ~/.cargo/bin instead.
#
# `scripts/tool.sh arm64` (make tool-arm64) cross-builds it for arm64 as
# ./lastwords-arm64, for the arm64 guests and machines: the host's rustc with
# Debian's arm64 standard library of the same version (scripts/rust-std.sh)
# and Debian's cross linker (gcc-aarch64-linux-gnu); linked against Debian
# 12's arm64 glibc.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/scripts/lib.sh"
[ -x "$LW_CARGO" ] || lw_die "$LW_CARGO missing: run scripts/setup.sh (apt-get install cargo-web)"
export CARGO_TARGET_DIR=$LW_CACHE/target
manifest=$here/tools/lastwords/Cargo.toml
case ${1:-} in
'')
	lw_cargo build -q --locked --release --manifest-path "$manifest"
	install -m 0755 "$CARGO_TARGET_DIR/release/lastwords" "$here/lastwords"
	;;
arm64)
	target=aarch64-unknown-linux-gnu
	command -v aarch64-linux-gnu-gcc >/dev/null ||
		lw_die "aarch64-linux-gnu-gcc missing: run scripts/setup.sh"
	sysroot=$("$here/scripts/rust-std.sh" arm64)
	# The sysroot for the target's crates only: with --target, cargo
	# builds proc macros and build scripts for the host without RUSTFLAGS.
	CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc \
	CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUSTFLAGS="--sysroot=$sysroot" \
		lw_cargo build -q --locked --release --target $target --manifest-path "$manifest"
	install -m 0755 "$CARGO_TARGET_DIR/$target/release/lastwords" "$here/lastwords-arm64"
	;;
*)
	lw_die "usage: tool.sh [arm64]"
	;;
esac
