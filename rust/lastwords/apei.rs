// SPDX-License-Identifier: GPL-2.0

//! APEI/GHES-style error notification, after `drivers/acpi/apei/ghes.c`:
//! firmware error sources whose status blocks are read from NMI, hard
//! interrupt or process context, and an error status queue that carries the
//! records to process context.
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
//!   [`Firmware::record`], and reports it rate-limited. A fatal record panics
//!   the kernel only if the owner opted in.
//! - [`SourceRegistry`] wraps the reference-counted registry of
//!   `rust/core/src/registry.rs` in a [`SpinLockIrq`], owns one boxed object
//!   per node, frees objects outside the lock once the registry reports them
//!   released, walks the sources with a sliding reference (sleeping between
//!   nodes) and lists the orphans.
//!
//! The algorithms (queue, duplicate cache, record format, registry) live in
//! `rust/core/src/`, shared with the host tests (`cargo test`, loom).

use super::context::Context;
use super::crash_lock::CrashLock;
use super::debugfs::{bump, Dir};
use super::irq_work::{IrqWork, IrqWorkHandler};
use super::ratelimit::RateLimit;
use super::slot_pool::{Draining, SlotPool};
use super::sync::{new_spinlock_irq, SpinLockIrq};
use super::{fault, time};
use core::pin::Pin;
use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use kernel::c_str;
use kernel::prelude::*;
use kernel::sync::Arc;
use kernel::workqueue::{self, Work, WorkItem};
use kernel::{impl_has_work, new_work};

#[path = "../core/src/cper.rs"]
pub mod cper;
#[path = "../core/src/estatus_cache.rs"]
pub mod estatus_cache;
#[path = "../core/src/registry.rs"]
pub mod registry;

use cper::{Header, Severity};
use estatus_cache::EstatusCache;
use registry::{Id, NodeInfo, RegError, Registry, Released};

/// Largest record a source or queue slot holds (64 KiB).
pub const RECORD_MAX: usize = cper::MAX_RECORD_LEN;

/// Preallocated record slots of the error status queue.
pub const QUEUE_SLOTS: usize = 16;

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

/// The counters of an [`Apei`]. At rest (queue drained):
/// `received == processed + bad_records + dropped + duplicates` and
/// `queued == processed + bad_records`.
pub struct Counters {
    /// Records copied out of a status block.
    pub received: AtomicU64,
    /// Records put on the queue.
    pub queued: AtomicU64,
    /// Records lost because every queue slot was in use.
    pub dropped: AtomicU64,
    /// Records suppressed as duplicates.
    pub duplicates: AtomicU64,
    /// Valid records handled in process context.
    pub processed: AtomicU64,
    /// Records that failed validation (length, checksum, format).
    pub bad_records: AtomicU64,
    /// Firmware acknowledgements.
    pub acked: AtomicU64,
    /// Valid records of fatal severity.
    pub fatal: AtomicU64,
    /// Notifications that found the source's (NMI) lock held.
    pub busy: AtomicU64,
    /// Notifications that found the status block empty.
    pub empty: AtomicU64,
    /// Notifications refused: an interrupt or polled source from NMI.
    pub wrong_context: AtomicU64,
    /// Stage 1 (hard `irq_work`) runs.
    pub irq_runs: AtomicU64,
    /// Stage 2 (work item) runs.
    pub work_runs: AtomicU64,
    /// Records reported in the kernel log.
    pub reported: AtomicU64,
    /// Reports suppressed by the rate limit.
    pub ratelimited: AtomicU64,
}

impl Counters {
    /// All zero.
    pub const fn new() -> Self {
        Self {
            received: AtomicU64::new(0),
            queued: AtomicU64::new(0),
            dropped: AtomicU64::new(0),
            duplicates: AtomicU64::new(0),
            processed: AtomicU64::new(0),
            bad_records: AtomicU64::new(0),
            acked: AtomicU64::new(0),
            fatal: AtomicU64::new(0),
            busy: AtomicU64::new(0),
            empty: AtomicU64::new(0),
            wrong_context: AtomicU64::new(0),
            irq_runs: AtomicU64::new(0),
            work_runs: AtomicU64::new(0),
            reported: AtomicU64::new(0),
            ratelimited: AtomicU64::new(0),
        }
    }

    /// Shows every counter as a read-only file in `dir`.
    pub fn files(&'static self, dir: &Dir) {
        let all: [(&CStr, &'static AtomicU64); 15] = [
            (c_str!("received"), &self.received),
            (c_str!("queued"), &self.queued),
            (c_str!("dropped"), &self.dropped),
            (c_str!("duplicates"), &self.duplicates),
            (c_str!("processed"), &self.processed),
            (c_str!("bad_records"), &self.bad_records),
            (c_str!("acked"), &self.acked),
            (c_str!("fatal"), &self.fatal),
            (c_str!("busy"), &self.busy),
            (c_str!("empty"), &self.empty),
            (c_str!("wrong_context"), &self.wrong_context),
            (c_str!("irq_runs"), &self.irq_runs),
            (c_str!("work_runs"), &self.work_runs),
            (c_str!("reported"), &self.reported),
            (c_str!("ratelimited"), &self.ratelimited),
        ];
        for (name, c) in all {
            dir.u64_file(name, c);
        }
    }
}

impl Default for Counters {
    fn default() -> Self {
        Self::new()
    }
}

/// One queued record: which source, how long, and a [`RECORD_MAX`] buffer.
///
/// # Invariants
///
/// `buf` holds [`RECORD_MAX`] bytes once the queue is built; `len` is at
/// most that.
pub struct Record {
    source: usize,
    len: usize,
    buf: VVec<u8>,
}

impl Record {
    /// The source the record came from.
    pub fn source(&self) -> usize {
        self.source
    }

    /// The record's bytes.
    pub fn bytes(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or(&[])
    }
}

/// The error status queue: `N` preallocated [`Record`] slots, filled
/// lock-free from any context (NMI included) and drained in process context.
pub struct ErrorQueue<const N: usize> {
    pool: SlotPool<Record, N>,
}

impl<const N: usize> ErrorQueue<N> {
    /// Allocates the queue and its `N` buffers of [`RECORD_MAX`] bytes
    /// (vmalloc). Process context.
    pub fn new() -> Result<KBox<Self>> {
        let mut pool = SlotPool::new(|_| Record {
            source: 0,
            len: 0,
            buf: VVec::new(),
        });
        for r in pool.values_mut() {
            // INVARIANT: every buffer holds RECORD_MAX bytes.
            r.buf = VVec::from_elem(0u8, RECORD_MAX, GFP_KERNEL)?;
        }
        Ok(KBox::new(Self { pool }, GFP_KERNEL)?)
    }

    /// Copies `bytes` into a free slot and publishes it. `false` if every
    /// slot is in use or the record is too long. Lock-free, NMI-safe.
    pub fn enqueue(&self, source: usize, bytes: &[u8]) -> bool {
        let Some(mut slot) = self.pool.claim() else {
            return false;
        };
        let Some(dst) = slot.buf.get_mut(..bytes.len()) else {
            // Dropping the unpublished slot frees it.
            return false;
        };
        dst.copy_from_slice(bytes);
        slot.source = source;
        slot.len = bytes.len();
        slot.publish();
        true
    }

    /// Takes the oldest queued record; its slot is freed when the guard is
    /// dropped.
    pub fn take(&self) -> Option<Draining<'_, Record, N>> {
        self.pool.take()
    }

    /// How many records are queued (a hint).
    pub fn ready(&self) -> usize {
        self.pool.ready()
    }
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
            let _ = workqueue::system().enqueue(self.shared.clone());
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

/// The registry's state: the node structure and one object per slot.
pub struct RegState<T, const N: usize> {
    reg: Registry<N>,
    objs: [Option<KBox<T>>; N],
}

/// Objects released by one registry step, freed after the lock is dropped.
struct Freed<T> {
    objs: [Option<KBox<T>>; registry::MAX_DEPTH],
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

/// An error-source registry of up to `N` nodes, each owning a boxed `T`.
///
/// # Invariants
///
/// `inner.objs[i]` is `Some` exactly while slot `i` is linked in
/// `inner.reg`; objects of released slots are dropped outside the lock.
#[pin_data]
pub struct SourceRegistry<T: Send, const N: usize> {
    #[pin]
    inner: SpinLockIrq<RegState<T, N>>,
}

impl<T: Send, const N: usize> SourceRegistry<T, N> {
    /// An empty registry.
    pub fn new() -> impl PinInit<Self> {
        pin_init!(Self {
            inner <- new_spinlock_irq!(
                RegState {
                    reg: Registry::new(),
                    objs: core::array::from_fn(|_| None),
                },
                "lw_apei_registry"
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

    /// Drops a reference taken by [`SourceRegistry::get`].
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
    /// removed meanwhile are handled as `registry.rs` documents; every node
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
