#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# PMSG: what user space writes to /dev/pmsg0 is persisted in EFI variables
# and read back after a (clean) reboot, in order; a write larger than
# record_size is split into chunks and comes back whole.
# Bounded like dumps: a write larger than kmsg_bytes fails with EFBIG and
# stores nothing; the quota holds after every write (the oldest chunks go).
set -u
. "$(dirname "$0")/../lib.sh"
lw_require PSTORE_PMSG "/dev/pmsg0"

nv=$LW_TEST_LOG/nvram.fd
marker="lw-pmsg-$(date +%s)-$RANDOM"
# A 3000-byte line: three chunks of at most record_size (1024) bytes.
big=$(for i in $(seq 300); do printf 'B%08d:' "$i"; done)

lw_boot boot1-write --nvram "$nv" -- "
	insmod ./lw_efi_pstore.ko record_size=1024 || exit 10
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

nv3=$LW_TEST_LOG/nvram-bounds.fd
mkdir -p "$LW_TEST_LOG/bounds"
head -c 5000 /dev/zero | tr '\0' H >"$LW_TEST_LOG/bounds/huge"
lw_boot bounds --nvram "$nv3" -- "
	$LW_GUEST_DEBUGFS
	insmod ./lw_efi_pstore.ko kmsg_bytes=4096 quota_records=4 || exit 10
	# One write(2) of 5000 bytes.
	echo huge: \$(dd if=\$LW_LOG/huge of=/dev/pmsg0 bs=8192 count=1 2>&1 && echo stored)
	for i in \$(seq 1 10); do echo \"lw-pmsg-bound \$i\" >/dev/pmsg0 || exit 11; done
	d=/sys/kernel/debug/lw_efi_pstore
	echo too_big=\$(cat \$d/pmsg_too_big)
	echo evicted=\$(cat \$d/evicted)
	# A fresh mount: efivarfs lists what it saw when mounted.
	umount /sys/firmware/efi/efivars 2>/dev/null
	mount -t efivarfs none /sys/firmware/efi/efivars || exit 13
	echo vars=\$(ls /sys/firmware/efi/efivars | grep -c '^dump-type7-')
	$LW_GUEST_PSTORE || exit 12
	cat /sys/fs/pstore/pmsg-lw_efi_pstore-* >\"\$LW_LOG/pmsg.txt\"
"
lw_assert_eq "$?" 0 "boot 3 wrote within bounds"
out=$LW_TEST_LOG/bounds/out.log
cat "$out"
lw_assert_grep "$out" '^huge: .*File too large' "a write over kmsg_bytes fails with EFBIG"
lw_assert_eq "$(lw_counter "$out" too_big)" 1 "counted"
lw_assert_eq "$(lw_counter "$out" vars)" 4 "quota_records=4 holds after every write"
lw_assert_eq "$(lw_counter "$out" evicted)" 6 "the six oldest chunks evicted"
p3=$LW_TEST_LOG/bounds/pmsg.txt
! grep -q H "$p3" || lw_fail "part of the EFBIG write was stored"
for i in 7 8 9 10; do
	lw_assert_grep "$p3" "^lw-pmsg-bound $i\$" "newest chunk $i kept"
done
