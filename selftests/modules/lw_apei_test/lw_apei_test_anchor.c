// SPDX-License-Identifier: GPL-2.0
/* lw_apei_test's module parameter, validated by the Rust side at load. */
#include <linux/module.h>
#include <linux/moduleparam.h>

#include "lw_apei_test_anchor.h"

static unsigned int panic_on_fatal;
module_param(panic_on_fatal, uint, 0444);
MODULE_PARM_DESC(panic_on_fatal,
		 "panic on a fatal error record: 0 report only (default), 1 panic");

unsigned int lw_apei_test_panic_on_fatal(void)
{
	return panic_on_fatal;
}
