// SPDX-License-Identifier: GPL-2.0

//! Kernel log dumpers (`kmsg_dump_register()`): a handler called by
//! `kmsg_dump()` on panic, oops, emergency restart and shutdown, in whatever
//! context the kernel is dying in (NMI included).

use core::marker::PhantomPinned;
use core::sync::atomic::{AtomicBool, Ordering};
use kernel::prelude::*;
use kernel::types::Opaque;

use crate::lastwords::bindings;

#[path = "../core/src/log_window.rs"]
pub mod log_window;

/// Why the log is being dumped (`enum kmsg_dump_reason`).
pub type Reason = u32;

/// A position in the kernel log for a dump: the lines not yet fetched.
/// It is a plain value, so a caller may save a copy and go back to it.
///
/// `kmsg_dump_get_buffer()` finds the newest lines that fit by reading every
/// record from the oldest not yet fetched up to the newest, twice (lengths,
/// line counts): each call costs the whole log. An iterator from
/// [`DumpIter::newest`] shows the kernel only a window of the newest records
/// and widens it as needed (the policy and its host tests:
/// `rust/core/src/log_window.rs`). Callers see the same lines as over the
/// whole log.
///
/// # Invariants
///
/// `floor <= raw.cur_seq` as set by this type (the kernel may move
/// `cur_seq` further up past records the ring buffer dropped).
#[derive(Clone, Copy)]
pub struct DumpIter {
    raw: bindings::kmsg_dump_iter,
    /// The start of the log when rewound: the window never goes below.
    floor: u64,
    /// Records exposed below `raw.next_seq` the last time the window moved.
    window: u64,
}

impl DumpIter {
    /// An iterator over the whole log (`kmsg_dump_rewind()`).
    pub fn rewind() -> Self {
        let mut raw = bindings::kmsg_dump_iter::default();
        // SAFETY: `raw` is a valid iterator to initialise; the function takes
        // the ring buffer's lockless reader path, allowed in any context.
        unsafe { bindings::kmsg_dump_rewind(&mut raw) };
        // INVARIANT: the floor is where the kernel put the start.
        Self {
            raw,
            floor: raw.cur_seq,
            window: u64::MAX,
        }
    }

    /// An iterator over the whole log that shows the kernel only the newest
    /// `records` records at first (at least one), and more as needed.
    pub fn newest(records: u64) -> Self {
        let mut it = Self::rewind();
        it.window = records.max(1);
        it.raw.cur_seq = it.window_start();
        it
    }

    /// The sequence numbers bounding the records the kernel is shown: the
    /// oldest and one past the newest not yet fetched.
    pub fn bounds(&self) -> (u64, u64) {
        (self.raw.cur_seq, self.raw.next_seq)
    }

    fn window_start(&self) -> u64 {
        log_window::start(self.raw.next_seq, self.window, self.floor)
    }

    /// Whether the last [`DumpIter::get_buffer`] took every line left: the
    /// log holds nothing older to fetch.
    pub fn exhausted(&self) -> bool {
        // A fetch that took all its window widens it to the floor first
        // (`get_buffer`): all of it taken there is all of the log.
        self.raw.next_seq <= self.raw.cur_seq
    }

    /// Fills `buf` with the newest whole lines not fetched yet, in syslog
    /// format (`<level>[time] text`), oldest first, and moves the iterator
    /// before them (`kmsg_dump_get_buffer()`). `None` when no line is left.
    pub fn get_buffer(&mut self, buf: &mut [u8]) -> Option<usize> {
        loop {
            let saved = self.raw;
            let mut len = 0usize;
            // A moved start is fine: the kernel clamps it to the records it
            // still holds.
            // SAFETY: `buf` is writable for its length; `self.raw` came from
            // `kmsg_dump_rewind()`; lockless, any context.
            let more = unsafe {
                bindings::kmsg_dump_get_buffer(
                    &mut self.raw,
                    true,
                    buf.as_mut_ptr().cast(),
                    buf.len(),
                    &mut len,
                )
            };
            // The window was empty, or all of it fit: older records might
            // have fit too. Widen it and fetch again; each round lowers the
            // start, down to the floor, so this ends.
            let took_all = !more || self.raw.next_seq <= self.raw.cur_seq;
            if let Some(w) = log_window::widen(saved.cur_seq, self.floor, took_all, self.window) {
                self.raw = saved;
                self.window = w;
                // INVARIANT: `window_start()` is at least `floor`.
                self.raw.cur_seq = self.window_start();
                continue;
            }
            return (more && len <= buf.len()).then_some(len);
        }
    }
}

/// The name of a dump reason ("Panic", "Oops", ...), as pstore prints it.
pub fn reason_str(reason: Reason) -> &'static CStr {
    // SAFETY: `kmsg_dump_reason_str()` returns a static string for any
    // value, "Unknown" for those it does not know.
    unsafe { CStr::from_char_ptr(bindings::kmsg_dump_reason_str(reason)) }
}

/// A kernel log dump handler.
///
/// # Examples
///
/// A handler that stores the newest lines of the log, from a buffer
/// allocated at load (a dump that finds it held gives up):
///
/// ```ignore
/// use crate::lastwords::kmsg_dump::{DumpHandler, DumpIter, Reason};
///
/// struct LogDump {
///     buf: CrashLock<KVec<u8>>,
/// }
///
/// impl DumpHandler for LogDump {
///     fn dump(&self, reason: Reason) {
///         let Some(mut buf) = self.buf.try_lock_here() else {
///             return;
///         };
///         let mut iter = DumpIter::newest(64);
///         if let Some(n) = iter.get_buffer(&mut buf[..]) {
///             store(reason, buf.get(..n).unwrap_or(&[]));
///         }
///     }
/// }
/// ```
pub trait DumpHandler: Sync {
    /// Dumps the log. Called by `kmsg_dump()` in the context of the failure
    /// (task, softirq, hardirq or NMI), with other CPUs possibly stopped: no
    /// allocation, no sleeping, trylocks only.
    fn dump(&self, reason: Reason);
}

/// A registered dumper; unregistered when dropped.
///
/// # Examples
///
/// ```ignore
/// use crate::lastwords::kmsg_dump::Dumper;
/// use crate::lastwords::pstore::reason;
///
/// // Panics and oopses (`max_reason`); keep `dumper` in the module's data.
/// let dumper = KBox::pin_init(Dumper::new(LogDump::new()?, reason::OOPS), GFP_KERNEL)?;
/// dumper.as_ref().register()?;
/// ```
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
    let this = unsafe {
        &*kernel::container_of!(raw.cast::<Opaque<bindings::kmsg_dumper>>(), Dumper<T>, raw)
    };
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
