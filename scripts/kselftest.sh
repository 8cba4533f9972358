#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# `make kselftest-install`: install the kselftest target "lastwords"
# (selftests/kselftest) with the kernel's own runner, as the kernel's
# `make -C tools/testing/selftests TARGETS=... install` does for its targets,
# but without writing into the kernel tree:
#
#   DIR/run_kselftest.sh, DIR/kselftest/   the tree's runner
#   DIR/kselftest-list.txt                 lastwords:<test> lines
#   DIR/lastwords/                         the tests, settings, config and
#                                          the modules they load
#
# Then, on the machine under test: DIR/run_kselftest.sh -c lastwords;
# DIR/lastwords/lw_crash_step.sh (panics); after the reboot, run_kselftest.sh
# again. The modules must be built (make) for the kernel that runs them.
#
# Usage: kselftest.sh DIR    (default: $LW_CACHE/kselftest)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/scripts/lib.sh"

out=${1:-$LW_CACHE/kselftest}
kdir=$(KDIR=${KDIR:-} "$here/scripts/kernel.sh")
ksft=$kdir/tools/testing/selftests
[ -f "$ksft/lib.mk" ] && [ -f "$ksft/run_kselftest.sh" ] ||
	lw_die "$ksft has no kselftest runner (lib.mk, run_kselftest.sh)"
mods=()
for m in lw_efi_pstore lw_crash_test; do
	[ -f "$here/$m.ko" ] || lw_die "$m.ko is not built: run make first"
	mods+=("$here/$m.ko")
done

mkdir -p "$out/kselftest"
for f in "$ksft"/kselftest/*.sh "$ksft"/kselftest/*.pl "$ksft"/kselftest/*.py; do
	[ ! -f "$f" ] || install -m 744 "$f" "$out/kselftest/"
done
install -m 744 "$ksft/run_kselftest.sh" "$out/"
rm -rf "$out/lastwords"
make -s --no-print-directory -C "$here/selftests/kselftest" KSFT_DIR="$ksft" \
	INSTALL_PATH="$out/lastwords" LW_MODULES="${mods[*]}" install
make -s --no-print-directory -C "$here/selftests/kselftest" KSFT_DIR="$ksft" \
	COLLECTION=lastwords emit_tests >"$out/kselftest-list.txt"
lw_say "kselftest: installed in $out (run: $out/run_kselftest.sh -c lastwords)" >&2
