// SPDX-License-Identifier: GPL-2.0
/*
 * lw_efi_pstore's run-time switch and its exported test hook, with its own
 * copy of the lastwords C shims. The parameters set at load time are in
 * lastwords::module! (main.rs); `enabled` may change at run time through
 * sysfs, which module!'s parameters cannot, and only C exports symbols.
 */
#include <linux/compiler.h>
#include <linux/module.h>
#include <linux/moduleparam.h>

#include "lw_efi_pstore_params.h"
#include "../helpers.c"

static bool enabled = true;
module_param(enabled, bool, 0644);
MODULE_PARM_DESC(enabled, "store new records (Y) or drop them (N); may change at run time");

bool lw_efi_pstore_enabled(void)
{
	return READ_ONCE(enabled);
}

/*
 * Test hook for the crash matrix (lw_crash_test finds it with symbol_get()):
 * takes the dump lock and never gives it back, so that oopses are no longer
 * dumped. Refused (-EPERM) unless the module was loaded with test_hooks=1.
 * Process context.
 */
int lw_efi_pstore_hold_dump_lock(void)
{
	return lw_efi_pstore_rust_hold_dump_lock();
}
EXPORT_SYMBOL_GPL(lw_efi_pstore_hold_dump_lock);
