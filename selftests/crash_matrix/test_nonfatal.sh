#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Non-fatal failures with panic_on_oops=0: warnings in task, softirq, hard
# interrupt and NMI context, and an oops in a kernel thread. The kernel keeps
# running, and lw_crash_test is unloaded after the oops is triggered, while
# the oops thread still runs module code (it waits there until the unload
# releases it): the unload must wait until the thread has exited (it says
# so), and succeed. The records are persisted:
# the oops by its own dump, the warnings (which the kernel never dumps) by the
# shutdown dump at power-off (max_reason=4). Boot 2 reads both back.
# (An oops in softirq or hard interrupt context is fatal on x86, "Fatal
# exception in interrupt": those cases are in test_matrix.)
# lw-test: arm64
set -u
. "$(dirname "$0")/../lib.sh"

lw_expect_oops
# The WARN line: 6.12 "WARNING: CPU: 0 PID: 83 at FILE:LINE lw_warn+..",
# 7.x "WARNING: FILE:LINE at lw_warn+.., CPU#0: comm/83".
warn_at='rust/helpers.c:[0-9]+ (at )?lw_warn'
lw_expect_splat "WARNING: .*$warn_at"

nv=$LW_TEST_LOG/nvram.fd
marker="lw-nonfatal-$(date +%s)-$RANDOM"
lw_boot boot1-failures --nvram "$nv" -- "
	$LW_GUEST_DEBUGFS
	echo 0 >/proc/sys/kernel/panic_on_oops
	insmod ./lw_efi_pstore.ko max_reason=4 || exit 10
	insmod ./lw_crash_test.ko || exit 11
	echo '$marker' >/dev/kmsg
	for c in warn_task warn_softirq warn_hardirq warn_nmi oops_task; do
		/bin/echo \$c >/sys/kernel/debug/lw_crash/run
		echo \"\$c=\$?\"
	done
	# The oops thread waits in module code until the unload releases it.
	rmmod lw_crash_test
	echo rmmod=\$?
	echo loaded=\$([ -d /sys/module/lw_crash_test ] && echo 1 || echo 0)
	echo alive=1
	$(lw_dump_counters lw_efi_pstore)
"
out=$LW_TEST_LOG/boot1-failures/out.log
cat "$out"
lw_assert_eq "$(lw_result boot1-failures)" "exit 0" "the kernel kept running to the end of the script"
# arm64 has no NMI here: warn_nmi is refused (lw_crash_test: ENODEV), the
# rest is the same.
nmi=1
[ "$(lw_kernel_arch)" != arm64 ] || nmi=
for c in warn_task warn_softirq warn_hardirq ${nmi:+warn_nmi} oops_task; do
	lw_assert_eq "$(lw_counter "$out" "$c")" 0 "$c triggered"
done
[ -n "$nmi" ] || lw_assert_eq "$(lw_counter "$out" warn_nmi)" 1 "warn_nmi refused (no NMI on arm64)"
lw_assert_grep "$LW_TEST_LOG/boot1-failures/console.log" 'lw_crash_test: warn_softirq: in softirq context' "warning raised in softirq context"
lw_assert_grep "$LW_TEST_LOG/boot1-failures/console.log" 'lw_crash_test: warn_hardirq: in hardirq context' "warning raised in hardirq context"
[ -z "$nmi" ] ||
	lw_assert_grep "$LW_TEST_LOG/boot1-failures/console.log" 'lw_crash_test: warn_nmi: in nmi context' "warning raised in NMI context"
lw_assert_eq "$(lw_counter "$out" rmmod)" 0 "lw_crash_test unloaded right after the oops was triggered"
lw_assert_eq "$(lw_counter "$out" loaded)" 0 "lw_crash_test is gone"
con=$LW_TEST_LOG/boot1-failures/console.log
lw_assert_grep "$con" 'lw_crash_test: unload: waiting for the oops thread to exit' "the unload found the oops thread running and waited"
# In this order: the oops, then the end of the wait.
awk '/lw_crash_test: oops_task: in task context/ { o = NR }
	/lw_crash_test: unload: the oops thread has exited/ { e = NR }
	END { exit !(o && e && o < e) }' "$con" ||
	lw_fail "the unload finished waiting before the oops was raised"
echo "ok: the unload finished waiting after the oops"
lw_assert_eq "$(lw_counter "$out" dumps)" 1 "the oops was dumped (one dump before power-off)"

lw_boot_read boot2-read "$nv" >/dev/null
r=$LW_TEST_LOG/boot2-read/records.txt
lw_assert_grep "$r" '^Oops#1 Part1' "the oops record is there"
lw_assert_grep "$r" 'lw_crash_test: oops_task: in task context' "oops record holds the oops"
lw_assert_grep "$r" '^Shutdown#2 Part1' "the shutdown record is there"
lw_assert_grep "$r" "$warn_at" "a warning's report is recovered"
lw_assert_grep "$r" 'lw_crash_test: warn_hardirq: in hardirq context' "the hardirq warning is recovered"
[ -z "$nmi" ] || lw_assert_grep "$r" 'lw_crash_test: warn_nmi: in nmi context' "the NMI warning is recovered"
lw_assert_grep "$r" "$marker" "marker recovered"
