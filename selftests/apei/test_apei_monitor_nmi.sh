#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# lw_apei_test: NMIs injected through the QEMU monitor (which hit every CPU)
# service the NMI-like source whose status block holds a record, like a
# firmware-raised NMI; the CPUs that find nothing claim the NMI while
# `armed` is set. N records, N injections, N intact records.
set -u
. "$(dirname "$0")/../lib.sh"

sock=$LW_TEST_LOG/monitor.sock
n=3
lw_boot monitor --no-uefi --monitor "$sock" --cpus 2 -- "
	$LW_GUEST_DEBUGFS
	insmod ./lw_apei_test.ko || exit 10
	d=/sys/kernel/debug/lw_apei
	echo Y >\$d/armed
	for i in \$(seq $n); do
		echo pend >\$d/run || exit 11
		echo \"lw_apei_test pended \$i\" >/dev/kmsg
		# The host injects once it sees the line above: wait for the
		# record, not for a time (at least 2 min: a backstop).
		j=0
		until [ \"\$(cat \$d/intact_nmi1)\" -ge \$i ]; do
			j=\$((j + 1))
			[ \$j -le 1200 ] || { echo \"record \$i: no NMI came\"; break 2; }
			sleep 0.1
		done
	done
	echo N >\$d/armed
	$(lw_dump_counters lw_apei)
	rmmod lw_apei_test || exit 12
	echo rmmod=ok
" &
vm=$!
log=$LW_TEST_LOG/monitor
for i in $(seq $n); do
	lw_wait_console "$log" "\] lw_apei_test pended $i" 300 $vm || { kill $vm; wait $vm; lw_fail "guest never pended record $i"; }
	"$lw_repo/scripts/vm-monitor.sh" "$sock" nmi >/dev/null
done
wait $vm
rc=$?
out=$log/out.log
cat "$out"
lw_assert_eq "$rc" 0 "guest sequence"
c() { lw_counter "$out" "$1"; }
lw_assert_eq "$(c intact_nmi1)" $n "every record raised by a monitor NMI arrived intact"
lw_assert_eq "$(c received)" $n "records received"
lw_assert_eq "$(c dropped)" 0 "nothing dropped"
lw_assert_eq "$(c rmmod)" ok "module unloaded"
echo "NMIs with a record $(c nmi_handled), without $(c nmi_empty)"
