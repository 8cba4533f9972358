#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Crash matrix piece: the C efi_pstore, an oops in softirq and hardirq
# context, and the panic that stops a CPU inside SetVariable (reported).
set -u
LW_MATRIX_BACKENDS=c
LW_MATRIX_CELLS="oops_softirq oops_hardirq panic_task_fwloop"
LW_MATRIX_EXPECT_C="oops_softirq=persisted oops_hardirq=persisted"
. "$(dirname "$0")/matrix.sh"
