// SPDX-License-Identifier: GPL-2.0

//! The counters of the APEI pipeline: one atomic per event of a record's path
//! (received, queued, dropped, processed, ...), bumped in any context (NMI
//! included, relaxed) and shown as read-only debugfs files.

use crate::lastwords::debugfs::Dir;
use core::sync::atomic::AtomicU64;
use kernel::c_str;
use kernel::prelude::*;

/// The counters of an [`Apei`](super::Apei). At rest (queue drained):
/// `received == processed + bad_records + dropped + duplicates` and
/// `queued == processed + bad_records`.
///
/// # Examples
///
/// ```ignore
/// use crate::lastwords::apei::{Apei, Counters};
///
/// static COUNTERS: Counters = Counters::new();
///
/// let apei = Apei::new(Fw::new()?, &KINDS, &COUNTERS, false)?;
/// // /sys/kernel/debug/my_apei/received, .../queued, ...
/// let dir = Dir::new(c_str!("my_apei"))?;
/// COUNTERS.files(&dir);
/// let lost = COUNTERS.dropped.load(Ordering::Relaxed);
/// ```
pub struct Counters {
    /// Records copied out of a status block.
    pub received: AtomicU64,
    /// Records put on the queue.
    pub queued: AtomicU64,
    /// Records lost because every queue slot was in use.
    pub dropped: AtomicU64,
    /// Records suppressed as duplicates.
    pub duplicates: AtomicU64,
    /// Valid records handled in process context.
    pub processed: AtomicU64,
    /// Records that failed validation (length, checksum, format).
    pub bad_records: AtomicU64,
    /// Firmware acknowledgements.
    pub acked: AtomicU64,
    /// Valid records of fatal severity.
    pub fatal: AtomicU64,
    /// Notifications that found the source's (NMI) lock held.
    pub busy: AtomicU64,
    /// Notifications that found the status block empty.
    pub empty: AtomicU64,
    /// Notifications refused: an interrupt or polled source from NMI.
    pub wrong_context: AtomicU64,
    /// Stage 1 (hard `irq_work`) runs.
    pub irq_runs: AtomicU64,
    /// Stage 2 (work item) runs.
    pub work_runs: AtomicU64,
    /// Records reported in the kernel log.
    pub reported: AtomicU64,
    /// Reports suppressed by the rate limit.
    pub ratelimited: AtomicU64,
}

impl Counters {
    /// All zero.
    pub const fn new() -> Self {
        Self {
            received: AtomicU64::new(0),
            queued: AtomicU64::new(0),
            dropped: AtomicU64::new(0),
            duplicates: AtomicU64::new(0),
            processed: AtomicU64::new(0),
            bad_records: AtomicU64::new(0),
            acked: AtomicU64::new(0),
            fatal: AtomicU64::new(0),
            busy: AtomicU64::new(0),
            empty: AtomicU64::new(0),
            wrong_context: AtomicU64::new(0),
            irq_runs: AtomicU64::new(0),
            work_runs: AtomicU64::new(0),
            reported: AtomicU64::new(0),
            ratelimited: AtomicU64::new(0),
        }
    }

    /// Shows every counter as a read-only file in `dir`.
    pub fn files(&'static self, dir: &Dir) {
        let all: [(&CStr, &'static AtomicU64); 15] = [
            (c_str!("received"), &self.received),
            (c_str!("queued"), &self.queued),
            (c_str!("dropped"), &self.dropped),
            (c_str!("duplicates"), &self.duplicates),
            (c_str!("processed"), &self.processed),
            (c_str!("bad_records"), &self.bad_records),
            (c_str!("acked"), &self.acked),
            (c_str!("fatal"), &self.fatal),
            (c_str!("busy"), &self.busy),
            (c_str!("empty"), &self.empty),
            (c_str!("wrong_context"), &self.wrong_context),
            (c_str!("irq_runs"), &self.irq_runs),
            (c_str!("work_runs"), &self.work_runs),
            (c_str!("reported"), &self.reported),
            (c_str!("ratelimited"), &self.ratelimited),
        ];
        for (name, c) in all {
            dir.u64_file(name, c);
        }
    }
}

impl Default for Counters {
    fn default() -> Self {
        Self::new()
    }
}
