// SPDX-License-Identifier: GPL-2.0

//! Which context the current code runs in.

use super::bindings;

/// The execution context of the current code, innermost first.
///
/// # Examples
///
/// A handler that counts runs in a context it did not expect, and a log line
/// that names the context:
///
/// ```ignore
/// use crate::lastwords::context::Context;
///
/// impl IrqWorkHandler for ChainIrq {
///     fn run(&self) {
///         if Context::current() != Context::Hardirq {
///             WRONG_CONTEXT.fetch_add(1, Ordering::Relaxed);
///         }
///         pr_emerg!("in {} context\n", Context::current().name());
///     }
/// }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Context {
    /// Non-maskable interrupt.
    Nmi,
    /// Hard interrupt (including hard `irq_work`).
    Hardirq,
    /// Serving a softirq (timers, tasklets, ...).
    Softirq,
    /// Process context (possibly with preemption, bottom halves or interrupts
    /// disabled).
    Task,
    /// Anything else: bottom halves disabled outside of softirq service.
    Other,
}

impl Context {
    /// The context of the caller.
    pub fn current() -> Self {
        // SAFETY: These shims only read the CPU's `preempt_count`; they are
        // callable from any context.
        unsafe {
            if bindings::lw_in_nmi() {
                Context::Nmi
            } else if bindings::lw_in_hardirq() {
                Context::Hardirq
            } else if bindings::lw_in_serving_softirq() {
                Context::Softirq
            } else if bindings::lw_in_task() {
                Context::Task
            } else {
                Context::Other
            }
        }
    }

    /// A short lowercase name ("nmi", "hardirq", ...).
    pub fn name(self) -> &'static str {
        match self {
            Context::Nmi => "nmi",
            Context::Hardirq => "hardirq",
            Context::Softirq => "softirq",
            Context::Task => "task",
            Context::Other => "other",
        }
    }
}

/// Turns lock debugging (lockdep) off for good, as `panic()` itself does
/// right after the panic dump because lock state is unreliable once the other
/// CPUs were stopped. Returns whether it was on.
///
/// Only for the panicking CPU, when the dump must call C APIs that lockdep
/// rightly calls NMI-unsafe because there is no other way (the caller says so
/// in the log).
pub fn debug_locks_off() -> bool {
    // SAFETY: `debug_locks_off()` clears a global flag with an atomic
    // exchange; callable from any context.
    unsafe { bindings::debug_locks_off() != 0 }
}

/// Returns whether interrupts are disabled on the current CPU.
pub fn irqs_disabled() -> bool {
    // SAFETY: `irqs_disabled()` only reads the CPU's flags; callable anywhere.
    unsafe { bindings::lw_irqs_disabled() }
}

/// Returns the number of the CPU this code runs on.
///
/// Without preemption disabled the caller may migrate right after the call,
/// so the value is then only a hint (like C's `raw_smp_processor_id()`).
pub fn processor_id() -> u32 {
    // SAFETY: `raw_smp_processor_id()` reads a per-CPU variable; callable
    // anywhere.
    unsafe { bindings::lw_smp_processor_id() }
}

/// The kernel's `cpu_relax()`, for busy-wait loops: x86's `PAUSE`, arm64's
/// `YIELD` (Rust's `spin_loop()` is `ISB` there). Under single-threaded TCG
/// both hand the host thread to the next vCPU, as a spinning CPU would let
/// the others run on real hardware.
pub fn cpu_relax() {
    // SAFETY: `cpu_relax()` is a hint instruction (and a compiler barrier);
    // callable in any context.
    unsafe { bindings::lw_cpu_relax() }
}
