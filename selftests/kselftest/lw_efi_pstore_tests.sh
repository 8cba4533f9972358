#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# lw_efi_pstore on the running kernel, before any crash: a bad parameter is
# refused, the backend loads and registers, its counters and parameters are
# there, and pstorefs lists its records.
. "$(dirname "$0")/lw_common.sh"

ktap_print_header
lw_require_env
other=$(lw_backend)
if [ -n "$other" ] && [ "$other" != lw_efi_pstore ] && [ "$other" != "(null)" ]; then
	ktap_skip_all "another pstore backend is registered ($other): unload it first"
	exit $ksft_skip
fi
ktap_set_plan 6

if grep -q '^lw_efi_pstore ' /proc/modules; then
	ktap_test_skip "record_size=100 refused (lw_efi_pstore was already loaded)"
else
	refused() {
		! lw_load lw_efi_pstore record_size=100 2>/dev/null &&
			! grep -q '^lw_efi_pstore ' /proc/modules
	}
	lw_check "record_size=100 refused, nothing loaded" refused
fi
lw_check "lw_efi_pstore loads" lw_load lw_efi_pstore
registered() { [ "$(lw_backend)" = lw_efi_pstore ]; }
lw_check "lw_efi_pstore is the pstore backend" registered
switch() { [ "$(cat /sys/module/lw_efi_pstore/parameters/enabled)" = Y ]; }
lw_check "the run-time switch is on" switch
if [ -d /sys/kernel/debug/lw_efi_pstore ]; then
	counters() {
		for c in written write_errors read erased; do
			v=$(cat "/sys/kernel/debug/lw_efi_pstore/$c") || return 1
			ktap_print_msg "$c=$v"
		done
	}
	lw_check "counters readable in debugfs" counters
else
	ktap_test_skip "counters readable in debugfs (no debugfs)"
fi
listed() {
	lw_mount_pstore || return 1
	ktap_print_msg "records: $(ls /sys/fs/pstore | grep -c -- '-lw_efi_pstore-')"
}
lw_check "pstorefs lists the records" listed
ktap_finished
