// SPDX-License-Identifier: GPL-2.0

//! A lock-free pool of preallocated slots, from producers in any context
//! (NMI included) to a consumer in process context. The algorithm lives in
//! `rust/core/src/slot_pool.rs`, tested on the host with `cargo test` and
//! loom.

#[path = "../core/src/slot_pool.rs"]
mod algorithm;

pub use algorithm::{Draining, Filling, SlotPool};

use kernel::prelude::*;

/// A pool on the heap, built in place (it never passes through the kernel
/// stack), slot `i` holding `init(i)`. Process context.
///
/// # Examples
///
/// Deferred records: slots filled in any context (NMI included), drained by
/// a work item.
///
/// ```ignore
/// use crate::lastwords::slot_pool;
///
/// let mut pool = slot_pool::new_boxed::<_, 64>(|_| Deferred { len: 0, buf: KVec::new() })?;
/// for d in pool.values_mut() {
///     d.buf = KVec::from_elem(0u8, record_size, GFP_KERNEL)?;
/// }
///
/// // Any context: a free slot, filled, then published; `None` if all are used.
/// if let Some(mut slot) = pool.claim() {
///     slot.len = copy_record(&mut slot.buf);
///     slot.publish();
/// }
///
/// // Process context: the oldest published slot, free again once dropped.
/// while let Some(d) = pool.take() {
///     write(d.buf.get(..d.len).unwrap_or(&[]));
/// }
/// ```
pub fn new_boxed<T, const N: usize>(init: impl FnMut(usize) -> T) -> Result<KBox<SlotPool<T, N>>> {
    let mut pool = KBox::<SlotPool<T, N>>::new_uninit(GFP_KERNEL)?;
    SlotPool::init_in_place(&mut pool, init);
    // SAFETY: `init_in_place()` initialised the whole pool.
    Ok(unsafe { pool.assume_init() })
}
