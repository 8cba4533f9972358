#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# lw_apei_test's panic_on_fatal opt-in: a bad value is refused at load (by
# the module for 2, by the parameter parser for "yes"); with the default
# (0) a fatal record is reported and counted, and the kernel goes on. Boot
# 2: with panic_on_fatal=1 the same record panics the kernel.
# lw-test: arm64
set -u
. "$(dirname "$0")/../lib.sh"

lw_expect_splat 'Kernel panic - not syncing: lastwords apei: fatal hardware error'
lw_boot fatal-off --no-uefi -- "
	$LW_GUEST_DEBUGFS
	insmod ./lw_apei_test.ko panic_on_fatal=2 2>/dev/null
	echo bad_value=\$?
	insmod ./lw_apei_test.ko panic_on_fatal=yes 2>/dev/null
	echo bad_type=\$?
	insmod ./lw_apei_test.ko || exit 10
	d=/sys/kernel/debug/lw_apei
	echo fatal >\$d/run || exit 11
	echo flush >\$d/run
	$(lw_dump_counters lw_apei)
	rmmod lw_apei_test || exit 12
	echo alive=1
"
rc=$?
out=$LW_TEST_LOG/fatal-off/out.log
cat "$out"
lw_assert_eq "$rc" 0 "guest sequence"
c() { lw_counter "$out" "$1"; }
[ "$(c bad_value)" != 0 ] || lw_fail "panic_on_fatal=2 was accepted"
echo "ok: panic_on_fatal=2 refused"
[ "$(c bad_type)" != 0 ] || lw_fail "panic_on_fatal=yes was accepted"
echo "ok: panic_on_fatal=yes refused"
lw_assert_grep "$LW_TEST_LOG/fatal-off/console.log" 'panic_on_fatal=2 is not 0 or 1' "the module says why"
lw_assert_eq "$(c fatal)" 1 "the fatal record was counted"
lw_assert_eq "$(c intact_poll0)" 1 "the fatal record arrived intact"
lw_assert_grep "$LW_TEST_LOG/fatal-off/console.log" 'lw_apei_test: fatal hardware error: source 3' "the fatal record was reported"
lw_assert_eq "$(c alive)" 1 "no panic with panic_on_fatal=0"

# The record is processed in a work item, after the write returns: flush
# processes it now (as in boot 1), so that the panic comes before "alive",
# however slow the guest.
lw_boot fatal-on --no-uefi -- "
	$LW_GUEST_DEBUGFS
	insmod ./lw_apei_test.ko panic_on_fatal=1 || exit 10
	echo fatal >/sys/kernel/debug/lw_apei/run
	echo flush >/sys/kernel/debug/lw_apei/run
	echo alive=1
"
lw_assert_eq "$(lw_result fatal-on)" panic "panic_on_fatal=1: the fatal record panicked the kernel"
lw_assert_grep "$LW_TEST_LOG/fatal-on/console.log" 'Kernel panic - not syncing: lastwords apei: fatal hardware error' "panic message"
