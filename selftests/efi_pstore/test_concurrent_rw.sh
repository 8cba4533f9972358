#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# User space reading (remounting pstorefs, which re-reads every record under
# the efivars lock) and unlinking records while oops dumps are being written:
# no deadlock, no splat beyond the provoked oopses; a part that finds the
# lock held by a reader is not waited for but deferred to the flush work,
# which writes it once the reader is done: nothing is lost; the final state
# reads back consistently.
set -u
. "$(dirname "$0")/../lib.sh"

lw_expect_splat 'kernel BUG at drivers/misc/lkdtm/bugs.c'
lw_expect_splat 'Oops: invalid opcode'

lw_boot rw --timeout 400 -- "
	$LW_GUEST_DEBUGFS
	d=/sys/kernel/debug/lw_efi_pstore
	insmod ./lw_efi_pstore.ko || exit 10
	echo 0 >/proc/sys/kernel/panic_on_oops
	modprobe lkdtm || exit 11
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
	for i in 1 2 3 4 5; do
		sh -c 'echo BUG >/sys/kernel/debug/provoke-crash/DIRECT' 2>/dev/null
	done
	wait
	sleep 2
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
[ "$(c written)" -gt 0 ] || lw_fail "no dump part written"
[ "$(c erased)" -gt 0 ] || lw_fail "nothing erased"
echo "ok: written $(c written), deferred while a reader held the lock $(c deferred), erased $(c erased)"
lw_assert_eq "$(c write_errors)" 0 "no part lost"
lw_assert_eq "$(c deferred_written)" "$(c deferred)" "every deferred part written by the flush work"
lw_assert_eq "$(c deferred_errors)" 0 "no deferred write failed"
lw_assert_eq "$(( $(c read_after) - $(c read) ))" "$(c files_now)" "final remount reads every record left"
