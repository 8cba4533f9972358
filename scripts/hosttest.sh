#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Host tests of the kernel-independent logic: `cargo test` in rust/core/ (and
# its loom runs) and in tools/lastwords/ (the user-space command, on the same
# record code), and the selftests' own Python helpers (*_test.py: the edk2
# variable store they write and read on the host).
#
# hosttest.sh --fuzz (make fuzz): the fuzz properties of rust/core/tests/fuzz.rs
# only, in release mode with overflow checks, LW_FUZZ_CASES inputs each
# (default 2000000: five properties, 10 million inputs); failing inputs are
# kept in rust/core/tests/fuzz.proptest-regressions and replayed first.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/scripts/lib.sh"
[ -x "$LW_CARGO" ] || lw_die "$LW_CARGO missing: run scripts/setup.sh (apt-get install cargo-web)"
export CARGO_TARGET_DIR=$LW_CACHE/target
if [ "${1:-}" = --fuzz ]; then
	cases=${LW_FUZZ_CASES:-2000000}
	[[ $cases =~ ^[1-9][0-9]*$ ]] || lw_die "LW_FUZZ_CASES must be a positive number (got '$cases')"
	lw_say "fuzz: $cases inputs per property (rust/core/tests/fuzz.rs)"
	start=$(date +%s)
	LW_FUZZ_CASES=$cases CARGO_PROFILE_RELEASE_OVERFLOW_CHECKS=true \
		lw_cargo test --locked --release --manifest-path "$here/rust/core/Cargo.toml" \
		--test fuzz -- --test-threads=1
	lw_say "fuzz: $((cases * 5)) inputs in $(($(date +%s) - start)) s, no failure"
	exit 0
fi
for toml in "$here"/rust/core/Cargo.toml "$here"/tools/lastwords/Cargo.toml; do
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
lw_say "hosttest: python helpers in selftests/efi_pstore"
PYTHONDONTWRITEBYTECODE=1 python3 -W error -m unittest discover -q \
	-s "$here/selftests/efi_pstore" -p '*_test.py'
