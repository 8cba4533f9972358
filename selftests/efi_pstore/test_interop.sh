#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Interop with the C efi_pstore, both ways: records lw_efi_pstore wrote are
# listed and read intact by the C backend after a reboot, and records the C
# backend wrote are read intact by lw_efi_pstore.
# lw-test: arm64
set -u
. "$(dirname "$0")/../lib.sh"

lw_expect_splat 'Kernel panic - not syncing: sysrq triggered crash'

# interop WRITER_LOAD READER_LOAD READER_GLOB NAME
interop() {
	local wload=$1 rload=$2 glob=$3 name=$4 nv=$LW_TEST_LOG/$4.nvram.fd
	local marker="lw-interop-$name-$(date +%s)-$RANDOM"
	lw_boot "$name-write" --nvram "$nv" -- "
		$wload || exit 10
		echo '$marker' >/dev/kmsg
		echo 1 >/proc/sys/kernel/sysrq
		echo c >/proc/sysrq-trigger
	" >/dev/null
	lw_assert_eq "$(lw_result "$name-write")" panic "$name: writer boot panicked"
	lw_boot_read "$name-read" "$nv" "$rload" "$glob" >/dev/null
	local rc=$? d=$LW_TEST_LOG/$name-read
	lw_assert_eq "$rc" 0 "$name: reader boot listed and read the records"
	lw_assert_grep "$d/records.txt" "$marker" "$name: marker intact"
	lw_assert_grep "$d/records.txt" 'Kernel panic - not syncing: sysrq triggered crash' "$name: panic message intact"
	# Every part decompressed and carries its header.
	lw_assert_eq "$(grep -c '^Panic#1 Part' "$d/records.txt")" "$(lw_counter "$d/out.log" files)" \
		"$name: every listed record read with its header"
}

interop "$LW_LOAD_OURS dense=0" "$LW_LOAD_C" 'dmesg-efi_pstore-*' rust-to-c
interop "$LW_LOAD_C" "$LW_LOAD_OURS" 'dmesg-lw_efi_pstore-*' c-to-rust
