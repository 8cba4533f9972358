/* SPDX-License-Identifier: GPL-2.0 */
/* The C anchors that samples/lw_bench compares the Rust primitives with. */
#ifndef LW_BENCH_ANCHOR_H
#define LW_BENCH_ANCHOR_H

#include <linux/atomic.h>
#include <linux/spinlock.h>
#include <linux/types.h>

u64 lw_bench_c_spin_irqsave(u64 iters);
u64 lw_bench_c_trylock(atomic_t *lock, u64 iters);

/* Preallocated nodes of the APEI enqueue's C floor, and their largest payload. */
#define LW_BENCH_C_FLOOR_NODES 16
#define LW_BENCH_C_FLOOR_MAX (64 * 1024)

int lw_bench_c_floor_init(void);
void lw_bench_c_floor_free(void);
u64 lw_bench_c_floor_run(const void *src, size_t len, u64 rounds);

#endif /* LW_BENCH_ANCHOR_H */
