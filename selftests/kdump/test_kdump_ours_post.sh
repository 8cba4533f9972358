#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# kdump matrix piece: lw_efi_pstore with a crash kernel loaded and
# crash_kexec_post_notifiers=1, a panic in each context, with and without the
# efivars lock held on another CPU, and another CPU stopped inside the
# firmware: the crash kernel captures every cell; the record is read back at
# the next boot as without kdump (crash_matrix/matrix.sh).
# lw-test: arm64
set -u
LW_MATRIX_KDUMP=post
LW_MATRIX_BACKENDS=ours
LW_MATRIX_CELLS="panic_task panic_softirq panic_hardirq panic_nmi panic_task_efivars panic_softirq_efivars panic_hardirq_efivars panic_nmi_efivars panic_task_fwloop"
. "$(dirname "$0")/../crash_matrix/matrix.sh"
