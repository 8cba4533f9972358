#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# A minimal module of ours (Rust crate + C shim object) loads, logs, unloads;
# its parameter arrives (given, then defaulted) and modinfo describes it.
set -u
. "$(dirname "$0")/../lib.sh"

lw_boot hello --no-uefi -- '
	insmod ./lw_hello.ko tag=4242 || exit 10
	grep -q "^lw_hello " /proc/modules || exit 11
	rmmod lw_hello || exit 12
	! grep -q "^lw_hello " /proc/modules || exit 13
	insmod ./lw_hello.ko || exit 14
	rmmod lw_hello || exit 15
	insmod ./lw_hello.ko tag=nope && exit 16
	modinfo -F parm ./lw_hello.ko
	modinfo -F parmtype ./lw_hello.ko
	exit 0
'
rc=$?
cat "$LW_TEST_LOG/hello/out.log" 2>/dev/null
lw_assert_eq "$rc" 0 "guest insmod, listed in /proc/modules, rmmod, gone"
d=$LW_TEST_LOG/hello/dmesg.log
lw_assert_grep "$d" 'lw_hello: loaded on CPU [0-9]+, irqs disabled: false, tag 4242$' "init ran Rust and the C shim; tag=4242 arrived"
lw_assert_grep "$d" 'lw_hello: loaded on CPU [0-9]+, irqs disabled: false, tag 0$' "tag's default without the parameter"
lw_assert_grep "$d" "lw_hello: .*'nope'|invalid .*tag|tag.*invalid" "tag=nope refused at load"
o=$LW_TEST_LOG/hello/out.log
lw_assert_grep "$o" '^tag:a number the load message prints' "modinfo shows the parameter's description"
lw_assert_grep "$o" '^tag:u32$' "modinfo shows the parameter's type"
lw_assert_grep "$d" 'lw_hello: unloaded$' "Drop ran on rmmod"
