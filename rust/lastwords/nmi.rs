// SPDX-License-Identifier: GPL-2.0

//! NMI handlers: what a handler is ([`NmiHandler`]) and where the kernel
//! finds it ([`NmiSlot`]), on every architecture; registering one
//! ([`NmiRegistration`]) and raising an NMI ([`send_nmi_to_self`]) are the
//! architecture's ([`super::arch`]): x86's `register_nmi_handler()` and APIC
//! self-IPI; on arm64, whose Debian kernel has no pseudo-NMI, [`SUPPORTED`]
//! is false and both say `ENODEV`.
//!
//! NMI handlers run with nothing masked and may interrupt any code, including
//! code holding any lock: a handler must not take locks (other than
//! [`crate::lastwords::crash_lock`] tries), allocate, sleep or call most of
//! the kernel. It claims an NMI ([`NmiResult::Handled`]) only when it knows
//! the NMI is its own; otherwise the kernel's "unknown NMI" handling must see
//! it. To leave NMI context, queue an [`crate::lastwords::irq_work::IrqWork`].
//!
//! The C handler type has no data argument, so each handler type names a
//! static [`NmiSlot`] through which the C trampoline finds the registered
//! instance. A registration publishes its handler there before registering
//! and withdraws it after unregistering; `unregister_nmi_handler()` waits for
//! running handlers (RCU), so a handler never outlives its registration.

use core::ffi::c_void;
use core::sync::atomic::AtomicPtr;

pub use super::arch::nmi::{send_nmi_to_self, NmiRegistration, SUPPORTED, UNSUPPORTED};

/// Which NMI chain a handler is on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NmiKind {
    /// `NMI_LOCAL`: NMIs of this CPU (IPIs, perf, QEMU's `nmi`), asked
    /// first.
    Local,
    /// `NMI_UNKNOWN`: asked when no local handler claimed the NMI.
    Unknown,
}

/// What a handler says about an NMI.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NmiResult {
    /// Not ours (`NMI_DONE`).
    NotMine,
    /// Ours, handled (`NMI_HANDLED`).
    Handled,
}

/// Where the C trampoline finds the registered instance of a handler type.
/// Declare one `static` per handler type.
///
/// # Examples
///
/// ```ignore
/// static NMI_SLOT: NmiSlot = NmiSlot::new();
///
/// impl NmiHandler for ChainNmi {
///     fn slot() -> &'static NmiSlot {
///         &NMI_SLOT
///     }
///     // ...
/// }
/// ```
///
/// # Invariants
///
/// The pointer is null, or points at the pinned `handler` of a live
/// [`NmiRegistration<H>`] for a handler type `H` whose `H::slot()` is this
/// slot: that registration's [`NmiRegistration::register`] sets it (only if
/// it was null) before putting its action on the NMI chain, and it is
/// cleared only after the action came off the chain again,
/// `unregister_nmi_handler()` having waited for running handlers. So while
/// an action is on the chain, its type's slot points at its handler.
pub struct NmiSlot(
    // Read by the architecture's registration; arm64 has none (see
    // `super::arch`), so there it is never read.
    #[allow(dead_code)] pub(crate) AtomicPtr<c_void>,
);

impl NmiSlot {
    /// An empty slot.
    pub const fn new() -> Self {
        Self(AtomicPtr::new(core::ptr::null_mut()))
    }
}

impl Default for NmiSlot {
    fn default() -> Self {
        Self::new()
    }
}

/// An NMI handler. Runs in NMI context: no locks, no allocation, no sleeping.
///
/// # Examples
///
/// A handler that claims NMIs only while armed, and leaves NMI context
/// through an [`IrqWork`](crate::lastwords::irq_work::IrqWork):
///
/// ```ignore
/// #[pin_data]
/// struct ChainNmi {
///     #[pin]
///     irq: IrqWork<Kick>,
/// }
///
/// static NMI_SLOT: NmiSlot = NmiSlot::new();
///
/// impl NmiHandler for ChainNmi {
///     fn slot() -> &'static NmiSlot {
///         &NMI_SLOT
///     }
///
///     fn handle(&self) -> NmiResult {
///         if !ARMED.load(Ordering::Acquire) {
///             return NmiResult::NotMine; // the kernel's unknown-NMI handling
///         }
///         self.irq.queue();
///         NmiResult::Handled
///     }
/// }
/// ```
pub trait NmiHandler: Sync + Sized + 'static {
    /// The static slot of this handler type.
    fn slot() -> &'static NmiSlot;

    /// Handles one NMI on the current CPU.
    fn handle(&self) -> NmiResult;
}
