#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The splat scanner on fixed console logs (host only): one line in the
# kernel's own format (Linux 6.12) for each kind of report it must catch, each
# asserted caught; benign boot and test lines asserted not caught; what
# announced splats it lets through; and that an after-panic allowance does
# not cover the same warning before the panic.
# lw-test: kernel-independent
set -u
. "$(dirname "$0")/../lib.sh"

scan=$lw_repo/scripts/splat-scan

# fixtures/splats.txt: one line per report format, each must be caught;
# fixtures/benign.txt: boot banners and test chatter that share words with
# them, none may be. As the console shows them, minus the printk prefixes,
# added here.
fx=$lw_repo/selftests/harness/fixtures
cp "$fx/splats.txt" "$fx/benign.txt" "$LW_TEST_LOG/"

# The console's prefixes: a timestamp, and a caller id (task or CPU).
prefix() {
	awk '{ printf "[%5d.%06d] [%s] %s\n", NR, NR * 7, (NR % 2 ? "  T245" : "    C1"), $0 }' "$1"
}
prefix "$LW_TEST_LOG/splats.txt" >"$LW_TEST_LOG/splats.log"
prefix "$LW_TEST_LOG/benign.txt" >"$LW_TEST_LOG/benign.log"

out=$LW_TEST_LOG/splats.out
"$scan" "$LW_TEST_LOG/splats.log" >"$out"
lw_assert_eq "$?" 1 "report lines: the scan fails"
n=0 missed=0
while IFS= read -r line; do
	n=$((n + 1))
	if ! grep -qxF "UNEXPECTED: $LW_TEST_LOG/splats.log: $line" "$out"; then
		echo "not caught: $line"
		missed=$((missed + 1))
	fi
done <"$LW_TEST_LOG/splats.txt"
lw_assert_eq "$missed" 0 "every report format caught ($n lines)"
lw_assert_eq "$(grep -c '^UNEXPECTED' "$out")" "$n" "one splat per report line"

"$scan" "$LW_TEST_LOG/benign.log" >"$LW_TEST_LOG/benign.out"
rc=$?
sed 's/^/caught: /' "$LW_TEST_LOG/benign.out"
lw_assert_eq "$rc" 0 "benign lines: the scan passes"
lw_assert_eq "$(wc -l <"$LW_TEST_LOG/benign.out")" 0 "no benign line caught"

# Announced splats, and the after-panic allowance.
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
