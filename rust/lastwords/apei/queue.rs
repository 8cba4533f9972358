// SPDX-License-Identifier: GPL-2.0

//! The error status queue of the APEI pipeline: an [`ErrorQueue`] of
//! preallocated record slots of [`RECORD_MAX`] bytes ([`QUEUE_SLOTS`] in the
//! pipeline), filled lock-free from any context (NMI included) and drained in
//! process context, where `ghes.c` uses a `gen_pool` and an `llist`. A full
//! queue refuses a record: no allocation, no waiting. The slots are a
//! [`SlotPool`], whose algorithm `rust/core/src/slot_pool.rs` is tested on the
//! host with `cargo test` and loom.

use super::cper;
use crate::lastwords::slot_pool::{Draining, SlotPool};
use kernel::prelude::*;

/// Largest record a source or queue slot holds (64 KiB).
pub const RECORD_MAX: usize = cper::MAX_RECORD_LEN;

/// Preallocated record slots of the error status queue.
pub const QUEUE_SLOTS: usize = 16;

/// One queued record: which source, how long, and a [`RECORD_MAX`] buffer.
///
/// # Invariants
///
/// `buf` holds [`RECORD_MAX`] bytes once the queue is built; `len` is at
/// most that.
pub struct Record {
    source: usize,
    len: usize,
    buf: VVec<u8>,
}

impl Record {
    /// The source the record came from.
    pub fn source(&self) -> usize {
        self.source
    }

    /// The record's bytes.
    pub fn bytes(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or(&[])
    }
}

/// The error status queue: `N` preallocated [`Record`] slots, filled
/// lock-free from any context (NMI included) and drained in process context.
///
/// # Examples
///
/// ```ignore
/// use crate::lastwords::apei::{ErrorQueue, QUEUE_SLOTS};
///
/// // Process context: the slots and their buffers, allocated up front.
/// let q = ErrorQueue::<QUEUE_SLOTS>::new()?;
///
/// // Any context, NMI included: a copy of source 0's record, or nothing.
/// if !q.enqueue(0, record) {
///     bump(&DROPPED);
/// }
///
/// // Process context: oldest first; a slot is free again once `rec` drops.
/// while let Some(rec) = q.take() {
///     report(rec.source(), rec.bytes());
/// }
/// ```
pub struct ErrorQueue<const N: usize> {
    pool: SlotPool<Record, N>,
}

impl<const N: usize> ErrorQueue<N> {
    /// Allocates the queue and its `N` buffers of [`RECORD_MAX`] bytes
    /// (vmalloc). Process context.
    pub fn new() -> Result<KBox<Self>> {
        let mut pool = SlotPool::new(|_| Record {
            source: 0,
            len: 0,
            buf: VVec::new(),
        });
        for r in pool.values_mut() {
            // INVARIANT: every buffer holds RECORD_MAX bytes.
            r.buf = VVec::from_elem(0u8, RECORD_MAX, GFP_KERNEL)?;
        }
        Ok(KBox::new(Self { pool }, GFP_KERNEL)?)
    }

    /// Copies `bytes` into a free slot and publishes it. `false` if every
    /// slot is in use or the record is too long. Lock-free, NMI-safe.
    pub fn enqueue(&self, source: usize, bytes: &[u8]) -> bool {
        let Some(mut slot) = self.pool.claim() else {
            return false;
        };
        let Some(dst) = slot.buf.get_mut(..bytes.len()) else {
            // Dropping the unpublished slot frees it.
            return false;
        };
        dst.copy_from_slice(bytes);
        slot.source = source;
        slot.len = bytes.len();
        slot.publish();
        true
    }

    /// Takes the oldest queued record; its slot is freed when the guard is
    /// dropped.
    pub fn take(&self) -> Option<Draining<'_, Record, N>> {
        self.pool.take()
    }

    /// How many records are queued (a hint).
    pub fn ready(&self) -> usize {
        self.pool.ready()
    }
}
