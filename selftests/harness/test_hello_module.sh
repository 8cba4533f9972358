#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# A minimal module of ours (Rust crate + C shim object) loads, logs, unloads.
set -u
. "$(dirname "$0")/../lib.sh"

lw_boot hello --no-uefi -- '
	insmod ./lw_hello.ko || exit 10
	grep -q "^lw_hello " /proc/modules || exit 11
	rmmod lw_hello || exit 12
	! grep -q "^lw_hello " /proc/modules || exit 13
'
rc=$?
cat "$LW_TEST_LOG/hello/out.log" 2>/dev/null
lw_assert_eq "$rc" 0 "guest insmod, listed in /proc/modules, rmmod, gone"
d=$LW_TEST_LOG/hello/dmesg.log
lw_assert_grep "$d" 'lw_hello: loaded on CPU [0-9]+, irqs disabled: false$' "init ran Rust and the C shim"
lw_assert_grep "$d" 'lw_hello: unloaded$' "Drop ran on rmmod"
