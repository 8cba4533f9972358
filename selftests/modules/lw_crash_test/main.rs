// SPDX-License-Identifier: GPL-2.0

//! Crash test module: fails on purpose, lkdtm style, to prove that pstore
//! backends keep the record. Root writes a case name to
//! `/sys/kernel/debug/lw_crash/run`.
//!
//! A case is composed from three axes, as lkdtm composes a crash point and
//! a crash type: an action, a context and a lock state. Its name reads
//! `ACTION_CONTEXT[_LOCK]`, e.g. `panic_softirq_efivars`, and any
//! combination that `crash_case::valid` accepts is a case:
//!
//! | axis       | values                                        | module        |
//! |------------|-----------------------------------------------|---------------|
//! | action     | `panic` (`panic()`), `oops` (`BUG()`),        | [`cases`]     |
//! |            | `warn` (`WARN()`)                             |               |
//! | context    | `task`, `softirq`, `hardirq`, `nmi`           | [`contexts`]  |
//! | lock state | (none), `efivars`, `backend`, `fwloop`        | [`locks`]     |
//!
//! The axes, names and parsing are [`crash_case`], the host-tested
//! `rust/core/src/crash_case.rs`. A write runs its case: the lock state is
//! armed first (by a kernel thread on another CPU), then the context is
//! entered and the failure raised there. Panic and warning messages are
//! `lw_crash_test: CASE`, formatted when the case is armed. Before the
//! failure the module logs `lw_crash_test: trigger CASE (CONTEXT context)`
//! and then, where it fails, `CASE: in CONTEXT context` (for `fwloop`,
//! followed by `(the fwloop thread is inside SetVariable)`). A name that is
//! not a case is `EINVAL`; a case while another runs, `EBUSY`.
//!
//! More commands arm a lock state alone: `hold_efivars` (the `efivars` lock
//! state, for good) and `hold_efivars_on` (in the writing task, until a
//! `hold_efivars_off` write; at most five minutes, a backstop). `oops_task`
//! (its thread on the CPU other than the writer's, as the lock holders)
//! returns with its thread waiting in module code; `wait` (or the next case,
//! or the unload) lets it oops and returns once it has exited.
//!
//! A panic's kmsg dump also logs `kmsg dumpers done` once it reaches this
//! module's dumper, after the dumpers registered before it ([`DumpStamp`]).

use kernel::c_str;
use kernel::prelude::*;

#[path = "../../../rust/lastwords/mod.rs"]
pub mod lastwords;

#[path = "../../../rust/core/src/crash_case.rs"]
pub mod crash_case;

mod cases;
mod contexts;
mod locks;

use cases::Claim;
use contexts::{Contexts, Entered, NmiAct};
use crash_case::{Action, Axis, Case, Command, Context, LockState};
use lastwords::debugfs::{TriggerDir, WriteHandler};
use lastwords::kmsg_dump::{DumpHandler, Dumper, Reason};
use lastwords::nmi::{self, NmiRegistration};
use lastwords::pstore::reason;

lastwords::module! {
    type: CrashTest,
    name: "lw_crash_test",
    authors: ["lastwords developers"],
    description: "lastwords crash test module (fails on purpose)",
    license: "GPL",
}

/// The trigger file's handler.
#[pin_data]
struct Trigger {
    #[pin]
    contexts: Contexts,
}

impl Trigger {
    /// Runs `case`: arms its lock state, then raises its failure in its
    /// context.
    fn run(&self, case: Case) -> Result {
        // A case in NMI context needs an NMI: ENODEV before anything is
        // armed where there is none.
        if case.context() == Context::Nmi && !nmi::SUPPORTED {
            return Err(ENODEV);
        }
        let claim = Claim::new()?;
        // The previous oops thread is gone before anything else runs.
        self.contexts.reap_oops_thread();
        claim.arm(case);
        locks::arm(case.lock())?;
        pr_emerg!(
            "trigger {} ({} context)\n",
            format_args!("{case}"),
            case.context().name()
        );
        locks::await_moment(case.lock())?;
        if self.contexts.enter(case)? == Entered::Deferred {
            return Ok(());
        }
        match case.action() {
            Action::Panic => {
                pr_err!("{}: still alive after the panic\n", format_args!("{case}"));
                Err(EIO)
            }
            Action::Oops | Action::Warn => Ok(()),
        }
    }
}

impl WriteHandler for Trigger {
    fn write(&self, data: &[u8]) -> Result {
        match Command::parse(data).ok_or(EINVAL)? {
            Command::Run(case) => self.run(case),
            Command::HoldEfivars => locks::arm(LockState::Efivars),
            Command::HoldEfivarsOn => locks::hold_efivars_on(),
            Command::HoldEfivarsOff => {
                locks::hold_efivars_off();
                Ok(())
            }
            Command::Wait => {
                self.contexts.reap_oops_thread();
                Ok(())
            }
        }
    }
}

/// Logs `lw_crash_test: kmsg dumpers done` when a panic's kmsg dump reaches
/// it. Dumpers run in the order they registered: loaded after a pstore
/// backend, as the tests load it, it runs right after the backend's dump, so
/// the log shows when the backend was done. With a crash kernel loaded and
/// `crash_kexec_post_notifiers=1`, the kexec follows at once: the kdump tests
/// read, from the crashed kernel's log in the vmcore, the time from the panic
/// message to this line (selftests/kdump/).
struct DumpStamp;

impl DumpHandler for DumpStamp {
    fn dump(&self, _reason: Reason) {
        pr_emerg!("kmsg dumpers done\n");
    }
}

struct CrashTest {
    // The NMI handler goes first: nothing raises the irq_work after that.
    _nmi: Pin<KBox<NmiRegistration<NmiAct>>>,
    trigger: Pin<KBox<TriggerDir<Trigger>>>,
    _stamp: Pin<KBox<Dumper<DumpStamp>>>,
}

impl Drop for CrashTest {
    fn drop(&mut self) {
        // The oops thread runs module code without a module reference: the
        // module's code must stay until it has exited. (Dropping the
        // handler would wait too; this says so in the log.)
        let contexts = &self.trigger.handler().contexts;
        let running = contexts.oops_thread_running();
        if running {
            pr_info!("unload: waiting for the oops thread to exit\n");
        }
        if contexts.reap_oops_thread() || running {
            pr_info!("unload: the oops thread has exited\n");
        }
    }
}

impl kernel::Module for CrashTest {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let nmi = KBox::pin_init(contexts::nmi_handler(), GFP_KERNEL)?;
        if nmi::SUPPORTED {
            nmi.as_ref().register()?;
        } else {
            pr_info!("nmi cases: n/a ({})\n", nmi::UNSUPPORTED);
        }
        let trigger = TriggerDir::new(
            c_str!("lw_crash"),
            c_str!("run"),
            try_pin_init!(Trigger {
                contexts <- Contexts::new(),
            }),
        )?;
        // Panics only (max_reason): an oops's dump is not followed by kexec.
        let stamp = KBox::pin_init(Dumper::new(DumpStamp, reason::PANIC), GFP_KERNEL)?;
        stamp.as_ref().register()?;
        Ok(CrashTest {
            _nmi: nmi,
            trigger,
            _stamp: stamp,
        })
    }
}
