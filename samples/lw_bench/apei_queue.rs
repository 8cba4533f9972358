// SPDX-License-Identifier: GPL-2.0

//! The NMI-path enqueue of the APEI error status queue against its C floor:
//! `echo 'apei_queue ROUNDS' > /sys/kernel/debug/lw_bench/run` times
//! [`ErrorQueue::enqueue`] (claim a slot, copy N bytes, publish) against what
//! the NMI path of a C driver does at least, `lw_bench_c_floor_run()` in
//! `lw_bench_anchor.c` (`memcpy()` into a preallocated node, `llist_add()`),
//! for N = 256, 4096 and [`RECORD_MAX`] (65536) bytes: 5 samples of each,
//! C and Rust interleaved, each ROUNDS x [`QUEUE_SLOTS`] enqueues with the
//! drain outside the timed region. One line per sample, as the other cases:
//! `lw_bench: sample enqueue_N IMPL NS` (NS for the whole sample).
//! `scripts/bench-apei.sh` turns them into a table.

use crate::lastwords::apei::{ErrorQueue, QUEUE_SLOTS, RECORD_MAX};
use crate::lastwords::{bindings, time};
use crate::sample;
use kernel::new_mutex;
use kernel::prelude::*;
use kernel::sync::Mutex;

/// Samples of each size.
const SAMPLES: usize = 5;

/// The benchmark; runs one at a time (the C floor's nodes are one static
/// set).
#[pin_data]
pub(crate) struct QueueBench {
    #[pin]
    running: Mutex<()>,
}

impl QueueBench {
    /// Nothing running yet.
    pub(crate) fn new() -> impl PinInit<Self> {
        pin_init!(Self {
            running <- new_mutex!((), "lw_bench::apei_queue"),
        })
    }

    /// Enqueue cost: `rounds` x [`QUEUE_SLOTS`] enqueues of each size per
    /// sample, the drain outside the timed region, against the C floor.
    pub(crate) fn run(&self, rounds: u64) -> Result {
        // The C floor's nodes are one static set: one run at a time.
        let _running = self.running.lock();
        let q = ErrorQueue::<QUEUE_SLOTS>::new()?;
        let src = VVec::from_elem(0xa5u8, RECORD_MAX, GFP_KERNEL)?;
        let _floor = CFloor::new()?;
        let mut failed = 0u64;
        for _ in 0..SAMPLES {
            for size in [256usize, 4096, RECORD_MAX] {
                let bytes = src.get(..size).ok_or(EINVAL)?;
                // SAFETY: `bytes` is valid for `size` bytes, at most the
                // floor's node size; the nodes are allocated while `_floor`
                // lives, and `_running` keeps other runs out.
                let c_ns =
                    unsafe { bindings::lw_bench_c_floor_run(bytes.as_ptr().cast(), size, rounds) };
                let mut r_ns: i64 = 0;
                for _ in 0..rounds {
                    let t0 = time::now_ns();
                    for _ in 0..QUEUE_SLOTS {
                        if !q.enqueue(0, bytes) {
                            failed = failed.wrapping_add(1);
                        }
                    }
                    r_ns = r_ns.wrapping_add(time::now_ns().wrapping_sub(t0));
                    while let Some(r) = q.take() {
                        drop(r);
                    }
                }
                let c_ns = i64::try_from(c_ns).unwrap_or(i64::MAX);
                sample(format_args!("enqueue_{}", size), "c", c_ns);
                sample(format_args!("enqueue_{}", size), "rust", r_ns.max(0));
            }
        }
        if failed != 0 {
            pr_err!("apei_queue: {} enqueues failed\n", failed);
            return Err(EIO);
        }
        Ok(())
    }
}

/// The C floor's nodes, allocated while this guard lives (freed on every
/// exit path). Only one may exist at a time (the caller holds `running`).
struct CFloor;

impl CFloor {
    fn new() -> Result<Self> {
        // SAFETY: Allocates the C floor's static nodes; process context; no
        // other `CFloor` exists (the caller holds the `running` lock).
        let rc = unsafe { bindings::lw_bench_c_floor_init() };
        if rc != 0 {
            return Err(Error::from_errno(rc));
        }
        Ok(CFloor)
    }
}

impl Drop for CFloor {
    fn drop(&mut self) {
        // SAFETY: Frees the nodes this guard allocated; the benchmark that
        // used them is done (the guard outlives its loop).
        unsafe { bindings::lw_bench_c_floor_free() };
    }
}
