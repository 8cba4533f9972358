/* SPDX-License-Identifier: GPL-2.0 */
/* lw_apei_test's C side: its module parameter. */
#ifndef LW_APEI_TEST_ANCHOR_H
#define LW_APEI_TEST_ANCHOR_H

unsigned int lw_apei_test_panic_on_fatal(void);

#endif /* LW_APEI_TEST_ANCHOR_H */
