// SPDX-License-Identifier: GPL-2.0

//! Tasklets: a callback in softirq context (`TASKLET_SOFTIRQ`).

use super::bindings;
use core::marker::PhantomPinned;
use core::pin::Pin;
use kernel::prelude::*;
use kernel::types::Opaque;

/// The callback of a [`Tasklet`]. Runs in softirq context: it must not
/// sleep.
pub trait TaskletHandler: Sync {
    /// Called once per [`Tasklet::schedule`] that found it idle.
    fn run(&self);
}

/// A tasklet that calls `T::run` on its embedded `T`; killed (waited for and
/// never run again) when dropped.
///
/// # Examples
///
/// ```ignore
/// use crate::lastwords::tasklet::{Tasklet, TaskletHandler};
///
/// struct SoftirqAct;
///
/// impl TaskletHandler for SoftirqAct {
///     fn run(&self) {
///         // Softirq context: must not sleep.
///         bump(&SOFTIRQ_RUNS);
///     }
/// }
///
/// let tasklet = KBox::pin_init(Tasklet::new(SoftirqAct), GFP_KERNEL)?;
/// // Any context but NMI.
/// tasklet.schedule();
/// // Dropping `tasklet` waits for a scheduled run: it never runs after that.
/// ```
///
/// # Invariants
///
/// `tasklet` was set up by `tasklet_setup()` with [`run_trampoline`] for this
/// `T`, and it is never moved (pinned).
#[pin_data(PinnedDrop)]
pub struct Tasklet<T: TaskletHandler> {
    #[pin]
    tasklet: Opaque<bindings::tasklet_struct>,
    #[pin]
    _pin: PhantomPinned,
    data: T,
}

// SAFETY: A tasklet may be scheduled from any CPU; `T: Sync` is what the
// callback and other users share.
unsafe impl<T: TaskletHandler + Send> Send for Tasklet<T> {}
// SAFETY: As above.
unsafe impl<T: TaskletHandler> Sync for Tasklet<T> {}

/// The C callback: recovers the `Tasklet<T>` and runs its handler.
///
/// # Safety
///
/// `t` points at the `tasklet` field of a live `Tasklet<T>`.
unsafe extern "C" fn run_trampoline<T: TaskletHandler>(t: *mut bindings::tasklet_struct) {
    // SAFETY: `t` is the `tasklet` field of a live `Tasklet<T>` (function
    // safety requirement), and `Opaque` is `repr(transparent)`.
    let this = unsafe {
        &*kernel::container_of!(
            t.cast::<Opaque<bindings::tasklet_struct>>(),
            Tasklet<T>,
            tasklet
        )
    };
    this.data.run();
}

impl<T: TaskletHandler> Tasklet<T> {
    /// Returns an initialiser of a tasklet running `data.run()`.
    pub fn new(data: T) -> impl PinInit<Self> {
        pin_init!(Self {
            // SAFETY: `slot` is valid for writes; the callback matches the
            // type that `slot` is embedded in (see the type invariant).
            tasklet <- Opaque::ffi_init(|slot: *mut bindings::tasklet_struct| unsafe {
                bindings::tasklet_setup(slot, Some(run_trampoline::<T>))
            }),
            _pin: PhantomPinned,
            data,
        })
    }

    /// Schedules the tasklet on this CPU (`tasklet_schedule()`). Any context
    /// but NMI.
    pub fn schedule(&self) {
        // SAFETY: Set up and pinned (type invariant).
        unsafe { bindings::lw_tasklet_schedule(self.tasklet.get()) }
    }
}

#[pinned_drop]
impl<T: TaskletHandler> PinnedDrop for Tasklet<T> {
    fn drop(self: Pin<&mut Self>) {
        // SAFETY: Set up (type invariant); `tasklet_kill()` waits for a
        // scheduled or running callback, in process context (teardown).
        unsafe { bindings::tasklet_kill(self.tasklet.get()) };
    }
}
