#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# lw_apei_test: an NMI-like source fires while an interrupt source is in the
# middle of copying its record out of its status block (irq0's copy sends a
# self-NMI halfway and waits for the NMI handler to service nmi0). Each
# source has its own lock and scratch buffer: both records arrive intact
# (checksum and payload verified in process context), nothing is busy or
# dropped.
set -u
. "$(dirname "$0")/../lib.sh"

n=5
lw_boot midcopy --no-uefi -- "
	$LW_GUEST_DEBUGFS
	insmod ./lw_apei_test.ko || exit 10
	d=/sys/kernel/debug/lw_apei
	for i in \$(seq $n); do
		echo midcopy >\$d/run || exit 11
		echo flush >\$d/run
	done
	$(lw_dump_counters lw_apei)
	rmmod lw_apei_test || exit 12
	echo rmmod=ok
"
rc=$?
out=$LW_TEST_LOG/midcopy/out.log
cat "$out"
lw_assert_eq "$rc" 0 "guest sequence"
c() { lw_counter "$out" "$1"; }
lw_assert_eq "$(c midcopy_nmi)" $n "the NMI source was serviced in the middle of each interrupt-source copy"
lw_assert_eq "$(c intact_nmi0)" $n "NMI source: every record intact"
lw_assert_eq "$(c intact_irq0)" $n "interrupt source: every record intact"
lw_assert_eq "$(c intact)" $((2 * n)) "intact records"
lw_assert_eq "$(c corrupt)" 0 "no corrupt record"
lw_assert_eq "$(c bad_records)" 0 "no invalid record (checksums verified)"
lw_assert_eq "$(c busy)" 0 "no source found its own lock held"
lw_assert_eq "$(c dropped)" 0 "nothing dropped"
lw_assert_eq "$(c fw_timeouts)" 0 "every notification was handled"
lw_assert_eq "$(c rmmod)" ok "module unloaded"
