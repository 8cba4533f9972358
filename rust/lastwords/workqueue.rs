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
