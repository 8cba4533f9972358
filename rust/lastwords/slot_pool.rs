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
pub fn new_boxed<T, const N: usize>(init: impl FnMut(usize) -> T) -> Result<KBox<SlotPool<T, N>>> {
    let mut pool = KBox::<SlotPool<T, N>>::new_uninit(GFP_KERNEL)?;
    SlotPool::init_in_place(&mut pool, init);
    // SAFETY: `init_in_place()` initialised the whole pool.
    Ok(unsafe { pool.assume_init() })
}
