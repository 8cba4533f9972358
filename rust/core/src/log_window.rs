// SPDX-License-Identifier: GPL-2.0

//! The window of a kernel log dump's fetches.
//!
//! `kmsg_dump_get_buffer()` returns the newest whole records that fit a
//! buffer among those from `cur` (the oldest not fetched) to `next` (one past
//! the newest not fetched), and moves `next` down to the first of them. To
//! find it, it reads every record of `[cur, next)` twice: on a long log, each
//! fetch costs the whole log. A dumper that needs only the newest part of the
//! log shows the kernel a window instead, `cur` set `window` records below
//! `next`. When a fetch took every record of the window, or found it empty,
//! older records might have belonged in it: the window doubles and the fetch
//! is redone from the same place. A windowed dump thus returns the same
//! records, part by part, as one over the whole log (checked in the host
//! tests against a model of the kernel's fetch).

/// The oldest record shown to the kernel: `window` records below `next`,
/// never below `floor` (the start of the log when the dump began).
pub fn start(next: u64, window: u64, floor: u64) -> u64 {
    next.saturating_sub(window).max(floor)
}

/// After a fetch from a window whose oldest record was `shown`: the window
/// to fetch again with, or `None` to keep the result. `took_all` is whether
/// the fetch found the window empty or took every record of it. Each `Some`
/// lowers the start, until it reaches `floor`, so a caller's retry loop ends.
pub fn widen(shown: u64, floor: u64, took_all: bool, window: u64) -> Option<u64> {
    (took_all && shown > floor).then(|| window.saturating_mul(2).max(1))
}
