// SPDX-License-Identifier: GPL-2.0

//! A reference-counted registry whose members can be added and removed while
//! a walker slides over it, after `klist` (`lib/klist.c`) and the device
//! model's parent references: [`RefRegistry`] wraps the node structure of
//! `rust/core/src/registry.rs` ([`algorithm`], tested on the host with
//! `cargo test`) in a [`SpinLockIrq`] and owns one boxed object per member.
//!
//! - Members form a forest (a child holds a reference on its parent) and are
//!   listed in order of addition. [`RefRegistry::add`] allocates the object
//!   before taking the lock.
//! - [`RefRegistry::remove`] hides a member from lookups and walks at once;
//!   its object is freed when the last reference goes ([`RefRegistry::get`]
//!   holders, walkers, children), an orphan ([`RefRegistry::orphans`]) until
//!   then. The registry frees objects outside the lock once the node
//!   structure reports them released.
//! - [`RefRegistry::walk`] visits the live members in order with a sliding
//!   reference, sleeping between members with only that reference held
//!   (a recovery walker): every member live for the whole walk is visited
//!   exactly once, and none after its removal.
//!
//! Nothing here is specific to one subsystem: the APEI test module
//! (`lw_apei_test`) keeps its error sources ("platform" → "source") in one.

use super::sync::{new_spinlock_irq, SpinLockIrq};
use super::time;
use kernel::prelude::*;

#[path = "../core/src/registry.rs"]
pub mod algorithm;

pub use algorithm::{Id, NodeInfo};
use algorithm::{RegError, Registry, Released};

/// The registry's state: the node structure and one object per slot.
pub struct RegState<T, const N: usize> {
    reg: Registry<N>,
    objs: [Option<KBox<T>>; N],
}

/// Objects released by one registry step, freed after the lock is dropped.
struct Freed<T> {
    objs: [Option<KBox<T>>; algorithm::MAX_DEPTH],
}

impl<T> Freed<T> {
    fn new() -> Self {
        Self {
            objs: core::array::from_fn(|_| None),
        }
    }

    /// Moves the objects of the slots in `rel` out of `st`.
    fn collect<const N: usize>(&mut self, st: &mut RegState<T, N>, rel: Option<Released>) {
        let Some(rel) = rel else { return };
        for (f, out) in rel.iter().zip(self.objs.iter_mut()) {
            if let Some(o) = st.objs.get_mut(f.id.index()) {
                *out = o.take();
            }
        }
    }
}

fn reg_err(e: RegError) -> Error {
    match e {
        RegError::Full => ENOSPC,
        RegError::StaleId => ENOENT,
        RegError::Removed | RegError::ParentGone => ENOENT,
        RegError::TooDeep => EINVAL,
        RegError::RefOverflow => ERANGE,
        RegError::NoRef => EINVAL,
    }
}

/// A reference-counted registry of up to `N` members, each owning a boxed
/// `T`, that members can join and leave while walkers slide over it.
///
/// # Examples
///
/// ```ignore
/// use crate::lastwords::registry::RefRegistry;
///
/// #[pin_data]
/// struct Sources {
///     #[pin]
///     reg: RefRegistry<Source, 32>,
/// }
///
/// let sources = KBox::pin_init(pin_init!(Sources { reg <- RefRegistry::new() }), GFP_KERNEL)?;
/// // A platform (a root) with one error source under it.
/// let platform = sources.reg.add(None, KIND_PLATFORM, Source::new())?;
/// let source = sources.reg.add(Some(platform), KIND_SOURCE, Source::new())?;
/// // A recovery walk, sleeping 10 ms between members; others may come and go.
/// let visited = sources.reg.walk(10, |_id, s| s.visits += 1)?;
/// // The platform is an orphan until its child goes; then both are freed.
/// sources.reg.remove(platform)?;
/// sources.reg.remove(source)?;
/// ```
///
/// # Invariants
///
/// `inner.objs[i]` is `Some` exactly while slot `i` is linked in
/// `inner.reg`; objects of released slots are dropped outside the lock.
#[pin_data]
pub struct RefRegistry<T: Send, const N: usize> {
    #[pin]
    inner: SpinLockIrq<RegState<T, N>>,
}

impl<T: Send, const N: usize> RefRegistry<T, N> {
    /// An empty registry.
    pub fn new() -> impl PinInit<Self> {
        pin_init!(Self {
            inner <- new_spinlock_irq!(
                RegState {
                    reg: Registry::new(),
                    objs: core::array::from_fn(|_| None),
                },
                "lw_registry"
            ),
        })
    }

    /// Adds a live node owning `obj` (allocated here, before locking), as a
    /// child of live `parent` or as a root. Process context.
    pub fn add(&self, parent: Option<Id>, kind: u8, obj: T) -> Result<Id> {
        let b = KBox::new(obj, GFP_KERNEL)?;
        let mut st = self.inner.lock();
        let id = match st.reg.add(parent, kind) {
            Ok(id) => id,
            Err(e) => {
                drop(st);
                drop(b);
                return Err(reg_err(e));
            }
        };
        // INVARIANT: the slot is linked now, and its object is stored.
        let old = st.objs.get_mut(id.index()).and_then(|s| s.replace(b));
        drop(st);
        // A freed slot's object was taken when it was released: `old` is
        // `None`; drop it outside the lock all the same.
        drop(old);
        Ok(id)
    }

    fn step(
        &self,
        f: impl FnOnce(&mut Registry<N>) -> Result<Option<Released>, RegError>,
    ) -> Result {
        let mut freed = Freed::new();
        let r = {
            let mut st = self.inner.lock();
            match f(&mut st.reg) {
                Ok(rel) => {
                    freed.collect(&mut st, rel);
                    Ok(())
                }
                Err(e) => Err(reg_err(e)),
            }
        };
        // The lock is dropped: free the released objects here.
        drop(freed);
        r
    }

    /// Removes live node `id`; its object is freed now if nothing references
    /// it, else when the last reference goes (an orphan until then).
    pub fn remove(&self, id: Id) -> Result {
        self.step(|r| r.remove(id))
    }

    /// Takes a reference on live node `id`.
    pub fn get(&self, id: Id) -> Result {
        self.inner.lock().reg.get(id).map_err(reg_err)
    }

    /// Drops a reference taken by [`RefRegistry::get`].
    pub fn put(&self, id: Id) -> Result {
        self.step(|r| r.put(id))
    }

    /// Runs `f` on live or orphaned node `id`'s object, under the lock (`f`
    /// must not sleep).
    pub fn with<R>(&self, id: Id, f: impl FnOnce(&mut T) -> R) -> Result<R> {
        let mut st = self.inner.lock();
        st.reg.info(id).map_err(reg_err)?;
        match st.objs.get_mut(id.index()).and_then(|o| o.as_deref_mut()) {
            Some(o) => Ok(f(o)),
            None => Err(ENOENT),
        }
    }

    /// Walks the live nodes in order of addition, calling `visit` on each
    /// under the lock (it must not sleep) and sleeping `sleep_ms` between
    /// nodes with only a reference held (the recovery walker). Nodes added or
    /// removed meanwhile are handled as [`algorithm`] documents; every node
    /// live for the whole walk is visited exactly once. Returns how many
    /// nodes were visited. Process context.
    pub fn walk(&self, sleep_ms: u32, mut visit: impl FnMut(Id, &mut T)) -> Result<usize> {
        let mut visited = 0usize;
        let mut cur = {
            let mut st = self.inner.lock();
            let first = st.reg.walk_first().map_err(reg_err)?;
            if let Some(id) = first {
                if let Some(o) = st.objs.get_mut(id.index()).and_then(|o| o.as_deref_mut()) {
                    visit(id, o);
                    visited = visited.saturating_add(1);
                }
            }
            first
        };
        while let Some(id) = cur {
            time::msleep(sleep_ms);
            let mut freed = Freed::new();
            let r = {
                let mut st = self.inner.lock();
                match st.reg.walk_next(id) {
                    Ok((next, rel)) => {
                        freed.collect(&mut st, rel);
                        if let Some(n) = next {
                            if let Some(o) =
                                st.objs.get_mut(n.index()).and_then(|o| o.as_deref_mut())
                            {
                                visit(n, o);
                                visited = visited.saturating_add(1);
                            }
                        }
                        Ok(next)
                    }
                    Err(e) => {
                        // The walk still holds `id`: give it back and stop.
                        let rel = st.reg.put(id).ok().flatten();
                        freed.collect(&mut st, rel);
                        Err(reg_err(e))
                    }
                }
            };
            drop(freed);
            cur = r?;
        }
        Ok(visited)
    }

    /// How many nodes are live and how many are orphans.
    pub fn counts(&self) -> (usize, usize) {
        let st = self.inner.lock();
        (st.reg.live_count(), st.reg.orphan_count())
    }

    /// Copies up to `out.len()` orphans (removed, still referenced) into
    /// `out`, in list order; returns how many. Formatting them is left to the
    /// caller, outside the lock.
    pub fn orphans(&self, out: &mut [Option<NodeInfo>]) -> usize {
        let st = self.inner.lock();
        let mut n = 0usize;
        for (o, slot) in st.reg.orphans().zip(out.iter_mut()) {
            *slot = Some(o);
            n = n.saturating_add(1);
        }
        n
    }

    /// Removes every live node, for teardown (references belong to their
    /// holders, who drop them). Returns how many were removed.
    pub fn remove_all(&self) -> usize {
        let mut removed = 0usize;
        for _ in 0..N {
            let first = {
                let st = self.inner.lock();
                let id = st.reg.linked_nodes().find(|n| !n.removed).map(|n| n.id);
                id
            };
            let Some(id) = first else { break };
            if self.remove(id).is_ok() {
                removed = removed.saturating_add(1);
            }
        }
        removed
    }
}
