#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# debugfs is optional: booted with debugfs=off, lw_efi_pstore loads (saying
# it has no counters), registers with pstore and stores pmsg; it unloads.
set -u
. "$(dirname "$0")/../lib.sh"
lw_require PSTORE_PMSG "the record it stores is a pmsg one"

lw_boot nodebugfs --append debugfs=off -- "
	insmod ./lw_efi_pstore.ko || exit 10
	[ -c /dev/pmsg0 ] || exit 11
	echo lw-no-debugfs >/dev/pmsg0 || exit 12
	$LW_GUEST_PSTORE || exit 13
	echo pmsg_files=\$(ls /sys/fs/pstore | grep -c '^pmsg-lw_efi_pstore-')
	umount /sys/fs/pstore
	rmmod lw_efi_pstore || exit 14
"
rc=$?
out=$LW_TEST_LOG/nodebugfs/out.log
con=$LW_TEST_LOG/nodebugfs/console.log
cat "$out"
lw_assert_eq "$rc" 0 "loaded, stored and unloaded without debugfs"
lw_assert_grep "$con" 'lw_efi_pstore: no counters: debugfs unavailable' "it says it has no counters"
lw_assert_grep "$con" 'lw_efi_pstore: registered: record_size=[0-9]+' "registered with pstore"
lw_assert_eq "$(lw_counter "$out" pmsg_files)" 1 "pmsg stored and read back"
