#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The kernel's own tools/testing/selftests/pstore scripts, run against
# lw_efi_pstore: pstore_tests and pstore_crash_test in boot 1, then
# pstore_post_reboot_tests in boot 2 (same NVRAM). They were written for
# ramoops; the checks that apply to an EFI backend must pass, the others are
# reported (see Documentation/efi_pstore.rst for why each does not apply).
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
lw_boot boot2 --nvram "$nv" -- "
	insmod ./lw_efi_pstore.ko || exit 10
	cd "\$LW_LOG/ks" || exit 11
	sh ./pstore_post_reboot_tests
	true
"
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
