#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Not a test: the crash step of the crash -> reboot -> read-back cycle (as
# selftests/pstore/pstore_crash_test). Loads lw_efi_pstore and lw_crash_test,
# writes the reboot flag (the case and a unique marker), logs the marker and
# raises CASE (default panic_task; any panic_* or oops_* case of lw_crash_test
# in interrupt context). After the reboot, run lw_post_reboot_tests.sh.
#
# Usage: lw_crash_step.sh [CASE]
. "$(dirname "$0")/lw_common.sh"

lw_case=${1:-panic_task}
lw_require_env
lw_have_module lw_crash_test || { echo "lw_crash_test is neither in $LW_DIR nor installed"; exit $ksft_skip; }
lw_load lw_efi_pstore || exit 1
[ "$(lw_backend)" = lw_efi_pstore ] || { echo "lw_efi_pstore is not the pstore backend"; exit 1; }
lw_load lw_crash_test || exit 1
marker=lw-ksft-$(cat /proc/sys/kernel/random/uuid)
echo "$lw_case $marker" >"$REBOOT_FLAG"
sync
echo "Causing a kernel panic: $lw_case (marker $marker) ..."
# Reboot 3 s after the panic (a VM without -no-reboot, or real hardware).
echo 3 >/proc/sys/kernel/panic
echo "$marker" >/dev/kmsg
echo "$lw_case" >/sys/kernel/debug/lw_crash/run
echo "still running after $lw_case: no panic"
rm -f "$REBOOT_FLAG"
exit 1
