#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# rmmod killed while the unload's last flush waits for the efivars lock
# loses nothing: parts deferred by an oops dump (the lock was held) wait in
# their slots (test_flush_at_unload=1: no flush work), rmmod begins the
# unload, gets SIGKILL, and the flush still writes them once the lock is
# free. The dump is read back after a reboot, and no part was dropped.
# lw-test: arm64
set -u
. "$(dirname "$0")/../lib.sh"

lw_expect_oops

nv=$LW_TEST_LOG/nvram.fd
m="lw-unload-signal-$(date +%s)-$RANDOM"
lw_boot unload --nvram "$nv" -- "
	$LW_GUEST_DEBUGFS
	d=/sys/kernel/debug/lw_efi_pstore
	insmod ./lw_efi_pstore.ko test_hooks=1 test_flush_at_unload=1 || exit 10
	insmod ./lw_crash_test.ko || exit 11
	echo 0 >/proc/sys/kernel/panic_on_oops
	$LW_GUEST_OOPS
	$LW_GUEST_HOLD_EFIVARS
	lw_hold_efivars || exit 21
	echo '$m' >/dev/kmsg
	lw_oops || exit 20
	echo held_deferred=\$(cat \$d/deferred) held_flushed=\$(cat \$d/deferred_written)
	rmmod lw_efi_pstore &
	rm=\$!
	lw_until '[ \"\$(cat /sys/module/lw_efi_pstore/initstate 2>/dev/null)\" = going ]' 'the unload began' || exit 22
	kill -KILL \$rm
	echo hold_efivars_off >/sys/kernel/debug/lw_crash/run
	wait \$rm
	echo rmmod_rc=\$?
	wait
	[ -e /sys/module/lw_efi_pstore ] && echo still_loaded=1 || echo still_loaded=0
	echo dropped_lines=\$(dmesg | grep -c 'deferred parts.*\\(dropped\\|not written\\)')
	true
"
rc=$?
out=$LW_TEST_LOG/unload/out.log
grep -v Segmentation "$out"
lw_assert_eq "$rc" 0 "guest sequence"
c() { grep -o "$1=[^ ]*" "$out" | tail -1 | cut -d= -f2; }
hd=$(c held_deferred)
[ "${hd:-0}" -gt 0 ] || lw_fail "lock held: nothing deferred"
lw_assert_eq "$(c held_flushed)" 0 "deferred parts wait for the unload"
lw_assert_eq "$(c rmmod_rc)" 137 "rmmod died of its SIGKILL once the unload was over"
lw_assert_eq "$(c still_loaded)" 0 "the module is gone"
lw_assert_eq "$(c dropped_lines)" 0 "no line about dropped deferred parts"

lw_boot_read read "$nv"
lw_assert_eq "$?" 0 "boot 2 read the records"
lw_assert_grep "$LW_TEST_LOG/read/records.txt" "$m" "the dump deferred at rmmod is stored"
echo "ok: $hd deferred parts written by the unload's last flush despite SIGKILL"
