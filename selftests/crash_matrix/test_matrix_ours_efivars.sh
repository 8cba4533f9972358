#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Crash matrix piece: lw_efi_pstore, a panic in each context while another CPU
# holds the efivars lock.
# lw-test: arm64
set -u
LW_MATRIX_BACKENDS=ours
LW_MATRIX_CELLS="panic_task_efivars panic_softirq_efivars panic_hardirq_efivars panic_nmi_efivars"
LW_MATRIX_EXPECT_C=""
. "$(dirname "$0")/matrix.sh"
