// SPDX-License-Identifier: GPL-2.0
/*
 * C anchors for the lastwords microbenchmarks: the same loops as the Rust
 * side, written the way C kernel code writes them. Each returns the elapsed
 * nanoseconds.
 */
#include <linux/timekeeping.h>

#include "lw_bench_anchor.h"

static DEFINE_SPINLOCK(lw_bench_c_lock);

u64 lw_bench_c_spin_irqsave(u64 iters)
{
	unsigned long flags;
	u64 i, t0 = ktime_get_ns();

	for (i = 0; i < iters; i++) {
		spin_lock_irqsave(&lw_bench_c_lock, flags);
		spin_unlock_irqrestore(&lw_bench_c_lock, flags);
	}
	return ktime_get_ns() - t0;
}

/* kexec_trylock() / kexec_unlock() from kernel/kexec_internal.h. */
u64 lw_bench_c_trylock(atomic_t *lock, u64 iters)
{
	u64 i, t0 = ktime_get_ns();

	for (i = 0; i < iters; i++) {
		int old = 0;

		if (atomic_try_cmpxchg_acquire(lock, &old, 1))
			atomic_set_release(lock, 0);
	}
	return ktime_get_ns() - t0;
}
