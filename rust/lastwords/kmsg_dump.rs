// SPDX-License-Identifier: GPL-2.0

//! Kernel log dumpers (`kmsg_dump_register()`): a handler called by
//! `kmsg_dump()` on panic, oops, emergency restart and shutdown, in whatever
//! context the kernel is dying in (NMI included).

use core::marker::PhantomPinned;
use core::sync::atomic::{AtomicBool, Ordering};
use kernel::prelude::*;
use kernel::types::Opaque;

use crate::lastwords::bindings;

/// Why the log is being dumped (`enum kmsg_dump_reason`).
pub type Reason = u32;

/// A position in the kernel log for a dump: the lines not yet fetched.
/// It is a plain value, so a caller may save a copy and go back to it.
#[derive(Clone, Copy)]
pub struct DumpIter(bindings::kmsg_dump_iter);

impl DumpIter {
    /// An iterator over the whole log (`kmsg_dump_rewind()`).
    pub fn rewind() -> Self {
        let mut it = bindings::kmsg_dump_iter::default();
        // SAFETY: `it` is a valid iterator to initialise; the function takes
        // the ring buffer's lockless reader path, allowed in any context.
        unsafe { bindings::kmsg_dump_rewind(&mut it) };
        Self(it)
    }

    /// Fills `buf` with the newest whole lines not fetched yet, in syslog
    /// format (`<level>[time] text`), oldest first, and moves the iterator
    /// before them (`kmsg_dump_get_buffer()`). `None` when no line is left.
    pub fn get_buffer(&mut self, buf: &mut [u8]) -> Option<usize> {
        let mut len = 0usize;
        // SAFETY: `buf` is valid for `buf.len()` bytes of writes; `self.0`
        // came from `kmsg_dump_rewind()`; lockless, any context.
        let more = unsafe {
            bindings::kmsg_dump_get_buffer(
                &mut self.0,
                true,
                buf.as_mut_ptr().cast(),
                buf.len(),
                &mut len,
            )
        };
        (more && len <= buf.len()).then_some(len)
    }
}

/// The name of a dump reason ("Panic", "Oops", ...), as pstore prints it.
pub fn reason_str(reason: Reason) -> &'static CStr {
    // SAFETY: `kmsg_dump_reason_str()` returns a static string for any
    // value, "Unknown" for those it does not know.
    unsafe { CStr::from_char_ptr(bindings::kmsg_dump_reason_str(reason)) }
}

/// A kernel log dump handler.
pub trait DumpHandler: Sync {
    /// Dumps the log. Called by `kmsg_dump()` in the context of the failure
    /// (task, softirq, hardirq or NMI), with other CPUs possibly stopped: no
    /// allocation, no sleeping, trylocks only.
    fn dump(&self, reason: Reason);
}

/// A registered dumper; unregistered when dropped.
///
/// # Invariants
///
/// While `registered` is true, `raw` is on the kernel's dumper list and its
/// callback finds `handler` through `container_of`.
#[pin_data(PinnedDrop)]
pub struct Dumper<T: DumpHandler> {
    #[pin]
    raw: Opaque<bindings::kmsg_dumper>,
    #[pin]
    _pin: PhantomPinned,
    registered: AtomicBool,
    handler: T,
}

// SAFETY: Registered and dropped from process context; the handler, `T: Sync`,
// runs in any context on any CPU.
unsafe impl<T: DumpHandler + Send> Send for Dumper<T> {}
// SAFETY: As above.
unsafe impl<T: DumpHandler> Sync for Dumper<T> {}

/// The C callback: finds the [`Dumper`] around `raw` and runs its handler.
///
/// # Safety
///
/// `raw` must be the `raw` field of a registered [`Dumper<T>`], and `detail`
/// valid for reads; the kernel's `kmsg_dump_desc()` guarantees both.
unsafe extern "C" fn dump_trampoline<T: DumpHandler>(
    raw: *mut bindings::kmsg_dumper,
    detail: *mut bindings::kmsg_dump_detail,
) {
    // SAFETY: `raw` is the `raw` field of a registered, pinned `Dumper<T>`
    // (type invariant): the kernel calls back only registered dumpers, and
    // unregistering waits (RCU) for running callbacks.
    let this = unsafe { &*kernel::container_of!(raw, Dumper<T>, raw) };
    // SAFETY: `kmsg_dump_desc()` passes a valid detail for the call.
    let reason = unsafe { (*detail).reason };
    this.handler.dump(reason);
}

impl<T: DumpHandler> Dumper<T> {
    /// An unregistered dumper for reasons up to `max_reason`.
    pub fn new(handler: T, max_reason: Reason) -> impl PinInit<Self> {
        let raw = bindings::kmsg_dumper {
            dump: Some(dump_trampoline::<T>),
            max_reason,
            ..Default::default()
        };
        pin_init!(Self {
            raw: Opaque::new(raw),
            _pin: PhantomPinned,
            registered: AtomicBool::new(false),
            handler,
        })
    }

    /// Puts the dumper on the kernel's list (`EBUSY` if it already is).
    pub fn register(self: Pin<&Self>) -> Result {
        if self.registered.load(Ordering::Acquire) {
            return Err(EBUSY);
        }
        // SAFETY: `raw` is pinned, initialised with a callback, and not on
        // the list.
        kernel::error::to_result(unsafe { bindings::kmsg_dump_register(self.raw.get()) })?;
        // INVARIANT: on the list now.
        self.registered.store(true, Ordering::Release);
        Ok(())
    }

    /// The handler.
    pub fn handler(&self) -> &T {
        &self.handler
    }
}

#[pinned_drop]
impl<T: DumpHandler> PinnedDrop for Dumper<T> {
    fn drop(self: Pin<&mut Self>) {
        if self.registered.load(Ordering::Acquire) {
            // SAFETY: On the list (type invariant); `kmsg_dump_unregister()`
            // removes it and waits for running callbacks (synchronize_rcu).
            unsafe { bindings::kmsg_dump_unregister(self.raw.get()) };
        }
    }
}
