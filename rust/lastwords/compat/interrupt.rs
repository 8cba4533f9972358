// SPDX-License-Identifier: GPL-2.0

//! `local_interrupt_disable()` for 6.12: the interrupt-disable token of 7.x's
//! `kernel::interrupt`, with the same names.
//!
//! As in 7.x, nested sections are counted per CPU (C shims mirroring 7.x's
//! `include/linux/interrupt_rc.h`): the outermost one saves the interrupt
//! state and the last one to end restores it, so tokens, and the guards of
//! [`super::spinlock_irq::SpinLockIrq::lock`], which use the same count, may
//! be dropped in any order.

use crate::lastwords::bindings;
use core::marker::PhantomData;

/// Proof that interrupts are disabled on this CPU for the token's lifetime.
///
/// # Examples
///
/// Two `SpinLockIrq`s taken under one token (module code writes
/// `lastwords::interrupt`, this type on 6.12 and the kernel crate's on 7.x):
///
/// ```ignore
/// use crate::lastwords::interrupt::local_interrupt_disable;
///
/// let irqs = local_interrupt_disable();
/// let mut a = shared.irq_lock.lock_with(&irqs);
/// let mut b = shared.irq_lock2.lock_with(&irqs);
/// *a = a.wrapping_add(1);
/// *b = b.wrapping_add(1);
/// // Any order: the token keeps interrupts off until it is dropped.
/// drop(a);
/// drop(b);
/// ```
///
/// # Invariants
///
/// Interrupts are disabled on this CPU while the token exists; it does not
/// leave this CPU (`!Send`); `counted` says whether it holds one count of
/// the CPU's interrupt-disable sections (`false` for a token that only
/// borrows an existing section, [`Self::assume_disabled`]).
pub struct LocalInterruptDisabled {
    counted: bool,
    _not_send: PhantomData<*mut ()>,
}

/// Disables interrupts on this CPU until the returned token is dropped.
#[inline]
pub fn local_interrupt_disable() -> LocalInterruptDisabled {
    // SAFETY: No precondition: disables interrupts and counts the section;
    // the token's drop ends it.
    unsafe { bindings::lw_local_interrupt_disable() };
    // INVARIANT: Interrupts are now disabled; the token holds one count.
    LocalInterruptDisabled {
        counted: true,
        _not_send: PhantomData,
    }
}

impl LocalInterruptDisabled {
    /// Returns a token for a section the caller knows has interrupts disabled
    /// (a hard interrupt handler, a held `SpinLockIrq`). Lockdep checks it.
    ///
    /// # Safety
    ///
    /// Interrupts must stay disabled on this CPU for the lifetime `'a`.
    #[inline]
    pub unsafe fn assume_disabled<'a>() -> &'a LocalInterruptDisabled {
        const ASSUMED: &LocalInterruptDisabled = &LocalInterruptDisabled {
            counted: false,
            _not_send: PhantomData,
        };
        // SAFETY: No precondition; warns (under lockdep) if the caller lied.
        unsafe { bindings::lw_lockdep_assert_irqs_disabled() };
        ASSUMED
    }
}

impl Drop for LocalInterruptDisabled {
    #[inline]
    fn drop(&mut self) {
        if self.counted {
            // SAFETY: The token holds one count of this CPU's sections (type
            // invariant), given back once, here.
            unsafe { bindings::lw_local_interrupt_enable() };
        }
    }
}
