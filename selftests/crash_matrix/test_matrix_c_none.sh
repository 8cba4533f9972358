#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Crash matrix piece: the C efi_pstore, a panic in each context, no lock held
# (its baseline).
set -u
LW_MATRIX_BACKENDS=c
LW_MATRIX_CELLS="panic_task panic_softirq panic_hardirq panic_nmi"
LW_MATRIX_EXPECT_C="panic_task=persisted panic_softirq=persisted panic_hardirq=persisted panic_nmi=persisted"
. "$(dirname "$0")/matrix.sh"
