#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The splat scanner on fixed console logs (host only): what it must catch,
# what announced splats it lets through, and that an after-panic allowance
# does not cover the same warning before the panic.
. "$(dirname "$0")/../lib.sh"

scan=$lw_repo/scripts/splat-scan
l=$LW_TEST_LOG/fixture.log
cat >"$l" <<'LOG'
[    1.000000] mtrr: your CPUs had inconsistent fixed MTRR settings
[    2.000000] WARNING: inconsistent lock state
[    3.000000] BUG: sleeping function called from invalid context at kernel/locking/mutex.c:1
[    4.000000] WARNING: CPU: 0 PID: 1 at arch/x86/kernel/fpu/core.c:1 kernel_fpu_begin_mask+0x1/0x2
[    5.000000] Kernel panic - not syncing: test
[    6.000000] WARNING: CPU: 0 PID: 1 at arch/x86/kernel/fpu/core.c:1 kernel_fpu_begin_mask+0x1/0x2
LOG
"$scan" "$l" >"$LW_TEST_LOG/plain.out"
lw_assert_eq "$?" 1 "unannounced splats fail"
lw_assert_eq "$(grep -c '^UNEXPECTED' "$LW_TEST_LOG/plain.out")" 5 "all five splats caught, the MTRR line not"
"$scan" --allow 'inconsistent lock state' --allow 'sleeping function' --allow 'Kernel panic' \
	--allow-after-panic 'fpu/core.c' "$l" >"$LW_TEST_LOG/allowed.out"
lw_assert_eq "$?" 1 "the FPU warning before the panic still fails"
lw_assert_grep "$LW_TEST_LOG/allowed.out" '^UNEXPECTED: .*\[?kernel_fpu_begin_mask' "it is the one named"
lw_assert_eq "$(grep -c '^expected' "$LW_TEST_LOG/allowed.out")" 4 "announced ones listed as expected"
sed 3,4d "$l" >"$LW_TEST_LOG/fixture2.log"
"$scan" --allow 'inconsistent lock state' --allow 'Kernel panic' --allow-after-panic 'fpu/core.c' \
	"$LW_TEST_LOG/fixture2.log" >/dev/null
lw_assert_eq "$?" 0 "everything announced: pass"
