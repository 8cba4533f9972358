#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# lw_apei_test: records from NMI (self-NMIs), interrupt (a plain irq_work) and
# polled (work item) sources reach process context through the error status
# queue. A burst smaller than the queue loses nothing; a storm larger than
# it may drop records but accounts for every one:
# received == processed + dropped + duplicates. Duplicates are suppressed
# at enqueue time (in NMI). Every processed record is intact (checksum and
# payload verified in process context). The module unloads. On arm64 (no
# NMI) the burst, the storm and the duplicates come from the interrupt
# source instead.
# lw-test: arm64
set -u
. "$(dirname "$0")/../lib.sh"

burst=10 storm=200 irq=50 poll=20 dup=5
if [ "$(lw_kernel_arch)" = arm64 ]; then nmi=irq via=irq; else nmi=nmi via=; fi
lw_boot storm --no-uefi -- "
	$LW_GUEST_DEBUGFS
	insmod ./lw_apei_test.ko || exit 10
	d=/sys/kernel/debug/lw_apei
	echo '$nmi $burst' >\$d/run || exit 11
	echo flush >\$d/run
	echo burst_received=\$(cat \$d/received)
	echo burst_dropped=\$(cat \$d/dropped)
	echo burst_processed=\$(cat \$d/processed)
	echo '$nmi $storm' >\$d/run || exit 12
	echo 'irq $irq' >\$d/run || exit 13
	echo 'poll $poll' >\$d/run || exit 14
	echo 'dup $dup $via' >\$d/run || exit 15
	sleep 1
	echo flush >\$d/run
	$(lw_dump_counters lw_apei)
	rmmod lw_apei_test || exit 16
	echo rmmod=ok
"
rc=$?
out=$LW_TEST_LOG/storm/out.log
cat "$out"
lw_assert_eq "$rc" 0 "guest sequence"
c() { lw_counter "$out" "$1"; }
lw_assert_eq "$(c burst_received)" $burst "burst: every $nmi record received"
lw_assert_eq "$(c burst_dropped)" 0 "burst smaller than the queue: nothing dropped"
lw_assert_eq "$(c burst_processed)" $burst "burst: every record processed"
total=$((burst + storm + irq + poll + dup))
lw_assert_eq "$(c received)" $total "every record was received"
lw_assert_eq "$(c acked)" "$(c received)" "every received record was acknowledged"
lw_assert_eq "$(c duplicates)" $((dup - 1)) "duplicates suppressed at enqueue"
lw_assert_eq "$(( $(c processed) + $(c dropped) + $(c duplicates) ))" "$(c received)" \
	"received == processed + dropped + duplicates"
lw_assert_eq "$(c queued)" "$(c processed)" "every queued record was processed"
lw_assert_eq "$(c bad_records)" 0 "no invalid record"
lw_assert_eq "$(c intact)" "$(c processed)" "every processed record intact"
lw_assert_eq "$(c corrupt)" 0 "no corrupt record"
lw_assert_eq "$(c intact_poll0)" $poll "polled source (sleeps between records): every record intact"
lw_assert_eq "$(c fw_timeouts)" 0 "every notification was handled"
lw_assert_eq "$(c wrong_context)" 0 "no source notified from a wrong context"
lw_assert_eq "$(c rmmod)" ok "module unloaded"
echo "storms ($storm $nmi + $irq irq records back to back, queue of 16): dropped $(c dropped), NMIs handled $(c nmi_handled), irq_work runs $(c irq_runs), work runs $(c work_runs), reported $(c reported), rate-limited $(c ratelimited)"
