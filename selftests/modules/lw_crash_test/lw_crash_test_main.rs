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

use kernel::c_str;
use kernel::prelude::*;

#[path = "../../../rust/lastwords/mod.rs"]
pub mod lastwords;

use lastwords::bindings;
use lastwords::context::Context;
use lastwords::debugfs::{TriggerDir, WriteHandler};
use lastwords::efivar::EfivarsGuard;
use lastwords::irq_work::{IrqWork, IrqWorkHandler};
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
            _ => Err(EINVAL),
        }
    }
}

struct CrashTest {
    _trigger: Pin<KBox<TriggerDir<Cases>>>,
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
        Ok(CrashTest { _trigger: trigger })
    }
}
