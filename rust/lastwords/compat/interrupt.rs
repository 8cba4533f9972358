// SPDX-License-Identifier: GPL-2.0

//! `local_interrupt_disable()` for 6.12: the interrupt-disable token of 7.x's
//! `kernel::interrupt`, with the same names.
//!
//! 7.x counts nested sections per CPU; here each token saves the interrupt
//! state (`local_irq_save()`) and restores it when dropped, so nested tokens
//! must be dropped in reverse order, as scoped ones are.

use crate::lastwords::bindings;
use core::marker::PhantomData;
use kernel::ffi::c_ulong;

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
/// leave this CPU (`!Send`); `flags` is the state to restore, or `None` for a
/// token that only borrows an existing section ([`Self::assume_disabled`]).
pub struct LocalInterruptDisabled {
    flags: Option<c_ulong>,
    _not_send: PhantomData<*mut ()>,
}

/// Disables interrupts on this CPU until the returned token is dropped.
#[inline]
pub fn local_interrupt_disable() -> LocalInterruptDisabled {
    // SAFETY: No precondition: saves and disables the local interrupt state.
    let flags = unsafe { bindings::lw_local_irq_save() };
    // INVARIANT: Interrupts are now disabled; `flags` restores them.
    LocalInterruptDisabled {
        flags: Some(flags),
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
            flags: None,
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
        if let Some(flags) = self.flags {
            // SAFETY: `flags` came from `lw_local_irq_save()` on this CPU
            // (type invariant).
            unsafe { bindings::lw_local_irq_restore(flags) };
        }
    }
}
