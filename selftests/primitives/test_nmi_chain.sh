#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# samples/lw_nmi_chain: N NMIs injected through the QEMU monitor (one each,
# on the boot CPU) reach process context through irq_work and a work item:
# nmi_events == N == work_events + dropped; the module unloads.
set -u
. "$(dirname "$0")/../lib.sh"

sock=$LW_TEST_LOG/monitor.sock
cpus=2 n=5
lw_boot chain --no-uefi --monitor "$sock" --cpus $cpus -- "
	$LW_GUEST_DEBUGFS
	insmod ./lw_nmi_chain.ko || exit 10
	d=/sys/kernel/debug/lw_nmi_chain
	echo Y >\$d/armed
	echo lw_nmi_chain armed >/dev/kmsg
	for i in \$(seq 600); do
		[ \"\$(cat \$d/work_events)\" -ge $n ] && break
		sleep 0.1
	done
	echo N >\$d/armed
	sleep 1
	$(lw_dump_counters lw_nmi_chain)
	rmmod lw_nmi_chain || exit 11
" &
vm=$!
log=$LW_TEST_LOG/chain
lw_wait_console "$log" '\] lw_nmi_chain armed' 120 || { wait $vm; lw_fail "guest never armed"; }
for i in $(seq $n); do
	"$lw_repo/scripts/vm-monitor.sh" "$sock" nmi >/dev/null
	sleep 0.5
done
echo "injected $n NMIs"
wait $vm
rc=$?
out=$log/out.log
cat "$out"
lw_assert_eq "$rc" 0 "guest sequence"
c() { lw_counter "$out" "$1"; }
lw_assert_eq "$(c nmi_events)" $n "NMI events ($n injections)"
lw_assert_eq "$(( $(c work_events) + $(c dropped) ))" "$(c nmi_events)" "every event reached process context or is counted dropped"
lw_assert_eq "$(c irq_events)" "$(c nmi_events)" "every event passed the irq_work"
lw_assert_eq "$(c wrong_context)" 0 "each step ran in its context"
echo "irq_work runs $(c irq_runs), work runs $(c work_runs) for $(c nmi_events) events"
