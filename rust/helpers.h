/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Prototypes of the C shims that Rust calls: each wraps a C macro or static
 * inline function that bindgen cannot turn into a callable symbol. The Rust
 * declarations are in rust/lastwords/ffi.rs.
 */
#ifndef LASTWORDS_HELPERS_H
#define LASTWORDS_HELPERS_H

#include <linux/irq_work.h>
#include <linux/spinlock.h>
#include <linux/types.h>

bool lw_irqs_disabled(void);
unsigned int lw_smp_processor_id(void);
bool lw_in_nmi(void);
bool lw_in_hardirq(void);
bool lw_in_serving_softirq(void);
bool lw_in_task(void);

unsigned long lw_spin_lock_irqsave(spinlock_t *lock);
bool lw_spin_trylock_irqsave(spinlock_t *lock, unsigned long *flags);
void lw_spin_unlock_irqrestore(spinlock_t *lock, unsigned long flags);

void lw_init_irq_work_hard(struct irq_work *work,
			   void (*func)(struct irq_work *work));

void lw_send_nmi_self(void);

#endif /* LASTWORDS_HELPERS_H */
