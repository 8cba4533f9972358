/* SPDX-License-Identifier: GPL-2.0 */
/*
 * C APIs that the 6.12 kernel crate's bindings lack. scripts/bindgen.sh turns
 * the allowlisted parts of these headers into rust/lastwords/bindings_generated.rs
 * with the kernel tree's own bindgen flags.
 */
#include <linux/debug_locks.h>
#include <linux/debugfs.h>
#include <linux/efi.h>
#include <linux/irq_work.h>
#include <linux/kmsg_dump.h>
#include <linux/panic_notifier.h>
#include <linux/pstore.h>
#include <linux/zlib.h>
#ifdef CONFIG_X86
#include <asm/nmi.h>
#endif

#include "helpers.h"
#include "../samples/lw_bench/lw_bench_anchor.h"
#include "efi_pstore/lw_efi_pstore_params.h"
