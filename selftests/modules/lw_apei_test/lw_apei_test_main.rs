// SPDX-License-Identifier: GPL-2.0

//! Test module of `rust/lastwords/apei.rs`: a synthetic firmware with four
//! error sources and their status blocks in memory, and debugfs commands in
//! `/sys/kernel/debug/lw_apei/run` that write CPER-like records into a
//! block and raise the source's notification:
//!
//! | source | kind      | notification                                     |
//! |--------|-----------|--------------------------------------------------|
//! | 0 nmi0 | NMI-like  | self-NMI (or a QEMU monitor `nmi`)               |
//! | 1 nmi1 | NMI-like  | self-NMI (or a QEMU monitor `nmi`)               |
//! | 2 irq0 | interrupt | a hard `hrtimer` (the "interrupt line")          |
//! | 3 poll | polled    | a work item                                      |
//!
//! Commands: `nmi N`, `irq N`, `poll N` (N records, back to back), `dup N`
//! (the same record N times), `big LEN` (one record of LEN bytes from NMI),
//! `fatal` (a fatal record, polled), `midcopy` (irq0's copy sends a self-NMI
//! halfway, which services nmi0), `pend` (a record in nmi1's block for a
//! monitor NMI), `flush`; registry: `walk MS`, `churn N`, `hold`, `release`,
//! `clear`; benchmarks: `bench ROUNDS`, `storm_bench N`. Counters are files
//! in the same directory; `orphans` lists the registry's orphans.
//!
//! Parameter `panic_on_fatal` (0 or 1, default 0; in
//! `lw_apei_test_anchor.c`): a fatal record panics only when 1.

use core::ffi::c_void;
use core::marker::PhantomPinned;
use core::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use kernel::prelude::*;
use kernel::sync::{Arc, Mutex};
use kernel::types::Opaque;
use kernel::workqueue::{self, Work, WorkItem};
use kernel::{c_str, impl_has_work, new_mutex, new_work};

#[path = "../../../rust/lastwords/mod.rs"]
pub mod lastwords;

use lastwords::apei::cper::{self, Header, Severity};
use lastwords::apei::registry::{Id, NodeInfo};
use lastwords::apei::{
    Apei, Counters, ErrorQueue, Firmware, SourceKind, SourceRegistry, QUEUE_SLOTS, RECORD_MAX,
};
use lastwords::crash_lock::CrashLock;
use lastwords::debugfs::{bump, TextBuf, TextSource, TriggerDir, WriteHandler};
use lastwords::nmi::{self, NmiHandler, NmiKind, NmiRegistration, NmiResult, NmiSlot};
use lastwords::time;

lastwords::module! {
    type: ApeiTest,
    name: "lw_apei_test",
    authors: ["lastwords developers"],
    description: "lastwords APEI/GHES-style error notification test",
    license: "GPL",
}

extern "C" {
    fn lw_apei_test_panic_on_fatal() -> kernel::ffi::c_uint;
    fn lw_apei_c_floor_init() -> kernel::ffi::c_int;
    fn lw_apei_c_floor_free();
    fn lw_apei_c_floor_run(src: *const c_void, len: usize, rounds: u64) -> u64;
}

const NMI0: usize = 0;
const NMI1: usize = 1;
const IRQ0: usize = 2;
const POLL0: usize = 3;
const KINDS: [SourceKind; 4] = [
    SourceKind::NmiLike,
    SourceKind::NmiLike,
    SourceKind::Interrupt,
    SourceKind::Polled,
];

/// Registry capacity.
const REG_NODES: usize = 32;
/// Registry node tags.
const KIND_PERM: u8 = 1;
const KIND_TRANSIENT: u8 = 2;
/// Most references `hold` keeps.
const MAX_HELD: usize = 8;

static COUNTERS: Counters = Counters::new();

lastwords::debugfs::debugfs_counters!(
    INTACT => "intact",
    CORRUPT => "corrupt",
    INTACT_NMI0 => "intact_nmi0",
    INTACT_NMI1 => "intact_nmi1",
    INTACT_IRQ0 => "intact_irq0",
    INTACT_POLL0 => "intact_poll0",
    NMI_HANDLED => "nmi_handled",
    NMI_EMPTY => "nmi_empty",
    FW_TIMEOUTS => "fw_timeouts",
    MIDCOPY_NMI => "midcopy_nmi",
    LARGEST => "largest_record",
    REG_ALLOC => "reg_alloc",
    REG_FREED => "reg_freed",
    REG_LIVE => "reg_live",
    REG_ORPHANS => "reg_orphans",
    PERM_NODES => "reg_perm_nodes",
    WALKS => "walks",
    WALK_VISITS => "walk_visits",
    WALK_PERM_VISITS => "walk_perm_visits",
    WALK_ERRORS => "walk_errors",
    CHURN_OPS => "churn_ops",
);

/// Claim every NMI while set (for QEMU monitor NMIs, which hit every CPU).
static ARMED: AtomicBool = AtomicBool::new(false);
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

/// Sends a self-NMI that the handler claims even if it finds no record.
fn self_nmi() {
    SELF_NMIS.fetch_add(1, Ordering::AcqRel);
    nmi::send_nmi_to_self();
}

/// Spins (bounded) until `done()`; `false` on timeout.
fn spin_until(mut done: impl FnMut() -> bool) -> bool {
    for _ in 0..20_000_000u32 {
        if done() {
            return true;
        }
        core::hint::spin_loop();
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
struct Fw {
    blocks: KVec<Block>,
}

impl Fw {
    fn new() -> Result<Self> {
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
    fn post(
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

    fn wait_acked(&self, source: usize) -> Result {
        let b = self.blocks.get(source).ok_or(EINVAL)?;
        if spin_until(|| !b.pending.load(Ordering::Acquire)) {
            Ok(())
        } else {
            bump(&FW_TIMEOUTS);
            Err(EAGAIN)
        }
    }

    fn wait_acked_sleeping(&self, source: usize) -> Result {
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
            self_nmi();
            if spin_until(|| NMI_SERVICED.load(Ordering::Acquire)) {
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
struct ApeiNmi {
    apei: Arc<Apei<Fw>>,
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

/// The "interrupt line" of source irq0: an `hrtimer` in hard mode
/// (`HRTIMER_MODE_REL_HARD`), whose callback runs in hard interrupt context
/// (the timer interrupt), also on PREEMPT_RT (where the source's
/// `spinlock_t` could not be taken there; non-RT kernels only).
///
/// # Invariants
///
/// `timer` was initialised by `hrtimer_init()` with [`irq_line_fire`] as its
/// function; it is pinned, and cancelled before it is dropped.
#[pin_data(PinnedDrop)]
struct IrqLine {
    #[pin]
    timer: Opaque<kernel::bindings::hrtimer>,
    #[pin]
    _pin: PhantomPinned,
    apei: Arc<Apei<Fw>>,
}

// SAFETY: An hrtimer may be started and cancelled from any CPU (the hrtimer
// core serialises on its base lock); the callback only uses `apei`, which is
// `Sync`.
unsafe impl Sync for IrqLine {}
// SAFETY: As above.
unsafe impl Send for IrqLine {}

const HRTIMER_MODE_REL_HARD: kernel::bindings::hrtimer_mode =
    kernel::bindings::hrtimer_mode_HRTIMER_MODE_REL_HARD;

/// The hrtimer callback (hard interrupt context).
///
/// # Safety
///
/// `timer` is the `timer` field of a live [`IrqLine`].
unsafe extern "C" fn irq_line_fire(
    timer: *mut lastwords::bindings::hrtimer,
) -> lastwords::bindings::hrtimer_restart {
    // SAFETY: `timer` is the `timer` field of a live `IrqLine` (function
    // safety requirement: only `IrqLine` installs this function), and
    // `Opaque` is `repr(transparent)`.
    let this = unsafe {
        &*kernel::container_of!(
            timer.cast::<Opaque<kernel::bindings::hrtimer>>(),
            IrqLine,
            timer
        )
    };
    this.apei.notify(IRQ0);
    // SAFETY: `enum hrtimer_restart` is an integer (6.12) or a newtype over
    // one (7.x) in the bindings; 0 is `HRTIMER_NORESTART`.
    unsafe { core::mem::zeroed() }
}

impl IrqLine {
    fn new(apei: Arc<Apei<Fw>>) -> impl PinInit<Self> {
        pin_init!(Self {
            // SAFETY: `slot` is valid for writes; the shim initialises it with
            // its function before the timer can start.
            timer <- Opaque::ffi_init(|slot: *mut kernel::bindings::hrtimer| unsafe {
                lastwords::bindings::lw_hrtimer_setup(
                    slot.cast(),
                    Some(irq_line_fire),
                    kernel::bindings::CLOCK_MONOTONIC as kernel::bindings::clockid_t,
                    HRTIMER_MODE_REL_HARD as _,
                );
            }),
            _pin: PhantomPinned,
            apei,
        })
    }

    /// Raises the "interrupt" in a microsecond.
    fn raise(&self) {
        // SAFETY: `timer` is initialised and pinned (type invariant).
        unsafe {
            kernel::bindings::hrtimer_start_range_ns(
                self.timer.get(),
                1000,
                0,
                HRTIMER_MODE_REL_HARD,
            )
        };
    }
}

#[pinned_drop]
impl PinnedDrop for IrqLine {
    fn drop(self: Pin<&mut Self>) {
        // SAFETY: `timer` is initialised (type invariant); `hrtimer_cancel()`
        // waits for a running callback; teardown is in process context.
        unsafe { kernel::bindings::hrtimer_cancel(self.timer.get()) };
    }
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

/// Cancels the poller when dropped.
struct PollerOwner(Arc<Poller>);

impl Drop for PollerOwner {
    fn drop(&mut self) {
        lastwords::workqueue::cancel_sync(&self.0);
    }
}

/// A registry node's object; counts its own frees.
struct RegObj {
    permanent: bool,
    visits: u64,
}

impl RegObj {
    fn new(permanent: bool) -> Self {
        bump(&REG_ALLOC);
        Self {
            permanent,
            visits: 0,
        }
    }
}

impl Drop for RegObj {
    fn drop(&mut self) {
        bump(&REG_FREED);
    }
}

/// What the record commands share (serialised by the mutex).
struct CmdState {
    payload: VVec<u8>,
    seq: u32,
}

impl CmdState {
    fn next_seq(&mut self) -> u32 {
        self.seq = self.seq.wrapping_add(1);
        self.seq
    }
}

#[pin_data]
struct Handler {
    apei: Arc<Apei<Fw>>,
    #[pin]
    cmd: Mutex<CmdState>,
    irq: Pin<KBox<IrqLine>>,
    poller: PollerOwner,
    #[pin]
    reg: SourceRegistry<RegObj, REG_NODES>,
    #[pin]
    held: Mutex<[Option<Id>; MAX_HELD]>,
    /// The first permanent root (an [`Id`] as `u32`), parent of the churn.
    perm_root: AtomicU32,
}

fn parse_u64(data: &[u8]) -> Option<u64> {
    if data.is_empty() {
        return None;
    }
    let mut v: u64 = 0;
    for &c in data {
        let d = c.checked_sub(b'0').filter(|d| *d < 10)?;
        v = v.checked_mul(10)?.checked_add(u64::from(d))?;
    }
    Some(v)
}

fn arg(rest: &[u8]) -> Result<u64> {
    parse_u64(rest).ok_or(EINVAL)
}

fn count_arg(rest: &[u8]) -> Result<u32> {
    u32::try_from(arg(rest)?)
        .ok()
        .filter(|n| (1..=100_000).contains(n))
        .ok_or(EINVAL)
}

/// Default record length of the storms.
const STORM_LEN: usize = 256;

impl Handler {
    fn post(&self, st: &mut CmdState, source: usize, sev: Severity, len: usize) -> Result {
        let seq = st.next_seq();
        self.apei
            .firmware()
            .post(source, sev, seq, len, st.payload.as_mut_slice())
    }

    /// One record from `source`, notified its way; waits until it was read.
    fn raise(&self, st: &mut CmdState, source: usize, sev: Severity, len: usize) -> Result {
        self.post(st, source, sev, len)?;
        self.kick(source)
    }

    fn kick(&self, source: usize) -> Result {
        let fw = self.apei.firmware();
        match source {
            NMI0 | NMI1 => {
                self_nmi();
                fw.wait_acked(source)
            }
            IRQ0 => {
                self.irq.raise();
                fw.wait_acked(source)
            }
            _ => {
                let _ = workqueue::system().enqueue(self.poller.0.clone());
                fw.wait_acked_sleeping(source)
            }
        }
    }

    fn storm(&self, source: usize, n: u32) -> Result {
        let mut st = self.cmd.lock();
        for _ in 0..n {
            self.raise(&mut st, source, Severity::Corrected, STORM_LEN)?;
        }
        Ok(())
    }

    fn dup(&self, n: u32) -> Result {
        let mut st = self.cmd.lock();
        let seq = st.next_seq();
        for _ in 0..n {
            self.apei.firmware().post(
                NMI0,
                Severity::Corrected,
                seq,
                STORM_LEN,
                st.payload.as_mut_slice(),
            )?;
            self.kick(NMI0)?;
        }
        Ok(())
    }

    fn midcopy(&self) -> Result {
        let mut st = self.cmd.lock();
        let fw = self.apei.firmware();
        // nmi0's record waits in its block for the NMI that irq0's copy
        // sends halfway; irq0's record is large so that the copy is slow.
        self.post(&mut st, NMI0, Severity::Recoverable, 4096)?;
        self.post(&mut st, IRQ0, Severity::Recoverable, 60000)?;
        if let Some(b) = fw.blocks.get(IRQ0) {
            b.midcopy.store(true, Ordering::Release);
        }
        self.irq.raise();
        fw.wait_acked(IRQ0)?;
        fw.wait_acked(NMI0)
    }

    fn update_gauges(&self) {
        let (live, orphans) = self.reg.counts();
        REG_LIVE.store(live as u64, Ordering::Relaxed);
        REG_ORPHANS.store(orphans as u64, Ordering::Relaxed);
    }

    fn walk(&self, ms: u32) -> Result {
        let r = self.reg.walk(ms, |_, o| {
            o.visits = o.visits.wrapping_add(1);
            bump(&WALK_VISITS);
            if o.permanent {
                bump(&WALK_PERM_VISITS);
            }
        });
        match r {
            Ok(_) => bump(&WALKS),
            Err(_) => bump(&WALK_ERRORS),
        }
        self.update_gauges();
        r.map(|_| ())
    }

    /// Adds a transient parent and child under the permanent root, removes
    /// the parent (an orphan, kept by its child), sleeps, removes the child
    /// (which frees both), `n` times.
    fn churn(&self, n: u32) -> Result {
        for _ in 0..n {
            let p = self.reg.add(
                Some(Id::from_u32(self.perm_root.load(Ordering::Relaxed))),
                KIND_TRANSIENT,
                RegObj::new(false),
            )?;
            let c = self.reg.add(Some(p), KIND_TRANSIENT, RegObj::new(false))?;
            self.reg.remove(p)?;
            self.update_gauges();
            time::msleep(25);
            self.reg.remove(c)?;
            bump(&CHURN_OPS);
            self.update_gauges();
        }
        Ok(())
    }

    /// Adds a transient node, takes a reference and removes it: an orphan
    /// until `release`.
    fn hold(&self) -> Result {
        let mut held = self.held.lock();
        let slot = held.iter_mut().find(|s| s.is_none()).ok_or(ENOSPC)?;
        let id = self.reg.add(None, KIND_TRANSIENT, RegObj::new(false))?;
        self.reg.get(id)?;
        self.reg.remove(id)?;
        *slot = Some(id);
        drop(held);
        self.update_gauges();
        Ok(())
    }

    fn release(&self) -> Result {
        let mut held = self.held.lock();
        for s in held.iter_mut() {
            if let Some(id) = s.take() {
                self.reg.put(id)?;
            }
        }
        drop(held);
        self.update_gauges();
        Ok(())
    }

    fn clear(&self) -> Result {
        self.release()?;
        self.reg.remove_all();
        self.update_gauges();
        Ok(())
    }

    /// Enqueue cost: `rounds` x [`QUEUE_SLOTS`] enqueues of each size, the
    /// drain outside the timed region, against the C floor.
    fn bench(&self, rounds: u64) -> Result {
        // The C floor's nodes are one static set: one command at a time.
        let _cmd = self.cmd.lock();
        let q = ErrorQueue::<QUEUE_SLOTS>::new()?;
        let src = VVec::from_elem(0xa5u8, RECORD_MAX, GFP_KERNEL)?;
        let _floor = CFloor::new()?;
        let ops = rounds.saturating_mul(QUEUE_SLOTS as u64).max(1);
        let mut failed = 0u64;
        for _ in 0..5 {
            for size in [256usize, 4096, RECORD_MAX] {
                let bytes = src.get(..size).ok_or(EINVAL)?;
                // SAFETY: `bytes` is valid for `size` bytes, at most the
                // floor's node size; the nodes are allocated while `_floor`
                // lives, and `_cmd` keeps other commands out.
                let c_ns = unsafe { lw_apei_c_floor_run(bytes.as_ptr().cast(), size, rounds) };
                let mut r_ns: i64 = 0;
                for _ in 0..rounds {
                    let t0 = time::now_ns();
                    for _ in 0..QUEUE_SLOTS {
                        if !q.enqueue(0, bytes) {
                            failed = failed.wrapping_add(1);
                        }
                    }
                    r_ns = r_ns.wrapping_add(time::now_ns().wrapping_sub(t0));
                    while let Some(r) = q.take() {
                        drop(r);
                    }
                }
                let r_ns = u64::try_from(r_ns).unwrap_or(0);
                pr_info!("bench enqueue_{} c {}\n", size, c_ns / ops);
                pr_info!("bench enqueue_{} rust {}\n", size, r_ns / ops);
            }
        }
        if failed != 0 {
            pr_err!("bench: {} enqueues failed\n", failed);
            return Err(EIO);
        }
        Ok(())
    }

    /// Storm throughput: `n` records from NMI to processed.
    fn storm_bench(&self, n: u32) -> Result {
        self.apei.flush();
        let c = self.apei.counters();
        let base = c.processed.load(Ordering::Relaxed);
        let t0 = time::now_ns();
        {
            let mut st = self.cmd.lock();
            for i in 0..n {
                self.raise(&mut st, NMI0, Severity::Corrected, STORM_LEN)?;
                if i % 8 == 7 {
                    self.apei.flush();
                }
            }
        }
        self.apei.flush();
        let ns = time::now_ns().wrapping_sub(t0);
        let done = c.processed.load(Ordering::Relaxed).wrapping_sub(base);
        let ns = u64::try_from(ns).unwrap_or(0);
        let per = ns / done.max(1);
        pr_info!("bench storm_nmi rust {}\n", per);
        pr_info!(
            "bench storm_nmi_rate rust {}\n",
            1_000_000_000u64 / per.max(1)
        );
        if done != u64::from(n) {
            pr_err!("storm_bench: {} of {} processed\n", done, n);
            return Err(EIO);
        }
        Ok(())
    }
}

/// The C floor's nodes, allocated while this guard lives (freed on every
/// exit path). Only one may exist at a time (the caller holds `cmd`).
struct CFloor;

impl CFloor {
    fn new() -> Result<Self> {
        // SAFETY: Allocates the C floor's static nodes; process context; no
        // other `CFloor` exists (the caller holds the command lock).
        let rc = unsafe { lw_apei_c_floor_init() };
        if rc != 0 {
            return Err(Error::from_errno(rc));
        }
        Ok(CFloor)
    }
}

impl Drop for CFloor {
    fn drop(&mut self) {
        // SAFETY: Frees the nodes this guard allocated; the benchmark that
        // used them is done (the guard outlives its loop).
        unsafe { lw_apei_c_floor_free() };
    }
}

impl WriteHandler for Handler {
    fn write(&self, data: &[u8]) -> Result {
        let (cmd, rest) = match data.iter().position(|&b| b == b' ') {
            Some(i) => (
                data.get(..i).unwrap_or(&[]),
                data.get(i + 1..).unwrap_or(&[]),
            ),
            None => (data, &[][..]),
        };
        match cmd {
            b"nmi" => self.storm(NMI0, count_arg(rest)?),
            b"irq" => self.storm(IRQ0, count_arg(rest)?),
            b"poll" => self.storm(POLL0, count_arg(rest)?),
            b"dup" => self.dup(count_arg(rest)?),
            b"big" => {
                let len = usize::try_from(arg(rest)?).map_err(|_| EINVAL)?;
                if !(cper::HEADER_LEN..=RECORD_MAX).contains(&len) {
                    return Err(EINVAL);
                }
                let mut st = self.cmd.lock();
                self.raise(&mut st, NMI1, Severity::Recoverable, len)
            }
            b"fatal" => {
                let mut st = self.cmd.lock();
                self.raise(&mut st, POLL0, Severity::Fatal, STORM_LEN)
            }
            b"midcopy" => self.midcopy(),
            b"pend" => {
                let mut st = self.cmd.lock();
                self.post(&mut st, NMI1, Severity::Corrected, STORM_LEN)
            }
            b"flush" => {
                self.apei.flush();
                Ok(())
            }
            b"walk" => self.walk(u32::try_from(arg(rest)?).map_err(|_| EINVAL)?),
            b"churn" => self.churn(count_arg(rest)?),
            b"hold" => self.hold(),
            b"release" => self.release(),
            b"clear" => self.clear(),
            b"bench" => self.bench(arg(rest)?.clamp(1, 100_000)),
            b"storm_bench" => self.storm_bench(count_arg(rest)?),
            _ => Err(EINVAL),
        }
    }
}

impl TextSource for Handler {
    fn show(&self, out: &mut TextBuf) {
        use core::fmt::Write;
        let mut orphans: [Option<NodeInfo>; REG_NODES] = [None; REG_NODES];
        let n = self.reg.orphans(&mut orphans);
        let (live, _) = self.reg.counts();
        let _ = writeln!(out, "live {} orphans {}", live, n);
        for o in orphans.iter().flatten() {
            let _ = writeln!(
                out,
                "orphan id={:#x} kind={} depth={} refs={} children={} parent={:#x}",
                o.id.to_u32(),
                o.kind,
                o.depth,
                o.refs,
                o.children,
                o.parent.map_or(0, |p| p.to_u32())
            );
        }
    }
}

struct ApeiTest {
    // Teardown order: no more commands (the handler's irq_work and poller
    // go with it), no more NMIs, then the pipeline itself.
    trigger: Pin<KBox<TriggerDir<Handler>>>,
    _nmi: Pin<KBox<NmiRegistration<ApeiNmi>>>,
    _apei: Arc<Apei<Fw>>,
}

impl kernel::Module for ApeiTest {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        // SAFETY: Reads a module parameter set before init runs.
        let param = unsafe { lw_apei_test_panic_on_fatal() };
        let panic_on_fatal = match param {
            0 => false,
            1 => true,
            v => {
                pr_err!("panic_on_fatal={} is not 0 or 1: not loading\n", v);
                return Err(EINVAL);
            }
        };
        let apei = Apei::new(Fw::new()?, &KINDS, &COUNTERS, panic_on_fatal)?;
        let poller_apei = apei.clone();
        let poller = Arc::pin_init(
            pin_init!(Poller {
                work <- new_work!("lw_apei_test::poll"),
                apei: poller_apei,
            }),
            GFP_KERNEL,
        )?;
        let irq = KBox::pin_init(IrqLine::new(apei.clone()), GFP_KERNEL)?;
        let payload = VVec::from_elem(0u8, RECORD_MAX, GFP_KERNEL)?;
        let handler_apei = apei.clone();
        let trigger = TriggerDir::new(
            c_str!("lw_apei"),
            c_str!("run"),
            try_pin_init!(Handler {
                apei: handler_apei,
                cmd <- new_mutex!(CmdState { payload, seq: 0 }, "lw_apei_test::cmd"),
                irq,
                poller: PollerOwner(poller),
                reg <- SourceRegistry::new(),
                held <- new_mutex!([None; MAX_HELD], "lw_apei_test::held"),
                perm_root: AtomicU32::new(0),
            }? Error),
        )?;
        let h = trigger.handler();
        // The permanent sources: four roots, two children.
        let mut roots = [Id::from_u32(0); 4];
        for r in roots.iter_mut() {
            *r = h.reg.add(None, KIND_PERM, RegObj::new(true))?;
        }
        for r in roots.iter().take(2) {
            h.reg.add(Some(*r), KIND_PERM, RegObj::new(true))?;
        }
        h.perm_root.store(roots[0].to_u32(), Ordering::Relaxed);
        PERM_NODES.store(6, Ordering::Relaxed);
        h.update_gauges();
        counter_files(trigger.dir());
        COUNTERS.files(trigger.dir());
        trigger.dir().bool_file(c_str!("armed"), &ARMED);
        trigger.text_file(c_str!("orphans"))?;
        let nmi = KBox::pin_init(
            NmiRegistration::new(
                NmiKind::Local,
                c_str!("lw_apei_test"),
                ApeiNmi { apei: apei.clone() },
            ),
            GFP_KERNEL,
        )?;
        nmi.as_ref().register()?;
        pr_info!(
            "loaded: {} sources, {} queue slots of {} bytes, panic_on_fatal={}\n",
            apei.source_count(),
            QUEUE_SLOTS,
            RECORD_MAX,
            panic_on_fatal
        );
        Ok(ApeiTest {
            trigger,
            _nmi: nmi,
            _apei: apei,
        })
    }
}

impl Drop for ApeiTest {
    fn drop(&mut self) {
        let h = self.trigger.handler();
        let _ = h.release();
        h.reg.remove_all();
        h.update_gauges();
        pr_info!(
            "unloading: registry objects allocated {} freed {}\n",
            REG_ALLOC.load(Ordering::Relaxed),
            REG_FREED.load(Ordering::Relaxed)
        );
    }
}
