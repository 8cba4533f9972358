#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# samples/lw_nmi_chain: N NMIs injected through the QEMU monitor (one each,
# on the boot CPU) reach process context through irq_work and a work item:
# nmi_events == N == work_events + dropped; the module unloads.
#
# No injection may find the one before it still pending (two NMIs pending at
# once are one): the host injects the next NMI only once the guest has
# counted the last one (it says so on the console), however slow either
# side is.
set -u
. "$(dirname "$0")/../lib.sh"

sock=$LW_TEST_LOG/monitor.sock
cpus=2 n=5
# Guest-side waits: 1200 looks 0.1 s apart (at least 2 min), for what the
# host does in about a second: a backstop, with a message.
lw_boot chain --no-uefi --monitor "$sock" --cpus $cpus -- "
	$LW_GUEST_DEBUGFS
	insmod ./lw_nmi_chain.ko || exit 10
	d=/sys/kernel/debug/lw_nmi_chain
	echo Y >\$d/armed
	echo lw_nmi_chain armed >/dev/kmsg
	for i in \$(seq $n); do
		t=0
		until [ \"\$(cat \$d/nmi_events)\" -ge \$i ]; do
			t=\$((t + 1))
			[ \$t -le 1200 ] || { echo \"NMI \$i never came\"; break 2; }
			sleep 0.1
		done
		echo \"lw_nmi_chain counted \$i\" >/dev/kmsg
	done
	# Every event on to process context.
	t=0
	until [ \"\$(cat \$d/work_events)\" -ge \"\$(cat \$d/nmi_events)\" ]; do
		t=\$((t + 1))
		[ \$t -le 1200 ] || { echo 'the events never reached the work item'; break; }
		sleep 0.1
	done
	echo N >\$d/armed
	$(lw_dump_counters lw_nmi_chain)
	rmmod lw_nmi_chain || exit 11
" &
vm=$!
log=$LW_TEST_LOG/chain
lw_wait_console "$log" '\] lw_nmi_chain armed' 300 $vm || { wait $vm; lw_fail "guest never armed"; }
for i in $(seq $n); do
	"$lw_repo/scripts/vm-monitor.sh" "$sock" nmi >/dev/null
	lw_wait_console "$log" "\] lw_nmi_chain counted $i" 300 $vm ||
		{ wait $vm; cat "$log/out.log"; lw_fail "the guest never counted NMI $i"; }
done
echo "injected $n NMIs, each counted before the next"
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
