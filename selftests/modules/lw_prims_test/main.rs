// SPDX-License-Identifier: GPL-2.0

//! Test module for the lastwords interrupt-safe primitives. Cases are run by
//! writing their name to `/sys/kernel/debug/lw_prims/run`; results are the
//! counter files next to it (and the write's error code).
//!
//! | case             | what it does                                               |
//! |------------------|------------------------------------------------------------|
//! | `spinlock_irq`   | `SpinLockIrq` alone, and two under one interrupt-disable token, |
//! |                  | taken in task context, then in an irq_work                  |
//! | `spinlock_plain` | the same with the kernel's `SpinLock`: lockdep must splat    |
//! | `crash_irq`      | crash lock held in task context, tried from an irq_work       |
//! |                  | and a self-NMI (busy), then again after release (acquired)   |
//! | `hold`           | holds the crash lock until an NMI found it busy (one        |
//! |                  | injected from the host), at most [`HOLD_MAX_NS`]            |
//! | `hammer`         | run two, one per CPU: each waits for the other, then 200000 |
//! |                  | try/increment/release rounds, pausing in some critical       |
//! |                  | sections and after each busy try                             |
//! | `check`          | copies the data protected by the crash lock to `crash_data`  |
//! | `hybrid_free`    | hybrid lock, process face, lock free: must succeed           |
//! | `hybrid_busy`    | hybrid lock held by its crash face: the write fails `EBUSY`  |
//! | `bad`            | any other name fails with `EINVAL`                           |

use core::pin::Pin;
use core::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use kernel::prelude::*;
use kernel::sync::{Arc, SpinLock};
use kernel::{c_str, new_spinlock};

#[path = "../../../rust/lastwords/mod.rs"]
pub mod lastwords;

use lastwords::context::{self, Context};
use lastwords::crash_lock::{CrashLock, HybridCrashLock};
use lastwords::debugfs::bump;
use lastwords::debugfs::{TriggerDir, WriteHandler};
use lastwords::interrupt::local_interrupt_disable;
use lastwords::irq_work::{IrqWork, IrqWorkHandler};
use lastwords::nmi::{self, NmiHandler, NmiKind, NmiRegistration, NmiResult, NmiSlot};
use lastwords::sync::{new_spinlock_irq, SpinLockIrq};
use lastwords::time;

lastwords::module! {
    type: PrimsTest,
    name: "lw_prims_test",
    authors: ["lastwords developers"],
    description: "Tests of the lastwords interrupt-safe primitives",
    license: "GPL",
}

lastwords::debugfs::debugfs_counters!(
    IRQ_LOCK_TAKEN => "irq_lock_taken",
    IRQ_BUSY => "irq_busy",
    IRQ_ACQUIRED => "irq_acquired",
    NMI_CLAIMED => "nmi_claimed",
    NMI_BUSY => "nmi_busy",
    NMI_ACQUIRED => "nmi_acquired",
    HAMMER_WON => "hammer_won",
    HAMMER_BUSY => "hammer_busy",
    CRASH_DATA => "crash_data",
    WRONG_CONTEXT => "wrong_context",
);

/// Claim NMIs (all of them, on every CPU) while set.
static NMI_ARMED: AtomicBool = AtomicBool::new(false);
/// The crash lock under test; its data counts the rounds won.
static CRASH: CrashLock<u64> = CrashLock::new(0);
/// What the irq_work does (a plain one: `SpinLockIrq` may be taken).
static MODE: AtomicU32 = AtomicU32::new(MODE_NONE);
const MODE_NONE: u32 = 0;
const MODE_IRQ_LOCK: u32 = 1;
const MODE_PLAIN_LOCK: u32 = 2;
const MODE_CRASH: u32 = 3;

/// The longest `hold` (ns): a backstop for an NMI that never comes.
const HOLD_MAX_NS: i64 = 120_000_000_000;

/// Rounds of one `hammer`.
const HAMMER_ROUNDS: u32 = 200_000;
/// One round in this many holds the lock across a pause.
const HAMMER_PAUSE_EVERY: u32 = 64;
/// How long a `hammer` waits for its partner: a backstop. The partner is a
/// process of its own, started beside it, which a slow guest may take
/// seconds to run.
const HAMMER_START_MAX_NS: i64 = 120_000_000_000;
/// `hammer` writes that reached the start line. They start in pairs: each
/// waits for its partner, so that the two run at the same time.
static HAMMER_ARRIVED: AtomicU32 = AtomicU32::new(0);

/// Waits until the other `hammer` of this one's pair arrived: spinning for
/// up to a second (the partner is normally close behind), then sleeping
/// between looks; `EAGAIN` after [`HAMMER_START_MAX_NS`].
fn hammer_start() -> Result {
    let me = HAMMER_ARRIVED
        .fetch_add(1, Ordering::AcqRel)
        .wrapping_add(1);
    let pair_full = me.wrapping_add(me % 2);
    let start = time::now_ns();
    while HAMMER_ARRIVED.load(Ordering::Acquire) < pair_full {
        let waited = time::now_ns().saturating_sub(start);
        if waited > HAMMER_START_MAX_NS {
            pr_err!(
                "hammer: no partner within {} s\n",
                HAMMER_START_MAX_NS / 1_000_000_000
            );
            return Err(EAGAIN);
        }
        if waited < 1_000_000_000 {
            context::cpu_relax();
        } else {
            time::msleep(1);
        }
    }
    Ok(())
}

fn try_crash(busy: &AtomicU64, acquired: &AtomicU64) {
    match CRASH.try_lock_here() {
        Some(mut g) => {
            *g = g.wrapping_add(1);
            bump(acquired);
        }
        None => bump(busy),
    }
}

#[pin_data]
struct Shared {
    #[pin]
    irq_lock: SpinLockIrq<u64>,
    /// Taken with `irq_lock` under one interrupt-disable token.
    #[pin]
    irq_lock2: SpinLockIrq<u64>,
    #[pin]
    plain_lock: SpinLock<u64>,
    #[pin]
    hybrid: HybridCrashLock<u64>,
}

struct IrqSide {
    shared: Arc<Shared>,
}

impl IrqWorkHandler for IrqSide {
    fn run(&self) {
        if Context::current() != Context::Hardirq {
            bump(&WRONG_CONTEXT);
        }
        match MODE.load(Ordering::Acquire) {
            MODE_IRQ_LOCK => {
                {
                    let mut g = self.shared.irq_lock.lock();
                    *g = g.wrapping_add(1);
                }
                let irqs = local_interrupt_disable();
                let mut g = self.shared.irq_lock.lock_with(&irqs);
                let mut k = self.shared.irq_lock2.lock_with(&irqs);
                *g = g.wrapping_add(1);
                *k = k.wrapping_add(1);
                bump(&IRQ_LOCK_TAKEN);
            }
            MODE_PLAIN_LOCK => {
                let mut g = self.shared.plain_lock.lock();
                *g = g.wrapping_add(1);
                bump(&IRQ_LOCK_TAKEN);
            }
            MODE_CRASH => try_crash(&IRQ_BUSY, &IRQ_ACQUIRED),
            _ => {}
        }
    }
}

struct NmiSide;
static NMI_SLOT: NmiSlot = NmiSlot::new();

impl NmiHandler for NmiSide {
    fn slot() -> &'static NmiSlot {
        &NMI_SLOT
    }

    fn handle(&self) -> NmiResult {
        if !NMI_ARMED.load(Ordering::Acquire) {
            return NmiResult::NotMine;
        }
        bump(&NMI_CLAIMED);
        if Context::current() != Context::Nmi {
            bump(&WRONG_CONTEXT);
        }
        try_crash(&NMI_BUSY, &NMI_ACQUIRED);
        NmiResult::Handled
    }
}

#[pin_data]
struct Tester {
    shared: Arc<Shared>,
    #[pin]
    irq: IrqWork<IrqSide>,
}

impl Tester {
    /// Runs the irq_work once in `mode` and waits for it.
    fn irq_once(&self, mode: u32) {
        MODE.store(mode, Ordering::Release);
        self.irq.queue();
        self.irq.sync();
        MODE.store(MODE_NONE, Ordering::Release);
    }

    /// Sends an NMI to this CPU, armed, and returns once it was claimed.
    fn self_nmi(&self) -> Result {
        let before = NMI_CLAIMED.load(Ordering::Acquire);
        NMI_ARMED.store(true, Ordering::Release);
        if let Err(e) = nmi::send_nmi_to_self() {
            NMI_ARMED.store(false, Ordering::Release);
            return Err(e);
        }
        let mut waited = 0;
        while NMI_CLAIMED.load(Ordering::Acquire) == before && waited < 1000 {
            time::msleep(1);
            waited += 1;
        }
        NMI_ARMED.store(false, Ordering::Release);
        if NMI_CLAIMED.load(Ordering::Acquire) == before {
            pr_err!("self-NMI never arrived\n");
            return Err(EIO);
        }
        Ok(())
    }

    fn run_case(&self, case: &[u8]) -> Result {
        match case {
            b"spinlock_irq" => {
                {
                    let mut g = self.shared.irq_lock.lock();
                    *g = g.wrapping_add(1);
                }
                {
                    // Both under one token, released in taking order.
                    let irqs = local_interrupt_disable();
                    let mut g = self.shared.irq_lock.lock_with(&irqs);
                    let mut k = self.shared.irq_lock2.lock_with(&irqs);
                    *g = g.wrapping_add(1);
                    *k = k.wrapping_add(1);
                    drop(g);
                    drop(k);
                }
                self.irq_once(MODE_IRQ_LOCK);
                // And try_lock from task context: free, so it succeeds.
                let g = self.shared.irq_lock.try_lock().ok_or(EIO)?;
                pr_info!("spinlock_irq: value {}\n", *g);
            }
            b"spinlock_plain" => {
                {
                    let mut g = self.shared.plain_lock.lock();
                    *g = g.wrapping_add(1);
                }
                self.irq_once(MODE_PLAIN_LOCK);
            }
            b"crash_irq" => {
                // The NMI tries only where there are NMIs (`nmi::SUPPORTED`;
                // the load line says why not).
                {
                    let _held = CRASH.try_lock_or_busy()?;
                    pr_info!("crash_irq: held by CPU {:?}\n", CRASH.owner_cpu());
                    self.irq_once(MODE_CRASH);
                    if nmi::SUPPORTED {
                        self.self_nmi()?;
                    }
                }
                self.irq_once(MODE_CRASH);
                if nmi::SUPPORTED {
                    self.self_nmi()?;
                }
            }
            b"hold" => {
                let busy = NMI_BUSY.load(Ordering::Acquire);
                let held = CRASH.try_lock_or_busy()?;
                pr_info!("hold: holding the crash lock\n");
                // Until the NMI the test injects has found the lock busy, not
                // for a fixed time: however late the host's NMI comes, it
                // finds the lock held.
                let start = time::now_ns();
                while NMI_BUSY.load(Ordering::Acquire) == busy
                    && time::now_ns().saturating_sub(start) < HOLD_MAX_NS
                {
                    time::msleep(10);
                }
                if NMI_BUSY.load(Ordering::Acquire) == busy {
                    pr_err!(
                        "hold: no NMI found the lock busy within {} s\n",
                        HOLD_MAX_NS / 1_000_000_000
                    );
                }
                drop(held);
                pr_info!("hold: released the crash lock\n");
            }
            b"hammer" => {
                hammer_start()?;
                let (mut won, mut busy) = (0u64, 0u64);
                for round in 0..HAMMER_ROUNDS {
                    match CRASH.try_lock_here() {
                        Some(mut g) => {
                            // A non-atomic read-modify-write: lost updates
                            // would show as crash_data != hammer_won.
                            let v = *g;
                            if round % HAMMER_PAUSE_EVERY == 0 {
                                // Hold the lock across a cpu_relax()
                                // (PAUSE, YIELD). Under single-threaded
                                // TCG, vCPUs switch only between
                                // translation blocks, which this critical
                                // section may not span, and cpu_relax()
                                // hands over to the other vCPU: it then
                                // finds the lock busy, as it would on real
                                // parallel CPUs.
                                context::cpu_relax();
                            }
                            *g = v.wrapping_add(1);
                            won += 1;
                        }
                        None => {
                            busy += 1;
                            context::cpu_relax();
                        }
                    }
                }
                HAMMER_WON.fetch_add(won, Ordering::Relaxed);
                HAMMER_BUSY.fetch_add(busy, Ordering::Relaxed);
                pr_info!("hammer: won {} busy {}\n", won, busy);
            }
            b"check" => {
                let g = CRASH.try_lock_or_busy()?;
                CRASH_DATA.store(*g, Ordering::Relaxed);
            }
            b"hybrid_free" => {
                let mut g = self.shared.hybrid.lock_or_busy()?;
                *g = g.wrapping_add(1);
            }
            b"hybrid_busy" => {
                let _crash_side = self.shared.hybrid.try_lock().ok_or(EIO)?;
                // The process face must not wait for the crash face.
                let r = self.shared.hybrid.lock_or_busy().map(|_| ());
                pr_info!("hybrid_busy: process face got {:?}\n", r);
                r?;
            }
            _ => return Err(EINVAL),
        }
        Ok(())
    }
}

impl WriteHandler for Tester {
    fn write(&self, data: &[u8]) -> Result {
        let r = self.run_case(data);
        if let Err(e) = r {
            pr_info!("case failed: {:?}\n", e);
        }
        r
    }
}

struct PrimsTest {
    // Dropped in this order: no more cases, then no more NMIs.
    _trigger: Pin<KBox<TriggerDir<Tester>>>,
    _nmi: Pin<KBox<NmiRegistration<NmiSide>>>,
}

impl kernel::Module for PrimsTest {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let shared = Arc::pin_init(
            pin_init!(Shared {
                irq_lock <- new_spinlock_irq!(0, "lw_prims_test_irq_lock"),
                irq_lock2 <- new_spinlock_irq!(0, "lw_prims_test_irq_lock2"),
                plain_lock <- new_spinlock!(0, "lw_prims_test_plain_lock"),
                hybrid <- new_hybrid_crash_lock!(0, "lw_prims_test_hybrid"),
            }),
            GFP_KERNEL,
        )?;
        let irq_side = IrqSide {
            shared: shared.clone(),
        };
        let trigger = TriggerDir::new(
            c_str!("lw_prims"),
            c_str!("run"),
            try_pin_init!(Tester {
                shared,
                irq <- IrqWork::new_threadable(irq_side),
            }),
        )?;
        counter_files(trigger.dir());
        trigger.dir().bool_file(c_str!("nmi_armed"), &NMI_ARMED);

        let nmi = KBox::pin_init(
            NmiRegistration::new(NmiKind::Local, c_str!("lw_prims_test"), NmiSide),
            GFP_KERNEL,
        )?;
        if nmi::SUPPORTED {
            nmi.as_ref().register()?;
        } else {
            pr_info!("NMI tests: n/a ({})\n", nmi::UNSUPPORTED);
        }
        pr_info!("ready\n");
        Ok(PrimsTest {
            _trigger: trigger,
            _nmi: nmi,
        })
    }
}
