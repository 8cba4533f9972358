// SPDX-License-Identifier: GPL-2.0

//! APEI/GHES-style error notification, after `drivers/acpi/apei/ghes.c`:
//! firmware error sources whose status blocks are read from NMI, hard
//! interrupt or process context, and an error status queue that carries the
//! records to process context. This file is the pipeline; its parts:
//!
//! | module            | what                                                  |
//! |-------------------|-------------------------------------------------------|
//! | [`queue`]         | the NMI-safe error status queue ([`ErrorQueue`])      |
//! | [`counters`]      | the pipeline's [`Counters`], shown in debugfs         |
//! | [`cper`]          | the record format (`rust/core/src/cper.rs`)           |
//! | [`estatus_cache`] | the duplicate cache (`rust/core/src/estatus_cache.rs`) |
//!
//! - [`Apei`] owns the error sources. Each one has its own preallocated
//!   scratch buffer for records up to [`cper::MAX_RECORD_LEN`] bytes (the
//!   analog of GHES's per-source fixmap slot) and its own lock: a
//!   [`CrashLock`] trylock for an NMI-like source (an NMI may interrupt a
//!   holder on the same CPU, so it must never wait), a [`SpinLockIrq`] for
//!   interrupt and polled sources. Nothing is shared between sources that can
//!   interrupt each other.
//! - [`Apei::notify`] copies a record out of a source's status block
//!   ([`Firmware::read`]), acknowledges it ([`Firmware::ack`]), drops it if the
//!   same record was seen less than [`DUP_WINDOW_NS`] ago (the estatus cache),
//!   and enqueues it lock-free into an [`ErrorQueue`] of preallocated slots:
//!   no allocation, no waiting, NMI-safe for NMI-like sources. A full queue
//!   drops the record (counted).
//! - A hard `irq_work` (stage 1, hard interrupt context) counts the queued
//!   records and queues a work item; the work item (stage 2, process context)
//!   parses each record with [`cper::parse`] (checksum included), hands it to
//!   [`Firmware::record`], and reports it with the log rate limit of
//!   [`RateLimit`]. A fatal record panics the kernel only if the owner opted
//!   in.
//!
//! An owner whose error sources come and go keeps them in a
//! [`RefRegistry`](super::registry::RefRegistry) (`rust/lastwords/registry.rs`),
//! as the test module `lw_apei_test` does.
//!
//! The algorithms (queue, duplicate cache, record format) live in
//! `rust/core/src/`, shared with the host tests (`cargo test`, loom).

use super::context::Context;
use super::crash_lock::CrashLock;
use super::debugfs::bump;
use super::irq_work::{IrqWork, IrqWorkHandler};
use super::ratelimit::RateLimit;
use super::sync::{new_spinlock_irq, SpinLockIrq};
use super::{fault, time};
use core::pin::Pin;
use core::sync::atomic::{AtomicBool, Ordering};
use kernel::c_str;
use kernel::prelude::*;
use kernel::sync::Arc;
use kernel::workqueue::{Work, WorkItem};
use kernel::{impl_has_work, new_work};

pub mod counters;
#[path = "../../core/src/cper.rs"]
pub mod cper;
#[path = "../../core/src/estatus_cache.rs"]
pub mod estatus_cache;
pub mod queue;

pub use counters::Counters;
pub use queue::{ErrorQueue, Record, QUEUE_SLOTS, RECORD_MAX};

use cper::{Header, Severity};
use estatus_cache::EstatusCache;

/// Most error sources one [`Apei`] has.
pub const MAX_SOURCES: usize = 8;

/// Entries of the duplicate cache.
pub const DUP_CACHE_ENTRIES: usize = 16;

/// A record seen again less than this long ago is a duplicate (10 s).
pub const DUP_WINDOW_NS: u64 = 10_000_000_000;

/// How an error source notifies the kernel of a record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SourceKind {
    /// NMI (or SEA/SDEI-like): [`Apei::notify`] runs in NMI context; the
    /// source's lock is a [`CrashLock`] trylock.
    NmiLike,
    /// A hard interrupt: [`Apei::notify`] runs in hard interrupt context
    /// (or any context but NMI); the lock is a [`SpinLockIrq`].
    Interrupt,
    /// Polled from process context (a timer or work item).
    Polled,
}

/// The firmware side of the error sources, indexed by source number.
///
/// # Examples
///
/// A firmware whose status blocks are in memory, one per source:
///
/// ```ignore
/// impl Firmware for Fw {
///     fn pending(&self, source: usize) -> bool {
///         self.blocks.get(source).is_some_and(|b| b.pending.load(Ordering::Acquire))
///     }
///
///     fn read(&self, source: usize, buf: &mut [u8]) -> Option<usize> {
///         // NMI-safe: a trylock, no allocation, no waiting.
///         let b = self.blocks.get(source)?;
///         let data = b.data.try_lock_here()?;
///         let src = data.get(..b.len.load(Ordering::Relaxed))?;
///         buf.get_mut(..src.len())?.copy_from_slice(src);
///         Some(src.len())
///     }
///
///     fn ack(&self, source: usize) {
///         if let Some(b) = self.blocks.get(source) {
///             b.pending.store(false, Ordering::Release);
///         }
///     }
/// }
/// ```
pub trait Firmware: Send + Sync + 'static {
    /// Whether source `source`'s status block holds a record (a hint,
    /// NMI-safe).
    fn pending(&self, source: usize) -> bool;

    /// Copies the record in `source`'s status block into `buf`, returning
    /// its length (at most `buf.len()`), or `None` if the block is empty.
    /// Runs in the source's notification context: NMI-safe for NMI-like
    /// sources.
    fn read(&self, source: usize, buf: &mut [u8]) -> Option<usize>;

    /// Acknowledges the record just read: the firmware may reuse the block.
    /// Same context as [`Firmware::read`].
    fn ack(&self, source: usize);

    /// A valid record (checksum verified) reached process context.
    fn record(&self, _source: usize, _header: &Header, _payload: &[u8]) {}
}

/// What the process-context stage shares with the rest.
#[pin_data]
struct Shared<F: Firmware> {
    #[pin]
    work: Work<Shared<F>>,
    fw: F,
    queue: KBox<ErrorQueue<QUEUE_SLOTS>>,
    counters: &'static Counters,
    panic_on_fatal: bool,
    ratelimit: RateLimit,
    stopping: AtomicBool,
}

impl_has_work! {
    impl{F: Firmware} HasWork<Self> for Shared<F> { self.work }
}

impl<F: Firmware> WorkItem for Shared<F> {
    type Pointer = Arc<Shared<F>>;

    fn run(this: Arc<Shared<F>>) {
        this.process();
    }
}

fn severity_name(s: Severity) -> &'static str {
    match s {
        Severity::Recoverable => "recoverable",
        Severity::Fatal => "fatal",
        Severity::Corrected => "corrected",
        Severity::Info => "info",
    }
}

impl<F: Firmware> Shared<F> {
    /// Stage 2: drains the queue. Process context.
    fn process(&self) {
        bump(&self.counters.work_runs);
        while let Some(rec) = self.queue.take() {
            match cper::parse(rec.bytes()) {
                Ok((h, payload)) => {
                    bump(&self.counters.processed);
                    self.fw.record(rec.source(), &h, payload);
                    if h.severity == Severity::Fatal {
                        bump(&self.counters.fatal);
                        // Fatal records are always reported.
                        pr_emerg!(
                            "fatal hardware error: source {} seq {} ({} bytes)\n",
                            h.source_id,
                            h.seq,
                            h.total_len
                        );
                        if self.panic_on_fatal {
                            fault::panic(c_str!("lastwords apei: fatal hardware error"));
                        }
                    } else if self.ratelimit.allow() {
                        bump(&self.counters.reported);
                        pr_warn!(
                            "hardware error: source {} seq {} {} ({} bytes)\n",
                            h.source_id,
                            h.seq,
                            severity_name(h.severity),
                            h.total_len
                        );
                    } else {
                        bump(&self.counters.ratelimited);
                    }
                }
                Err(e) => {
                    bump(&self.counters.bad_records);
                    if self.ratelimit.allow() {
                        bump(&self.counters.reported);
                        pr_warn!(
                            "invalid error record from source {}: {:?}\n",
                            rec.source(),
                            e
                        );
                    } else {
                        bump(&self.counters.ratelimited);
                    }
                }
            }
        }
    }
}

/// Stage 1, hard interrupt context.
struct Kick<F: Firmware> {
    shared: Arc<Shared<F>>,
}

impl<F: Firmware> IrqWorkHandler for Kick<F> {
    fn run(&self) {
        bump(&self.shared.counters.irq_runs);
        if self.shared.stopping.load(Ordering::Acquire) {
            return;
        }
        if self.shared.queue.ready() > 0 {
            // Already queued: that run takes these records too.
            let _ = crate::lastwords::workqueue::system_percpu().enqueue(self.shared.clone());
        }
    }
}

/// A source's scratch buffer ([`RECORD_MAX`] bytes) behind its own lock.
enum Scratch {
    Nmi(CrashLock<VVec<u8>>),
    Irq(Pin<KBox<SpinLockIrq<VVec<u8>>>>),
}

/// One error source.
struct Source {
    kind: SourceKind,
    scratch: Scratch,
}

/// What one [`Apei::notify`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Notified {
    /// The record was queued.
    Queued,
    /// The record was a duplicate, not queued.
    Duplicate,
    /// The queue was full: the record was lost.
    Dropped,
    /// The record's length was invalid.
    Bad,
    /// The status block was empty.
    Empty,
    /// The source's lock was held (an NMI-like source, re-entered).
    Busy,
    /// No such source, or an interrupt/polled source notified from NMI.
    Refused,
}

/// The error sources and their pipeline to process context.
///
/// # Examples
///
/// ```ignore
/// use crate::lastwords::apei::{Apei, Counters, SourceKind};
///
/// static COUNTERS: Counters = Counters::new();
/// const KINDS: [SourceKind; 2] = [SourceKind::NmiLike, SourceKind::Polled];
///
/// // Process context: every buffer is allocated here. A fatal record is
/// // only reported (`panic_on_fatal` false).
/// let apei = Apei::new(Fw::new()?, &KINDS, &COUNTERS, false)?;
///
/// // In the NMI handler: was the NMI ours (a record in an NMI-like source)?
/// let mine = apei.notify_nmi();
/// // In the poller (a work item): source 1's record, if any.
/// apei.notify(1);
/// // Process context: wait until every queued record was processed.
/// apei.flush();
/// ```
///
/// # Invariants
///
/// `sources` never changes after construction; NMI-like sources have a
/// [`Scratch::Nmi`] buffer, the others a [`Scratch::Irq`] one.
#[pin_data(PinnedDrop)]
pub struct Apei<F: Firmware> {
    #[pin]
    irq: IrqWork<Kick<F>>,
    shared: Arc<Shared<F>>,
    sources: KVec<Source>,
    cache: EstatusCache<DUP_CACHE_ENTRIES>,
}

impl<F: Firmware> Apei<F> {
    /// Builds the sources (`kinds[i]` is source `i`'s kind, at most
    /// [`MAX_SOURCES`]), allocating every buffer now. `panic_on_fatal`:
    /// whether a fatal record panics (otherwise it is only reported).
    /// Process context.
    pub fn new(
        fw: F,
        kinds: &[SourceKind],
        counters: &'static Counters,
        panic_on_fatal: bool,
    ) -> Result<Arc<Self>> {
        if kinds.len() > MAX_SOURCES {
            return Err(EINVAL);
        }
        let mut sources = KVec::with_capacity(kinds.len(), GFP_KERNEL)?;
        for &kind in kinds {
            let buf = VVec::from_elem(0u8, RECORD_MAX, GFP_KERNEL)?;
            let scratch = match kind {
                SourceKind::NmiLike => Scratch::Nmi(CrashLock::new(buf)),
                SourceKind::Interrupt | SourceKind::Polled => Scratch::Irq(KBox::pin_init(
                    new_spinlock_irq!(buf, "lw_apei_source"),
                    GFP_KERNEL,
                )?),
            };
            sources.push(Source { kind, scratch }, GFP_KERNEL)?;
        }
        let queue = ErrorQueue::new()?;
        let shared = Arc::pin_init(
            pin_init!(Shared {
                work <- new_work!("lw_apei::process"),
                fw,
                queue,
                counters,
                panic_on_fatal,
                ratelimit: RateLimit::new(),
                stopping: AtomicBool::new(false),
            }),
            GFP_KERNEL,
        )?;
        let kick = Kick {
            shared: shared.clone(),
        };
        Arc::pin_init(
            pin_init!(Self {
                irq <- IrqWork::new(kick),
                shared,
                sources,
                cache: EstatusCache::new(),
            }),
            GFP_KERNEL,
        )
    }

    /// The firmware.
    pub fn firmware(&self) -> &F {
        &self.shared.fw
    }

    /// The counters.
    pub fn counters(&self) -> &'static Counters {
        self.shared.counters
    }

    /// How many sources there are.
    pub fn source_count(&self) -> usize {
        self.sources.len()
    }

    /// Source `i`'s kind.
    pub fn kind(&self, i: usize) -> Option<SourceKind> {
        self.sources.get(i).map(|s| s.kind)
    }

    /// Handles a notification of source `i`: copies its record out of the
    /// status block into the source's scratch buffer, acknowledges it,
    /// suppresses duplicates and queues it. NMI-safe for NMI-like sources
    /// (one trylock, no allocation, no waiting); the others may be notified
    /// from any context but NMI.
    pub fn notify(&self, i: usize) -> Notified {
        let Some(src) = self.sources.get(i) else {
            return Notified::Refused;
        };
        match &src.scratch {
            Scratch::Nmi(lock) => match lock.try_lock_here() {
                Some(mut buf) => self.copy_out(i, &mut buf),
                None => {
                    bump(&self.shared.counters.busy);
                    Notified::Busy
                }
            },
            Scratch::Irq(lock) => {
                if Context::current() == Context::Nmi {
                    bump(&self.shared.counters.wrong_context);
                    return Notified::Refused;
                }
                let mut buf = lock.lock();
                self.copy_out(i, &mut buf)
            }
        }
    }

    /// The NMI handler's part (like `ghes_notify_nmi()`): notifies every
    /// NMI-like source whose block holds a record. Returns whether any did
    /// (the NMI was ours).
    pub fn notify_nmi(&self) -> bool {
        let mut mine = false;
        for (i, s) in self.sources.iter().enumerate() {
            if s.kind == SourceKind::NmiLike && self.shared.fw.pending(i) {
                mine = true;
                self.notify(i);
            }
        }
        mine
    }

    fn copy_out(&self, i: usize, buf: &mut VVec<u8>) -> Notified {
        let c = self.shared.counters;
        let fw = &self.shared.fw;
        let Some(len) = fw.read(i, buf.as_mut_slice()) else {
            bump(&c.empty);
            return Notified::Empty;
        };
        // The record is out of the status block: the firmware may reuse it.
        fw.ack(i);
        bump(&c.acked);
        bump(&c.received);
        let Some(rec) = buf.get(..len) else {
            bump(&c.bad_records);
            return Notified::Bad;
        };
        let hash = estatus_cache::fnv1a64(rec);
        if self
            .cache
            .check_and_add(hash, time::real_fast_ns(), DUP_WINDOW_NS)
        {
            bump(&c.duplicates);
            return Notified::Duplicate;
        }
        if !self.shared.queue.enqueue(i, rec) {
            bump(&c.dropped);
            return Notified::Dropped;
        }
        bump(&c.queued);
        self.irq.queue();
        Notified::Queued
    }

    /// Waits until every queued record was processed (process context): runs
    /// the pending stage 1 and stage 2.
    pub fn flush(&self) {
        self.irq.sync();
        // Records may be queued with the work already running or done:
        // process them here (the work item is idempotent).
        workqueue_flush(&self.shared);
    }
}

/// Runs stage 2 now for whatever is queued (process context).
fn workqueue_flush<F: Firmware>(shared: &Arc<Shared<F>>) {
    super::workqueue::cancel_sync(shared);
    shared.process();
}

#[pinned_drop]
impl<F: Firmware> PinnedDrop for Apei<F> {
    fn drop(self: Pin<&mut Self>) {
        // The owner stopped every notifier (NMI handler, triggers) first.
        self.shared.stopping.store(true, Ordering::Release);
        self.irq.sync();
        super::workqueue::cancel_sync(&self.shared);
        // Whatever is still queued is processed (reported), not lost.
        self.shared.process();
    }
}
