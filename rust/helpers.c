// SPDX-License-Identifier: GPL-2.0
/*
 * C shims for the Rust building blocks in rust/lastwords/. Each module that
 * uses them compiles this file once through its own *_helpers.c wrapper, so
 * that every object belongs to exactly one module.
 */
#include <linux/irqflags.h>
#include <linux/smp.h>

#include "helpers.h"

bool lw_irqs_disabled(void)
{
	return irqs_disabled();
}

unsigned int lw_smp_processor_id(void)
{
	return raw_smp_processor_id();
}
