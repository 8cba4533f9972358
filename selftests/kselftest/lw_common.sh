#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Shared by the lastwords kselftests: KTAP helpers (the kernel's, when
# installed next to run_kselftest.sh), the reboot flag, and loading the
# modules from this directory or, failing that, through modprobe.

LW_DIR=$(cd "$(dirname "$0")" && pwd)
REBOOT_FLAG=$LW_DIR/reboot_flag
ksft_skip=4

if [ -f "$LW_DIR/../kselftest/ktap_helpers.sh" ]; then
	. "$LW_DIR/../kselftest/ktap_helpers.sh"
else
	KTAP_TESTNO=1 KTAP_CNT_PASS=0 KTAP_CNT_FAIL=0 KTAP_CNT_SKIP=0 KSFT_NUM_TESTS=0
	ktap_print_header() { echo "TAP version 13"; }
	ktap_print_msg() { echo "# $*"; }
	ktap_set_plan() { KSFT_NUM_TESTS=$1; echo "1..$1"; }
	ktap_skip_all() { echo "1..0 # SKIP $*"; }
	ktap_test_pass() { echo "ok $KTAP_TESTNO $1"; KTAP_TESTNO=$((KTAP_TESTNO + 1)); KTAP_CNT_PASS=$((KTAP_CNT_PASS + 1)); }
	ktap_test_skip() { echo "ok $KTAP_TESTNO $1 # SKIP"; KTAP_TESTNO=$((KTAP_TESTNO + 1)); KTAP_CNT_SKIP=$((KTAP_CNT_SKIP + 1)); }
	ktap_test_fail() { echo "not ok $KTAP_TESTNO $1"; KTAP_TESTNO=$((KTAP_TESTNO + 1)); KTAP_CNT_FAIL=$((KTAP_CNT_FAIL + 1)); }
	ktap_print_totals() { echo "# Totals: pass:$KTAP_CNT_PASS fail:$KTAP_CNT_FAIL xfail:0 xpass:0 skip:$KTAP_CNT_SKIP error:0"; }
	ktap_finished() {
		ktap_print_totals
		[ $((KTAP_CNT_PASS + KTAP_CNT_SKIP)) -eq "$KSFT_NUM_TESTS" ]
		exit $?
	}
fi

# lw_check DESCRIPTION COMMAND...: one KTAP test line for COMMAND's status.
lw_check() {
	lw_desc=$1
	shift
	if "$@"; then
		ktap_test_pass "$lw_desc"
	else
		ktap_test_fail "$lw_desc"
	fi
}

# lw_have_module NAME: the module is here or known to modprobe.
lw_have_module() {
	[ -f "$LW_DIR/$1.ko" ] || modinfo "$1" >/dev/null 2>&1
}

# lw_load NAME [PARAM=VALUE...]: load NAME unless it is loaded.
lw_load() {
	lw_name=$1
	shift
	grep -q "^$lw_name " /proc/modules && return 0
	if [ -f "$LW_DIR/$lw_name.ko" ]; then
		insmod "$LW_DIR/$lw_name.ko" "$@"
	else
		modprobe "$lw_name" "$@"
	fi
}

# lw_require_env: skip the whole test, KTAP-style, without what it needs.
lw_require_env() {
	if [ "$(id -u)" != 0 ]; then
		ktap_skip_all "must be run as root"
		exit $ksft_skip
	fi
	if [ ! -d /sys/firmware/efi ]; then
		ktap_skip_all "not booted through UEFI: no EFI variables"
		exit $ksft_skip
	fi
	if ! lw_have_module lw_efi_pstore; then
		ktap_skip_all "lw_efi_pstore is neither in $LW_DIR nor installed"
		exit $ksft_skip
	fi
	mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug 2>/dev/null
	return 0
}

# lw_backend: the registered pstore backend's name.
lw_backend() {
	cat /sys/module/pstore/parameters/backend 2>/dev/null
}

# lw_mount_pstore: pstorefs mounted at /sys/fs/pstore.
lw_mount_pstore() {
	mountpoint -q /sys/fs/pstore || mount -t pstore pstore /sys/fs/pstore
}
