#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Guest side of `make bench`'s pstore comparison (run by scripts/bench.sh in
# the VM, from the repository): bench-pstore-guest.sh ROUNDS boot|full.
#
# With "full", the kernel log is first filled until its ring buffer wraps, as
# on a machine that has been up for a while ("boot": the log of a fresh
# boot). Then lw_bench's profile of a part's steps is printed ("profile CASE
# NS [OUT]" lines). Then, for each of: no backend (baseline), the C
# efi_pstore, lw_efi_pstore, it provokes ROUNDS oopses (lkdtm BUG with
# panic_on_oops=0: the same dump path as a panic, minus the stopped CPUs)
# after one untimed round, times each from user space, counts the parts
# stored and the bytes of log they give back and the NVRAM the dump consumed
# (the firmware's remaining store before and after, through lw_bench), then
# erases them. PARTS counts the dump's variables (C-compatible parts or
# dense parts; a dense dump is one pstore file). Prints
# "sample BACKEND NS PARTS BYTES NVRAM_BYTES", and "memory ..." as
# lw_efi_pstore states its buffers.
set -u
rounds=${1:-5}
scenario=${2:-boot}
mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug
echo 0 >/proc/sys/kernel/panic_on_oops
modprobe lkdtm || exit 10
mountpoint -q /sys/fs/pstore || mount -t pstore pstore /sys/fs/pstore || exit 11
insmod ./lw_bench.ko || exit 13

if [ "$scenario" = full ]; then
	# 6000 lines of about 100 bytes: more than the 256 KiB ring holds. Debug
	# level keeps them off the console; printk_devkmsg=on lifts /dev/kmsg's
	# rate limit.
	echo on >/proc/sys/kernel/printk_devkmsg
	i=0
	while [ $i -lt 6000 ]; do
		echo "<7>lw-bench filler line $i: a long-running machine's log holds many such lines of text"
		i=$((i + 1))
	done >/dev/kmsg
fi
echo "log $(dmesg | wc -l) lines, $(dmesg | wc -c) bytes"
/bin/echo profile >/sys/kernel/debug/lw_bench/run || exit 15
dmesg | sed -n 's/.*lw_bench: \(profile .*\)$/\1/p'

nvram_remaining() {
	/bin/echo nvram >/sys/kernel/debug/lw_bench/run || exit 14
	dmesg | sed -n 's/.*lw_bench: nvram [0-9]* \([0-9]*\)$/\1/p' | tail -1
}

# one BACKEND LOAD UNLOAD: loads the backend, times one oops dump, prints
# its sample, erases its records and unloads it.
one() {
	local name=$1 t0 t1 parts bytes n0 n1
	eval "$2" || exit 12
	n0=$(nvram_remaining)
	t0=$(date +%s%N)
	sh -c 'echo BUG >/sys/kernel/debug/provoke-crash/DIRECT' 2>/dev/null
	t1=$(date +%s%N)
	n1=$(nvram_remaining)
	umount /sys/fs/pstore && mount -t pstore pstore /sys/fs/pstore
	# efivarfs lists what it saw at mount: mount it again to count.
	umount /sys/firmware/efi/efivars 2>/dev/null
	mount -t efivarfs none /sys/firmware/efi/efivars || exit 16
	parts=$(ls /sys/firmware/efi/efivars | grep -c '^dump-type0-\|^lw-dense1-type0-')
	bytes=$(cat /sys/fs/pstore/dmesg-* 2>/dev/null | grep -v '^Oops#' | wc -c)
	rm -f /sys/fs/pstore/dmesg-*
	echo "sample $name $((t1 - t0)) $parts $bytes $((n0 - n1))"
	eval "$3"
}
# Rounds interleave the backends, so that a slow drift (the firmware's
# store filling with deleted variables, reclaimed only at boot; the host's
# load) weighs on each alike. A first, untimed round (its samples are
# labelled warmup-*) lets the emulator translate each path's code once.
one warmup-none true true
one warmup-c 'modprobe efi_pstore' 'rmmod efi_pstore'
one warmup-rust 'insmod ./lw_efi_pstore.ko' 'rmmod lw_efi_pstore'
for i in $(seq "$rounds"); do
	one none true true
	one c 'modprobe efi_pstore' 'rmmod efi_pstore'
	one rust 'insmod ./lw_efi_pstore.ko' 'rmmod lw_efi_pstore'
done
echo "memory $(dmesg | sed -n 's/.*lw_efi_pstore: dump buffers: \(.*\)$/\1/p' | tail -1)"
