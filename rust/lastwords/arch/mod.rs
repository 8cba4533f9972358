// SPDX-License-Identifier: GPL-2.0

//! The architecture seam, as the kernel's `arch/`: what differs between
//! x86-64 and arm64 lives under `x86/` and `arm64/`, one of which is built
//! (by the target the kernel's Rust is compiled for), each with the same
//! items; the rest of the crate uses them through the portable modules
//! ([`crate::lastwords::nmi`]) and never names an architecture itself.
//!
//! | item                  | x86-64                              | arm64                |
//! |-----------------------|-------------------------------------|----------------------|
//! | `nmi::SUPPORTED`      | true                                | false                |
//! | `nmi::NmiRegistration`| `register_nmi_handler()`            | `ENODEV`             |
//! | `nmi::send_nmi_to_self` | APIC self-IPI, NMI vector (C shim) | `ENODEV`           |
//!
//! The C side has the same seam: `rust/arch/x86/` holds the shims only x86
//! has (`lw_send_nmi_self`), included by `rust/helpers.c` under
//! `CONFIG_X86`.

#[cfg(target_arch = "x86_64")]
#[path = "x86/mod.rs"]
mod imp;

#[cfg(target_arch = "aarch64")]
#[path = "arm64/mod.rs"]
mod imp;

pub use imp::*;
