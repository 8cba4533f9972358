#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Host tests of the kernel-independent logic: `cargo test` in every host crate
# under rust/core/ (and loom runs where a crate has them).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/scripts/lib.sh"
[ -x "$LW_CARGO" ] || lw_die "$LW_CARGO missing: run scripts/setup.sh (apt-get install cargo-web)"
export CARGO_TARGET_DIR=$LW_CACHE/target
for toml in "$here"/rust/core/Cargo.toml; do
	[ -f "$toml" ] || continue
	dir=$(dirname "$toml")
	lw_say "hosttest: cargo test in ${dir#"$here"/}"
	lw_cargo test -q --locked --manifest-path "$toml"
	if grep -q '^loom' "$toml"; then
		lw_say "hosttest: loom in ${dir#"$here"/}"
		RUSTFLAGS="--cfg loom" lw_cargo test -q --locked --release \
			--manifest-path "$toml" --features loom -- loom_
	fi
done
