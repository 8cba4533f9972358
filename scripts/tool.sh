#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# `make tool`: builds the `lastwords` command (tools/lastwords, release, with
# Debian's cargo; crates pinned by its Cargo.lock) and puts it at
# ./lastwords, beside the modules. `cargo install --path tools/lastwords`
# installs it into ~/.cargo/bin instead.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/scripts/lib.sh"
[ -x "$LW_CARGO" ] || lw_die "$LW_CARGO missing: run scripts/setup.sh (apt-get install cargo-web)"
export CARGO_TARGET_DIR=$LW_CACHE/target
lw_cargo build -q --locked --release --manifest-path "$here/tools/lastwords/Cargo.toml"
install -m 0755 "$CARGO_TARGET_DIR/release/lastwords" "$here/lastwords"
