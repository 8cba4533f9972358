// SPDX-License-Identifier: GPL-2.0
/*
 * C anchors for the lastwords microbenchmarks: the same loops as the Rust
 * side, written the way C kernel code writes them. Each returns the elapsed
 * nanoseconds.
 */
#include <linux/compiler.h>
#include <linux/errno.h>
#include <linux/llist.h>
#include <linux/overflow.h>
#include <linux/string.h>
#include <linux/timekeeping.h>
#include <linux/vmalloc.h>

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

/*
 * The C floor of the APEI error status queue's enqueue (apei_queue.rs): what
 * the NMI path of a C driver does at least, llist_add() of a preallocated
 * node after a memcpy() of the record into it (ghes.c does the same with a
 * gen_pool node).
 */
struct lw_bench_c_node {
	struct llist_node llnode;
	size_t len;
	u8 data[];
};

static struct lw_bench_c_node *nodes[LW_BENCH_C_FLOOR_NODES];

void lw_bench_c_floor_free(void)
{
	int i;

	for (i = 0; i < LW_BENCH_C_FLOOR_NODES; i++) {
		vfree(nodes[i]);
		nodes[i] = NULL;
	}
}

int lw_bench_c_floor_init(void)
{
	int i;

	for (i = 0; i < LW_BENCH_C_FLOOR_NODES; i++) {
		nodes[i] = vzalloc(struct_size(nodes[i], data, LW_BENCH_C_FLOOR_MAX));
		if (!nodes[i]) {
			lw_bench_c_floor_free();
			return -ENOMEM;
		}
	}
	return 0;
}

/*
 * rounds x LW_BENCH_C_FLOOR_NODES enqueues of len bytes from src; the drain
 * (llist_del_all()) is outside the timed region. Returns the nanoseconds.
 */
u64 lw_bench_c_floor_run(const void *src, size_t len, u64 rounds)
{
	LLIST_HEAD(head);
	u64 r, ns = 0;
	int i;

	if (len > LW_BENCH_C_FLOOR_MAX || !nodes[0])
		return 0;
	for (r = 0; r < rounds; r++) {
		u64 t0 = ktime_get_ns();

		for (i = 0; i < LW_BENCH_C_FLOOR_NODES; i++) {
			memcpy(nodes[i]->data, src, len);
			nodes[i]->len = len;
			llist_add(&nodes[i]->llnode, &head);
		}
		ns += ktime_get_ns() - t0;
		/* Keep the stores: the consumer would read them. */
		barrier();
		llist_del_all(&head);
	}
	return ns;
}
