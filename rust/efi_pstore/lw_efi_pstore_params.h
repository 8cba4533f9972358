/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Module parameters of lw_efi_pstore: module_param() is a C macro, so the
 * parameters live in C and Rust reads them through these accessors.
 */
#ifndef LW_EFI_PSTORE_PARAMS_H
#define LW_EFI_PSTORE_PARAMS_H

#include <linux/types.h>

unsigned int lw_efi_pstore_record_size(void);
int lw_efi_pstore_max_reason(void);
bool lw_efi_pstore_enabled(void);
unsigned int lw_efi_pstore_quota_bytes(void);
unsigned int lw_efi_pstore_quota_records(void);

#endif /* LW_EFI_PSTORE_PARAMS_H */
