// SPDX-License-Identifier: GPL-2.0
/*
 * lw_efi_pstore's module parameters (validated by the Rust side at load) and
 * its own copy of the lastwords C shims.
 */
#include <linux/compiler.h>
#include <linux/module.h>
#include <linux/moduleparam.h>

#include "lw_efi_pstore_params.h"
#include "../helpers.c"

static unsigned int record_size = 1024;
module_param(record_size, uint, 0444);
MODULE_PARM_DESC(record_size,
		 "size of each pstore EFI variable in bytes, 1024..32768 (default 1024)");

static int max_reason = 2;
module_param(max_reason, int, 0444);
MODULE_PARM_DESC(max_reason,
		 "largest kmsg_dump reason stored: 1 panic, 2 oops (default), 3 emerg, 4 shutdown, 5 all");

static bool enabled = true;
module_param(enabled, bool, 0644);
MODULE_PARM_DESC(enabled, "store new records (Y) or drop them (N); may change at run time");

static unsigned int kmsg_bytes = CONFIG_PSTORE_DEFAULT_KMSG_BYTES;
module_param(kmsg_bytes, uint, 0444);
MODULE_PARM_DESC(kmsg_bytes,
		 "NVRAM bytes one dump may use, as pstore's kmsg_bytes (default the kernel's, 10240)");

static bool test_hooks;
module_param(test_hooks, bool, 0444);
MODULE_PARM_DESC(test_hooks,
		 "allow lw_crash_test to hold the dump lock for good (crash tests only; default N)");

static unsigned int quota_bytes;
module_param(quota_bytes, uint, 0444);
MODULE_PARM_DESC(quota_bytes,
		 "most bytes of record data kept in NVRAM, oldest evicted first (0: no limit)");

static unsigned int quota_records;
module_param(quota_records, uint, 0444);
MODULE_PARM_DESC(quota_records,
		 "most records kept in NVRAM, oldest evicted first (0: no limit)");

unsigned int lw_efi_pstore_quota_bytes(void)
{
	return quota_bytes;
}

unsigned int lw_efi_pstore_quota_records(void)
{
	return quota_records;
}

unsigned int lw_efi_pstore_kmsg_bytes(void)
{
	return kmsg_bytes;
}

/*
 * Test hook for the crash matrix (lw_crash_test finds it with symbol_get()):
 * takes the dump lock and never gives it back, so that oopses are no longer
 * dumped. Refused (-EPERM) unless the module was loaded with test_hooks=1.
 * Process context.
 */
int lw_efi_pstore_hold_dump_lock(void)
{
	if (!test_hooks)
		return -EPERM;
	return lw_efi_pstore_rust_hold_dump_lock();
}
EXPORT_SYMBOL_GPL(lw_efi_pstore_hold_dump_lock);

unsigned int lw_efi_pstore_record_size(void)
{
	return record_size;
}

int lw_efi_pstore_max_reason(void)
{
	return max_reason;
}

bool lw_efi_pstore_enabled(void)
{
	return READ_ONCE(enabled);
}
