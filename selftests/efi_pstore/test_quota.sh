#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# NVRAM quota: with quota_records=12, three oops dumps (dense records, about
# 8 parts each) leave at most 12 of our variables; the evicted ones are the
# oldest (the newest dump is whole); eviction runs in the flush work
# (process context).
# A quota below record_size refuses the load.
# lw-test: arm64
set -u
. "$(dirname "$0")/../lib.sh"

lw_expect_oops

nv=$LW_TEST_LOG/nvram.fd
m3="lw-quota-newest-$(date +%s)-$RANDOM"
lw_boot quota --nvram "$nv" -- "
	$LW_GUEST_DEBUGFS
	echo bad_quota: \$(insmod ./lw_efi_pstore.ko quota_bytes=100 2>&1 && echo loaded)
	insmod ./lw_efi_pstore.ko record_size=1024 quota_records=12 || exit 10
	echo 0 >/proc/sys/kernel/panic_on_oops
	$LW_GUEST_OOPS
	d=/sys/kernel/debug/lw_efi_pstore
	c() { cat \$d/\$1; }
	for i in 1 2 3; do
		[ \$i = 3 ] && echo '$m3' >/dev/kmsg
		lw_oops || exit 20
		echo after_dump_\$i=\$(c written)
		# Dumps a second apart, as a real system's. Not a synchronisation:
		# a dump that finds the flush work holding the efivars lock has its
		# parts deferred, which the flush work then writes (counted below).
		sleep 1
	done
	# Eviction runs in the flush work, after each dump: wait until it has
	# written every deferred part and evicted down to the quota (at least
	# 2 min: a backstop; the check below says what was left undone).
	t=0
	until [ \$((\$(c deferred_written) + \$(c deferred_errors))) -ge \$(c deferred) ] &&
		[ \$(c evicted) -ge \$((\$(c written) + \$(c deferred_written) - 12)) ]; do
		t=\$((t + 1))
		[ \$t -le 1200 ] || { echo 'the flush work never brought NVRAM within the quota'; break; }
		sleep 0.1
	done
	for n in written deferred deferred_written deferred_errors evicted; do echo \$n=\$(c \$n); done
"
rc=$?
out=$LW_TEST_LOG/quota/out.log
grep -v Segmentation "$out"
lw_assert_eq "$rc" 0 "guest sequence"
lw_assert_grep "$out" '^bad_quota: .*Invalid (argument|parameters)' "quota_bytes below record_size refused"
lw_assert_grep "$LW_TEST_LOG/quota/console.log" 'quota_bytes=100 is below record_size=[0-9]+' "with a message"
lw_assert_eq "$(lw_counter "$out" deferred_errors)" 0 "no deferred part failed"
lw_assert_eq "$(lw_counter "$out" deferred_written)" "$(lw_counter "$out" deferred)" "every deferred part written"
# Parts stored: written by the dump, or deferred and written by the flush work.
w=$(( $(lw_counter "$out" written) + $(lw_counter "$out" deferred_written) ))
e=$(lw_counter "$out" evicted)
[ "$w" -gt 12 ] || lw_fail "three dumps stored only $w parts"
lw_assert_eq "$e" "$((w - 12))" "evicted down to the quota ($w parts stored)"

lw_boot_read read "$nv"
lw_assert_eq "$?" 0 "boot 2 read the records"
lw_assert_eq "$(lw_counter "$LW_TEST_LOG/read/out.log" dense_parts)" 12 "12 variables left"
r=$LW_TEST_LOG/read/records.txt
lw_assert_grep "$r" "$m3" "the newest dump survived"
# The newest dump is one record: no part of it reported missing.
awk '/^Oops#[0-9]+ Part/ { on = ($0 ~ /^Oops#3 /) } on' "$r" >"$LW_TEST_LOG/dump3.txt"
lw_assert_eq "$(grep -c '^Oops#3 Part1$' "$LW_TEST_LOG/dump3.txt")" 1 "the newest dump is one record from part 1"
! grep -q 'missing or damaged' "$LW_TEST_LOG/dump3.txt" || lw_fail "the newest dump lost a part"
echo "ok: the newest dump is whole"
! grep -q '^Oops#1 Part' "$r" || lw_fail "the oldest dump was not evicted first"
echo "ok: the oldest dump went first"
