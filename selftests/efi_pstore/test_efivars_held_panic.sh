#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The case the C efi_pstore loses: another task holds the efivars lock (and
# never gives it back) when the kernel panics. lw_efi_pstore must still store
# the panic record (bypassing the lock, the firmware being idle); the C
# backend's result is reported as it is, for comparison, not asserted.
. "$(dirname "$0")/../lib.sh"

lw_expect_splat 'Kernel panic - not syncing: lw_crash_test: task panic'

# crash_cycle NAME LOAD_BACKEND FILE_GLOB: boot 1 holds the lock and panics,
# boot 2 reads the records back. Prints "persisted" or "lost".
crash_cycle() {
	local name=$1 load=$2 glob=$3 nv=$LW_TEST_LOG/$1.nvram.fd
	local marker="lw-held-$name-$(date +%s)-$RANDOM"
	lw_boot "$name-crash" --nvram "$nv" -- "
		$LW_GUEST_DEBUGFS
		$load || exit 10
		insmod ./lw_crash_test.ko || exit 11
		echo hold_efivars >/sys/kernel/debug/lw_crash/run &
		for i in \$(seq 100); do
			dmesg | grep -q 'hold_efivars: holding' && break
			sleep 0.1
		done
		echo '$marker' >/dev/kmsg
		echo panic >/sys/kernel/debug/lw_crash/run
	" >/dev/null
	[ "$(lw_result "$name-crash")" = panic ] || { echo "boot 1 did not panic"; return 1; }
	lw_boot_read "$name-read" "$nv" "$load" "$glob" >/dev/null || { echo "boot 2 failed"; return 1; }
	if grep -q "$marker" "$LW_TEST_LOG/$name-read/records.txt" 2>/dev/null &&
	   grep -q 'Kernel panic - not syncing: lw_crash_test: task panic' "$LW_TEST_LOG/$name-read/records.txt"; then
		echo persisted
	else
		echo lost
	fi
}

ours=$(crash_cycle ours "$LW_LOAD_OURS" 'dmesg-lw_efi_pstore-*')
echo "lw_efi_pstore: $ours"
grep -hE '\] (pstore|lw_efi_pstore): ' "$LW_TEST_LOG/ours-crash/console.log" | grep -v 'egistered' | tail -3 | sed 's/^/  ours boot 1: /'
c=$(crash_cycle anchor "$LW_LOAD_C" 'dmesg-efi_pstore-*')
echo "C efi_pstore (anchor, reported only): $c"
grep -hE '\] (pstore|efi_pstore): ' "$LW_TEST_LOG/anchor-crash/console.log" | grep -v 'egistered' | tail -3 | sed 's/^/  anchor boot 1: /'
lw_assert_eq "$ours" persisted "lw_efi_pstore stores the panic with the efivars lock held"
