#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Dumps cut off by busy firmware keep their complete parts.
#
# 1. An oops dump interrupted by a panic: boot 1 fills the log (4000 numbered
#    lines) and oopses with lw_efi_pstore loaded (dense records of 1 KiB,
#    kmsg_bytes at its largest, so the oops dump runs for a second or more);
#    once the oops dump has stored 6 parts (enough to hold the oops trace
#    even when its parts are stored raw, about 900 bytes of text each), a
#    shell on the other CPU panics the kernel (the guest's shell is pinned
#    to CPU 0, so lw_crash_test's oops thread runs on CPU 1: the trigger
#    never waits behind the oops dump, however the host schedules). The
#    panic stops the oopsing CPU in the middle of its dump, most likely
#    inside the firmware, and its own dump uses the reserve buffers (and
#    finds the firmware busy, or not). Boot 2: the oops dump is one record
#    whose parts are all there from part 1 on (no part reported missing):
#    the oops and the newest lines, without a hole, and not the oldest.
# (The same stop at a chosen part, deterministically: test_busy_part.sh.)
# Not on arm64: a panic there cannot stop a CPU whose interrupts are masked
# for its oops dump (no NMI): the oops dump ends whole (Documentation/arm64.rst).
set -u
. "$(dirname "$0")/../lib.sh"

lw_expect_oops
lw_expect_splat 'Kernel panic - not syncing: sysrq triggered crash'

# 1. An oops dump cut by a panic on the other CPU. Parts of 1 KiB, so that
# the oops dump has many (about 25, a second or more under TCG) and the
# panic comes early in it. Should the panic still come after the oops dump
# ended (the trigger is a shell polling a counter), the boot is run again.
nv=$LW_TEST_LOG/oops.nvram.fd
for try in 1 2 3; do
	rm -f "$nv"
	cut=oops-cut$try
	lw_boot "$cut" --nvram "$nv" -- "
		$LW_GUEST_DEBUGFS
		# This shell and the trigger on CPU 0, the oops thread on the
		# other (lw_crash_test starts it on the CPU other than the
		# writer's).
		taskset -pc 0 \$BASHPID >/dev/null || exit 12
		insmod ./lw_efi_pstore.ko record_size=1024 kmsg_bytes=1048576 || exit 10
		echo 0 >/proc/sys/kernel/panic_on_oops
		echo 1 >/proc/sys/kernel/sysrq
		echo on >/proc/sys/kernel/printk_devkmsg
		i=1
		while [ \$i -le 4000 ]; do echo \"<7>lw-cut line \$i of the oops cut\"; i=\$((i + 1)); done >/dev/kmsg
		$LW_GUEST_OOPS
		# The trigger: waits on CPU 0, which the oops leaves free, until
		# 6 parts of the oops dump are stored, then says where it runs
		# (/proc/self/stat's 39th field) and panics. Shell builtins
		# only: a new process could be placed on the oopsing CPU (its
		# interrupts are off until its dump ends). The oops comes once
		# the trigger is polling (it says so), however long the guest
		# takes to start it.
		rm -f /tmp/lw-trigger-ready
		sh -c ': >/tmp/lw-trigger-ready; while read -r n </sys/kernel/debug/lw_efi_pstore/written && [ \$n -lt 6 ]; do :; done; read -r s </proc/self/stat; set -- \$s; echo \"lw-trigger: on CPU \${39}\" >/dev/kmsg; echo c >/proc/sysrq-trigger' &
		t=0
		until [ -e /tmp/lw-trigger-ready ]; do
			t=\$((t + 1))
			[ \$t -le 1200 ] || { echo 'the trigger never started'; exit 11; }
			sleep 0.1
		done
		lw_oops
		# The trigger panics as soon as it reads the counter again: a
		# backstop.
		sleep 30
		echo 'the panic never came'
	"
	lw_assert_eq "$(lw_result "$cut")" panic "boot 1 went down in the panic"
	con=$LW_TEST_LOG/$cut/console.log
	lw_assert_grep "$con" 'CPU: 1 .*Comm: lw_oops' "the oops on CPU 1"
	lw_assert_grep "$con" 'lw-trigger: on CPU 0[[:space:]]*$' "the trigger on CPU 0"
	grep -qE 'dump buffers held \(CPU [0-9]+\): the panic dump uses the reserve buffers' "$con" && break
	echo "try $try: the oops dump ended before the panic came"
	[ $try = 3 ] && lw_fail "the panic never came in the middle of the oops dump"
done
echo "ok: the panic came in the middle of the oops dump"
if grep -q 'firmware busy on a stopped CPU' "$con"; then
	echo "the stopped CPU was inside the firmware: the panic dump was not written"
else
	echo "the stopped CPU was outside the firmware: the panic dump was written too"
fi

lw_boot read-oops --nvram "$nv" -- "
	$LW_LOAD_OURS || exit 10
	$LW_GUEST_PSTORE || exit 11
	for f in /sys/fs/pstore/dmesg-*; do cp \"\$f\" \"\$LW_LOG/\${f##*/}.txt\"; done
	ls /sys/fs/pstore
	# The panic dump's (dump 2's) parts, by method (the header's 4th
	# byte, after efivarfs's 4 attribute bytes): 0 stored, else deflated.
	mountpoint -q /sys/firmware/efi/efivars || mount -t efivarfs none /sys/firmware/efi/efivars
	for f in /sys/firmware/efi/efivars/lw-dense2-type0-*-2-*; do
		echo \"method \$(od -An -tu1 -j7 -N1 \"\$f\" | tr -d ' ')\"
	done
"
lw_assert_eq "$?" 0 "boot 2 read the records"
# The panic dump ran on the reserve buffers (their compressor primes the
# dictionary per part, into the output buffer): its parts are compressed, as
# the oops dump's are; stored raw would give a quarter of the log.
raw=$(grep -c '^method 0$' "$LW_TEST_LOG/read-oops/out.log")
deflated=$(grep -c '^method [12]$' "$LW_TEST_LOG/read-oops/out.log")
echo "the panic dump's parts: $deflated deflated, $raw stored raw"
# (A part of the oops trace may still be stored raw after the packer's
# tries: 1 of 34 on 6.12. Before the reserve was mended: all of them.)
[ "$deflated" -gt 0 ] && [ $((raw * 4)) -le "$deflated" ] ||
	lw_fail "the panic dump on the reserve buffers stored $raw of $((raw + deflated)) parts raw"
b=$LW_TEST_LOG/read-oops
r=$(grep -l '^Oops#1 Part1$' "$b"/dmesg-*.txt | head -1)
[ -n "$r" ] || lw_fail "no record of the oops dump"
! grep -q 'missing or damaged' "$r" || lw_fail "a part of the oops dump is missing: $(grep 'missing or damaged' "$r")"
lw_assert_grep "$r" 'Oops: invalid opcode|kernel BUG at' "the oops is in its record"
seqs=$(grep -o 'lw-cut line [0-9]* of' "$r" | awk '{print $3}')
lo=$(echo "$seqs" | head -1)
[ -n "$lo" ] && [ "$lo" -gt 1 ] || lw_fail "the oops dump was not cut (lines from ${lo:-none})"
lw_assert_eq "$(echo "$seqs" | tr '\n' ' ')" "$(seq "$lo" 4000 | tr '\n' ' ')" \
	"lines $lo..4000 in order, none missing"
! grep -q 'skipped variable' "$b/console.log" || lw_fail "a variable was skipped: $(grep 'skipped variable' "$b/console.log" | head -1)"
echo "ok: the oops dump's parts decoded up to the cut"
