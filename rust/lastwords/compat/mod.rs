// SPDX-License-Identifier: GPL-2.0

//! 6.12 only: what 7.x's kernel crate has and 6.12's lacks, under 7.x's names
//! and signatures, so that module code is the same on both kernels. Compiled
//! only under `--cfg lw_compat_6_12` (set by `Kbuild` from the tree's version);
//! [`super::upstream`] picks these or the kernel crate's.
//!
//! | here                | 7.x                                   |
//! |---------------------|---------------------------------------|
//! | [`spinlock_irq`]    | `kernel::sync::{SpinLockIrq, new_spinlock_irq}` |
//! | [`interrupt`]       | `kernel::interrupt::{local_interrupt_disable, LocalInterruptDisabled}` |
//! | [`module_param`]    | `module!`'s `params` (through `lastwords::module!`) |

pub mod interrupt;
pub mod module_param;
pub mod spinlock_irq;
