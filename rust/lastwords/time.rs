// SPDX-License-Identifier: GPL-2.0

//! Sleeping, and reading the monotonic and wall clocks.

/// Sleeps for at least `ms` milliseconds. Process context only.
pub fn msleep(ms: u32) {
    // SAFETY: `msleep()` may be called from any sleepable context; callers
    // are in process context (documented requirement).
    unsafe { kernel::bindings::msleep(ms) }
}

/// The monotonic clock in nanoseconds (`ktime_get()`). Not NMI-safe (it may
/// retry on a seqcount held by the interrupted code): not for NMI context.
///
/// # Examples
///
/// ```ignore
/// use crate::lastwords::time;
///
/// // Process context: wait up to 5 s for a flag, looking every 10 ms.
/// let start = time::now_ns();
/// while !ARMED.load(Ordering::Acquire) {
///     if time::now_ns().saturating_sub(start) > 5_000_000_000 {
///         return Err(EAGAIN);
///     }
///     time::msleep(10);
/// }
///
/// // Any context, NMI included: a record's time stamp, in seconds.
/// let secs = time::real_fast_ns() / 1_000_000_000;
/// ```
pub fn now_ns() -> i64 {
    // SAFETY: `ktime_get()` may be called from task, softirq and hardirq
    // context.
    unsafe { kernel::bindings::ktime_get() }
}

/// Wall-clock time in nanoseconds since the epoch, NMI-safe
/// (`ktime_get_real_fast_ns()`), as pstore stamps its records.
pub fn real_fast_ns() -> u64 {
    // SAFETY: `ktime_get_real_fast_ns()` is lockless and NMI-safe.
    unsafe { crate::lastwords::bindings::ktime_get_real_fast_ns() }
}
