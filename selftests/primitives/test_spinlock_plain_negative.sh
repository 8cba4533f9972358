#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Negative control for SpinLockIrq: the same task/hard-irq sharing with the
# kernel crate's plain SpinLock (interrupts left on) must make lockdep report
# an inconsistent lock state. Its own boot: lockdep turns itself off after
# its first report.
set -u
. "$(dirname "$0")/../lib.sh"
lw_require PROVE_LOCKING "lockdep must report the plain SpinLock"

lw_expect_splat 'WARNING: inconsistent lock state'
lw_boot plain --no-uefi -- "
	$LW_GUEST_DEBUGFS
	insmod ./lw_prims_test.ko || exit 10
	echo spinlock_plain >/sys/kernel/debug/lw_prims/run || exit 11
"
rc=$?
lw_assert_eq "$rc" 0 "guest sequence"
con=$LW_TEST_LOG/plain/console.log
lw_assert_grep "$con" 'WARNING: inconsistent lock state' "lockdep reports the plain SpinLock"
lw_assert_grep "$con" 'inconsistent \{HARDIRQ-ON-W\} -> \{IN-HARDIRQ-W\} usage' "as hardirq-unsafe"
lw_assert_grep "$con" 'lw_prims_test_plain_lock' "naming our lock"
