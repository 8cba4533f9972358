// SPDX-License-Identifier: GPL-2.0

//! `irq_work`: the way out of NMI context, and an interrupt on demand.
//!
//! An NMI handler may not take locks, allocate, or queue ordinary work; it
//! may queue an `irq_work`, which runs the callback soon after in hard
//! interrupt context (x86 raises a self-IPI), where the next step (e.g.
//! queueing a workqueue item) is allowed. [`IrqWork::new`] makes a "hard"
//! one (`IRQ_WORK_HARD_IRQ`): it runs in hard interrupt context even on
//! PREEMPT_RT, so its callback may take raw spinlocks only, not a
//! `spinlock_t` (`SpinLockIrq`), which sleeps there; lockdep says so
//! ("Invalid wait context") under `CONFIG_PROVE_RAW_LOCK_NESTING`, on by
//! default with `CONFIG_PROVE_LOCKING` in 7.3. [`IrqWork::new_threadable`]
//! makes a plain one: hard interrupt context on other kernels, the irq_work
//! thread on PREEMPT_RT, and a `spinlock_t` is allowed.

use super::bindings;
use core::marker::PhantomPinned;
use core::pin::Pin;
use kernel::prelude::*;
use kernel::types::Opaque;

/// The callback of an [`IrqWork`]. Runs in hard interrupt context (a
/// threadable work: in the irq_work thread on PREEMPT_RT): it must not
/// sleep.
///
/// # Examples
///
/// The second step out of NMI context: from hard interrupt context, queue a
/// work item (process context).
///
/// ```ignore
/// use crate::lastwords::irq_work::IrqWorkHandler;
///
/// struct Kick {
///     work: Arc<MyWork>,
/// }
///
/// impl IrqWorkHandler for Kick {
///     fn run(&self) {
///         // Already queued: that run takes this event too.
///         let _ = crate::lastwords::workqueue::system_percpu().enqueue(self.work.clone());
///     }
/// }
/// ```
pub trait IrqWorkHandler: Sync {
    /// Called once per successful [`IrqWork::queue`] (queueing an already
    /// pending work coalesces with it).
    fn run(&self);
}

/// An `irq_work` (hard or threadable) that calls `T::run` on its embedded
/// `T`.
///
/// Dropping it waits (`irq_work_sync()`) for a running callback; the owner
/// must make sure nothing queues it any more by then (e.g. unregister the NMI
/// handler that queues it first).
///
/// # Examples
///
/// Embedded in the data of an NMI handler (see [`crate::lastwords::nmi`]),
/// which queues it:
///
/// ```ignore
/// use crate::lastwords::irq_work::IrqWork;
///
/// #[pin_data]
/// struct ChainNmi {
///     #[pin]
///     irq: IrqWork<Kick>,
/// }
///
/// let nmi = KBox::pin_init(
///     pin_init!(ChainNmi {
///         irq <- IrqWork::new(Kick { work }),
///     }),
///     GFP_KERNEL,
/// )?;
/// // Any context, NMI included; `false` if it was already pending.
/// nmi.irq.queue();
/// // Process context: waits until the queued run is over.
/// nmi.irq.sync();
/// ```
///
/// # Invariants
///
/// `work` is an initialised `irq_work` whose function is [`run_trampoline`]
/// for this `T`, and it is never moved (pinned).
#[pin_data(PinnedDrop)]
pub struct IrqWork<T: IrqWorkHandler> {
    #[pin]
    work: Opaque<bindings::irq_work>,
    #[pin]
    _pin: PhantomPinned,
    data: T,
}

// SAFETY: `irq_work` may be queued from any CPU; `T: Sync` is what the
// callback and other users share.
unsafe impl<T: IrqWorkHandler + Send> Send for IrqWork<T> {}
// SAFETY: As above.
unsafe impl<T: IrqWorkHandler> Sync for IrqWork<T> {}

/// The C callback: recovers the `IrqWork<T>` and runs its handler.
///
/// # Safety
///
/// `work` points at the `work` field of a live `IrqWork<T>`.
unsafe extern "C" fn run_trampoline<T: IrqWorkHandler>(work: *mut bindings::irq_work) {
    // SAFETY: `work` is the `work` field of a live `IrqWork<T>` (function
    // safety requirement), and `Opaque` is `repr(transparent)`.
    let this = unsafe {
        &*kernel::container_of!(work.cast::<Opaque<bindings::irq_work>>(), IrqWork<T>, work)
    };
    this.data.run();
}

/// The C shims that initialise an `irq_work` with a function.
type InitFn = unsafe extern "C" fn(
    *mut bindings::irq_work,
    Option<unsafe extern "C" fn(*mut bindings::irq_work)>,
);

impl<T: IrqWorkHandler> IrqWork<T> {
    /// Returns an initialiser of a hard `irq_work` running `data.run()`.
    pub fn new(data: T) -> impl PinInit<Self> {
        Self::with_init(data, bindings::lw_init_irq_work_hard)
    }

    /// Returns an initialiser of a plain `irq_work` (`init_irq_work()`),
    /// whose callback may take a `spinlock_t`: see the module documentation.
    pub fn new_threadable(data: T) -> impl PinInit<Self> {
        Self::with_init(data, bindings::lw_init_irq_work)
    }

    /// An initialiser whose `irq_work` is set up by the C shim `init`
    /// (`lw_init_irq_work_hard` or `lw_init_irq_work`).
    fn with_init(data: T, init: InitFn) -> impl PinInit<Self> {
        pin_init!(Self {
            // SAFETY: `slot` is valid for writes; `init` initialises the whole
            // `irq_work` with the function, which matches the type that `slot`
            // is embedded in (see the type invariant).
            work <- Opaque::ffi_init(move |slot: *mut bindings::irq_work| unsafe {
                init(slot, Some(run_trampoline::<T>))
            }),
            _pin: PhantomPinned,
            data,
        })
    }

    /// Queues the work on this CPU. NMI-safe. Returns `false` if it was
    /// already pending (the two requests then get one callback).
    pub fn queue(&self) -> bool {
        // SAFETY: `work` is initialised and pinned (type invariant: an
        // `IrqWork` only exists pinned, so `&self` is enough).
        unsafe { bindings::irq_work_queue(self.work.get()) }
    }

    /// Waits until the callback is not running (`irq_work_sync()`), e.g.
    /// to wait for a just-queued work to have run. Process context only.
    pub fn sync(&self) {
        // SAFETY: `work` is initialised (type invariant); the caller is in
        // process context with interrupts enabled (documented requirement).
        unsafe { bindings::irq_work_sync(self.work.get()) }
    }

    /// The handler data.
    pub fn data(&self) -> &T {
        &self.data
    }
}

#[pinned_drop]
impl<T: IrqWorkHandler> PinnedDrop for IrqWork<T> {
    fn drop(self: Pin<&mut Self>) {
        // SAFETY: `work` is initialised (type invariant). `irq_work_sync()`
        // waits until the callback is not running; it is called in process
        // context (drops happen at teardown).
        unsafe { bindings::irq_work_sync(self.work.get()) };
    }
}
