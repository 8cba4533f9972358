#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Crash matrix piece: lw_efi_pstore, a panic in each context, no lock held.
# lw-test: arm64
set -u
LW_MATRIX_BACKENDS=ours
LW_MATRIX_CELLS="panic_task panic_softirq panic_hardirq panic_nmi"
LW_MATRIX_EXPECT_C=""
. "$(dirname "$0")/matrix.sh"
