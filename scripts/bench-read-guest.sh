#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Guest side of `make bench`'s read path (scripts/bench-read.sh): writes the
# variables of $LW_LOG/vars (order.list) through efivarfs, loads BACKEND (c:
# the C efi_pstore, rust: lw_efi_pstore) with pstore unmounted, then times
# ROUNDS rounds (after an untimed one) of: mount pstore (the backend reads every record), unmount;
# and once, mount and remove every file (the backend erases each record).
# Every round does the same work: the records stay until the erase. Prints
# "sample BACKEND mount NS FILES" per round and "sample BACKEND erase NS
# FILES_LEFT".
# Usage: bench-read-guest.sh BACKEND ROUNDS GUID
set -u
backend=$1 rounds=$2 guid=$3
ev=/sys/firmware/efi/efivars
ps=/sys/fs/pstore
mountpoint -q $ev || mount -t efivarfs none $ev || exit 10
while IFS= read -r n; do
	cat "$LW_LOG/vars/$n" >"$ev/$n-$guid" || { echo "could not write $n"; exit 11; }
done <"$LW_LOG/order.list"
mountpoint -q $ps && umount $ps
case $backend in
c) modprobe efi_pstore || exit 12 ;;
rust) insmod ./lw_efi_pstore.ko || exit 12 ;;
esac
now() { date +%s%N; }
# One untimed round first: the first mount also pays for what is loaded
# and allocated once.
mount -t pstore pstore $ps || exit 13
umount $ps
i=0
while [ $i -lt "$rounds" ]; do
	t0=$(now)
	mount -t pstore pstore $ps || exit 13
	t1=$(now)
	echo "sample $backend mount $((t1 - t0)) $(ls $ps | grep -c '^dmesg-')"
	umount $ps
	i=$((i + 1))
done
mount -t pstore pstore $ps || exit 13
t0=$(now)
rm -f $ps/dmesg-*
t1=$(now)
echo "sample $backend erase $((t1 - t0)) $(ls $ps | grep -c '^dmesg-')"
