// SPDX-License-Identifier: GPL-2.0

//! A rate limit for log lines, as `__ratelimit()` with the kernel's defaults
//! (`DEFAULT_RATELIMIT_BURST` lines per `DEFAULT_RATELIMIT_INTERVAL`), for
//! reports about untrusted input that could otherwise flood the log.

use super::time;
use core::sync::atomic::{AtomicI64, AtomicU32, Ordering};

/// Lines allowed per [`RATELIMIT_INTERVAL_NS`], like `DEFAULT_RATELIMIT_BURST`.
pub const RATELIMIT_BURST: u32 = 10;

/// The rate-limit interval (5 s, like `DEFAULT_RATELIMIT_INTERVAL`).
pub const RATELIMIT_INTERVAL_NS: i64 = 5_000_000_000;

/// [`RATELIMIT_BURST`] allowances per [`RATELIMIT_INTERVAL_NS`]. Process
/// context (it reads the monotonic clock). Two concurrent callers may both
/// start a new interval or both pass the last allowance: at worst a line or
/// two more than the burst, never a fault.
///
/// # Examples
///
/// One limit for every line about what a reader found malformed in NVRAM:
///
/// ```ignore
/// use crate::lastwords::ratelimit::RateLimit;
///
/// static SKIP_LOG: RateLimit = RateLimit::new();
///
/// if SKIP_LOG.allow() {
///     pr_warn!("skipped variable '{}': {}\n", Ucs2Name(name), why);
/// }
/// ```
pub struct RateLimit {
    begin: AtomicI64,
    count: AtomicU32,
}

impl RateLimit {
    /// A rate limit whose first interval starts at the first call.
    pub const fn new() -> Self {
        Self {
            begin: AtomicI64::new(0),
            count: AtomicU32::new(0),
        }
    }

    /// Whether one more line may be printed now.
    pub fn allow(&self) -> bool {
        let now = time::now_ns();
        let begin = self.begin.load(Ordering::Relaxed);
        if begin == 0 || now.wrapping_sub(begin) >= RATELIMIT_INTERVAL_NS {
            self.begin.store(now, Ordering::Relaxed);
            self.count.store(0, Ordering::Relaxed);
        }
        self.count.fetch_add(1, Ordering::Relaxed) < RATELIMIT_BURST
    }
}

impl Default for RateLimit {
    fn default() -> Self {
        Self::new()
    }
}
