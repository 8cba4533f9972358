// SPDX-License-Identifier: GPL-2.0

//! A pool of `N` preallocated slots handed from producers in any context (NMI
//! included: lock-free, bounded, no allocation) to a consumer in process
//! context.
//!
//! A slot goes FREE → FILLING (a producer claimed it) → READY (published, with
//! a sequence number) → DRAINING (the consumer took it) → FREE. Every state
//! change is one compare-exchange or store on the slot's own state word, so
//! each slot has one owner at a time; the consumer takes READY slots oldest
//! first. A full pool makes `claim` fail: the caller counts a drop.

use core::cell::UnsafeCell;
use core::ops::{Deref, DerefMut};

#[cfg(loom)]
use loom::sync::atomic::{AtomicU32, Ordering};

#[cfg(not(loom))]
use core::sync::atomic::{AtomicU32, Ordering};

const FREE: u32 = 0;
const FILLING: u32 = 1;
const READY: u32 = 2;
const DRAINING: u32 = 3;

struct Slot<T> {
    state: AtomicU32,
    seq: AtomicU32,
    value: UnsafeCell<T>,
}

/// The pool.
///
/// # Invariants
///
/// A slot's `value` is accessed only by the one [`Filling`] or [`Draining`]
/// guard that moved its `state` to FILLING or DRAINING, or through `&mut self`.
pub struct SlotPool<T, const N: usize> {
    slots: [Slot<T>; N],
    next_seq: AtomicU32,
}

// SAFETY: Slots are handed to one owner at a time (type invariant); values
// move between threads, hence `T: Send`.
unsafe impl<T: Send, const N: usize> Sync for SlotPool<T, N> {}
// SAFETY: As above.
unsafe impl<T: Send, const N: usize> Send for SlotPool<T, N> {}

/// A claimed slot being filled. Dropping it without [`Filling::publish`]
/// gives the slot back.
pub struct Filling<'a, T, const N: usize> {
    pool: &'a SlotPool<T, N>,
    slot: &'a Slot<T>,
    published: bool,
}

/// A slot taken by the consumer; freed when dropped.
pub struct Draining<'a, T, const N: usize> {
    slot: &'a Slot<T>,
    _pool: core::marker::PhantomData<&'a SlotPool<T, N>>,
}

impl<T, const N: usize> SlotPool<T, N> {
    /// A pool whose slot `i` holds `init(i)`.
    pub fn new(mut init: impl FnMut(usize) -> T) -> Self {
        Self {
            slots: core::array::from_fn(|i| Slot {
                state: AtomicU32::new(FREE),
                seq: AtomicU32::new(0),
                value: UnsafeCell::new(init(i)),
            }),
            next_seq: AtomicU32::new(0),
        }
    }

    /// Builds a pool in place, slot `i` holding `init(i)`: unlike
    /// [`SlotPool::new`], the pool never passes through the stack (kernel
    /// stacks are 16 KiB; a pool of many slots may not fit).
    pub fn init_in_place(
        this: &mut core::mem::MaybeUninit<Self>,
        mut init: impl FnMut(usize) -> T,
    ) -> &mut Self {
        let p = this.as_mut_ptr();
        // SAFETY: `p` is valid for writes of a whole `Self` (it comes from a
        // `&mut MaybeUninit<Self>`); every field is written exactly once,
        // through raw pointers, before the value is assumed initialised. An
        // array of `N` slots is `N` consecutive slots.
        unsafe {
            let slots = core::ptr::addr_of_mut!((*p).slots).cast::<Slot<T>>();
            for i in 0..N {
                slots.add(i).write(Slot {
                    state: AtomicU32::new(FREE),
                    seq: AtomicU32::new(0),
                    value: UnsafeCell::new(init(i)),
                });
            }
            core::ptr::addr_of_mut!((*p).next_seq).write(AtomicU32::new(0));
            this.assume_init_mut()
        }
    }

    /// Every slot's value, for set-up before the pool is shared.
    pub fn values_mut(&mut self) -> impl Iterator<Item = &mut T> {
        self.slots.iter_mut().map(|s| s.value.get_mut())
    }

    /// Claims a free slot, or `None` if all are in use. Lock-free: at most
    /// `N` compare-exchanges; safe in any context.
    pub fn claim(&self) -> Option<Filling<'_, T, N>> {
        for s in self.slots.iter() {
            if s.state
                .compare_exchange(FREE, FILLING, Ordering::Acquire, Ordering::Relaxed)
                .is_ok()
            {
                return Some(Filling {
                    pool: self,
                    slot: s,
                    published: false,
                });
            }
        }
        None
    }

    /// Takes the oldest published slot, if any.
    pub fn take(&self) -> Option<Draining<'_, T, N>> {
        loop {
            let mut best: Option<(&Slot<T>, u32)> = None;
            for s in self.slots.iter() {
                if s.state.load(Ordering::Acquire) == READY {
                    let seq = s.seq.load(Ordering::Relaxed);
                    // Oldest first, in wrapping sequence order.
                    let older = match best {
                        None => true,
                        Some((_, b)) => (seq.wrapping_sub(b) as i32) < 0,
                    };
                    if older {
                        best = Some((s, seq));
                    }
                }
            }
            let (s, _) = best?;
            if s.state
                .compare_exchange(READY, DRAINING, Ordering::Acquire, Ordering::Relaxed)
                .is_ok()
            {
                return Some(Draining {
                    slot: s,
                    _pool: core::marker::PhantomData,
                });
            }
            // Another consumer took it: look again.
        }
    }

    /// How many slots are published and not yet taken (a hint).
    pub fn ready(&self) -> usize {
        self.slots
            .iter()
            .filter(|s| s.state.load(Ordering::Relaxed) == READY)
            .count()
    }
}

impl<T, const N: usize> Filling<'_, T, N> {
    /// Hands the filled slot to the consumer.
    pub fn publish(mut self) {
        let seq = self.pool.next_seq.fetch_add(1, Ordering::Relaxed);
        self.slot.seq.store(seq, Ordering::Relaxed);
        // Release: the value and its sequence number are visible to the
        // consumer that sees READY.
        self.slot.state.store(READY, Ordering::Release);
        self.published = true;
    }
}

impl<T, const N: usize> Drop for Filling<'_, T, N> {
    fn drop(&mut self) {
        if !self.published {
            self.slot.state.store(FREE, Ordering::Release);
        }
    }
}

impl<T, const N: usize> Drop for Draining<'_, T, N> {
    fn drop(&mut self) {
        self.slot.state.store(FREE, Ordering::Release);
    }
}

macro_rules! impl_deref {
    ($guard:ident) => {
        impl<T, const N: usize> Deref for $guard<'_, T, N> {
            type Target = T;

            fn deref(&self) -> &T {
                // SAFETY: This guard owns the slot (type invariant of
                // `SlotPool`): no other reference to the value exists.
                unsafe { &*self.slot.value.get() }
            }
        }

        impl<T, const N: usize> DerefMut for $guard<'_, T, N> {
            fn deref_mut(&mut self) -> &mut T {
                // SAFETY: As above, and the guard is borrowed mutably.
                unsafe { &mut *self.slot.value.get() }
            }
        }
    };
}

impl_deref!(Filling);
impl_deref!(Draining);
