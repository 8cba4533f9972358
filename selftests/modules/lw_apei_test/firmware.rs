// SPDX-License-Identifier: GPL-2.0

//! The synthetic firmware of `lw_apei_test`: four error sources with their
//! status blocks in memory ([`Fw`], the [`Firmware`] of the pipeline), and
//! how each source notifies the kernel: self-NMIs and the NMI handler
//! ([`ApeiNmi`]) for nmi0 and nmi1, a plain `irq_work` standing for the
//! interrupt line ([`IrqLine`]) for irq0, a work item ([`Poller`]) for poll0.
//! Records are CPER-like ([`cper::encode`]); their payload is a pattern of
//! source and sequence number that [`Fw`]'s `record` checks byte by byte.

use crate::lastwords;
use crate::{
    CORRUPT, FW_TIMEOUTS, INTACT, INTACT_IRQ0, INTACT_NMI0, INTACT_NMI1, INTACT_POLL0, LARGEST,
    MIDCOPY_NMI, NMI_EMPTY, NMI_HANDLED,
};
use core::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use kernel::prelude::*;
use kernel::sync::Arc;
use kernel::workqueue::{Work, WorkItem};
use kernel::{impl_has_work, new_work};
use lastwords::apei::cper::{self, Header, Severity};
use lastwords::apei::{Apei, Firmware, SourceKind, RECORD_MAX};
use lastwords::context;
use lastwords::crash_lock::CrashLock;
use lastwords::debugfs::bump;
use lastwords::irq_work::{IrqWork, IrqWorkHandler};
use lastwords::nmi::{self, NmiHandler, NmiResult, NmiSlot};
use lastwords::time;
use lastwords::workqueue::{OnCancel, OwnedWork};

/// Source numbers.
pub(crate) const NMI0: usize = 0;
pub(crate) const NMI1: usize = 1;
pub(crate) const IRQ0: usize = 2;
pub(crate) const POLL0: usize = 3;
/// Each source's kind.
pub(crate) const KINDS: [SourceKind; 4] = [
    SourceKind::NmiLike,
    SourceKind::NmiLike,
    SourceKind::Interrupt,
    SourceKind::Polled,
];

/// Claim every NMI while set (for QEMU monitor NMIs, which hit every CPU).
pub(crate) static ARMED: AtomicBool = AtomicBool::new(false);
/// Self-NMIs sent and not yet seen by the handler.
static SELF_NMIS: AtomicU32 = AtomicU32::new(0);
/// Set by the NMI handler when it serviced a record.
static NMI_SERVICED: AtomicBool = AtomicBool::new(false);

fn intact_counter(source: usize) -> Option<&'static AtomicU64> {
    match source {
        NMI0 => Some(&INTACT_NMI0),
        NMI1 => Some(&INTACT_NMI1),
        IRQ0 => Some(&INTACT_IRQ0),
        POLL0 => Some(&INTACT_POLL0),
        _ => None,
    }
}

/// Payload byte `i` of record `seq` from `source`.
fn pattern(source: usize, seq: u32, i: usize) -> u8 {
    (seq as usize)
        .wrapping_add(i.wrapping_mul(7))
        .wrapping_add(source.wrapping_mul(31)) as u8
}

/// Sends a self-NMI that the handler claims even if it finds no record;
/// `ENODEV` where there is none ([`nmi::SUPPORTED`]).
pub(crate) fn self_nmi() -> Result {
    if !nmi::SUPPORTED {
        return Err(ENODEV);
    }
    SELF_NMIS.fetch_add(1, Ordering::AcqRel);
    nmi::send_nmi_to_self()
}

/// Spins (bounded) until `done()`; `false` on timeout.
fn spin_until(mut done: impl FnMut() -> bool) -> bool {
    for _ in 0..20_000_000u32 {
        if done() {
            return true;
        }
        context::cpu_relax();
    }
    done()
}

/// One firmware status block.
///
/// # Invariants
///
/// While `pending` is set, `data` holds a record of `len` bytes and only
/// readers touch it; the firmware writes it only while `pending` is clear.
struct Block {
    data: CrashLock<VVec<u8>>,
    len: AtomicUsize,
    pending: AtomicBool,
    /// The next read sends a self-NMI halfway through the copy.
    midcopy: AtomicBool,
}

/// The synthetic firmware.
pub(crate) struct Fw {
    blocks: KVec<Block>,
}

impl Fw {
    pub(crate) fn new() -> Result<Self> {
        let mut blocks = KVec::with_capacity(KINDS.len(), GFP_KERNEL)?;
        for _ in KINDS {
            blocks.push(
                Block {
                    data: CrashLock::new(VVec::from_elem(0u8, RECORD_MAX, GFP_KERNEL)?),
                    len: AtomicUsize::new(0),
                    pending: AtomicBool::new(false),
                    midcopy: AtomicBool::new(false),
                },
                GFP_KERNEL,
            )?;
        }
        Ok(Self { blocks })
    }

    /// Writes record `seq` of `total` bytes into `source`'s block and marks
    /// it pending (the firmware's side; process context). `payload` is a
    /// scratch buffer of [`RECORD_MAX`] bytes.
    pub(crate) fn post(
        &self,
        source: usize,
        severity: Severity,
        seq: u32,
        total: usize,
        payload: &mut [u8],
    ) -> Result {
        let b = self.blocks.get(source).ok_or(EINVAL)?;
        let plen = total.checked_sub(cper::HEADER_LEN).ok_or(EINVAL)?;
        // The previous record must have been read (acknowledged).
        let mut waited = 0u32;
        while b.pending.load(Ordering::Acquire) {
            if waited >= 2000 {
                bump(&FW_TIMEOUTS);
                return Err(EAGAIN);
            }
            time::msleep(1);
            waited = waited.saturating_add(1);
        }
        let p = payload.get_mut(..plen).ok_or(EINVAL)?;
        for (i, x) in p.iter_mut().enumerate() {
            *x = pattern(source, seq, i);
        }
        let source_id = u16::try_from(source).map_err(|_| EINVAL)?;
        let len = {
            let mut data = b.data.try_lock_or_busy()?;
            cper::encode(severity, source_id, seq, p, &mut data).map_err(|_| EINVAL)?
        };
        b.len.store(len, Ordering::Relaxed);
        // INVARIANT: the record is complete; from now on only readers.
        b.pending.store(true, Ordering::Release);
        Ok(())
    }

    pub(crate) fn wait_acked(&self, source: usize) -> Result {
        let b = self.blocks.get(source).ok_or(EINVAL)?;
        if spin_until(|| !b.pending.load(Ordering::Acquire)) {
            Ok(())
        } else {
            bump(&FW_TIMEOUTS);
            Err(EAGAIN)
        }
    }

    pub(crate) fn wait_acked_sleeping(&self, source: usize) -> Result {
        let b = self.blocks.get(source).ok_or(EINVAL)?;
        for _ in 0..2000 {
            if !b.pending.load(Ordering::Acquire) {
                return Ok(());
            }
            time::msleep(1);
        }
        bump(&FW_TIMEOUTS);
        Err(EAGAIN)
    }
}

impl Fw {
    /// Makes the next read of `source`'s block send a self-NMI halfway
    /// through the copy.
    pub(crate) fn arm_midcopy(&self, source: usize) {
        if let Some(b) = self.blocks.get(source) {
            b.midcopy.store(true, Ordering::Release);
        }
    }
}

impl Firmware for Fw {
    fn pending(&self, source: usize) -> bool {
        self.blocks
            .get(source)
            .is_some_and(|b| b.pending.load(Ordering::Acquire))
    }

    fn read(&self, source: usize, buf: &mut [u8]) -> Option<usize> {
        let b = self.blocks.get(source)?;
        if !b.pending.load(Ordering::Acquire) {
            return None;
        }
        let data = b.data.try_lock_here()?;
        let len = b.len.load(Ordering::Relaxed);
        let src = data.get(..len)?;
        let dst = buf.get_mut(..len)?;
        if b.midcopy.swap(false, Ordering::AcqRel) {
            let half = len / 2;
            let (s1, s2) = (src.get(..half)?, src.get(half..)?);
            let (d1, d2) = dst.split_at_mut(half);
            d1.copy_from_slice(s1);
            NMI_SERVICED.store(false, Ordering::Release);
            if self_nmi().is_ok() && spin_until(|| NMI_SERVICED.load(Ordering::Acquire)) {
                bump(&MIDCOPY_NMI);
            }
            d2.copy_from_slice(s2);
        } else {
            dst.copy_from_slice(src);
        }
        Some(len)
    }

    fn ack(&self, source: usize) {
        if let Some(b) = self.blocks.get(source) {
            b.pending.store(false, Ordering::Release);
        }
    }

    fn record(&self, source: usize, h: &Header, payload: &[u8]) {
        let seq = h.seq;
        let ok = usize::from(h.source_id) == source
            && payload
                .iter()
                .enumerate()
                .all(|(i, &x)| x == pattern(source, seq, i));
        if ok {
            bump(&INTACT);
            if let Some(c) = intact_counter(source) {
                bump(c);
            }
            LARGEST.fetch_max(u64::from(h.total_len), Ordering::Relaxed);
        } else {
            bump(&CORRUPT);
        }
    }
}

/// The NMI handler: services the NMI-like sources.
pub(crate) struct ApeiNmi {
    pub(crate) apei: Arc<Apei<Fw>>,
}

static NMI_SLOT: NmiSlot = NmiSlot::new();

impl NmiHandler for ApeiNmi {
    fn slot() -> &'static NmiSlot {
        &NMI_SLOT
    }

    fn handle(&self) -> NmiResult {
        let mine = self.apei.notify_nmi();
        if mine {
            bump(&NMI_HANDLED);
            NMI_SERVICED.store(true, Ordering::Release);
        }
        let expected = SELF_NMIS
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |v| v.checked_sub(1))
            .is_ok();
        if mine {
            NmiResult::Handled
        } else if expected || ARMED.load(Ordering::Acquire) {
            bump(&NMI_EMPTY);
            NmiResult::Handled
        } else {
            NmiResult::NotMine
        }
    }
}

/// The "interrupt line" of source irq0: a plain `irq_work`, whose callback
/// runs in hard interrupt context (a self-IPI) on non-RT kernels and in the
/// irq_work thread on PREEMPT_RT, like a threaded interrupt handler; the
/// source's `spinlock_t` may be taken there on both.
pub(crate) struct Line {
    apei: Arc<Apei<Fw>>,
}

impl IrqWorkHandler for Line {
    fn run(&self) {
        self.apei.notify(IRQ0);
    }
}

/// Source irq0's interrupt line.
pub(crate) type IrqLine = IrqWork<Line>;

/// Returns the interrupt line of source irq0.
pub(crate) fn irq_line(apei: Arc<Apei<Fw>>) -> impl PinInit<IrqLine> {
    IrqWork::new_threadable(Line { apei })
}

/// The poller of source poll0: a work item.
#[pin_data]
struct Poller {
    #[pin]
    work: Work<Poller>,
    apei: Arc<Apei<Fw>>,
}

impl_has_work! {
    impl HasWork<Self> for Poller { self.work }
}

impl WorkItem for Poller {
    type Pointer = Arc<Poller>;

    fn run(this: Arc<Poller>) {
        this.apei.notify(POLL0);
    }
}

/// The poller, cancelled when its owner is dropped.
pub(crate) struct PollerOwner(OwnedWork<Poller>);

impl OnCancel for Poller {}

impl PollerOwner {
    /// The poller of `apei`'s source poll0.
    pub(crate) fn new(apei: Arc<Apei<Fw>>) -> Result<Self> {
        let poller = Arc::pin_init(
            pin_init!(Poller {
                work <- new_work!("lw_apei_test::poll"),
                apei,
            }),
            GFP_KERNEL,
        )?;
        Ok(Self(OwnedWork::new(poller)))
    }

    /// Polls once, from the system workqueue.
    pub(crate) fn raise(&self) {
        self.0.enqueue();
    }
}
