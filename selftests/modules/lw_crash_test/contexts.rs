// SPDX-License-Identifier: GPL-2.0

//! How each context is entered to raise the armed case's failure.
//!
//! | context   | raised from                                            |
//! |-----------|--------------------------------------------------------|
//! | `task`    | the writing task (an oops: a kernel thread, so that    |
//! |           | the writer survives and the module can be unloaded;    |
//! |           | it oopses when released by `wait`, the next case or    |
//! |           | the unload, which then wait until it has exited)       |
//! | `softirq` | a tasklet                                              |
//! | `hardirq` | a hard irq_work (self-IPI)                             |
//! | `nmi`     | an NMI handler, NMI sent to self                       |

use crate::cases;
use crate::crash_case::{Action, Case, Context};
use crate::lastwords::irq_work::{IrqWork, IrqWorkHandler};
use crate::lastwords::kthread;
use crate::lastwords::nmi::{self, NmiHandler, NmiKind, NmiRegistration, NmiResult, NmiSlot};
use crate::lastwords::tasklet::{Tasklet, TaskletHandler};
use crate::lastwords::time;
use crate::locks;
use core::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use kernel::c_str;
use kernel::new_mutex;
use kernel::prelude::*;
use kernel::sync::Mutex;

/// The tasklet's handler: raises the armed case in softirq context.
pub(crate) struct SoftirqAct;

impl TaskletHandler for SoftirqAct {
    fn run(&self) {
        cases::raise_armed();
    }
}

/// The irq_work's handler: raises the armed case in hard interrupt context.
pub(crate) struct HardirqAct;

impl IrqWorkHandler for HardirqAct {
    fn run(&self) {
        cases::raise_armed();
    }
}

/// Claims the next NMI while a case is armed for NMI context, and raises it
/// there.
pub(crate) struct NmiAct;
static NMI_SLOT: NmiSlot = NmiSlot::new();
static NMI_ARMED: AtomicBool = AtomicBool::new(false);

impl NmiHandler for NmiAct {
    fn slot() -> &'static NmiSlot {
        &NMI_SLOT
    }

    fn handle(&self) -> NmiResult {
        if !NMI_ARMED.swap(false, Ordering::AcqRel) {
            return NmiResult::NotMine;
        }
        cases::raise_armed();
        NmiResult::Handled
    }
}

/// The NMI handler's registration (to register once pinned).
pub(crate) fn nmi_handler() -> impl PinInit<NmiRegistration<NmiAct>> {
    NmiRegistration::new(NmiKind::Local, c_str!("lw_crash_test"), NmiAct)
}

/// The case the oops thread raises ([`Case::index`]).
static OOPS_CASE: AtomicUsize = AtomicUsize::new(usize::MAX);
/// Set by the oops thread when it starts.
static OOPS_STARTED: AtomicBool = AtomicBool::new(false);
/// Set when the oops thread may raise its oops: by whoever reaps it (the
/// `wait` command, the next case, the module's unload).
static OOPS_RELEASED: AtomicBool = AtomicBool::new(false);

/// Kernel thread: raises an oops (the thread dies, the kernel goes on).
/// It runs module code until it is released ([`Contexts::reap_oops_thread`]):
/// an `rmmod` after the write that started it always finds it running and
/// must wait until it has exited, however fast or slow either side is.
fn oops_thread() {
    OOPS_STARTED.store(true, Ordering::Release);
    while !OOPS_RELEASED.load(Ordering::Acquire) {
        time::msleep(10);
    }
    if let Some(case) = Case::from_index(OOPS_CASE.load(Ordering::Acquire)) {
        cases::raise(case);
    }
}

/// How [`Contexts::enter`] left the failure.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Entered {
    /// Raised, and given a second to happen: back only if the kernel goes
    /// on.
    Raised,
    /// Left to the oops thread, which raises it once released
    /// ([`Contexts::reap_oops_thread`]).
    Deferred,
}

/// What enters the contexts: the tasklet, the irq_work and the oops thread
/// (the NMI handler is registered apart, [`nmi_handler`]).
#[pin_data]
pub(crate) struct Contexts {
    #[pin]
    irq: IrqWork<HardirqAct>,
    #[pin]
    tasklet: Tasklet<SoftirqAct>,
    /// The last oops thread, until it is known to have exited.
    #[pin]
    oops_thread: Mutex<Option<kthread::Thread>>,
}

impl Contexts {
    /// The tasklet and irq_work, and no oops thread yet.
    pub(crate) fn new() -> impl PinInit<Self, Error> {
        try_pin_init!(Contexts {
            irq <- IrqWork::new(HardirqAct),
            tasklet <- Tasklet::new(SoftirqAct),
            oops_thread <- new_mutex!(None),
        })
    }

    /// Enters the armed `case`'s context to raise its failure there.
    pub(crate) fn enter(&self, case: Case) -> Result<Entered> {
        let before = cases::raised();
        match case.context() {
            Context::Task if case.action() == Action::Oops => {
                self.start_oops_thread(case)?;
                // The thread oopses once released: return while it still
                // runs module code (see `oops_thread`).
                return Ok(Entered::Deferred);
            }
            Context::Task => cases::raise(case),
            Context::Softirq => self.tasklet.schedule(),
            Context::Hardirq => {
                self.irq.queue();
                self.irq.sync();
            }
            Context::Nmi => {
                NMI_ARMED.store(true, Ordering::Release);
                if let Err(e) = nmi::send_nmi_to_self() {
                    NMI_ARMED.store(false, Ordering::Release);
                    return Err(e);
                }
            }
        }
        // Wait until the failure has happened (however late the tasklet or
        // the NMI runs on a busy machine; a panic does not come back here),
        // then a second for its report to reach the log. The bound is a
        // backstop, said in the log.
        let start = time::now_ns();
        while cases::raised() == before {
            if time::now_ns().saturating_sub(start) > 120_000_000_000 {
                pr_err!("{}: not raised within 120 s\n", format_args!("{case}"));
                NMI_ARMED.store(false, Ordering::Release);
                return Err(EAGAIN);
            }
            time::msleep(10);
        }
        time::msleep(1000);
        NMI_ARMED.store(false, Ordering::Release);
        Ok(Entered::Raised)
    }

    /// Starts the oops thread for `case` on the CPU other than the
    /// writer's ([`locks::other_cpu`]), and waits (up to 5 s) until it runs.
    /// A test that pins its shell to one CPU knows the other is the
    /// oopsing one (its interrupts are off for the whole oops dump).
    fn start_oops_thread(&self, case: Case) -> Result {
        OOPS_CASE.store(case.index(), Ordering::Release);
        OOPS_STARTED.store(false, Ordering::Release);
        OOPS_RELEASED.store(false, Ordering::Release);
        let mut slot = self.oops_thread.lock();
        *slot = Some(kthread::spawn_tracked(
            c_str!("lw_oops"),
            locks::other_cpu(),
            oops_thread,
        )?);
        drop(slot);
        for _ in 0..500 {
            if OOPS_STARTED.load(Ordering::Acquire) {
                break;
            }
            time::msleep(10);
        }
        Ok(())
    }

    /// Whether the last oops thread is still running.
    pub(crate) fn oops_thread_running(&self) -> bool {
        self.oops_thread
            .lock()
            .as_ref()
            .is_some_and(|t| !t.has_exited())
    }

    /// Releases the last oops thread (if any) to raise its oops, waits
    /// until it has exited, and forgets it. Returns whether there was one
    /// that had not exited yet.
    pub(crate) fn reap_oops_thread(&self) -> bool {
        let Some(t) = self.oops_thread.lock().take() else {
            return false;
        };
        let running = !t.has_exited();
        OOPS_RELEASED.store(true, Ordering::Release);
        // Dropping the handle waits until the thread has exited.
        drop(t);
        running
    }
}
