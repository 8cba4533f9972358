// SPDX-License-Identifier: GPL-2.0

//! Deferred parts, the NVRAM quota, and the flush work that writes the one
//! and enforces the other.
//!
//! A part that the dump path (`writer.rs`) found the efivars lock or the
//! firmware busy for, outside a panic, waits in a preallocated slot
//! ([`Deferred`], in the [`Flusher`]'s pool); [`Kick`] queues the flush
//! work, which writes it and then evicts our oldest records until the
//! [`Quota`] holds. [`FlushOwner`] cancels the work on unload and writes
//! what is left.
//!
//! Context: the flush work runs in process context, where it may sleep for
//! the efivars lock and allocate; [`Kick`] is a hard irq_work handler that
//! only queues the work (the dump path may run in NMI context); the pool is
//! allocated at load ([`Flusher::new`]). The dump path claims slots in any
//! context: `SlotPool` is lock-free.

use kernel::prelude::*;
use kernel::sync::Arc;
use kernel::workqueue::{Work, WorkItem};
use kernel::{impl_has_work, new_work};

use crate::efi_name::DUMP_NAME_LEN;
use crate::lastwords::debugfs::bump;
use crate::lastwords::efivar::{EfivarsGuard, ATTR_NV_BS_RT, LINUX_EFI_CRASH_GUID};
use crate::lastwords::irq_work::IrqWorkHandler;
use crate::lastwords::slot_pool::{self, SlotPool};
use crate::lastwords::workqueue::{OnCancel, OwnedWork};
use crate::nvram::{Found, Names, Payload, PayloadCheck, SKIP_LOG};
use crate::params::Quota;
use crate::read_session;
use crate::{DEFERRED_DROPPED, DEFERRED_ERRORS, DEFERRED_WRITTEN, EVICTED};

/// Parts that found the efivars lock held outside a panic (its holder is
/// alive and will release it) wait here to be written by the flush work.
/// Several dumps' worth (a default dump is about 11 parts): oopses in a row
/// while a reader holds the lock for a long pstorefs mount. Each slot holds
/// `record_size` bytes (64 KiB in all at the default size).
const DEFER_SLOTS: usize = 64;

/// A part waiting for the efivars lock; `name` and `buf` are preallocated
/// at load (on the heap, so that the pool itself stays small).
pub(crate) struct Deferred {
    pub(crate) name: KVec<u16>,
    pub(crate) len: usize,
    pub(crate) buf: KVec<u8>,
}

/// One of our variables, as the quota sees it.
struct Stored {
    f: Found,
    size: usize,
}

/// The flush work: writes deferred parts, then enforces the quota, in
/// process context, where it may wait for the efivars lock.
#[pin_data]
pub(crate) struct Flusher {
    #[pin]
    work: Work<Flusher>,
    pub(crate) pool: KBox<SlotPool<Deferred, DEFER_SLOTS>>,
    pub(crate) quota: Quota,
}

impl_has_work! {
    impl HasWork<Self> for Flusher { self.work }
}

impl Flusher {
    /// The flush work, with [`DEFER_SLOTS`] slots of `record_size` bytes
    /// preallocated. Process context (module init).
    pub(crate) fn new(record_size: usize, quota: Quota) -> Result<Arc<Self>> {
        // Built in place: the pool is too big to pass through the stack.
        let mut pool = slot_pool::new_boxed::<_, DEFER_SLOTS>(|_| Deferred {
            name: KVec::new(),
            len: 0,
            buf: KVec::new(),
        })?;
        for d in pool.values_mut() {
            d.name = KVec::from_elem(0u16, DUMP_NAME_LEN, GFP_KERNEL)?;
            d.buf = KVec::from_elem(0u8, record_size, GFP_KERNEL)?;
        }
        let flusher = Arc::pin_init(
            pin_init!(Flusher {
                work <- new_work!("lw_efi_pstore::flush"),
                pool,
                quota,
            }),
            GFP_KERNEL,
        )?;
        Ok(flusher)
    }

    fn flush(&self) {
        if self.pool.ready() == 0 && !self.quota.enabled() {
            return;
        }
        let g = match EfivarsGuard::lock() {
            Ok(g) => g,
            Err(e) => {
                pr_warn!("deferred parts not written: efivars lock: {:?}\n", e);
                return;
            }
        };
        self.write_deferred(&g);
        if self.quota.enabled() {
            self.enforce_quota_or_say(&g);
        }
    }

    /// Writes every deferred part under `g`.
    fn write_deferred(&self, g: &EfivarsGuard) {
        while let Some(d) = self.pool.take() {
            let data = d.buf.get(..d.len).unwrap_or(&[]);
            match g.set_variable(&d.name, &LINUX_EFI_CRASH_GUID, ATTR_NV_BS_RT, data, false) {
                Ok(()) => bump(&DEFERRED_WRITTEN),
                Err((_, e)) => {
                    bump(&DEFERRED_ERRORS);
                    pr_warn!("deferred part not written: {:?}\n", e);
                }
            }
        }
    }

    /// The last flush, at unload (rmmod's context): waits for the efivars
    /// lock without being interruptible (a trylock, then a short sleep), so
    /// that a signal to rmmod drops no deferred part. Only if there is no
    /// efivars left at all are the parts dropped, counted and said.
    fn final_flush(&self) {
        if self.pool.ready() == 0 && !self.quota.enabled() {
            return;
        }
        let g = loop {
            match EfivarsGuard::try_lock() {
                Ok(g) => break g,
                Err(e) if e == EBUSY => crate::lastwords::time::msleep(10),
                Err(e) => {
                    let mut dropped = 0usize;
                    while self.pool.take().is_some() {
                        bump(&DEFERRED_DROPPED);
                        dropped += 1;
                    }
                    pr_warn!(
                        "{} deferred parts dropped: efivars lock: {:?}\n",
                        dropped,
                        e
                    );
                    return;
                }
            }
        };
        self.write_deferred(&g);
        if self.quota.enabled() {
            self.enforce_quota_or_say(&g);
        }
    }

    /// [`Flusher::enforce_quota`], with a rate-limited line if it fails.
    pub(crate) fn enforce_quota_or_say(&self, g: &EfivarsGuard) {
        if let Err(e) = self.enforce_quota(g) {
            if SKIP_LOG.allow() {
                pr_warn!("quota not enforced: {:?}\n", e);
            }
        }
    }

    /// Deletes our oldest variables (oldest dump first, and in a dump the
    /// oldest part, the highest number, first) until the quota holds.
    /// What counts and may be evicted is ours: records that pass the
    /// reader's checks, and dense parts of ours (name and header magic)
    /// whose data is damaged; anything else under the crash GUID is never
    /// counted nor deleted. Eviction does not prefer pmsg over dmesg
    /// records: the oldest go.
    fn enforce_quota(&self, g: &EfivarsGuard) -> Result {
        let mut names = Names::new(false)?;
        let mut check = PayloadCheck::new()?;
        let mut stored = KVec::new();
        // An enumeration the firmware broke evicts nothing: the records not
        // reached may be older than those seen.
        while let Some(f) = names.next(g)? {
            match check.read(g, &f, false) {
                Payload::Record(_) | Payload::Damaged(_) => stored.push(
                    Stored {
                        f,
                        size: check.stored_size(),
                    },
                    GFP_KERNEL,
                )?,
                Payload::Foreign => {}
            }
        }
        let key = |s: &Stored| (s.f.dn.time, s.f.dn.count, u32::MAX - s.f.dn.part);
        read_session::sort_by_key(&mut stored, key);
        let mut bytes: usize = stored.iter().map(|s| s.size).sum();
        let mut records = stored.len();
        for s in stored.iter() {
            if self.quota.allows(bytes, records) {
                break;
            }
            g.set_variable(&s.f.name, &LINUX_EFI_CRASH_GUID, ATTR_NV_BS_RT, &[], false)
                .map_err(|(_, e)| e)?;
            bump(&EVICTED);
            bytes = bytes.saturating_sub(s.size);
            records -= 1;
        }
        Ok(())
    }
}

impl WorkItem for Flusher {
    type Pointer = Arc<Flusher>;

    fn run(this: Arc<Flusher>) {
        this.flush();
    }
}

/// Hard irq_work that queues the flush work: the write path may run in NMI
/// context, where work cannot be queued directly.
pub(crate) struct Kick {
    pub(crate) flusher: Arc<Flusher>,
}

impl IrqWorkHandler for Kick {
    fn run(&self) {
        // Already queued: that run will see this part too.
        let _ = crate::lastwords::workqueue::system_percpu().enqueue(self.flusher.clone());
    }
}

/// Owns the flush work: on unload, cancels it and writes what is left, so
/// that removing the module loses no deferred part.
pub(crate) type FlushOwner = OwnedWork<Flusher>;

impl OnCancel for Flusher {
    fn on_cancel(&self, _was_pending: bool) {
        self.final_flush();
    }
}
