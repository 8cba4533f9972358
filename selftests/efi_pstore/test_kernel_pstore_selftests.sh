#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The kernel's own tools/testing/selftests/pstore scripts, run against
# lw_efi_pstore: pstore_tests and pstore_crash_test in boot 1, then
# pstore_post_reboot_tests in boot 2 (same NVRAM). They were written for
# ramoops; the checks that apply to an EFI backend must pass, the others are
# reported (see Documentation/efi_pstore.rst for why each does not apply).
# The script's removal of every record is checked where it matters, in
# NVRAM: pstore's unlink ignores the backend's erase result, so after the
# script boot 2 mounts efivarfs and pstore afresh and finds neither a
# variable under the crash GUID nor a record of ours.
set -u
. "$(dirname "$0")/../lib.sh"
lw_require PSTORE_PMSG "the kernel scripts write /dev/pmsg0 and check its record"

lw_expect_splat 'Kernel panic - not syncing: sysrq triggered crash'

kdir=$(KDIR=${KDIR:-} "$lw_repo/scripts/kernel.sh")
src=$kdir/tools/testing/selftests/pstore
[ -f "$src/pstore_tests" ] || lw_skip "no $src in the kernel tree"
# The scripts keep state (uuid, reboot flag) in their own directory, which
# must be writable in the guest: a boot's log directory is.
ks=$LW_TEST_LOG/boot1/ks
mkdir -p "$ks"
cp "$src"/common_tests "$src"/pstore_tests "$src"/pstore_crash_test \
	"$src"/pstore_post_reboot_tests "$ks"/
nv=$LW_TEST_LOG/nvram.fd

lw_boot boot1 --nvram "$nv" -- "
	insmod ./lw_efi_pstore.ko || exit 10
	cd "\$LW_LOG/ks" || exit 11
	sh ./pstore_tests
	sh ./pstore_crash_test
"
lw_assert_eq "$(lw_result boot1)" panic "boot 1: pstore_crash_test crashed the kernel"
mkdir -p "$LW_TEST_LOG/boot2"
cp -r "$ks" "$LW_TEST_LOG/boot2/"
ks=$LW_TEST_LOG/boot2/ks
# Boot 2 also lists, before and after the script, the variables under the
# crash GUID through a freshly mounted efivarfs (an efivarfs mounted earlier
# keeps the list it read), and our records through a freshly mounted pstore
# (a new mount reads the backend again). Not guest.sh: vm.sh writes its own
# there.
guid=cfc8fc79-be2e-4ddc-97f0-9f98bfe298a0
cat >"$LW_TEST_LOG/boot2/guest-post-reboot.sh" <<GUEST
set -u
$LW_GUEST_DEBUGFS
ev=/sys/firmware/efi/efivars
crash_vars() {
	! mountpoint -q \$ev || umount \$ev || return 1
	mount -t efivarfs none \$ev || return 1
	ls \$ev | grep -- '-$guid\$' | sed 's/-$guid\$//' | sort
}
pstore_files() {
	while mountpoint -q /sys/fs/pstore; do umount /sys/fs/pstore || return 1; done
	# Mounted elsewhere too, a new mount would reuse the old superblock.
	! grep -q ' pstore ' /proc/mounts || return 1
	mount -t pstore pstore /sys/fs/pstore || return 1
	ls /sys/fs/pstore | grep -E -- '^(dmesg|pmsg)-lw_efi_pstore-' | sort
}
# state WHEN: "WHEN_vars=N" and "WHEN_files=N", only if listed.
state() {
	crash_vars >\$LW_LOG/vars_\$1.txt && echo \$1_vars=\$(wc -l <\$LW_LOG/vars_\$1.txt) ||
		echo "could not list efivarfs (\$1)"
	pstore_files >\$LW_LOG/files_\$1.txt && echo \$1_files=\$(wc -l <\$LW_LOG/files_\$1.txt) ||
		echo "could not remount pstore (\$1)"
}
insmod ./lw_efi_pstore.ko || exit 10
state before
cd \$LW_LOG/ks || exit 11
sh ./pstore_post_reboot_tests
cd /
state after
echo erased=\$(cat /sys/kernel/debug/lw_efi_pstore/erased)
true
GUEST
lw_boot boot2 --nvram "$nv" -- "bash \$LW_LOG/guest-post-reboot.sh"
out="$LW_TEST_LOG/boot1/out.log $LW_TEST_LOG/boot2/out.log"
echo "results (ok / FAIL as the scripts print them):"
cat $out | grep -E '^(Checking|Writing|Mounting|Removing)' | sed 's/^/  /'

# The checks that apply to an EFI variable backend.
applies() {
	grep -hE -- "$1" $out | grep -q 'ok$' || lw_fail "kernel selftest check failed: $1"
	echo "ok: applies and passes: $1"
}
applies 'Checking pstore backend is registered'
applies 'Checking /dev/pmsg0 exists'
applies 'Writing unique string to /dev/pmsg0'
applies 'Mounting pstore filesystem'
sed -n '/^Removing all files/,$p' "$LW_TEST_LOG/boot2/out.log" >"$LW_TEST_LOG/removed.txt"
n_rm=$(grep -cE '^[[:space:]]+(dmesg|pmsg)-lw_efi_pstore-[0-9]+ \.\.\. ok' "$LW_TEST_LOG/removed.txt" || true)
[ "$n_rm" -gt 0 ] || lw_fail "no record removed by the post-reboot test"
! grep -q 'FAIL' "$LW_TEST_LOG/removed.txt" || lw_fail "a record could not be removed"
grep -q '^[[:space:]]*pmsg-lw_efi_pstore-' "$LW_TEST_LOG/removed.txt" || lw_fail "no pmsg record after reboot"
echo "ok: applies and passes: removing all files in pstore filesystem ($n_rm files)"

# What the removal did in NVRAM: before it, a fresh mount of pstore lists
# the records removed and the crash GUID holds their variables; after it,
# neither holds anything.
b2=$LW_TEST_LOG/boot2
lw_assert_eq "$(lw_counter "$b2/out.log" before_files)" "$n_rm" \
	"before the removal, a fresh pstore mount lists the records the test removed"
n_before=$(lw_counter "$b2/out.log" before_vars)
[ "${n_before:-0}" -ge "$n_rm" ] ||
	lw_fail "before the removal, $n_rm records in pstore but '${n_before}' variables under the crash GUID"
echo "ok: before the removal, $n_before variables under the crash GUID"
lw_assert_eq "$(lw_counter "$b2/out.log" after_files)" 0 \
	"after the removal, a fresh pstore mount reads no record of ours back"
lw_assert_eq "$(lw_counter "$b2/out.log" after_vars)" 0 \
	"after the removal, no variable is left under the crash GUID"
lw_assert_eq "$(lw_counter "$b2/out.log" erased)" "$n_before" \
	"every variable removed was counted erased"
