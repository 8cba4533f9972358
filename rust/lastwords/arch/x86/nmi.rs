// SPDX-License-Identifier: GPL-2.0

//! x86 NMI handler registration (`register_nmi_handler()` /
//! `unregister_nmi_handler()`) and the APIC self-NMI, for
//! [`crate::lastwords::nmi`].
//!
//! The C handler type has no data argument, so each handler type names a
//! static [`NmiSlot`](crate::lastwords::nmi::NmiSlot) through which the C trampoline finds the registered
//! instance. A registration publishes its handler there before registering
//! and withdraws it after unregistering; `unregister_nmi_handler()` waits for
//! running handlers (RCU), so a handler never outlives its registration.

use crate::lastwords::bindings;
use crate::lastwords::nmi::{NmiHandler, NmiKind, NmiResult};
use core::ffi::c_void;
use core::marker::PhantomPinned;
use core::pin::Pin;
use core::sync::atomic::{AtomicBool, Ordering};
use kernel::prelude::*;
use kernel::str::CStr;
use kernel::types::Opaque;

/// x86 has NMIs: registrations and self-NMIs work.
pub const SUPPORTED: bool = true;
/// Why NMIs are not supported (never, on x86).
pub const UNSUPPORTED: &str = "";

fn kind_raw(kind: NmiKind) -> kernel::ffi::c_uint {
    match kind {
        NmiKind::Local => bindings::NMI_LOCAL,
        NmiKind::Unknown => bindings::NMI_UNKNOWN,
    }
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
            bindings::__register_nmi_handler(kind_raw(self.kind), action)
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
            unsafe {
                bindings::unregister_nmi_handler(kind_raw(self.kind), self.name.as_char_ptr())
            };
            H::slot().0.store(core::ptr::null_mut(), Ordering::Release);
        }
    }
}

/// Sends an NMI to the current CPU (x86 self-IPI with the NMI vector).
pub fn send_nmi_to_self() -> Result {
    // SAFETY: Sending an IPI to self is allowed in any context where the
    // local APIC is up, which it is once modules load.
    unsafe { bindings::lw_send_nmi_self() };
    Ok(())
}
