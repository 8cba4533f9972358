// SPDX-License-Identifier: GPL-2.0

//! Minimal lastwords module: Rust plus a C shim object. It proves that the
//! build links both halves into one module, that the module loads, logs and
//! unloads cleanly, and that a module parameter (`tag`) arrives, through
//! `module!`'s `params` on 7.x and its 6.12 stand-in.

use kernel::prelude::*;

#[path = "../../rust/lastwords/mod.rs"]
pub mod lastwords;

use lastwords::context;

lastwords::module! {
    type: LwHello,
    name: "lw_hello",
    authors: ["lastwords developers"],
    description: "lastwords minimal Rust + C shim module",
    license: "GPL",
    params: {
        tag: u32 {
            default: 0,
            description: "a number the load message prints (shows that parameters arrive)",
        },
    },
}

struct LwHello;

impl kernel::Module for LwHello {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        pr_info!(
            "loaded on CPU {}, irqs disabled: {}, tag {}\n",
            context::processor_id(),
            context::irqs_disabled(),
            module_parameters::tag.value()
        );
        Ok(LwHello)
    }
}

impl Drop for LwHello {
    fn drop(&mut self) {
        pr_info!("unloaded\n");
    }
}
