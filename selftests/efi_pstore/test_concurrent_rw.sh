#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# User space reading (remounting pstorefs, which re-reads every record under
# the efivars lock) and unlinking records while oops dumps are being written:
# no deadlock, no splat beyond the provoked oopses; a part that finds the
# lock held by a live holder is not waited for but deferred to the flush
# work, which writes it once the holder is done: nothing is lost; the final
# state reads back consistently. Whether a dump meets the reader's hold is
# up to timing, so three of the five dumps are made while lw_crash_test
# holds the efivars lock (hold_efivars_on, as a reader mid-read would): they
# must be deferred, every one.
# lw-test: arm64
set -u
. "$(dirname "$0")/../lib.sh"

lw_expect_oops

lw_boot rw --timeout 400 -- "
	$LW_GUEST_DEBUGFS
	d=/sys/kernel/debug/lw_efi_pstore
	insmod ./lw_efi_pstore.ko || exit 10
	insmod ./lw_crash_test.ko || exit 14
	echo 0 >/proc/sys/kernel/panic_on_oops
	$LW_GUEST_OOPS
	mountpoint -q /sys/fs/pstore || mount -t pstore pstore /sys/fs/pstore || exit 12
	(
		for i in \$(seq 30); do
			umount /sys/fs/pstore && mount -t pstore pstore /sys/fs/pstore
			cat /sys/fs/pstore/* >/dev/null 2>&1
			f=\$(ls /sys/fs/pstore | head -1)
			[ -n \"\$f\" ] && rm -f \"/sys/fs/pstore/\$f\"
		done
		echo reader_done
	) &
	reader=\$!
	for i in 1 2 3 4 5; do
		hp=
		if [ \$((i % 2)) = 1 ]; then
			n=\$(dmesg | grep -c 'hold_efivars_on: holding')
			echo hold_efivars_on >/sys/kernel/debug/lw_crash/run &
			hp=\$!
			t=0
			until [ \$(dmesg | grep -c 'hold_efivars_on: holding') -gt \$n ]; do
				t=\$((t + 1))
				[ \$t -le 1200 ] || { echo \"dump \$i: hold_efivars_on never held the lock\"; exit 21; }
				sleep 0.1
			done
		fi
		before=\$(cat \$d/deferred) written_before=\$(cat \$d/written)
		lw_oops || exit 20
		if [ -n \"\$hp\" ]; then
			echo held_\$i=\$((\$(cat \$d/deferred) - before)),\$((\$(cat \$d/written) - written_before))
			echo hold_efivars_off >/sys/kernel/debug/lw_crash/run
			wait \$hp
		fi
	done
	wait \$reader
	# The flush work writes the deferred parts once the lock is free: wait
	# until it has (at least 2 min: a backstop, with a message).
	t=0
	until [ \$((\$(cat \$d/deferred_written) + \$(cat \$d/deferred_errors))) -ge \$(cat \$d/deferred) ]; do
		t=\$((t + 1))
		[ \$t -le 1200 ] || { echo 'the flush work never wrote every deferred part'; break; }
		sleep 0.1
	done
	for c in written write_busy write_errors deferred deferred_written deferred_errors read erased; do
		echo \$c=\$(cat \$d/\$c)
	done
	umount /sys/fs/pstore && mount -t pstore pstore /sys/fs/pstore || exit 13
	echo files_now=\$(ls /sys/fs/pstore | grep -c '^dmesg-lw_efi_pstore-')
	echo read_after=\$(cat \$d/read)
"
rc=$?
out=$LW_TEST_LOG/rw/out.log
grep -v Segmentation "$out"
lw_assert_eq "$rc" 0 "guest finished: no deadlock"
lw_assert_grep "$out" '^reader_done' "the reader loop completed"
c() { lw_counter "$out" "$1"; }
for i in 1 3 5; do
	h=$(c "held_$i")
	[ "${h%,*}" -gt 0 ] 2>/dev/null || lw_fail "dump $i, lock held: nothing deferred ('$h')"
	lw_assert_eq "${h#*,}" 0 "dump $i, lock held: ${h%,*} parts deferred, none written directly"
done
# Parts are stored directly (written) or by the flush work; with the reader
# at work, the dumps between the holds may well be deferred whole too.
[ "$(( $(c written) + $(c deferred_written) ))" -gt 0 ] || lw_fail "no dump part stored"
[ "$(c erased)" -gt 0 ] || lw_fail "nothing erased"
[ "$(c deferred)" -gt 0 ] || lw_fail "nothing deferred"
echo "ok: written directly $(c written), deferred $(c deferred), erased $(c erased)"
lw_assert_eq "$(c write_errors)" 0 "no part lost"
lw_assert_eq "$(c write_busy)" 0 "no part refused for want of a slot"
lw_assert_eq "$(c deferred_written)" "$(c deferred)" "every deferred part written by the flush work"
lw_assert_eq "$(c deferred_errors)" 0 "no deferred write failed"
lw_assert_eq "$(( $(c read_after) - $(c read) ))" "$(c files_now)" "final remount reads every record left"
