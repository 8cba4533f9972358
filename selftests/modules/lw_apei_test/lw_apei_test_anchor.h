/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lw_apei_test's C side: its module parameter, and the C floor that the
 * enqueue benchmark compares the Rust error status queue with.
 */
#ifndef LW_APEI_TEST_ANCHOR_H
#define LW_APEI_TEST_ANCHOR_H

#include <linux/types.h>

/* Preallocated nodes of the C floor, and their largest payload. */
#define LW_APEI_C_NODES 16
#define LW_APEI_C_MAX (64 * 1024)

unsigned int lw_apei_test_panic_on_fatal(void);
int lw_apei_c_floor_init(void);
void lw_apei_c_floor_free(void);
u64 lw_apei_c_floor_run(const void *src, size_t len, u64 rounds);

#endif /* LW_APEI_TEST_ANCHOR_H */
