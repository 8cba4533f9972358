#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Crash matrix piece: the C efi_pstore loses a panic in each context while
# another CPU holds the efivars lock (-EBUSY): the case lw_efi_pstore wins.
set -u
LW_MATRIX_BACKENDS=c
LW_MATRIX_CELLS="panic_task_efivars panic_softirq_efivars panic_hardirq_efivars panic_nmi_efivars"
LW_MATRIX_EXPECT_C="panic_task_efivars=lost panic_softirq_efivars=lost panic_hardirq_efivars=lost panic_nmi_efivars=lost"
. "$(dirname "$0")/matrix.sh"
