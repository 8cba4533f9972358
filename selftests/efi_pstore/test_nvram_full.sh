#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# NVRAM full: a dump that does not fit fails cleanly (counted, no crash), the
# records already stored stay intact and read back after reboot, and the
# parts of the cut dump that fitted before the store filled up decode (dense
# records: the dump's record from part 1 on, no part reported missing).
# lw-test: arm64
set -u
. "$(dirname "$0")/../lib.sh"

lw_expect_oops

nv=$LW_TEST_LOG/nvram.fd
m1="lw-full-before-$(date +%s)-$RANDOM"
m2="lw-full-after-$(date +%s)-$RANDOM"
guid=8e8f8d3a-2f7b-4c55-9a5e-5c2b7e9f0a11
lw_boot fill --nvram "$nv" -- "
	$LW_GUEST_DEBUGFS
	d=/sys/kernel/debug/lw_efi_pstore
	insmod ./lw_efi_pstore.ko || exit 10
	echo 0 >/proc/sys/kernel/panic_on_oops
	$LW_GUEST_OOPS
	echo '$m1' >/dev/kmsg
	lw_oops || exit 20
	echo written_before=\$(cat \$d/written)
	mount -t efivarfs none /sys/firmware/efi/efivars || exit 12
	# efivarfs takes the attributes and the data in one write(2).
	{ printf '\\007\\000\\000\\000'; head -c 4000 /dev/zero; } >/tmp/lwfill
	n=0
	while [ \$n -lt 400 ]; do
		cat /tmp/lwfill >/sys/firmware/efi/efivars/LwFill\$n-$guid 2>/dev/null || break
		n=\$((n + 1))
	done
	echo fill_vars=\$n
	echo '$m2' >/dev/kmsg
	lw_oops || exit 20
	echo written_after=\$(cat \$d/written)
	echo errors_after=\$(cat \$d/write_errors)
	true
"
rc=$?
out=$LW_TEST_LOG/fill/out.log
grep -v Segmentation "$out"
lw_assert_eq "$rc" 0 "kernel survived filling the store and the failing dump"
wb=$(lw_counter "$out" written_before)
[ "${wb:-0}" -gt 0 ] || lw_fail "first dump not written"
f=$(lw_counter "$out" fill_vars)
[ "${f:-0}" -gt 0 ] && [ "$f" -lt 400 ] || lw_fail "could not fill the variable store ($f variables)"
echo "ok: store full after $f variables of 4 KiB"
e=$(lw_counter "$out" errors_after)
[ "${e:-0}" -gt 0 ] || lw_fail "no write error counted with the store full"
echo "ok: $e parts failed and were counted ($(( $(lw_counter "$out" written_after) - wb )) still fitted)"

lw_boot_read read "$nv"
lw_assert_eq "$?" 0 "boot 2 read the records"
lw_assert_grep "$LW_TEST_LOG/read/records.txt" "$m1" "the dump stored before the store filled up is intact"
w2=$(( $(lw_counter "$out" written_after) - wb ))
r=$LW_TEST_LOG/read/records.txt
ro=$LW_TEST_LOG/read/out.log
lw_assert_eq "$(lw_counter "$ro" dense_parts)" "$(lw_counter "$out" written_after)" "every part stored is in NVRAM"
! grep -q 'skipped variable' "$LW_TEST_LOG/read/console.log" || lw_fail "a stored part did not decode"
if [ "$w2" -gt 0 ]; then
	# The parts of the cut dump that fitted (the small last one often
	# does, after the full ones failed) are its record.
	lw_assert_eq "$(grep -c '^Oops#2 Part' "$r")" 1 "the cut dump's $w2 stored parts are one record"
	if grep -q '^Oops#2 Part1$' "$r"; then
		grep -A3 '^Oops#2 Part1$' "$r" >"$LW_TEST_LOG/dump2-head.txt"
		lw_assert_grep "$LW_TEST_LOG/dump2-head.txt" 'kernel BUG at|Oops: invalid opcode' "the cut dump's part 1 holds its oops"
	fi
	echo "ok: the cut dump decoded what was stored: $(grep -A1000 '^Oops#2 Part' "$r" | grep -c 'missing or damaged') gap line(s) for the parts the full store refused"
else
	echo "the store was too full for any part of the second dump"
fi
