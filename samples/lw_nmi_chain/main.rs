// SPDX-License-Identifier: GPL-2.0

//! Sample: the way out of NMI context, NMI → hard irq_work → work item, with
//! counters in `/sys/kernel/debug/lw_nmi_chain/`.
//!
//! While `armed` is `Y`, the NMI handler claims every NMI (e.g. QEMU's
//! monitor command `nmi`, which hits every CPU) and counts it as an event.
//! Events are carried as counts, not records, so that nothing can be lost on
//! the way: the NMI adds to `pending_irq` and queues the irq_work (queueing a
//! pending irq_work coalesces, the count does not); the irq_work moves the
//! count to `pending_work` and queues the work item; the work item moves it to
//! `work_events`. Only events that arrive while the module is being removed
//! are `dropped`. So at rest: `nmi_events == work_events + dropped`.
//!
//! Writing `nmi` to `run` sends one NMI to the writer's CPU (self-IPI), for
//! use without the QEMU monitor.

use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use kernel::prelude::*;
use kernel::sync::Arc;
use kernel::workqueue::{Work, WorkItem};
use kernel::{c_str, impl_has_work, new_work};

#[path = "../../rust/lastwords/mod.rs"]
pub mod lastwords;

use lastwords::context::Context;
use lastwords::debugfs::{TriggerDir, WriteHandler};
use lastwords::irq_work::{IrqWork, IrqWorkHandler};
use lastwords::nmi::{self, NmiHandler, NmiKind, NmiRegistration, NmiResult, NmiSlot};
use lastwords::workqueue::{OnCancel, OwnedWork};

lastwords::module! {
    type: NmiChain,
    name: "lw_nmi_chain",
    authors: ["lastwords developers"],
    description: "lastwords sample: NMI -> irq_work -> workqueue",
    license: "GPL",
}

lastwords::debugfs::debugfs_counters!(
    NMI_EVENTS => "nmi_events",
    IRQ_RUNS => "irq_runs",
    IRQ_EVENTS => "irq_events",
    WORK_RUNS => "work_runs",
    WORK_EVENTS => "work_events",
    DROPPED => "dropped",
    WRONG_CONTEXT => "wrong_context",
);

/// Events counted in NMI context, not yet moved on by the irq_work.
static PENDING_IRQ: AtomicU64 = AtomicU64::new(0);
/// Events moved on by the irq_work, not yet taken by the work item.
static PENDING_WORK: AtomicU64 = AtomicU64::new(0);
/// Claim NMIs while set.
static ARMED: AtomicBool = AtomicBool::new(false);
/// Set while the module goes away: events are then counted as dropped.
static STOPPING: AtomicBool = AtomicBool::new(false);

fn check_context(want: Context) {
    if Context::current() != want {
        WRONG_CONTEXT.fetch_add(1, Ordering::Relaxed);
    }
}

/// Step 3, process context.
#[pin_data]
struct ChainWork {
    #[pin]
    work: Work<ChainWork>,
}

impl_has_work! {
    impl HasWork<Self> for ChainWork { self.work }
}

impl WorkItem for ChainWork {
    type Pointer = Arc<ChainWork>;

    fn run(_this: Arc<ChainWork>) {
        check_context(Context::Task);
        WORK_RUNS.fetch_add(1, Ordering::Relaxed);
        let n = PENDING_WORK.swap(0, Ordering::AcqRel);
        WORK_EVENTS.fetch_add(n, Ordering::Relaxed);
    }
}

/// Step 2, hard interrupt context.
struct ChainIrq {
    work: Arc<ChainWork>,
}

impl IrqWorkHandler for ChainIrq {
    fn run(&self) {
        check_context(Context::Hardirq);
        IRQ_RUNS.fetch_add(1, Ordering::Relaxed);
        let n = PENDING_IRQ.swap(0, Ordering::AcqRel);
        IRQ_EVENTS.fetch_add(n, Ordering::Relaxed);
        if STOPPING.load(Ordering::Acquire) {
            DROPPED.fetch_add(n, Ordering::Relaxed);
            return;
        }
        PENDING_WORK.fetch_add(n, Ordering::AcqRel);
        // Already queued: that run will take these events too.
        let _ = crate::lastwords::workqueue::system_percpu().enqueue(self.work.clone());
    }
}

/// Step 1, NMI context.
#[pin_data]
struct ChainNmi {
    #[pin]
    irq: IrqWork<ChainIrq>,
}

static NMI_SLOT: NmiSlot = NmiSlot::new();

impl NmiHandler for ChainNmi {
    fn slot() -> &'static NmiSlot {
        &NMI_SLOT
    }

    fn handle(&self) -> NmiResult {
        if !ARMED.load(Ordering::Acquire) {
            return NmiResult::NotMine;
        }
        check_context(Context::Nmi);
        NMI_EVENTS.fetch_add(1, Ordering::Relaxed);
        PENDING_IRQ.fetch_add(1, Ordering::AcqRel);
        self.irq.queue();
        NmiResult::Handled
    }
}

#[pin_data]
struct Trigger {}

impl WriteHandler for Trigger {
    fn write(&self, data: &[u8]) -> Result {
        match data {
            b"nmi" => nmi::send_nmi_to_self(),
            _ => Err(EINVAL),
        }
    }
}

impl OnCancel for ChainWork {
    fn on_cancel(&self, was_pending: bool) {
        if was_pending {
            // Its events were never taken: count them as dropped.
            let n = PENDING_WORK.swap(0, Ordering::AcqRel);
            DROPPED.fetch_add(n, Ordering::Relaxed);
        }
    }
}

struct NmiChain {
    // Teardown order: no more triggers, no more NMIs (and the irq_work is
    // synced as part of the registration), then the work item is cancelled.
    _trigger: Pin<KBox<TriggerDir<Trigger>>>,
    _nmi: Pin<KBox<NmiRegistration<ChainNmi>>>,
    _work: OwnedWork<ChainWork>,
}

impl kernel::Module for NmiChain {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let work = Arc::pin_init(
            pin_init!(ChainWork {
                work <- new_work!("lw_nmi_chain::work"),
            }),
            GFP_KERNEL,
        )?;
        let irq_work_ref = work.clone();
        let nmi = KBox::pin_init(
            NmiRegistration::new(
                NmiKind::Local,
                c_str!("lw_nmi_chain"),
                pin_init!(ChainNmi {
                    irq <- IrqWork::new(ChainIrq { work: irq_work_ref }),
                }),
            ),
            GFP_KERNEL,
        )?;
        if !nmi::SUPPORTED {
            pr_err!("not loaded: {}\n", nmi::UNSUPPORTED);
            return Err(ENODEV);
        }
        nmi.as_ref().register()?;
        let trigger = TriggerDir::new(
            c_str!("lw_nmi_chain"),
            c_str!("run"),
            try_pin_init!(Trigger {}),
        )?;
        counter_files(trigger.dir());
        trigger.dir().bool_file(c_str!("armed"), &ARMED);
        Ok(NmiChain {
            _trigger: trigger,
            _nmi: nmi,
            _work: OwnedWork::new(work),
        })
    }
}

impl Drop for NmiChain {
    fn drop(&mut self) {
        STOPPING.store(true, Ordering::Release);
    }
}
