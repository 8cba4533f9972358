// SPDX-License-Identifier: GPL-2.0

//! Declarations of the C shims in `rust/helpers.c` (prototypes in
//! `rust/helpers.h`). Only the wrappers in this directory call them.

extern "C" {
    /// `irqs_disabled()`.
    pub(crate) fn lw_irqs_disabled() -> bool;
    /// `raw_smp_processor_id()`.
    pub(crate) fn lw_smp_processor_id() -> core::ffi::c_uint;
}
