#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Crash matrix piece: lw_efi_pstore, an oops in softirq, hardirq and NMI
# context (x86 panics on each), and the unsafe case: a panic that stops a CPU
# inside SetVariable (the dump must not re-enter the firmware).
# lw-test: arm64
set -u
LW_MATRIX_BACKENDS=ours
LW_MATRIX_CELLS="oops_softirq oops_hardirq oops_nmi panic_task_fwloop"
LW_MATRIX_EXPECT_C=""
. "$(dirname "$0")/matrix.sh"
