#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The lastwords command reads, archives and erases the records without the
# module that wrote them, for each writer (lw_efi_pstore's dense records,
# the C efi_pstore's):
#  boot 1: the writer is loaded, a marker logged, the kernel panics;
#  host:   `lastwords --image NVRAM` reads that VM's variable store file;
#  boot 2: no backend loaded: `lastwords list` and `show` each record
#          (--json too); then the writer's reader module is loaded and
#          pstore mounted, to compare; then `lastwords archive DIR` writes
#          systemd-pstore's layout and erases what it wrote;
#  boot 3: no record left, no variable under the crash GUID.
# Asserts: the text `show` prints equals what the module hands pstore, byte
# for byte, and equals what the host read from the image; the marker and
# the panic are in it; the archive holds each record where systemd-pstore
# 252 puts it, dmesg.txt included; nothing is left in NVRAM.
# lw-test: arm64
set -u
. "$(dirname "$0")/../lib.sh"

lw_expect_splat 'Kernel panic - not syncing: sysrq triggered crash'
# The host's build reads the image on the host; the guest runs its
# architecture's (make tool-arm64 for the arm64 guests).
host_tool=$lw_repo/lastwords
[ -x "$host_tool" ] || lw_fail "$host_tool missing: run make tool"
if [ "$(lw_kernel_arch)" = arm64 ]; then
	tool=$lw_repo/lastwords-arm64
	[ -x "$tool" ] || lw_fail "$tool missing: run make tool-arm64"
else
	tool=$host_tool
fi
guid=cfc8fc79-be2e-4ddc-97f0-9f98bfe298a0

# case NAME WRITER_LOAD READER_LOAD READER_UNLOAD BACKEND
case_() {
	local name=$1 wload=$2 rload=$3 runload=$4 backend=$5
	local nv=$LW_TEST_LOG/$name.nvram.fd d=$LW_TEST_LOG/$name
	local marker="lw-tool-$name-$(date +%s)-$RANDOM"
	mkdir -p "$d"
	lw_boot "$name-crash" --nvram "$nv" -- "
		$wload || exit 10
		echo '$marker' >/dev/kmsg
		echo 1 >/proc/sys/kernel/sysrq
		echo c >/proc/sysrq-trigger
	" >/dev/null
	lw_assert_eq "$(lw_result "$name-crash")" panic "$name: boot 1 panicked"

	# The host reads the VM's variable store file.
	"$host_tool" --image "$nv" list >"$d/host-list.txt" || lw_fail "$name: lastwords --image list failed"
	mkdir -p "$d/host"
	local id
	while read -r id _; do
		"$host_tool" --image "$nv" show "$id" >"$d/host/$id" || lw_fail "$name: --image show $id failed"
	done <"$d/host-list.txt"
	local n
	n=$(grep -c . "$d/host-list.txt")
	[ "$n" -gt 0 ] || lw_fail "$name: the host found no record in the image"

	lw_boot "$name-tool" --nvram "$nv" -- "
		ev=/sys/firmware/efi/efivars
		mountpoint -q \$ev || mount -t efivarfs none \$ev || exit 10
		echo backends_loaded=\$(grep -cE '^(lw_)?efi_pstore ' /proc/modules)
		$tool list >\$LW_LOG/list.txt || exit 11
		$tool --json list >\$LW_LOG/list.json || exit 12
		mkdir -p \$LW_LOG/show \$LW_LOG/pstore
		while read -r id _; do
			$tool show \$id >\$LW_LOG/show/\$id || exit 13
		done <\$LW_LOG/list.txt
		$tool show dmesg-1 >/dev/null 2>&1
		echo show_missing_rc=\$?
		$tool erase >/dev/null 2>&1
		echo erase_usage_rc=\$?
		# What the module hands pstore.
		$rload || exit 14
		$LW_GUEST_PSTORE || exit 15
		cp /sys/fs/pstore/dmesg-* \$LW_LOG/pstore/ || exit 16
		umount /sys/fs/pstore
		$runload || exit 17
		$tool archive \$LW_LOG/archive >\$LW_LOG/archive.txt
		echo archive_rc=\$?
		echo left_after_archive=\$($tool list 2>/dev/null | wc -l)
		true
	"
	lw_assert_eq "$?" 0 "$name: boot 2 ran the tool"
	local out=$d-tool
	lw_assert_eq "$(lw_counter "$out/out.log" backends_loaded)" 0 "$name: boot 2 without a backend"
	lw_assert_eq "$(grep -c . "$out/list.txt")" "$n" "$name: the guest lists as many records as the host read"
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(len(d["records"]) != int(sys.argv[2]))' \
		"$out/list.json" "$n" || lw_fail "$name: --json list does not hold $n records"
	lw_assert_eq "$(lw_counter "$out/out.log" show_missing_rc)" 3 "$name: show of a missing id exits 3"
	lw_assert_eq "$(lw_counter "$out/out.log" erase_usage_rc)" 2 "$name: erase without an id exits 2"
	lw_assert_eq "$(ls "$out/pstore" | wc -l)" "$n" "$name: the module lists as many records"
	local f num bad=0
	for f in "$out"/pstore/dmesg-*; do
		num=${f##*-}
		if ! cmp -s "$f" "$out/show/dmesg-$num"; then
			echo "# $name: ${f##*/} differs from lastwords show dmesg-$num"
			bad=1
		fi
		cmp -s "$out/show/dmesg-$num" "$d/host/dmesg-$num" ||
			{ echo "# $name: the host's dmesg-$num differs from the guest's"; bad=1; }
	done
	lw_assert_eq "$bad" 0 "$name: every record as the module shows it, in the guest and from the image"
	cat "$out"/show/* >"$d/all.txt"
	lw_assert_grep "$d/all.txt" "$marker" "$name: the marker is in the records"
	lw_assert_grep "$d/all.txt" 'Kernel panic - not syncing: sysrq triggered crash' "$name: the panic is in the records"

	lw_assert_eq "$(lw_counter "$out/out.log" archive_rc)" 0 "$name: archive"
	lw_assert_eq "$(lw_counter "$out/out.log" left_after_archive)" 0 "$name: archive erased what it wrote"
	for f in "$out"/show/dmesg-*; do
		num=${f##*-}
		cmp -s "$f" "$out/archive/${num:0:${#num}-6}/dmesg-$backend-$num" ||
			{ echo "# $name: archive lacks dmesg-$backend-$num"; bad=1; }
	done
	lw_assert_eq "$bad" 0 "$name: each record archived where systemd-pstore puts it"
	grep -rq "$marker" "$out/archive" || lw_fail "$name: the marker is not in the archive"
	grep -q "$marker" "$out"/archive/*/dmesg.txt || lw_fail "$name: the marker is not in dmesg.txt"
	echo "ok: $name: the marker is in the archive's dmesg.txt"

	lw_boot "$name-after" --nvram "$nv" -- "
		ev=/sys/firmware/efi/efivars
		mountpoint -q \$ev || mount -t efivarfs none \$ev || exit 10
		echo records=\$($tool list 2>/dev/null | wc -l)
		echo crash_vars=\$(ls \$ev | grep -c -- '-$guid\$')
	" >/dev/null
	lw_assert_eq "$(lw_counter "$LW_TEST_LOG/$name-after/out.log" records)" 0 "$name: boot 3 lists no record"
	lw_assert_eq "$(lw_counter "$LW_TEST_LOG/$name-after/out.log" crash_vars)" 0 "$name: boot 3: no variable under the crash GUID"
	echo "ok: $name: $n records read, archived and erased without the module"
}

case_ ours "$LW_LOAD_OURS" "$LW_LOAD_OURS" "rmmod lw_efi_pstore" lw_efi_pstore
case_ c "$LW_LOAD_C" "$LW_LOAD_C" "modprobe -r efi_pstore" efi_pstore
