#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# lw_apei_test: records larger than a page (20000 and 65000 bytes, and the
# 64 KiB maximum) go from NMI through the preallocated 64 KiB scratch buffer
# and queue slot intact; a record above 64 KiB is refused by the firmware
# command. On arm64 (no NMI) from the interrupt source, through its own.
# lw-test: arm64
set -u
. "$(dirname "$0")/../lib.sh"

if [ "$(lw_kernel_arch)" = arm64 ]; then via=irq src=irq0; else via= src=nmi1; fi

lw_boot big --no-uefi -- "
	$LW_GUEST_DEBUGFS
	insmod ./lw_apei_test.ko || exit 10
	d=/sys/kernel/debug/lw_apei
	for len in 20000 65000 65536; do
		echo \"big \$len $via\" >\$d/run || exit 11
		echo flush >\$d/run
		echo largest_after_\$len=\$(cat \$d/largest_record)
	done
	/bin/echo 'big 65537 $via' >\$d/run 2>/dev/null
	echo too_big=\$?
	$(lw_dump_counters lw_apei)
	rmmod lw_apei_test || exit 12
	echo rmmod=ok
"
rc=$?
out=$LW_TEST_LOG/big/out.log
cat "$out"
lw_assert_eq "$rc" 0 "guest sequence"
c() { lw_counter "$out" "$1"; }
for len in 20000 65000 65536; do
	lw_assert_eq "$(c largest_after_$len)" $len "a $len-byte record arrived intact"
done
lw_assert_eq "$(c intact_$src)" 3 "three large records intact ($src)"
lw_assert_eq "$(c corrupt)" 0 "no corrupt record"
lw_assert_eq "$(c bad_records)" 0 "no invalid record"
lw_assert_eq "$(c received)" 3 "the record above 64 KiB never reached a status block"
[ "$(c too_big)" != 0 ] || lw_fail "a 65537-byte record was accepted"
echo "ok: a 65537-byte record is refused"
lw_assert_eq "$(c rmmod)" ok "module unloaded"
