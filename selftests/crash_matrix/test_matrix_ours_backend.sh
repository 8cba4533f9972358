#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Crash matrix piece: lw_efi_pstore, a panic in each context while another CPU
# holds its dump lock.
# lw-test: arm64
set -u
LW_MATRIX_BACKENDS=ours
LW_MATRIX_CELLS="panic_task_backend panic_softirq_backend panic_hardirq_backend panic_nmi_backend"
LW_MATRIX_EXPECT_C=""
. "$(dirname "$0")/matrix.sh"
