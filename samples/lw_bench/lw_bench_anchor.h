/* SPDX-License-Identifier: GPL-2.0 */
/* The C anchors that samples/lw_bench compares the Rust primitives with. */
#ifndef LW_BENCH_ANCHOR_H
#define LW_BENCH_ANCHOR_H

#include <linux/atomic.h>
#include <linux/spinlock.h>
#include <linux/types.h>

u64 lw_bench_c_spin_irqsave(u64 iters);
u64 lw_bench_c_trylock(atomic_t *lock, u64 iters);

#endif /* LW_BENCH_ANCHOR_H */
