/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Module parameters of lw_efi_pstore: module_param() is a C macro, so the
 * parameters live in C and Rust reads them through these accessors. Also the
 * exported test hook.
 */
#ifndef LW_EFI_PSTORE_PARAMS_H
#define LW_EFI_PSTORE_PARAMS_H

#include <linux/types.h>

unsigned int lw_efi_pstore_record_size(void);
int lw_efi_pstore_max_reason(void);
bool lw_efi_pstore_enabled(void);
unsigned int lw_efi_pstore_quota_bytes(void);
unsigned int lw_efi_pstore_quota_records(void);
unsigned int lw_efi_pstore_kmsg_bytes(void);
int lw_efi_pstore_hold_dump_lock(void);
/* Implemented in Rust. */
int lw_efi_pstore_rust_hold_dump_lock(void);

#endif /* LW_EFI_PSTORE_PARAMS_H */
