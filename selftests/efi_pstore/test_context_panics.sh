#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# lw_efi_pstore keeps panics raised in hard interrupt context (a hard
# irq_work) and in NMI context (an NMI handler, NMI sent to self): each boot
# panics with a marker logged, the next boot on the same NVRAM reads it back.
# x86 EFI calls save the FPU state, which warns when done from NMI context:
# those warnings are expected after the panic line only, and listed. The
# efivars/runtime semaphores are not NMI-safe: the backend turns lock
# debugging off (as panic() does right after the dump) and says so.
. "$(dirname "$0")/../lib.sh"

lw_expect_splat 'Kernel panic - not syncing: lw_crash_test: (hardirq|nmi) panic'
lw_expect_splat_after_panic 'at arch/x86/kernel/fpu/core.c:[0-9]+ (irq_fpu_usable|kernel_fpu_begin_mask)'

for ctx in hardirq nmi; do
	nv=$LW_TEST_LOG/$ctx.nvram.fd
	marker="lw-ctx-$ctx-$(date +%s)-$RANDOM"
	lw_boot "$ctx-crash" --nvram "$nv" -- "
		$LW_GUEST_DEBUGFS
		$LW_LOAD_OURS || exit 10
		insmod ./lw_crash_test.ko || exit 11
		echo '$marker' >/dev/kmsg
		echo panic_$ctx >/sys/kernel/debug/lw_crash/run
	" >/dev/null
	lw_assert_eq "$(lw_result "$ctx-crash")" panic "$ctx: boot 1 panicked"
	lw_assert_grep "$LW_TEST_LOG/$ctx-crash/console.log" "lw_crash_test: panic: in $ctx context" "$ctx: raised in $ctx context"
	if [ $ctx = nmi ]; then
		lw_assert_grep "$LW_TEST_LOG/$ctx-crash/console.log" 'lw_efi_pstore: panic in NMI context: lock debugging off' \
			"nmi: the log says lock debugging was turned off, and why"
	fi
	lw_boot_read "$ctx-read" "$nv" >/dev/null
	r=$LW_TEST_LOG/$ctx-read/records.txt
	lw_assert_grep "$r" "$marker" "$ctx: marker recovered"
	lw_assert_grep "$r" "Kernel panic - not syncing: lw_crash_test: $ctx panic" "$ctx: panic message recovered"
done
