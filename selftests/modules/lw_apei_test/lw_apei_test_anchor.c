// SPDX-License-Identifier: GPL-2.0
/*
 * lw_apei_test's module parameter (validated by the Rust side at load) and
 * the C floor of the enqueue benchmark: what the NMI path of a C driver does
 * at least, llist_add() of a preallocated node after a memcpy() of the
 * record into it (ghes.c does the same with a gen_pool node).
 */
#include <linux/compiler.h>
#include <linux/llist.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/overflow.h>
#include <linux/string.h>
#include <linux/timekeeping.h>
#include <linux/vmalloc.h>

#include "lw_apei_test_anchor.h"

static unsigned int panic_on_fatal;
module_param(panic_on_fatal, uint, 0444);
MODULE_PARM_DESC(panic_on_fatal,
		 "panic on a fatal error record: 0 report only (default), 1 panic");

unsigned int lw_apei_test_panic_on_fatal(void)
{
	return panic_on_fatal;
}

struct lw_apei_c_node {
	struct llist_node llnode;
	size_t len;
	u8 data[];
};

static struct lw_apei_c_node *nodes[LW_APEI_C_NODES];

void lw_apei_c_floor_free(void)
{
	int i;

	for (i = 0; i < LW_APEI_C_NODES; i++) {
		vfree(nodes[i]);
		nodes[i] = NULL;
	}
}

int lw_apei_c_floor_init(void)
{
	int i;

	for (i = 0; i < LW_APEI_C_NODES; i++) {
		nodes[i] = vzalloc(struct_size(nodes[i], data, LW_APEI_C_MAX));
		if (!nodes[i]) {
			lw_apei_c_floor_free();
			return -ENOMEM;
		}
	}
	return 0;
}

/*
 * rounds x LW_APEI_C_NODES enqueues of len bytes from src; the drain
 * (llist_del_all()) is outside the timed region. Returns the nanoseconds.
 */
u64 lw_apei_c_floor_run(const void *src, size_t len, u64 rounds)
{
	LLIST_HEAD(head);
	u64 r, ns = 0;
	int i;

	if (len > LW_APEI_C_MAX || !nodes[0])
		return 0;
	for (r = 0; r < rounds; r++) {
		u64 t0 = ktime_get_ns();

		for (i = 0; i < LW_APEI_C_NODES; i++) {
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
