// SPDX-License-Identifier: GPL-2.0

//! x86 NMI handler registration (`register_nmi_handler()` /
//! `unregister_nmi_handler()`).
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

use super::bindings;
use core::ffi::c_void;
use core::marker::PhantomPinned;
use core::pin::Pin;
use core::sync::atomic::{AtomicBool, AtomicPtr, Ordering};
use kernel::prelude::*;
use kernel::str::CStr;
use kernel::types::Opaque;

/// Which NMI chain a handler is on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NmiKind {
    /// `NMI_LOCAL`: NMIs of this CPU (IPIs, perf, QEMU's `nmi`), asked
    /// first.
    Local,
    /// `NMI_UNKNOWN`: asked when no local handler claimed the NMI.
    Unknown,
}

impl NmiKind {
    fn raw(self) -> kernel::ffi::c_uint {
        match self {
            NmiKind::Local => bindings::NMI_LOCAL,
            NmiKind::Unknown => bindings::NMI_UNKNOWN,
        }
    }
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
pub struct NmiSlot(AtomicPtr<c_void>);

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

/// The C handler: finds the registered instance of `H` and runs it.
extern "C" fn handle_trampoline<H: NmiHandler>(
    _kind: kernel::ffi::c_uint,
    _regs: *mut bindings::pt_regs,
) -> kernel::ffi::c_int {
    let p = H::slot().0.load(Ordering::Acquire).cast::<H>();
    if p.is_null() {
        return bindings::NMI_DONE as kernel::ffi::c_int;
    }
    // SAFETY: A non-null slot points at the handler of a live, pinned
    // registration: it is published before registering and cleared only after
    // `unregister_nmi_handler()` waited for running handlers.
    let h = unsafe { &*p };
    match h.handle() {
        NmiResult::NotMine => bindings::NMI_DONE as kernel::ffi::c_int,
        NmiResult::Handled => bindings::NMI_HANDLED as kernel::ffi::c_int,
    }
}

/// An NMI handler of type `H`, registered by [`NmiRegistration::register`]
/// and unregistered when dropped.
///
/// # Examples
///
/// ```ignore
/// use crate::lastwords::nmi::{NmiKind, NmiRegistration};
///
/// let nmi = KBox::pin_init(
///     NmiRegistration::new(
///         NmiKind::Local,
///         c_str!("my_module"),
///         pin_init!(ChainNmi {
///             irq <- IrqWork::new(Kick { work }),
///         }),
///     ),
///     GFP_KERNEL,
/// )?;
/// nmi.as_ref().register()?;
/// // Keep `nmi` in the module's data, dropped before what its handler uses.
/// ```
///
/// # Invariants
///
/// While `registered` is true, `action` is on the kernel's NMI list of `kind`
/// and `H::slot()` points at `handler`.
#[pin_data(PinnedDrop)]
pub struct NmiRegistration<H: NmiHandler> {
    #[pin]
    action: Opaque<bindings::nmiaction>,
    #[pin]
    _pin: PhantomPinned,
    kind: NmiKind,
    name: &'static CStr,
    registered: AtomicBool,
    #[pin]
    handler: H,
}

// SAFETY: The registration is used from process context (register/drop) and
// its handler, `H: Sync`, from NMI context on any CPU.
unsafe impl<H: NmiHandler + Send> Send for NmiRegistration<H> {}
// SAFETY: As above.
unsafe impl<H: NmiHandler> Sync for NmiRegistration<H> {}

impl<H: NmiHandler> NmiRegistration<H> {
    /// An unregistered handler. `name` must be unique on the `kind` chain
    /// (the kernel unregisters by name).
    pub fn new(kind: NmiKind, name: &'static CStr, handler: impl PinInit<H>) -> impl PinInit<Self> {
        pin_init!(Self {
            action: Opaque::uninit(),
            _pin: PhantomPinned,
            kind,
            name,
            registered: AtomicBool::new(false),
            handler <- handler,
        })
    }

    /// Publishes the handler and puts it on the NMI chain. `EBUSY` if another
    /// instance of `H` is registered, or this one already is.
    pub fn register(self: Pin<&Self>) -> Result {
        let me = core::ptr::from_ref(&self.handler)
            .cast_mut()
            .cast::<c_void>();
        H::slot()
            .0
            .compare_exchange(
                core::ptr::null_mut(),
                me,
                Ordering::AcqRel,
                Ordering::Acquire,
            )
            .map_err(|_| EBUSY)?;
        let action = self.action.get();
        // SAFETY: `action` is pinned and not on any list (not registered:
        // the slot was free), so it may be written; the list head is made
        // empty as `__register_nmi_handler()` requires.
        let ret = unsafe {
            let list = core::ptr::addr_of_mut!((*action).list);
            (*list).next = list;
            (*list).prev = list;
            (*action).handler = Some(handle_trampoline::<H>);
            (*action).max_duration = 0;
            (*action).flags = 0;
            (*action).name = self.name.as_char_ptr();
            bindings::__register_nmi_handler(self.kind.raw(), action)
        };
        if ret != 0 {
            H::slot().0.store(core::ptr::null_mut(), Ordering::Release);
            return Err(Error::from_errno(ret));
        }
        // INVARIANT: on the list, slot published.
        self.registered.store(true, Ordering::Release);
        Ok(())
    }

    /// The handler.
    pub fn handler(&self) -> &H {
        &self.handler
    }
}

#[pinned_drop]
impl<H: NmiHandler> PinnedDrop for NmiRegistration<H> {
    fn drop(self: Pin<&mut Self>) {
        if self.registered.load(Ordering::Acquire) {
            // SAFETY: Registered under `name` on `kind` (type invariant).
            // `unregister_nmi_handler()` waits for running handlers.
            unsafe { bindings::unregister_nmi_handler(self.kind.raw(), self.name.as_char_ptr()) };
            H::slot().0.store(core::ptr::null_mut(), Ordering::Release);
        }
    }
}

/// Sends an NMI to the current CPU (x86 self-IPI with the NMI vector).
pub fn send_nmi_to_self() {
    // SAFETY: Sending an IPI to self is allowed in any context where the
    // local APIC is up, which it is once modules load.
    unsafe { bindings::lw_send_nmi_self() }
}
