// SPDX-License-Identifier: GPL-2.0

//! `SpinLockIrq` for 6.12: the interrupt-disabling spinlock of 7.x's
//! `kernel::sync`, with the same names and signatures, for data shared with
//! hard interrupt handlers.
//!
//! 6.12's kernel crate has only `SpinLock`, which leaves interrupts enabled:
//! if task code holds it and an interrupt on the same CPU takes it, the CPU
//! deadlocks (and lockdep reports "inconsistent lock state"). [`SpinLockIrq`]
//! disables interrupts for as long as it is held. It is not for NMI context:
//! an NMI cannot be masked, use [`crate::lastwords::crash_lock`] there.
//!
//! As in 7.x, [`SpinLockIrq::lock`] counts an interrupt-disable section on
//! this CPU (the same count as [`LocalInterruptDisabled`] tokens; see
//! `compat/interrupt.rs`), so guards and tokens may be dropped in any order:
//! interrupts come back when the last one ends. To hold several locks, take
//! them with [`SpinLockIrq::lock_with`] under one token (the 7.x idiom).
//! Unlike 7.x, `lock_with` returns a [`SpinLockIrqGuard`] (7.x: a plain
//! `SpinLockGuard`): module code does not name the guard type.
//!
//! # Examples
//!
//! ```ignore
//! let irqs = local_interrupt_disable();
//! let a = lock_a.lock_with(&irqs);
//! let b = lock_b.lock_with(&irqs);
//! drop(a); // any order: the token keeps interrupts off
//! ```

use super::interrupt::LocalInterruptDisabled;
use crate::lastwords::bindings;
use core::cell::UnsafeCell;
use core::marker::{PhantomData, PhantomPinned};
use core::ops::{Deref, DerefMut};
use kernel::prelude::*;
use kernel::str::CStr;
use kernel::sync::LockClassKey;
use kernel::types::Opaque;

/// Creates a [`SpinLockIrq`] initialiser with a lockdep class of its own,
/// named after the given literal or, without one, after the call site.
#[macro_export]
macro_rules! lw_new_spinlock_irq {
    ($inner:expr $(, $name:literal)? $(,)?) => {
        $crate::lastwords::sync::SpinLockIrq::new(
            $inner,
            ::kernel::optional_name!($($name)?),
            ::kernel::static_lock_class!(),
        )
    };
}
pub use lw_new_spinlock_irq as new_spinlock_irq;

/// Returns the C pointer of a kernel lock class key.
fn class_key_ptr(key: &'static LockClassKey) -> *mut bindings::lock_class_key {
    // `LockClassKey` is `#[repr(transparent)]` over
    // `Opaque<bindings::lock_class_key>`, itself `#[repr(transparent)]` over an
    // `UnsafeCell`, so a pointer to it is a pointer to the C key, and lockdep
    // may write through it.
    core::ptr::from_ref(key).cast_mut().cast()
}

/// A spinlock that keeps interrupts disabled on the local CPU while held.
///
/// # Invariants
///
/// `state` is an initialised `spinlock_t`; `data` is only accessed through a
/// guard, and a guard exists only while this CPU holds `state`.
#[pin_data]
pub struct SpinLockIrq<T> {
    #[pin]
    state: Opaque<bindings::spinlock_t>,
    #[pin]
    _pin: PhantomPinned,
    data: UnsafeCell<T>,
}

// SAFETY: The lock hands out `&mut T` to one holder at a time, on whatever
// CPU holds it, so it may move between and be shared by threads if `T: Send`.
unsafe impl<T: Send> Send for SpinLockIrq<T> {}
// SAFETY: As above: shared references only give access under the lock.
unsafe impl<T: Send> Sync for SpinLockIrq<T> {}

impl<T> SpinLockIrq<T> {
    /// Returns an initialiser; prefer [`new_spinlock_irq!`].
    pub fn new(t: T, name: &'static CStr, key: &'static LockClassKey) -> impl PinInit<Self> {
        pin_init!(Self {
            data: UnsafeCell::new(t),
            _pin: PhantomPinned,
            // SAFETY: `slot` is valid for writes and pinned; `name` and `key`
            // are static, as lockdep requires.
            state <- Opaque::ffi_init(|slot: *mut bindings::spinlock_t| unsafe {
                kernel::bindings::__spin_lock_init(
                    slot.cast(),
                    name.as_char_ptr(),
                    class_key_ptr(key).cast(),
                )
            }),
        })
    }

    /// Disables interrupts (one counted section) and takes the lock, spinning.
    pub fn lock(&self) -> SpinLockIrqGuard<'_, T> {
        // SAFETY: No precondition; the guard's drop ends the section.
        unsafe { bindings::lw_local_interrupt_disable() };
        // SAFETY: `state` is initialised (type invariant).
        unsafe { kernel::bindings::spin_lock(self.state.get().cast()) };
        // INVARIANT: The lock is held, and the guard holds one count of this
        // CPU's interrupt-disable sections.
        SpinLockIrqGuard {
            lock: self,
            counted: true,
            _not_send: PhantomData,
        }
    }

    /// Like [`Self::lock`], but returns `None` at once if the lock is held.
    pub fn try_lock(&self) -> Option<SpinLockIrqGuard<'_, T>> {
        // SAFETY: No precondition; ended below or by the guard's drop.
        unsafe { bindings::lw_local_interrupt_disable() };
        // SAFETY: `state` is initialised (type invariant).
        if unsafe { bindings::lw_spin_trylock(self.state.get()) } {
            // INVARIANT: The lock is held; the guard holds the count.
            Some(SpinLockIrqGuard {
                lock: self,
                counted: true,
                _not_send: PhantomData,
            })
        } else {
            // SAFETY: Ends the section begun above.
            unsafe { bindings::lw_local_interrupt_enable() };
            None
        }
    }

    /// Takes the lock while `irqs` proves interrupts are already disabled;
    /// the guard may outlive other guards taken under the same token.
    pub fn lock_with<'a>(&'a self, irqs: &'a LocalInterruptDisabled) -> SpinLockIrqGuard<'a, T> {
        let _ = irqs;
        // SAFETY: `state` is initialised (type invariant); interrupts are off
        // for the guard's lifetime, which `irqs` outlives.
        unsafe { kernel::bindings::spin_lock(self.state.get().cast()) };
        // INVARIANT: The lock is held.
        SpinLockIrqGuard {
            lock: self,
            counted: false,
            _not_send: PhantomData,
        }
    }

    /// Like [`Self::lock_with`], but returns `None` at once if the lock is held.
    pub fn try_lock_with<'a>(
        &'a self,
        irqs: &'a LocalInterruptDisabled,
    ) -> Option<SpinLockIrqGuard<'a, T>> {
        let _ = irqs;
        // SAFETY: `state` is initialised (type invariant).
        if unsafe { bindings::lw_spin_trylock(self.state.get()) } {
            // INVARIANT: The lock is held.
            Some(SpinLockIrqGuard {
                lock: self,
                counted: false,
                _not_send: PhantomData,
            })
        } else {
            None
        }
    }
}

/// Proof that this CPU holds a [`SpinLockIrq`]; releases it when dropped and,
/// if it began an interrupt-disable section itself, ends it.
///
/// # Invariants
///
/// This CPU holds `lock`; `counted` is `true` exactly when the guard holds
/// one count of this CPU's interrupt-disable sections (`lock`, `try_lock`).
#[must_use = "the lock unlocks immediately when the guard is unused"]
pub struct SpinLockIrqGuard<'a, T> {
    lock: &'a SpinLockIrq<T>,
    counted: bool,
    _not_send: PhantomData<*mut ()>,
}

impl<T> Deref for SpinLockIrqGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: The lock is held (type invariant), so no other reference to
        // the data exists.
        unsafe { &*self.lock.data.get() }
    }
}

impl<T> DerefMut for SpinLockIrqGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: As in `deref`, and `&mut self` makes this access unique.
        unsafe { &mut *self.lock.data.get() }
    }
}

impl<T> Drop for SpinLockIrqGuard<'_, T> {
    fn drop(&mut self) {
        // SAFETY: This CPU holds the lock (type invariant).
        unsafe { kernel::bindings::spin_unlock(self.lock.state.get().cast()) };
        if self.counted {
            // SAFETY: The guard holds one count of this CPU's sections (type
            // invariant), given back once, here.
            unsafe { bindings::lw_local_interrupt_enable() };
        }
    }
}
