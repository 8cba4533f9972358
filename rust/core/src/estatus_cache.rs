// SPDX-License-Identifier: GPL-2.0

//! Duplicate suppression for error records, after `ghes_estatus_cached()` and
//! `ghes_estatus_cache_add()` in `drivers/acpi/apei/ghes.c`: a record whose
//! hash was seen less than a window ago is a duplicate and is not reported
//! again; any other record is remembered in place of an empty, expired or
//! else the oldest entry. A hit does not refresh the entry, so a record that
//! keeps coming is reported once per window, as in GHES.
//!
//! Usable from any context, NMI included: lock-free and bounded (at most
//! `3 * N` entry reads and two compare-exchanges per call), no allocation, no
//! waiting. Each entry is a small sequence lock: an even, non-zero `seq` means
//! `hash` and `time` are a consistent pair, an odd one that a writer, which
//! claimed the entry with one compare-exchange, is rewriting them. Readers
//! never wait: they skip an entry that is being written or that changed while
//! they read it. So a race can only make a duplicate go unnoticed (or a new
//! record go unremembered), never make a record a duplicate of a different
//! hash.
//!
//! Needs 64-bit atomics (`target_has_atomic = "64"`).

#[cfg(loom)]
use loom::sync::atomic::{AtomicU32, AtomicU64, Ordering};

#[cfg(not(loom))]
use core::sync::atomic::{AtomicU32, AtomicU64, Ordering};

/// FNV-1a 64-bit hash of `bytes`, to key records in an [`EstatusCache`].
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    bytes
        .iter()
        .fold(OFFSET, |h, &b| (h ^ u64::from(b)).wrapping_mul(PRIME))
}

/// How many victims one insertion tries before giving up.
const INSERT_TRIES: usize = 2;

/// One cached record hash.
///
/// # Invariants
///
/// `seq` is 0 while the entry was never written, odd while one writer (the
/// one whose compare-exchange made it odd) stores `hash` and `time`, and
/// even and non-zero when they are a pair written together. Only that writer
/// stores to `hash` and `time`, and it makes `seq` even again afterwards.
struct Entry {
    seq: AtomicU32,
    hash: AtomicU64,
    time: AtomicU64,
}

/// What a reader saw in an entry.
enum Peek {
    /// Never written: claimable from `seq` 0.
    Empty,
    /// Being written, or changed while read.
    Busy,
    /// A consistent pair, as of `seq`.
    Valid { seq: u32, hash: u64, time: u64 },
}

impl Entry {
    #[cfg(not(loom))]
    const fn new() -> Self {
        Self {
            seq: AtomicU32::new(0),
            hash: AtomicU64::new(0),
            time: AtomicU64::new(0),
        }
    }

    #[cfg(loom)]
    fn new() -> Self {
        Self {
            seq: AtomicU32::new(0),
            hash: AtomicU64::new(0),
            time: AtomicU64::new(0),
        }
    }

    fn peek(&self) -> Peek {
        // Acquire: if this sees a writer's final store, it sees its pair.
        let seq = self.seq.load(Ordering::Acquire);
        if seq == 0 {
            return Peek::Empty;
        }
        if seq & 1 != 0 {
            return Peek::Busy;
        }
        // Acquire: a value stored by a later writer makes that writer's claim
        // of `seq` visible to the re-read below, which then differs.
        let hash = self.hash.load(Ordering::Acquire);
        let time = self.time.load(Ordering::Acquire);
        if self.seq.load(Ordering::Relaxed) != seq {
            return Peek::Busy;
        }
        Peek::Valid { seq, hash, time }
    }

    /// Rewrites the entry if its `seq` is still `seen` (even); `false` if
    /// another writer got there first.
    fn try_write(&self, seen: u32, hash: u64, time: u64) -> bool {
        let busy = seen.wrapping_add(1);
        if self
            .seq
            .compare_exchange(seen, busy, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            return false;
        }
        // INVARIANT: `seq` is odd and this writer made it so: it alone
        // stores the pair. Release: a reader that loads either value also
        // sees `seq` odd (or later) when it re-reads it.
        self.hash.store(hash, Ordering::Release);
        self.time.store(time, Ordering::Release);
        // Even again, skipping 0 (which means never written).
        let done = match busy.wrapping_add(1) {
            0 => 2,
            s => s,
        };
        // Release: publishes the pair to readers that see `done`.
        self.seq.store(done, Ordering::Release);
        true
    }
}

/// A cache of the hashes of `N` recently reported error records.
///
/// # Invariants
///
/// Every entry keeps the invariants of its sequence lock (see `Entry`).
pub struct EstatusCache<const N: usize> {
    entries: [Entry; N],
}

impl<const N: usize> Default for EstatusCache<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> EstatusCache<N> {
    /// An empty cache.
    #[cfg(not(loom))]
    pub const fn new() -> Self {
        Self {
            entries: [const { Entry::new() }; N],
        }
    }

    /// An empty cache.
    #[cfg(loom)]
    pub fn new() -> Self {
        Self {
            entries: core::array::from_fn(|_| Entry::new()),
        }
    }

    /// Whether a record with `hash` was cached at most `window_ns` ago
    /// (strictly less), as of `now_ns`. An entry stamped after `now_ns` (a
    /// clock slightly behind another CPU's) counts as just seen.
    pub fn contains(&self, hash: u64, now_ns: u64, window_ns: u64) -> bool {
        self.entries.iter().any(|e| match e.peek() {
            Peek::Valid { hash: h, time, .. } => {
                h == hash && now_ns.saturating_sub(time) < window_ns
            }
            _ => false,
        })
    }

    /// Returns `true` if a record with `hash` was seen less than `window_ns`
    /// before `now_ns` (a duplicate, to suppress). Otherwise remembers it with
    /// time `now_ns` in place of an empty, expired or else the oldest entry,
    /// and returns `false`. If other writers keep taking the chosen entries,
    /// the record is not remembered: a later duplicate then goes unnoticed.
    pub fn check_and_add(&self, hash: u64, now_ns: u64, window_ns: u64) -> bool {
        if self.contains(hash, now_ns, window_ns) {
            return true;
        }
        for _ in 0..INSERT_TRIES {
            let Some((e, seen)) = self.victim(now_ns, window_ns) else {
                break;
            };
            if e.try_write(seen, hash, now_ns) {
                break;
            }
        }
        false
    }

    /// The entry to replace and its `seq` as seen: the first empty or expired
    /// one, else the oldest; `None` if every entry is being written.
    fn victim(&self, now_ns: u64, window_ns: u64) -> Option<(&Entry, u32)> {
        let mut oldest: Option<(&Entry, u32, u64)> = None;
        for e in self.entries.iter() {
            match e.peek() {
                Peek::Empty => return Some((e, 0)),
                Peek::Busy => {}
                Peek::Valid { seq, time, .. } => {
                    let age = now_ns.saturating_sub(time);
                    if age >= window_ns {
                        return Some((e, seq));
                    }
                    let older = match oldest {
                        None => true,
                        Some((_, _, a)) => age > a,
                    };
                    if older {
                        oldest = Some((e, seq, age));
                    }
                }
            }
        }
        oldest.map(|(e, seq, _)| (e, seq))
    }

    /// How many entries hold a record (a hint: entries change concurrently).
    pub fn occupied(&self) -> usize {
        self.entries
            .iter()
            .filter(|e| matches!(e.peek(), Peek::Valid { .. }))
            .count()
    }
}
