#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Crash matrix piece: the C efi_pstore, a panic in each context, no lock held
# (its baseline), and an oops in softirq and hardirq context, with a crash kernel loaded and crash_kexec_post_notifiers=1:
# the C backend's cells of the kdump matrix too (selftests/kdump/). Its dump
# runs before the kexec, as without a crash kernel: the same outcome (checked
# both ways on the three kernels, 2026-12-06), and each cell's vmcore must be
# captured. lw_efi_pstore's cells run both ways (test_matrix_ours_*,
# kdump/test_kdump_ours_post).
# On arm64 (no NMI cells) the same cells persist (an early arm64 run
# reported the oops cells lost: the matrix looked for x86's panic message,
# not arm64's "Oops - BUG: Fatal exception in interrupt"; both records were
# there).
# lw-test: arm64
set -u
LW_MATRIX_KDUMP=post
LW_MATRIX_BACKENDS=c
LW_MATRIX_CELLS="panic_task panic_softirq panic_hardirq panic_nmi oops_softirq oops_hardirq"
LW_MATRIX_EXPECT_C="panic_task=persisted panic_softirq=persisted panic_hardirq=persisted panic_nmi=persisted oops_softirq=persisted oops_hardirq=persisted"
. "$(dirname "$0")/matrix.sh"
