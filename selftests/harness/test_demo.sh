#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# `make demo` works: scripts/demo.sh (boot 1 panics in hard-interrupt context
# with lw_efi_pstore loaded, boot 2 reads the records back) exits 0 and says
# what it recovered; its boots are logged under this test's directory.
set -u
. "$(dirname "$0")/../lib.sh"
lw_expect_splat 'Kernel panic - not syncing: lw_crash_test: panic_hardirq'
out=$LW_TEST_LOG/demo.out
LW_LOGS=$LW_TEST_LOG "$lw_repo/scripts/demo.sh" >"$out" 2>&1
rc=$?
cat "$out"
lw_assert_eq "$rc" 0 "demo.sh exit status"
lw_assert_grep "$out" '^Recovered: the marker and the hard-interrupt panic survived the crash' "demo's verdict"
lw_assert_grep "$out" 'Kernel panic - not syncing: lw_crash_test: panic_hardirq' "demo printed the recovered panic line"
