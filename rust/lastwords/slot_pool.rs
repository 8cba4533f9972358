// SPDX-License-Identifier: GPL-2.0

//! A lock-free pool of preallocated slots, from producers in any context
//! (NMI included) to a consumer in process context. The algorithm lives in
//! `rust/core/src/slot_pool.rs`, tested on the host with `cargo test` and
//! loom.

#[path = "../core/src/slot_pool.rs"]
mod algorithm;

pub use algorithm::{Draining, Filling, SlotPool};
