#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# A power cut in the middle of a panic dump: boot 1 fills the log with 1500
# numbered lines and panics with lw_efi_pstore loaded (kmsg_bytes at its
# largest, so the dump is long); the host watches the NVRAM file and, once
# it holds the dump's parts 1..m whole (m >= 2) with the dump going on,
# kills QEMU (SIGKILL: a power cut, at once; the monitor's `quit` waits for
# QEMU's main loop, which single-threaded TCG can keep busy with the flash
# writes until the dump is over; power_cut.py says how the moment is
# chosen, and why AAVMF needs it chosen). Boot 2, same NVRAM: every part
# whole in the flash at the cut is read back (dense records, the default:
# parts 1..m, all decoded into the dump's one record, the newest log
# whole, no part reported missing), the dump was cut (the oldest lines are
# not there), and the kernel logs no splat and no decompression failure.
# lw-test: arm64
set -u
. "$(dirname "$0")/../lib.sh"

nv=$LW_TEST_LOG/nvram.fd
lw_expect_splat 'Kernel panic - not syncing: sysrq triggered crash'

# The cut is the host's: it comes when the host sees parts 1 and 2 whole,
# and the dump goes on meanwhile. The watcher kills QEMU itself, at once (QEMU's pid
# from its pid file, no new process); should a busy host still come after
# the dump had stored its oldest lines (boot 2 then reads them: the dump was
# not cut), the cut is run again, up to 3 tries, saying so.
for try in 1 2 3; do
	cut=cut$try read=read$try
	mkdir -p "$LW_TEST_LOG/$cut"
	cp "$LW_VARS_TEMPLATE" "$nv" || lw_fail "no variable store template ($LW_VARS_TEMPLATE)"
	lw_boot "$cut" --nvram "$nv" -- "
		insmod ./lw_efi_pstore.ko record_size=1024 kmsg_bytes=1048576 || exit 10
		for i in \$(seq 1 1500); do echo \"lw-cut \$i of the power cut test\" >/dev/kmsg; done
		dmesg | grep -q 'lw-cut 1 of the' && echo 'lw-cut: the ring holds the oldest line' >/dev/kmsg
		echo 1 >/proc/sys/kernel/sysrq
		echo c >/proc/sysrq-trigger
	" &
	vm=$!

	# The cut: once the flash holds parts 1..m whole (m >= 2), SIGKILL
	# to this boot's QEMU, the flash as it was kept in cut.fd
	# (power_cut.py). Until the boot ends (no deadline of its own beyond a
	# backstop: vm.sh's timeout ends a stuck boot).
	PYTHONDONTWRITEBYTECODE=1 PYTHONPATH=$lw_repo/selftests/efi_pstore python3 \
		"$lw_repo/selftests/efi_pstore/power_cut.py" "$nv" "$LW_TEST_LOG/$cut/qemu.pid" "$vm" \
		"$LW_TEST_LOG/$cut/cut.fd" >"$LW_TEST_LOG/$cut/watch.out"
	watch_rc=$?
	wait $vm
	cat "$LW_TEST_LOG/$cut/watch.out"
	lw_assert_eq "$watch_rc" 0 "the cut came in the middle of the dump, parts 1 and 2 whole"
	lw_assert_eq "$(lw_result "$cut")" panic "boot 1 panicked and was cut off"
	parts_in_flash=$(sed -n 's/^cut: parts 1\.\.\([0-9]*\) whole.*/\1/p' "$LW_TEST_LOG/$cut/watch.out")
	echo "parts whole in the flash at the cut: $parts_in_flash"

	lw_boot_read "$read" "$nv"
	lw_assert_eq "$?" 0 "boot 2 read the records"
	grep -q 'lw-cut 1 of the' "$LW_TEST_LOG/$read/records.txt" || break
	echo "try $try: the cut came after the dump had stored its oldest lines (a busy host)"
	[ $try = 3 ] && lw_fail "the oldest line was stored in 3 tries: the dump was never cut"
done

out=$LW_TEST_LOG/$read/out.log
r=$LW_TEST_LOG/$read/records.txt
k=$(lw_counter "$out" dense_parts)
echo "parts in NVRAM at boot 2: $k"
[ "$k" -ge 2 ] || lw_fail "fewer than two parts stored ($k)"
lw_assert_eq "$k" "$parts_in_flash" "every part whole in the flash at the cut read back"
lw_assert_eq "$(lw_counter "$out" files)" 1 "the dump is one record"
lw_assert_eq "$(grep -c '^Panic#1 Part1$' "$r")" 1 "under one header"
! grep -q 'missing or damaged' "$r" || lw_fail "a part is reported missing: $(grep 'missing or damaged' "$r")"
! grep -q 'skipped variable' "$LW_TEST_LOG/$read/console.log" || lw_fail "a variable was skipped"
# The lines recovered are the newest, without a hole.
seqs=$(grep -o 'lw-cut [0-9]* of the' "$r" | awk '{print $2}')
lo=$(echo "$seqs" | head -1)
lw_assert_eq "$(echo "$seqs" | tr '\n' ' ')" "$(seq "$lo" 1500 | tr '\n' ' ')" "lines $lo..1500 recovered in order, none missing"
echo "ok: parts 1..$k decoded into one record"
lw_assert_grep "$LW_TEST_LOG/$cut/console.log" 'lw-cut: the ring holds the oldest line' "boot 1's log held all lines"
lw_assert_grep "$r" '^<[0-9]+>\[ *[0-9.]+\] lw-cut 1500 of the power cut test' "the newest lines are in part 1"
! grep -q 'lw-cut 1 of the' "$r" || lw_fail "the oldest line was stored: the dump was not cut"
echo "ok: the dump was cut before the oldest lines"
con=$LW_TEST_LOG/$read/console.log
! grep -qE 'zlib_inflate\(\) failed|decompression failed|pstore: failed to' "$con" ||
	lw_fail "boot 2 logged a failure: $(grep -E 'zlib_inflate|decompression|pstore: failed' "$con" | head -2)"
echo "ok: no decompression or pstore failure logged"
