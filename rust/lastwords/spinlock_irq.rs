// SPDX-License-Identifier: GPL-2.0

//! An interrupt-disabling spinlock: `spin_lock_irqsave()` /
//! `spin_unlock_irqrestore()`, for data shared with hard interrupt handlers.
//!
//! The 6.12 kernel crate's `SpinLock` leaves interrupts enabled: if task code
//! holds it and an interrupt on the same CPU takes it, the CPU deadlocks (and
//! lockdep reports "inconsistent lock state"). [`SpinLockIrq`] disables
//! interrupts for as long as it is held and restores the previous state when
//! released, so it may be shared between task, softirq and hardirq context.
//! It is not for NMI context: an NMI cannot be masked, use
//! [`crate::lastwords::crash_lock`] there.
//!
//! # Drop order
//!
//! A guard restores the interrupt state that was current when it was taken.
//! Two guards taken one after the other must therefore be released in the
//! reverse order: releasing the outer one first would re-enable interrupts
//! while the inner lock is still held. Rust drops locals in reverse order of
//! declaration, so scoped guards are always right; and for nesting, take the
//! inner lock with [`SpinLockIrqGuard::lock_nested`]: the inner guard borrows
//! the outer one, so releasing the outer lock first does not compile.
//!
//! ```ignore
//! let mut outer = a.lock();
//! let inner = outer.lock_nested(&b);
//! drop(outer); // error[E0505]: cannot move out of `outer` because it is borrowed
//! ```

use super::bindings;
use core::cell::UnsafeCell;
use core::marker::{PhantomData, PhantomPinned};
use core::ops::{Deref, DerefMut};
use kernel::ffi::c_ulong;
use kernel::prelude::*;
use kernel::str::CStr;
use kernel::sync::LockClassKey;
use kernel::types::Opaque;

/// Creates a [`SpinLockIrq`] initialiser with a lockdep class of its own,
/// named after the given literal or, without one, after the call site.
#[macro_export]
macro_rules! new_spinlock_irq {
    ($inner:expr $(, $name:literal)? $(,)?) => {
        $crate::lastwords::spinlock_irq::SpinLockIrq::new(
            $inner,
            ::kernel::optional_name!($($name)?),
            ::kernel::static_lock_class!(),
        )
    };
}
pub use new_spinlock_irq;

/// Returns the C pointer of a kernel lock class key.
fn class_key_ptr(key: &'static LockClassKey) -> *mut bindings::lock_class_key {
    // `LockClassKey` is `#[repr(transparent)]` over
    // `Opaque<bindings::lock_class_key>`, itself `#[repr(transparent)]` over an
    // `UnsafeCell`, so a pointer to it is a pointer to the C key, and lockdep
    // may write through it.
    core::ptr::from_ref(key).cast_mut().cast()
}

/// A spinlock that disables local interrupts while held.
///
/// # Invariants
///
/// `state` is an initialised `spinlock_t`; `data` is only accessed by the
/// holder of `state`.
#[pin_data]
pub struct SpinLockIrq<T> {
    #[pin]
    state: Opaque<bindings::spinlock_t>,
    #[pin]
    _pin: PhantomPinned,
    data: UnsafeCell<T>,
}

// SAFETY: The lock hands `data` to one holder at a time, from any thread.
unsafe impl<T: Send> Send for SpinLockIrq<T> {}
// SAFETY: As above: shared references only give access through the lock.
unsafe impl<T: Send> Sync for SpinLockIrq<T> {}

impl<T> SpinLockIrq<T> {
    /// Returns an initialiser of a lock holding `t`, with lockdep class `key`.
    /// Prefer [`new_spinlock_irq!`].
    pub fn new(t: T, name: &'static CStr, key: &'static LockClassKey) -> impl PinInit<Self> {
        pin_init!(Self {
            data: UnsafeCell::new(t),
            _pin: PhantomPinned,
            // SAFETY: `slot` is valid for writes for the duration of the call;
            // `name` and `key` are static, as lockdep needs.
            state <- Opaque::ffi_init(|slot: *mut bindings::spinlock_t| unsafe {
                kernel::bindings::__spin_lock_init(
                    slot.cast(),
                    name.as_char_ptr(),
                    class_key_ptr(key).cast(),
                )
            }),
        })
    }

    /// The C `spinlock_t`, e.g. to hand to a C function. Using it is unsafe
    /// (and must follow this lock's rules); getting it is not.
    pub fn as_raw(&self) -> *mut bindings::spinlock_t {
        self.state.get()
    }

    /// Disables local interrupts and takes the lock, spinning while another
    /// CPU holds it. Not for NMI context.
    pub fn lock(&self) -> SpinLockIrqGuard<'_, T> {
        // SAFETY: `state` is initialised (type invariant).
        let flags = unsafe { bindings::lw_spin_lock_irqsave(self.state.get()) };
        // INVARIANT: the lock is held, with `flags` saved by this call.
        SpinLockIrqGuard {
            lock: self,
            flags,
            _not_send: PhantomData,
        }
    }

    /// Takes the lock only if it is free right now; never spins. Interrupts
    /// are left as they were when it fails.
    pub fn try_lock(&self) -> Option<SpinLockIrqGuard<'_, T>> {
        let mut flags: c_ulong = 0;
        // SAFETY: `state` is initialised (type invariant); `flags` is valid
        // for writes.
        if unsafe { bindings::lw_spin_trylock_irqsave(self.state.get(), &mut flags) } {
            // INVARIANT: the trylock succeeded and saved `flags`.
            Some(SpinLockIrqGuard {
                lock: self,
                flags,
                _not_send: PhantomData,
            })
        } else {
            None
        }
    }
}

/// Proof that a [`SpinLockIrq`] is held with interrupts disabled; unlocks and
/// restores the saved interrupt state when dropped.
///
/// # Invariants
///
/// `lock.state` is held by this CPU, and `flags` are the interrupt flags
/// saved when it was taken.
#[must_use = "the lock unlocks immediately when the guard is unused"]
pub struct SpinLockIrqGuard<'a, T> {
    lock: &'a SpinLockIrq<T>,
    flags: c_ulong,
    // A spinlock is released on the CPU that took it.
    _not_send: PhantomData<*mut ()>,
}

impl<T> SpinLockIrqGuard<'_, T> {
    /// Takes another [`SpinLockIrq`] while this one is held (interrupts are
    /// already off). The returned guard borrows this one, so the two are
    /// necessarily released in the right order.
    pub fn lock_nested<'b, U>(&'b mut self, other: &'b SpinLockIrq<U>) -> NestedGuard<'b, U> {
        // SAFETY: `other.state` is initialised (type invariant of `other`);
        // interrupts are disabled by `self` (type invariant).
        unsafe { kernel::bindings::spin_lock(other.state.get().cast()) };
        // INVARIANT: `other` is now held; `self` is borrowed as long as the
        // nested guard lives.
        NestedGuard {
            lock: other,
            _outer: PhantomData,
        }
    }
}

impl<T> Deref for SpinLockIrqGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: The lock is held (type invariant).
        unsafe { &*self.lock.data.get() }
    }
}

impl<T> DerefMut for SpinLockIrqGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: The lock is held (type invariant) and `self` is borrowed
        // mutably.
        unsafe { &mut *self.lock.data.get() }
    }
}

impl<T> Drop for SpinLockIrqGuard<'_, T> {
    fn drop(&mut self) {
        // SAFETY: This CPU holds the lock and `flags` were saved when taking
        // it (type invariant).
        unsafe { bindings::lw_spin_unlock_irqrestore(self.lock.state.get(), self.flags) };
    }
}

/// Guard of a [`SpinLockIrq`] taken inside another one's guard with
/// [`SpinLockIrqGuard::lock_nested`].
///
/// # Invariants
///
/// `lock.state` is held by this CPU, inside an outer guard that is borrowed
/// for `'a`.
#[must_use = "the lock unlocks immediately when the guard is unused"]
pub struct NestedGuard<'a, U> {
    lock: &'a SpinLockIrq<U>,
    _outer: PhantomData<&'a mut *mut ()>,
}

impl<U> Deref for NestedGuard<'_, U> {
    type Target = U;

    fn deref(&self) -> &U {
        // SAFETY: The lock is held (type invariant).
        unsafe { &*self.lock.data.get() }
    }
}

impl<U> DerefMut for NestedGuard<'_, U> {
    fn deref_mut(&mut self) -> &mut U {
        // SAFETY: The lock is held (type invariant); `self` is borrowed
        // mutably.
        unsafe { &mut *self.lock.data.get() }
    }
}

impl<U> Drop for NestedGuard<'_, U> {
    fn drop(&mut self) {
        // SAFETY: This CPU holds the lock (type invariant); interrupts stay
        // disabled by the outer guard.
        unsafe { kernel::bindings::spin_unlock(self.lock.state.get().cast()) };
    }
}

/// A `kernel::sync::lock::Backend` with the same semantics, so that the
/// kernel crate's `Lock<T, SpinLockIrqBackend>` (and what builds on it) can
/// be interrupt-safe too. Its guards follow the same drop-order rule.
pub struct SpinLockIrqBackend;

/// The kernel crate's generic lock with [`SpinLockIrqBackend`].
pub type KernelSpinLockIrq<T> = kernel::sync::lock::Lock<T, SpinLockIrqBackend>;

// SAFETY: `lock` takes the spinlock with interrupts disabled and returns the
// saved flags; `unlock` releases it and restores them; only one holder at a
// time, as `spinlock_t` guarantees.
unsafe impl kernel::sync::lock::Backend for SpinLockIrqBackend {
    type State = bindings::spinlock_t;
    type GuardState = c_ulong;

    unsafe fn init(
        ptr: *mut Self::State,
        name: *const kernel::ffi::c_char,
        key: *mut kernel::bindings::lock_class_key,
    ) {
        // SAFETY: The caller passes a valid, writable `ptr` and static `name`
        // and `key`.
        unsafe { kernel::bindings::__spin_lock_init(ptr.cast(), name, key) }
    }

    unsafe fn lock(ptr: *mut Self::State) -> Self::GuardState {
        // SAFETY: The caller passes an initialised lock.
        unsafe { bindings::lw_spin_lock_irqsave(ptr) }
    }

    unsafe fn unlock(ptr: *mut Self::State, guard_state: &Self::GuardState) {
        // SAFETY: The caller holds the lock, taken with these flags.
        unsafe { bindings::lw_spin_unlock_irqrestore(ptr, *guard_state) }
    }
}
