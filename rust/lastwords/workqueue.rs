// SPDX-License-Identifier: GPL-2.0

//! What `kernel::workqueue` lacks (6.12 and 7.3) for teardown: cancelling a
//! queued `Arc` work item. And the per-CPU system queue under one name on
//! both kernels ([`system_percpu`]).

use kernel::sync::Arc;
use kernel::workqueue::{HasWork, Work, WorkItem};

pub use super::upstream::wq::system_percpu;

/// Cancels `item`'s pending execution and waits for a running one to finish
/// (`cancel_work_sync()`). Returns whether it was pending. A pending item
/// holds a reference to the `Arc` (taken by `Queue::enqueue`); when the
/// cancel removes it from the queue, that reference is dropped here, so
/// nothing leaks. Sleeps: process context only.
///
/// After it returns, the item runs again only if queued again: callers stop
/// whatever enqueues it first.
pub fn cancel_sync<T>(item: &Arc<T>) -> bool
where
    T: WorkItem<Pointer = Arc<T>> + HasWork<T>,
{
    let ptr = core::ptr::from_ref::<T>(item).cast_mut();
    // SAFETY: `ptr` points at a live `T` (kept alive by `item`), so its
    // `Work` field and that field's `work_struct` may be computed.
    let work = unsafe { Work::raw_get(T::raw_get_work(ptr)) };
    // SAFETY: `work` is an initialised `work_struct` (initialised when `T`
    // was); `cancel_work_sync()` may sleep and we are in process context.
    let was_pending = unsafe { kernel::bindings::cancel_work_sync(work) };
    if was_pending {
        // A pending `Arc` work item owns one reference, leaked by
        // `Arc::into_raw()` in `enqueue`, with the same pointer as `ptr`.
        // SAFETY: The cancel took the item off the queue, so its `run` will
        // not reclaim that reference: reclaim it here, once.
        drop(unsafe { Arc::from_raw(ptr) });
    }
    was_pending
}

/// What an [`OwnedWork`] does after cancelling its item at teardown.
pub trait OnCancel {
    /// Called once, in process context, after the item was cancelled and is
    /// not running: `was_pending` tells whether a queued run was dropped.
    /// Default: nothing.
    fn on_cancel(&self, was_pending: bool) {
        let _ = was_pending;
    }
}

/// Owns an `Arc` work item for its module: [`OwnedWork::enqueue`] queues it
/// on the per-CPU system workqueue, and dropping the owner cancels it
/// ([`cancel_sync`]), then runs [`OnCancel::on_cancel`]. Drop it after
/// everything that queues the item (NMI handlers, irq_works, triggers).
///
/// # Examples
///
/// ```ignore
/// impl OnCancel for Flusher {
///     fn on_cancel(&self, _was_pending: bool) {
///         self.flush(); // write what the cancelled run would have
///     }
/// }
/// let owner = OwnedWork::new(Arc::pin_init(Flusher::new(), GFP_KERNEL)?);
/// owner.enqueue();
/// ```
pub struct OwnedWork<T>(Arc<T>)
where
    T: WorkItem<Pointer = Arc<T>> + HasWork<T> + OnCancel;

impl<T> OwnedWork<T>
where
    T: WorkItem<Pointer = Arc<T>> + HasWork<T> + OnCancel,
{
    /// Takes ownership of the item's teardown.
    pub fn new(item: Arc<T>) -> Self {
        Self(item)
    }

    /// Queues the item on the per-CPU system workqueue; `false` if it was
    /// already queued. Any context but NMI.
    pub fn enqueue(&self) -> bool
    where
        T: Send + Sync + 'static,
    {
        system_percpu().enqueue(self.0.clone()).is_ok()
    }

    /// The item.
    pub fn item(&self) -> &Arc<T> {
        &self.0
    }
}

impl<T> Drop for OwnedWork<T>
where
    T: WorkItem<Pointer = Arc<T>> + HasWork<T> + OnCancel,
{
    fn drop(&mut self) {
        let was_pending = cancel_sync(&self.0);
        self.0.on_cancel(was_pending);
    }
}
