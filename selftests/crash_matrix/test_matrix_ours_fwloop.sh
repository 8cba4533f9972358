#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Crash matrix piece: lw_efi_pstore, the panic stops another CPU inside
# SetVariable.
set -u
LW_MATRIX_BACKENDS=ours
LW_MATRIX_CELLS="panic_task_fwloop"
LW_MATRIX_EXPECT_C=""
. "$(dirname "$0")/matrix.sh"
