#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Crash lock held in task context while the host injects an NMI through the
# QEMU monitor: the NMI handler's try is busy, nothing deadlocks; after
# release, a second injection acquires it. (QEMU's `nmi` raises LINT1 on every
# CPU, but Linux wires LINT1 as NMI on the boot CPU only: one NMI each.)
# lw_prims_test's `hold` keeps the lock until an NMI has found it busy, not
# for a fixed time: however long the host takes to inject, its NMI finds the
# lock held.
set -u
. "$(dirname "$0")/../lib.sh"

sock=$LW_TEST_LOG/monitor.sock
cpus=2
lw_boot mon --no-uefi --monitor "$sock" --cpus $cpus -- "
	$LW_GUEST_DEBUGFS
	insmod ./lw_prims_test.ko || exit 10
	d=/sys/kernel/debug/lw_prims
	echo Y >\$d/nmi_armed
	echo hold >\$d/run || exit 11
	# The host's second NMI, a second or so away: at least 2 min.
	t=0
	until [ \"\$(cat \$d/nmi_claimed)\" -ge 2 ]; do
		t=\$((t + 1))
		[ \$t -le 1200 ] || { echo 'the second NMI never came'; break; }
		sleep 0.1
	done
	echo N >\$d/nmi_armed
	$(lw_dump_counters lw_prims)
	rmmod lw_prims_test || exit 12
" &
vm=$!
log=$LW_TEST_LOG/mon
lw_wait_console "$log" 'lw_prims_test: hold: holding the crash lock' 300 $vm ||
	{ wait $vm; lw_fail "guest never held the lock"; }
"$lw_repo/scripts/vm-monitor.sh" "$sock" nmi >/dev/null
echo "injected NMI 1 (lock held)"
lw_wait_console "$log" 'lw_prims_test: hold: released the crash lock' 300 $vm ||
	{ wait $vm; lw_fail "guest never released the lock"; }
! grep -q 'lw_prims_test: hold: no NMI found the lock busy' "$log/console.log" ||
	{ wait $vm; lw_fail "NMI 1 never found the lock busy: $(grep -o 'hold: no NMI.*' "$log/console.log" | tr -d '\r')"; }
"$lw_repo/scripts/vm-monitor.sh" "$sock" nmi >/dev/null
echo "injected NMI 2 (lock free)"
wait $vm
rc=$?
out=$log/out.log
cat "$out"
lw_assert_eq "$rc" 0 "guest sequence"
lw_assert_eq "$(lw_counter "$out" nmi_claimed)" 2 "NMIs claimed (2 injections)"
lw_assert_eq "$(lw_counter "$out" nmi_busy)" 1 "held: the NMI's try is busy"
lw_assert_eq "$(lw_counter "$out" nmi_acquired)" 1 "free: the NMI's try acquires"
lw_assert_eq "$(lw_counter "$out" wrong_context)" 0 "handler ran in NMI context"
