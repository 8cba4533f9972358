/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lw_efi_pstore's C side: the run-time switch `enabled` (a C module_param:
 * lastwords::module!'s parameters are set at load time only) and the
 * exported test hook.
 */
#ifndef LW_EFI_PSTORE_PARAMS_H
#define LW_EFI_PSTORE_PARAMS_H

#include <linux/types.h>

bool lw_efi_pstore_enabled(void);
int lw_efi_pstore_hold_dump_lock(void);
/* Implemented in Rust. */
int lw_efi_pstore_rust_hold_dump_lock(void);

#endif /* LW_EFI_PSTORE_PARAMS_H */
