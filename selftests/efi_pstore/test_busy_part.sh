#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# A panic dump cut off by busy firmware at a chosen part, deterministically
# (what test_cut_firmware_busy.sh provokes with a CPU stopped inside the
# firmware): with test_hooks=1 test_busy_part=3, the panic dump finds the
# firmware busy at part 3 and stops; boot 2 reads parts 1 and 2 as one
# record, with the panic and the newest lines without a hole.
# lw-test: arm64
set -u
. "$(dirname "$0")/../lib.sh"

lw_expect_splat 'Kernel panic - not syncing: sysrq triggered crash'

nv=$LW_TEST_LOG/busy.nvram.fd
lw_boot busy --nvram "$nv" -- "
	insmod ./lw_efi_pstore.ko record_size=1024 test_hooks=1 test_busy_part=3 || exit 10
	for i in \$(seq 1 1500); do echo \"lw-busy line \$i\" >/dev/kmsg; done
	echo 1 >/proc/sys/kernel/sysrq
	echo c >/proc/sysrq-trigger
"
lw_assert_eq "$(lw_result busy)" panic "boot 1 panicked"
lw_assert_grep "$LW_TEST_LOG/busy/console.log" 'panic dump stopped at part 3' "the panic dump stopped at part 3"
lw_boot_read read-busy "$nv"
lw_assert_eq "$?" 0 "boot 2 read the records"
out=$LW_TEST_LOG/read-busy/out.log
r=$LW_TEST_LOG/read-busy/records.txt
lw_assert_eq "$(lw_counter "$out" dense_parts)" 2 "parts 1 and 2 stored"
lw_assert_eq "$(lw_counter "$out" files)" 1 "one record"
lw_assert_grep "$r" 'Kernel panic - not syncing: sysrq triggered crash' "with the panic"
! grep -q 'missing or damaged' "$r" || lw_fail "a part is reported missing"
seqs=$(grep -o 'lw-busy line [0-9]*' "$r" | awk '{print $3}')
lo=$(echo "$seqs" | head -1)
lw_assert_eq "$(echo "$seqs" | tr '\n' ' ')" "$(seq "$lo" 1500 | tr '\n' ' ')" "lines $lo..1500 in order, none missing"
