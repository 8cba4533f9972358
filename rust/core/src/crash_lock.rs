// SPDX-License-Identifier: GPL-2.0

//! A lock for crash paths, after `kexec_trylock()` / `kexec_unlock()` in
//! `kernel/kexec_internal.h`: one atomic compare-exchange with acquire
//! ordering to take it, one release store to drop it. Nobody ever waits on
//! it, so it can be tried from any context (task, softirq, hard interrupt,
//! NMI, a panicking CPU), and a holder that never comes back (a CPU stopped by
//! a panic) cannot make a caller hang: the caller just fails to take it.

use core::cell::{Cell, UnsafeCell};
use core::marker::PhantomData;
use core::ops::{Deref, DerefMut};

#[cfg(loom)]
use loom::sync::atomic::{AtomicU32, Ordering};

#[cfg(not(loom))]
use core::sync::atomic::{AtomicU32, Ordering};

/// A crash trylock protecting a `T`.
///
/// # Invariants
///
/// `state` is `0` when no [`CrashGuard`] exists, and the owner tag of the one
/// guard that exists otherwise; `data` is only accessed through that guard.
pub struct CrashLock<T> {
    state: AtomicU32,
    data: UnsafeCell<T>,
}

// SAFETY: `CrashLock` hands out access to `data` to one guard at a time (type
// invariant), so it may be shared between threads when `T` may be sent.
unsafe impl<T: Send> Sync for CrashLock<T> {}
// SAFETY: Moving the lock moves the `T`.
unsafe impl<T: Send> Send for CrashLock<T> {}

/// Proof that a [`CrashLock`] is held; releases it when dropped.
///
/// Like `std::sync::MutexGuard`, a guard may be shared between threads
/// (`Sync`) only when `T` may: a `&CrashGuard<T>` gives a `&T` through
/// [`Deref`], so a `T` with unsynchronised interior mutability (`Cell`) must
/// not be reachable from two threads at once:
///
/// ```compile_fail,E0277
/// use lastwords_core::crash_lock::CrashLock;
/// use std::cell::Cell;
///
/// let lock = CrashLock::new(Cell::new(0u32));
/// let guard = lock.try_lock().unwrap();
/// std::thread::scope(|s| {
///     // Would race with the `set` below: `Cell` is not `Sync`.
///     s.spawn(|| guard.set(1));
///     guard.set(2);
/// });
/// ```
///
/// With a `Sync` `T` the same sharing is fine:
///
/// ```
/// use lastwords_core::crash_lock::CrashLock;
/// use std::sync::atomic::{AtomicU32, Ordering};
///
/// let lock = CrashLock::new(AtomicU32::new(0));
/// let guard = lock.try_lock().unwrap();
/// std::thread::scope(|s| {
///     s.spawn(|| guard.fetch_add(1, Ordering::Relaxed));
///     guard.fetch_add(2, Ordering::Relaxed);
/// });
/// assert_eq!(guard.load(Ordering::Relaxed), 3);
/// ```
///
/// A guard may be sent to another thread (and dropped there) when `T` may:
/// the lock has no owner thread, only an owner tag.
///
/// # Invariants
///
/// `lock.state` is non-zero and this guard is the only one for `lock`.
pub struct CrashGuard<'a, T> {
    lock: &'a CrashLock<T>,
    /// Keeps the guard from being `Sync` automatically (a shared reference
    /// to the lock is `Sync` for any `T: Send`); see the `Sync` impl below.
    /// `Cell<()>` is `Send`, so `Send` stays automatic.
    _not_sync: PhantomData<Cell<()>>,
}

// SAFETY: A shared `CrashGuard` only gives out `&T` (`Deref`) and reads the
// atomic owner tag, so sharing it between threads is sharing `&T`, which is
// sound exactly when `T: Sync`.
unsafe impl<T: Sync> Sync for CrashGuard<'_, T> {}

impl<T> CrashLock<T> {
    /// Creates an unlocked lock.
    #[cfg(not(loom))]
    pub const fn new(data: T) -> Self {
        Self {
            state: AtomicU32::new(0),
            data: UnsafeCell::new(data),
        }
    }

    /// Creates an unlocked lock.
    #[cfg(loom)]
    pub fn new(data: T) -> Self {
        Self {
            state: AtomicU32::new(0),
            data: UnsafeCell::new(data),
        }
    }

    /// Tries once to take the lock, recording `owner` (e.g. CPU number + 1)
    /// for diagnostics. Never waits. Returns `None` if it is held.
    pub fn try_lock_as(&self, owner: core::num::NonZeroU32) -> Option<CrashGuard<'_, T>> {
        self.state
            .compare_exchange(0, owner.get(), Ordering::Acquire, Ordering::Relaxed)
            .ok()?;
        // INVARIANT: the compare-exchange moved `state` from 0 to non-zero:
        // no other guard exists.
        Some(CrashGuard {
            lock: self,
            _not_sync: PhantomData,
        })
    }

    /// Tries once to take the lock with owner tag 1.
    pub fn try_lock(&self) -> Option<CrashGuard<'_, T>> {
        self.try_lock_as(core::num::NonZeroU32::MIN)
    }

    /// The owner tag of the current holder, or `None` if free. Only a hint:
    /// it may change right after the load.
    pub fn owner(&self) -> Option<core::num::NonZeroU32> {
        core::num::NonZeroU32::new(self.state.load(Ordering::Relaxed))
    }

    /// Whether the lock is held (a hint, like [`CrashLock::owner`]).
    pub fn is_locked(&self) -> bool {
        self.owner().is_some()
    }
}

impl<T> CrashGuard<'_, T> {
    /// The owner tag this guard was taken with.
    pub fn owner(&self) -> u32 {
        self.lock.state.load(Ordering::Relaxed)
    }
}

impl<T> Deref for CrashGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: This guard is the only one (type invariant), so no mutable
        // reference to `data` exists elsewhere.
        unsafe { &*self.lock.data.get() }
    }
}

impl<T> DerefMut for CrashGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: This guard is the only one (type invariant) and is borrowed
        // mutably, so this is the only reference to `data`.
        unsafe { &mut *self.lock.data.get() }
    }
}

impl<T> Drop for CrashGuard<'_, T> {
    fn drop(&mut self) {
        // The release store publishes every write made under the lock to the
        // next acquirer, like atomic_set_release() in kexec_unlock().
        self.lock.state.store(0, Ordering::Release);
    }
}
