#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Bad input gets a clear error and loses nothing:
#  - out-of-range or malformed parameters (record_size, max_reason,
#    kmsg_bytes) refuse the load, with a message;
#  - the load-time parameters parse as 7.3's kernel crate parses module!'s
#    (rust/kernel/module_param.rs), on 6.12 too (compat/module_param.rs),
#    not as C parameters: a bare bool (dense, test_hooks), a value out of
#    the type's range and a trailing newline are refused with EINVAL, a
#    parameter given twice with EEXIST; 0b/0o prefixes and kstrtobool's
#    enable/disable are accepted, and +0NNN is decimal;
#  - another pstore backend registered: EBUSY, nothing half-registered, and
#    the load works once that backend is gone;
#  - the run-time switch: with enabled=N an oops dump is skipped (counted),
#    with enabled=Y the next one is written;
#  - the crash tests' hook (hold the dump lock for good) is refused with
#    EPERM unless the module was loaded with test_hooks=1: oopses are still
#    dumped after a refused request.
# lw-test: arm64
set -u
. "$(dirname "$0")/../lib.sh"

lw_expect_oops

m=./lw_efi_pstore.ko
lw_boot bad -- "
	$LW_GUEST_DEBUGFS
	try() { echo \"\$1: \$(insmod $m \$2 2>&1 && echo loaded)\"; }
	try small record_size=100
	try big record_size=99999
	try malformed record_size=abc
	try reason_high max_reason=9
	try reason_zero max_reason=0
	try kmsg_small 'record_size=2048 kmsg_bytes=1024'
	try kmsg_big kmsg_bytes=2000000
	# One argument string; a load that succeeds is logged and undone, so
	# that the next one starts from nothing loaded.
	tryu() {
		r=\$(insmod $m \"\$2\" 2>&1) &&
			r=\"loaded \$(dmesg | sed -n 's/.*lw_efi_pstore: registered: //p' | tail -1)\" &&
			rmmod lw_efi_pstore
		echo \"\$1: \$r\"
	}
	tryu bare_dense dense
	tryu bare_hooks test_hooks
	tryu twice 'record_size=2048 record_size=4096'
	tryu twice_bool 'dense=N dense=Y'
	tryu twice_bad 'record_size=2048 record_size=abc'
	tryu u32_range record_size=4294967296
	tryu i32_range max_reason=-2147483649
	tryu newline \"\$(printf 'record_size=\"2048\\n\"')\"
	tryu binary record_size=0b100000000000
	tryu octal_o record_size=0o4000
	tryu plus_zero record_size=+04000
	tryu disable dense=disable
	modprobe efi_pstore || exit 10
	try other_backend ''
	grep -q '^lw_efi_pstore ' /proc/modules && echo half_loaded=yes
	[ -e /sys/kernel/debug/lw_efi_pstore ] && echo half_debugfs=yes
	rmmod efi_pstore || exit 11
	try after_other_gone 'record_size=2048'
	echo 0 >/proc/sys/kernel/panic_on_oops
	$LW_GUEST_OOPS
	echo N >/sys/module/lw_efi_pstore/parameters/enabled
	lw_oops || exit 20
	echo disabled_written=\$(cat /sys/kernel/debug/lw_efi_pstore/written)
	echo disabled_skipped=\$(cat /sys/kernel/debug/lw_efi_pstore/skipped_disabled)
	echo Y >/sys/module/lw_efi_pstore/parameters/enabled
	lw_oops || exit 20
	echo enabled_written=\$(cat /sys/kernel/debug/lw_efi_pstore/written)
	echo enabled_skipped=\$(cat /sys/kernel/debug/lw_efi_pstore/skipped_disabled)
	echo hook: \$(echo panic_task_backend 2>&1 >/sys/kernel/debug/lw_crash/run && echo armed)
	lw_oops || exit 20
	echo after_hook_written=\$(cat /sys/kernel/debug/lw_efi_pstore/written)
	true
"
rc=$?
out=$LW_TEST_LOG/bad/out.log
con=$LW_TEST_LOG/bad/console.log
cat "$out"
lw_assert_eq "$rc" 0 "guest sequence"
for c in small big reason_high reason_zero kmsg_small kmsg_big; do
	lw_assert_grep "$out" "^$c: .*Invalid (argument|parameters)" "$c: load refused with EINVAL"
done
lw_assert_grep "$con" 'lw_efi_pstore: record_size=100 is out of range 1024..32768' "message names record_size=100"
lw_assert_grep "$con" 'lw_efi_pstore: record_size=99999 is out of range' "message names record_size=99999"
lw_assert_grep "$con" 'lw_efi_pstore: max_reason=9 is out of range 1..5' "message names max_reason=9"
lw_assert_grep "$con" 'lw_efi_pstore: kmsg_bytes=1024 is out of range record_size..1048576 \(2048..1048576\)' "message names kmsg_bytes=1024"
lw_assert_grep "$con" 'lw_efi_pstore: kmsg_bytes=2000000 is out of range' "message names kmsg_bytes=2000000"
lw_assert_grep "$out" '^malformed: .*Invalid (argument|parameters)' "malformed: load refused"
lw_assert_grep "$con" "abc' invalid for parameter .record_size'" "kernel names the malformed value"
for c in bare_dense bare_hooks twice_bad u32_range i32_range newline; do
	lw_assert_grep "$out" "^$c: .*Invalid (argument|parameters)" "$c: load refused with EINVAL"
done
lw_assert_grep "$con" "lw_efi_pstore: .' invalid for parameter .dense'" "kernel names the bare dense"
lw_assert_grep "$con" "lw_efi_pstore: .' invalid for parameter .test_hooks'" "kernel names the bare test_hooks"
for c in twice twice_bool; do
	lw_assert_grep "$out" "^$c: .*File exists" "$c: parameter given twice, load refused with EEXIST"
done
lw_assert_grep "$con" "4096' invalid for parameter .record_size'" "kernel names the second record_size"
lw_assert_grep "$out" '^binary: loaded record_size=2048 ' "record_size=0b100000000000 is 2048"
lw_assert_grep "$out" '^octal_o: loaded record_size=2048 ' "record_size=0o4000 is 2048"
lw_assert_grep "$out" '^plus_zero: loaded record_size=4000 ' "record_size=+04000 is decimal 4000"
lw_assert_grep "$out" '^disable: loaded .* dense=N$' "dense=disable is N"
lw_assert_grep "$out" '^other_backend: .*Device or resource busy' "another backend: EBUSY"
lw_assert_grep "$con" 'lw_efi_pstore: another pstore backend is registered' "message names the conflict"
! grep -q 'half_' "$out" || lw_fail "half-registered after EBUSY"
echo "ok: nothing half-registered after EBUSY"
lw_assert_grep "$out" '^after_other_gone: loaded' "loads once the other backend is gone"
lw_assert_eq "$(lw_counter "$out" disabled_written)" 0 "enabled=N: nothing written"
s=$(lw_counter "$out" disabled_skipped)
[ "${s:-0}" -gt 0 ] || lw_fail "enabled=N: dump not counted as skipped"
echo "ok: enabled=N: $s dumps skipped"
w=$(lw_counter "$out" enabled_written)
[ "${w:-0}" -gt 0 ] || lw_fail "enabled=Y: nothing written"
lw_assert_eq "$(lw_counter "$out" enabled_skipped)" "$s" "enabled=Y: nothing more skipped"
echo "ok: enabled=Y: $w parts written"
lw_assert_grep "$out" '^hook: .*Operation not permitted' "test hook refused without test_hooks=1"
lw_assert_grep "$con" 'lock state backend: lw_efi_pstore refused .*test_hooks=1' "with a message"
a=$(lw_counter "$out" after_hook_written)
[ "${a:-0}" -gt "$w" ] || lw_fail "no oops dump after the refused hook ($a parts, $w before)"
echo "ok: oopses still dumped after the refused hook ($((a - w)) parts)"
