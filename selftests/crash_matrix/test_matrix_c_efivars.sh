#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Crash matrix piece: the C efi_pstore, a panic in each context while another
# thread holds the efivars lock (lost: its trylock fails), and the panic that
# stops a CPU inside SetVariable (reported), with a crash kernel loaded and
# crash_kexec_post_notifiers=1: the C backend's cells of the kdump matrix too
# (see test_matrix_c_none).
# lw-test: arm64
set -u
LW_MATRIX_KDUMP=post
LW_MATRIX_BACKENDS=c
LW_MATRIX_CELLS="panic_task_efivars panic_softirq_efivars panic_hardirq_efivars panic_nmi_efivars panic_task_fwloop"
LW_MATRIX_EXPECT_C="panic_task_efivars=lost panic_softirq_efivars=lost panic_hardirq_efivars=lost panic_nmi_efivars=lost"
. "$(dirname "$0")/matrix.sh"
