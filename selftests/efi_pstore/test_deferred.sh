#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# An oops dump that finds the efivars lock held by a live holder is deferred
# (copied into preallocated slots) and written by the flush work once the
# lock is free; removing the module while such work is pending waits for it
# and loses nothing. Both dumps are read back after a reboot.
# lw-test: arm64
set -u
. "$(dirname "$0")/../lib.sh"

lw_expect_oops

nv=$LW_TEST_LOG/nvram.fd
ma="lw-deferred-a-$(date +%s)-$RANDOM"
mb="lw-deferred-b-$(date +%s)-$RANDOM"
lw_boot defer --nvram "$nv" -- "
	$LW_GUEST_DEBUGFS
	d=/sys/kernel/debug/lw_efi_pstore
	insmod ./lw_efi_pstore.ko || exit 10
	insmod ./lw_crash_test.ko || exit 11
	echo 0 >/proc/sys/kernel/panic_on_oops
	$LW_GUEST_OOPS
	$LW_GUEST_HOLD_EFIVARS
	lw_hold_efivars || exit 21
	echo '$ma' >/dev/kmsg
	lw_oops || exit 20
	echo held_written=\$(cat \$d/written) held_deferred=\$(cat \$d/deferred) held_flushed=\$(cat \$d/deferred_written)
	lw_release_efivars
	# The flush work writes the deferred parts once the lock is free.
	lw_until '[ \$((\$(cat \$d/deferred_written) + \$(cat \$d/deferred_errors))) -ge \$(cat \$d/deferred) ]' \\
		'the flush work wrote the deferred parts'
	echo free_deferred=\$(cat \$d/deferred) free_flushed=\$(cat \$d/deferred_written) free_busy=\$(cat \$d/write_busy)
	dmesg -C
	lw_hold_efivars || exit 21
	echo '$mb' >/dev/kmsg
	lw_oops || exit 20
	echo pending=\$(cat \$d/deferred)-\$(cat \$d/deferred_written)
	# rmmod while the flush work waits for the lock: the lock is let go
	# once the unload has begun (the module is going), which then must
	# wait for the flush work and its pending parts.
	rmmod lw_efi_pstore &
	rm=\$!
	lw_until '[ \"\$(cat /sys/module/lw_efi_pstore/initstate 2>/dev/null)\" = going ]' 'the unload began'
	echo going_while_held=\$?
	echo hold_efivars_off >/sys/kernel/debug/lw_crash/run
	wait \$rm
	echo rmmod_rc=\$?
	wait
	true
"
rc=$?
out=$LW_TEST_LOG/defer/out.log
grep -v Segmentation "$out"
lw_assert_eq "$rc" 0 "guest sequence"
c() { grep -o "$1=[^ ]*" "$out" | tail -1 | cut -d= -f2; }
lw_assert_eq "$(c held_written)" 0 "lock held: nothing written directly"
hd=$(c held_deferred)
[ "${hd:-0}" -gt 0 ] || lw_fail "lock held: nothing deferred"
lw_assert_eq "$(c held_flushed)" 0 "lock held: the flush work waits"
lw_assert_eq "$(c free_flushed)" "$(c free_deferred)" "lock released: every deferred part written"
lw_assert_eq "$(c free_busy)" 0 "no part refused"
echo "ok: $hd parts deferred, then written"
lw_assert_eq "$(c going_while_held)" 0 "the unload began while the flush work waited for the lock"
lw_assert_eq "$(c rmmod_rc)" 0 "rmmod with flush work pending"

lw_boot_read read "$nv"
lw_assert_eq "$?" 0 "boot 2 read the records"
lw_assert_grep "$LW_TEST_LOG/read/records.txt" "$ma" "the deferred dump is stored"
lw_assert_grep "$LW_TEST_LOG/read/records.txt" "$mb" "the dump pending at rmmod is stored"
