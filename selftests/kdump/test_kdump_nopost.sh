#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# kdump matrix piece: a crash kernel loaded, without
# crash_kexec_post_notifiers: the panic kexecs before any kmsg dumper runs.
# The crash kernel captures every cell, and neither backend leaves a record
# (crash_matrix/matrix.sh): lw_efi_pstore in task and NMI context (the kexec
# from NMI: __crash_kexec's trylock), the C backend in NMI context.
# lw-test: arm64
set -u
LW_MATRIX_KDUMP=nopost
LW_MATRIX_BACKENDS="ours c"
LW_MATRIX_CELLS="panic_task panic_nmi"
LW_MATRIX_C_CELLS="panic_nmi"
. "$(dirname "$0")/../crash_matrix/matrix.sh"
