#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Crash matrix piece: the C efi_pstore, an oops in softirq and hardirq
# context (its unsafe case, a CPU stopped inside SetVariable, runs in
# test_matrix_c_efivars).
set -u
LW_MATRIX_BACKENDS=c
LW_MATRIX_CELLS="oops_softirq oops_hardirq"
LW_MATRIX_EXPECT_C="oops_softirq=persisted oops_hardirq=persisted"
. "$(dirname "$0")/matrix.sh"
