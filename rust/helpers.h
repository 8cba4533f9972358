/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Prototypes of the C shims that Rust calls: each wraps a C macro or static
 * inline function that bindgen cannot turn into a callable symbol.
 */
#ifndef LASTWORDS_HELPERS_H
#define LASTWORDS_HELPERS_H

#include <linux/types.h>

bool lw_irqs_disabled(void);
unsigned int lw_smp_processor_id(void);

#endif /* LASTWORDS_HELPERS_H */
