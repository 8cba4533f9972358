#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Guest side of `make bench`'s pstore write path (run by
# scripts/bench-pstore.sh in the VM, from the repository):
#
#   bench-pstore-guest.sh ROUNDS LOG...
#
# Each LOG is a kernel log as `dmesg` prints it ("[    1.234567] text"), or
# "vm" for this VM's own boot log. First, if LOG is "vm", lw_bench's
# profile of a part's steps is printed ("profile CASE NS [OUT]" lines). Then, for each LOG, and
# for each of: no backend (baseline), the C efi_pstore, lw_efi_pstore (and
# $LW_LOG/base/lw_efi_pstore.ko, another revision's, if there), in turn,
# one untimed round and ROUNDS timed ones, all alike: the kernel log
# is cleared (`dmesg -C`: a kmsg dump starts after what was cleared), the
# LOG's lines are written to /dev/kmsg again, at their own pace (each line
# after the one before it as many microseconds as in the LOG, gaps capped at
# LW_REPLAY_GAP_MS, default 20), then an oops is provoked (lkdtm BUG with
# panic_on_oops=0: the same dump path as a panic, minus the stopped CPUs).
# Each dump is thus the LOG and one oops, as in a real crash. It times each
# dump from user space, counts the parts stored, the bytes of log they give
# back and the NVRAM the dump consumed (the firmware's remaining store
# before and after, through lw_bench), then erases them. Prints
# "log NAME LINES BYTES", "sample NAME BACKEND NS PARTS BYTES NVRAM_BYTES",
# and "memory ..." as lw_efi_pstore states its buffers.
set -u
rounds=${1:-5}
shift
mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug
echo 0 >/proc/sys/kernel/panic_on_oops
# No rate limit on /dev/kmsg writes.
echo on >/proc/sys/kernel/printk_devkmsg
modprobe lkdtm || exit 10
mountpoint -q /sys/fs/pstore || mount -t pstore pstore /sys/fs/pstore || exit 11
insmod ./lw_bench.ko || exit 13
dmesg >"$LW_LOG/vm-boot.log"
if [ "${1:-}" = vm ]; then
	/bin/echo profile >/sys/kernel/debug/lw_bench/run || exit 15
	dmesg | sed -n 's/.*lw_bench: \(profile .*\)$/\1/p'
fi

nvram_remaining() {
	/bin/echo nvram >/sys/kernel/debug/lw_bench/run || exit 14
	dmesg | sed -n 's/.*lw_bench: nvram [0-9]* \([0-9]*\)$/\1/p' | tail -1
}

# replay LOG: its lines, without their timestamps, to /dev/kmsg, one record
# each, paced as in LOG.
replay() {
	python3 - "$1" "${LW_REPLAY_GAP_MS:-20}" <<'PY'
import os, re, sys, time
path, cap = sys.argv[1], float(sys.argv[2]) / 1000
ts = re.compile(rb"^\[\s*(\d+)\.(\d+)\] ?")
fd = os.open("/dev/kmsg", os.O_WRONLY)
prev = None
with open(path, "rb") as f:
    for line in f.read().split(b"\n"):
        line = line.rstrip(b"\r")
        m = ts.match(line)
        msg = line[m.end():] if m else line
        if not msg.strip():
            continue
        if m:
            t = int(m.group(1)) + int(m.group(2)) / 10 ** len(m.group(2))
            if prev is not None and t > prev:
                time.sleep(min(t - prev, cap))
            prev = t
        # One record per write; /dev/kmsg takes at most about 1 KiB.
        os.write(fd, b"<6>" + msg[:960] + b"\n")
PY
}

# one NAME LOGFILE BACKEND LOAD UNLOAD: loads the backend, times one oops
# dump of LOGFILE's lines, prints its sample, erases its records and
# unloads it.
one() {
	local name=$1 file=$2 backend=$3 t0 t1 parts bytes n0 n1
	eval "$4" || exit 12
	n0=$(nvram_remaining)
	dmesg -C
	replay "$file" || exit 17
	t0=$(date +%s%N)
	sh -c 'echo BUG >/sys/kernel/debug/provoke-crash/DIRECT' 2>/dev/null
	t1=$(date +%s%N)
	n1=$(nvram_remaining)
	umount /sys/fs/pstore && mount -t pstore pstore /sys/fs/pstore
	# efivarfs lists what it saw at mount: mount it again to count.
	umount /sys/firmware/efi/efivars 2>/dev/null
	mount -t efivarfs none /sys/firmware/efi/efivars || exit 16
	parts=$(ls /sys/firmware/efi/efivars | grep -c '^dump-type0-\|^lw-dense[0-9]*-type0-')
	bytes=$(cat /sys/fs/pstore/dmesg-* 2>/dev/null | grep -v '^\(Oops\|Panic\)#' | wc -c)
	rm -f /sys/fs/pstore/dmesg-*
	echo "sample $name $backend $((t1 - t0)) $parts $bytes $((n0 - n1))"
	eval "$5"
}

for log in "$@"; do
	if [ "$log" = vm ]; then
		name=vm file=$LW_LOG/vm-boot.log
	else
		name=$(basename "$log" .log) file=$log
	fi
	[ -r "$file" ] || { echo "no log $file" >&2; exit 18; }
	echo "log $name $(grep -c . "$file") $(wc -c <"$file")"
	# Rounds interleave the backends, so that a slow drift (the firmware's
	# store filling with deleted variables, reclaimed only at boot; the
	# host's load) weighs on each alike. A first, untimed round (labelled
	# warmup) lets the emulator translate each path's code once.
	for i in $(seq 0 "$rounds"); do
		n=$name
		[ "$i" = 0 ] && n=warmup
		one "$n" "$file" none true true
		one "$n" "$file" c 'modprobe efi_pstore' 'rmmod efi_pstore'
		one "$n" "$file" rust 'insmod ./lw_efi_pstore.ko' 'rmmod lw_efi_pstore'
		# BASE= (bench-pstore.sh): the module built from another revision.
		[ ! -f "$LW_LOG/base/lw_efi_pstore.ko" ] ||
			one "$n" "$file" base 'insmod "$LW_LOG/base/lw_efi_pstore.ko"' 'rmmod lw_efi_pstore'
	done
done
insmod ./lw_efi_pstore.ko && rmmod lw_efi_pstore
echo "memory $(dmesg | sed -n 's/.*lw_efi_pstore: dump buffers: \(.*\)$/\1/p' | tail -1)"
