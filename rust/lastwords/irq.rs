// SPDX-License-Identifier: GPL-2.0

//! Interrupt state queries.

use super::ffi;

/// Returns whether interrupts are disabled on the current CPU.
pub fn irqs_disabled() -> bool {
    // SAFETY: `irqs_disabled()` only reads the CPU's flags register; it is
    // callable from any context.
    unsafe { ffi::lw_irqs_disabled() }
}

/// Returns the number of the CPU this code runs on.
///
/// Without preemption disabled the caller may migrate right after the call,
/// so the value is only a hint there (like C's `raw_smp_processor_id()`).
pub fn processor_id() -> u32 {
    // SAFETY: `raw_smp_processor_id()` reads a per-CPU variable and is
    // callable from any context.
    unsafe { ffi::lw_smp_processor_id() }
}
