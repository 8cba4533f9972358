#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# PMSG: what user space writes to /dev/pmsg0 is persisted in EFI variables
# and read back after a (clean) reboot, in order; a write larger than
# record_size is split into chunks and comes back whole.
set -u
. "$(dirname "$0")/../lib.sh"

nv=$LW_TEST_LOG/nvram.fd
marker="lw-pmsg-$(date +%s)-$RANDOM"
# A 3000-byte line: three chunks of at most 1024 bytes.
big=$(for i in $(seq 300); do printf 'B%08d:' "$i"; done)

lw_boot boot1-write --nvram "$nv" -- "
	insmod ./lw_efi_pstore.ko || exit 10
	[ -c /dev/pmsg0 ] || exit 11
	echo 'first $marker' >/dev/pmsg0 || exit 12
	echo '$big' >/dev/pmsg0 || exit 13
	echo 'last $marker' >/dev/pmsg0 || exit 14
"
lw_assert_eq "$?" 0 "boot 1 wrote to /dev/pmsg0"

lw_boot boot2-read --nvram "$nv" -- '
	insmod ./lw_efi_pstore.ko || exit 10
	mountpoint -q /sys/fs/pstore || mount -t pstore pstore /sys/fs/pstore || exit 11
	ls /sys/fs/pstore | grep -c "^pmsg-lw_efi_pstore-" | sed "s/^/files=/"
	for f in $(ls /sys/fs/pstore/pmsg-lw_efi_pstore-* | sort -t- -k4,4n); do cat "$f"; done >"$LW_LOG/pmsg.txt"
'
lw_assert_eq "$?" 0 "boot 2 read the pmsg records"
out=$LW_TEST_LOG/boot2-read/out.log
p=$LW_TEST_LOG/boot2-read/pmsg.txt
lw_assert_eq "$(lw_counter "$out" files)" 5 "1 + 3 chunks + 1 records"
printf 'first %s\n%s\nlast %s\n' "$marker" "$big" "$marker" >"$LW_TEST_LOG/want.txt"
cmp -s "$p" "$LW_TEST_LOG/want.txt" || { diff <(head -c 300 "$p") <(head -c 300 "$LW_TEST_LOG/want.txt"); lw_fail "pmsg contents differ"; }
echo "ok: all $(wc -c <"$p") bytes back, in order"
