#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# After lw_crash_step.sh and the reboot: lw_efi_pstore reads the panic's
# record back (the marker logged before it, and the panic message), and
# erasing the records removes them from NVRAM. Skipped without the reboot
# flag (as selftests/pstore/pstore_post_reboot_tests).
. "$(dirname "$0")/lw_common.sh"

ktap_print_header
if [ ! -e "$REBOOT_FLAG" ]; then
	ktap_skip_all "lw_crash_step.sh has not been run: no crash to read back"
	exit $ksft_skip
fi
read -r lw_case marker <"$REBOOT_FLAG"
rm -f "$REBOOT_FLAG"
lw_require_env
ktap_set_plan 5
ktap_print_msg "case $lw_case, marker $marker"

lw_check "lw_efi_pstore loads" lw_load lw_efi_pstore
registered() { [ "$(lw_backend)" = lw_efi_pstore ]; }
lw_check "lw_efi_pstore is the pstore backend" registered
lw_check "pstorefs mounted" lw_mount_pstore
case $lw_case in
oops_*) msg='Kernel panic - not syncing: Fatal exception in interrupt' ;;
*) msg="Kernel panic - not syncing: lw_crash_test: $lw_case" ;;
esac
records() {
	ls /sys/fs/pstore/dmesg-lw_efi_pstore-* 2>/dev/null
}
recovered() {
	# shellcheck disable=SC2046 # one word per record file
	grep -q -- "$marker" $(records) /dev/null && grep -qF -- "$msg" $(records) /dev/null
}
lw_check "the panic's record holds the marker and \"$msg\"" recovered
erased() {
	rm -f $(records) || return 1
	umount /sys/fs/pstore && lw_mount_pstore || return 1
	! grep -q -- "$marker" $(records) /dev/null
}
lw_check "erased records are gone after a remount" erased
ktap_finished
