// SPDX-License-Identifier: GPL-2.0

//! Crash test module: panics on purpose, lkdtm style, to prove that pstore
//! backends keep the record. Root writes a case name to
//! `/sys/kernel/debug/lw_crash/run`.
//!
//! | case           | what it does                                            |
//! |----------------|---------------------------------------------------------|
//! | `hold_efivars` | takes the efivars lock and never gives it back (the     |
//! |                | writer sleeps holding it): the state a panic finds when |
//! |                | another CPU was in the middle of an EFI variable update |
//! | `hold_efivars_3s` | takes the efivars lock for 3 s (a live holder)       |
//! | `panic`        | `panic()` in the writer's task context                  |
//! | `panic_hardirq`| `panic()` from a hard irq_work (hard interrupt context) |
//! | `panic_nmi`    | `panic()` from an NMI handler (NMI sent to self)        |

use kernel::c_str;
use kernel::prelude::*;

#[path = "../../../rust/lastwords/mod.rs"]
pub mod lastwords;

use core::sync::atomic::{AtomicBool, Ordering};
use lastwords::bindings;
use lastwords::context::Context;
use lastwords::debugfs::{TriggerDir, WriteHandler};
use lastwords::efivar::EfivarsGuard;
use lastwords::irq_work::{IrqWork, IrqWorkHandler};
use lastwords::nmi::{self, NmiHandler, NmiKind, NmiRegistration, NmiResult, NmiSlot};
use lastwords::time;

module! {
    type: CrashTest,
    name: "lw_crash_test",
    author: "lastwords developers",
    description: "lastwords crash test module (panics on purpose)",
    license: "GPL",
}

/// Panics from the hard irq_work it runs in.
struct PanicIrq;

impl IrqWorkHandler for PanicIrq {
    fn run(&self) {
        pr_emerg!("panic: in {} context\n", Context::current().name());
        // SAFETY: `panic()` takes a printf format; this one has no
        // conversions. It does not return.
        unsafe { bindings::panic(c_str!("lw_crash_test: hardirq panic\n").as_char_ptr()) }
    }
}

/// Claims the next NMI, and panics in it, once armed.
struct PanicNmi;
static NMI_SLOT: NmiSlot = NmiSlot::new();
static NMI_ARMED: AtomicBool = AtomicBool::new(false);

impl NmiHandler for PanicNmi {
    fn slot() -> &'static NmiSlot {
        &NMI_SLOT
    }

    fn handle(&self) -> NmiResult {
        if !NMI_ARMED.load(Ordering::Acquire) {
            return NmiResult::NotMine;
        }
        pr_emerg!("panic: in {} context\n", Context::current().name());
        // SAFETY: `panic()` takes a printf format; this one has no
        // conversions. It does not return.
        unsafe { bindings::panic(c_str!("lw_crash_test: nmi panic\n").as_char_ptr()) }
    }
}

#[pin_data]
struct Cases {
    #[pin]
    irq: IrqWork<PanicIrq>,
}

impl WriteHandler for Cases {
    fn write(&self, data: &[u8]) -> Result {
        match data {
            b"hold_efivars" => {
                let _held = EfivarsGuard::lock()?;
                pr_info!("hold_efivars: holding the efivars lock for good\n");
                loop {
                    time::msleep(1000);
                }
            }
            b"hold_efivars_3s" => {
                let held = EfivarsGuard::lock()?;
                pr_info!("hold_efivars_3s: holding the efivars lock\n");
                time::msleep(3000);
                drop(held);
                pr_info!("hold_efivars_3s: released the efivars lock\n");
                Ok(())
            }
            b"panic" => {
                pr_emerg!("panic: in task context\n");
                // SAFETY: `panic()` takes a printf format; this one has no
                // conversions. It does not return.
                unsafe { bindings::panic(c_str!("lw_crash_test: task panic\n").as_char_ptr()) }
            }
            b"panic_hardirq" => {
                self.irq.queue();
                // The panic comes from the interrupt; should it not, say so.
                self.irq.sync();
                Err(EIO)
            }
            b"panic_nmi" => {
                NMI_ARMED.store(true, Ordering::Release);
                nmi::send_nmi_to_self();
                time::msleep(1000);
                NMI_ARMED.store(false, Ordering::Release);
                Err(EIO)
            }
            _ => Err(EINVAL),
        }
    }
}

struct CrashTest {
    _trigger: Pin<KBox<TriggerDir<Cases>>>,
    _nmi: Pin<KBox<NmiRegistration<PanicNmi>>>,
}

impl kernel::Module for CrashTest {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let trigger = TriggerDir::new(
            c_str!("lw_crash"),
            c_str!("run"),
            try_pin_init!(Cases {
                irq <- IrqWork::new(PanicIrq),
            }),
        )?;
        let nmi = KBox::pin_init(
            NmiRegistration::new(NmiKind::Local, c_str!("lw_crash_test"), PanicNmi),
            GFP_KERNEL,
        )?;
        nmi.as_ref().register()?;
        Ok(CrashTest {
            _trigger: trigger,
            _nmi: nmi,
        })
    }
}
