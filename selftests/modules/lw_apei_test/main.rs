// SPDX-License-Identifier: GPL-2.0

//! Test module of `rust/lastwords/apei/` and `rust/lastwords/registry.rs`: a
//! synthetic firmware with four error sources and their status blocks in
//! memory, and debugfs commands in `/sys/kernel/debug/lw_apei/run` that write
//! CPER-like records into a block and raise the source's notification:
//!
//! | source | kind      | notification                                     |
//! |--------|-----------|--------------------------------------------------|
//! | 0 nmi0 | NMI-like  | self-NMI (or a QEMU monitor `nmi`)               |
//! | 1 nmi1 | NMI-like  | self-NMI (or a QEMU monitor `nmi`)               |
//! | 2 irq0 | interrupt | a plain `irq_work` (the "interrupt line")        |
//! | 3 poll | polled    | a work item                                      |
//!
//! Commands: `nmi N`, `irq N`, `poll N` (N records, back to back), `dup N`
//! (the same record N times from nmi0; `dup N irq`: from irq0), `big LEN`
//! (one record of LEN bytes from nmi1; `big LEN irq`: from irq0),
//! `fatal` (a fatal record, polled), `midcopy` (irq0's copy sends a self-NMI
//! halfway, which services nmi0), `pend` (a record in nmi1's block for a
//! monitor NMI), `flush`; registry: `walk MS`, `churn N`, `hold`, `release`,
//! `clear`; benchmark: `storm_bench N` (the enqueue benchmark against the C
//! floor is `samples/lw_bench`'s `apei_queue ROUNDS`). Counters are files in
//! the same directory; `orphans` lists the registry's orphans.
//!
//! Parameter `panic_on_fatal` (0 or 1, default 0): a fatal record panics
//! only when 1.
//!
//! This file is the module glue (parameter, counters, load and unload);
//! [`firmware`] is the synthetic firmware and its notifications, [`commands`]
//! the command parser and handlers.

use core::sync::atomic::Ordering;
use kernel::c_str;
use kernel::prelude::*;
use kernel::sync::Arc;

#[path = "../../../rust/lastwords/mod.rs"]
pub mod lastwords;

mod commands;
mod firmware;

use commands::Handler;
use firmware::{irq_line, ApeiNmi, Fw, PollerOwner, ARMED, KINDS};
use lastwords::apei::{Apei, Counters, QUEUE_SLOTS, RECORD_MAX};
use lastwords::debugfs::TriggerDir;
use lastwords::nmi::{self, NmiKind, NmiRegistration};

lastwords::module! {
    type: ApeiTest,
    name: "lw_apei_test",
    authors: ["lastwords developers"],
    description: "lastwords APEI/GHES-style error notification test",
    license: "GPL",
    params: {
        panic_on_fatal: u32 {
            default: 0,
            description: "panic on a fatal error record: 0 report only (default), 1 panic",
        },
    },
}

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

struct ApeiTest {
    // Teardown order: no more commands (the handler's irq_work and poller
    // go with it), no more NMIs, then the pipeline itself.
    trigger: Pin<KBox<TriggerDir<Handler>>>,
    _nmi: Pin<KBox<NmiRegistration<ApeiNmi>>>,
    _apei: Arc<Apei<Fw>>,
}

impl kernel::Module for ApeiTest {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let panic_on_fatal = match module_parameters::panic_on_fatal.value() {
            0 => false,
            1 => true,
            v => {
                pr_err!("panic_on_fatal={} is not 0 or 1: not loading\n", v);
                return Err(EINVAL);
            }
        };
        let apei = Apei::new(Fw::new()?, &KINDS, &COUNTERS, panic_on_fatal)?;
        let poller = PollerOwner::new(apei.clone())?;
        let irq = KBox::pin_init(irq_line(apei.clone()), GFP_KERNEL)?;
        let trigger = TriggerDir::new(
            c_str!("lw_apei"),
            c_str!("run"),
            Handler::new(apei.clone(), irq, poller)?,
        )?;
        trigger.handler().add_permanent()?;
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
        if nmi::SUPPORTED {
            nmi.as_ref().register()?;
        } else {
            pr_info!("NMI sources: n/a ({})\n", nmi::UNSUPPORTED);
        }
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
        self.trigger.handler().teardown();
        pr_info!(
            "unloading: registry objects allocated {} freed {}\n",
            REG_ALLOC.load(Ordering::Relaxed),
            REG_FREED.load(Ordering::Relaxed)
        );
    }
}
