#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The C anchor: boot 1 loads efi_pstore and panics through sysrq; boot 2, with
# the same NVRAM, finds the panic in a dmesg record in /sys/fs/pstore.
# lw-test: arm64
set -u
. "$(dirname "$0")/../lib.sh"

nv=$LW_TEST_LOG/nvram.fd
marker="lw-anchor-$(date +%s)-$RANDOM"
lw_expect_splat 'Kernel panic - not syncing: sysrq triggered crash'

lw_boot boot1-crash --nvram "$nv" -- "
	modprobe efi_pstore || exit 10
	echo '$marker' >/dev/kmsg
	echo 1 >/proc/sys/kernel/sysrq
	echo c >/proc/sysrq-trigger
"
lw_assert_eq "$(lw_result boot1-crash)" panic "boot 1 went down in a panic"

lw_boot boot2-read --nvram "$nv" -- '
	modprobe efi_pstore || exit 10
	mountpoint -q /sys/fs/pstore || mount -t pstore pstore /sys/fs/pstore || exit 11
	ls -l /sys/fs/pstore
	cat /sys/fs/pstore/dmesg-efi_pstore-* >"$LW_LOG/records.txt" || exit 12
'
rc=$?
cat "$LW_TEST_LOG/boot2-read/out.log" 2>/dev/null
lw_assert_eq "$rc" 0 "boot 2 read /sys/fs/pstore"
r=$LW_TEST_LOG/boot2-read/records.txt
lw_assert_grep "$r" "$marker" "record holds boot 1's marker"
lw_assert_grep "$r" 'Kernel panic - not syncing: sysrq triggered crash' "record holds the panic message"
echo "records: $(grep -c '^Panic#' "$r" || true) parts, $(wc -c <"$r") bytes"
