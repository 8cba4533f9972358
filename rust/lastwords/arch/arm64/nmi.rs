// SPDX-License-Identifier: GPL-2.0

//! arm64 has no NMI that a module can register for or raise, for
//! [`crate::lastwords::nmi`]: Debian's kernel is built without pseudo-NMI
//! (`CONFIG_ARM64_PSEUDO_NMI`, which needs GICv3 priority masking), and its
//! NMI-like entries (SDEI events, SEA) are firmware's, taken by the APEI
//! code, not by a chain a module joins. So a registration here holds its
//! handler and says `ENODEV` when asked to register, and a self-NMI is
//! `ENODEV`: code that has NMI-context work checks [`SUPPORTED`] and says
//! why not ([`UNSUPPORTED`]).

use crate::lastwords::nmi::{NmiHandler, NmiKind};
use kernel::prelude::*;
use kernel::str::CStr;

/// arm64: no NMI handlers, no self-NMI.
pub const SUPPORTED: bool = false;
/// Why NMIs are not supported here, for logs and test reports.
pub const UNSUPPORTED: &str =
    "arm64 without pseudo-NMI (CONFIG_ARM64_PSEUDO_NMI): no NMI to register for or raise";

/// An NMI handler of type `H` that is never registered: [`Self::register`]
/// is `ENODEV` on arm64 (see the module's documentation).
#[pin_data]
pub struct NmiRegistration<H: NmiHandler> {
    #[pin]
    handler: H,
}

impl<H: NmiHandler> NmiRegistration<H> {
    /// An unregistered handler (the same signature as on x86).
    pub fn new(
        _kind: NmiKind,
        _name: &'static CStr,
        handler: impl PinInit<H>,
    ) -> impl PinInit<Self> {
        pin_init!(Self {
            handler <- handler,
        })
    }

    /// `ENODEV`: there is no NMI chain to put the handler on.
    pub fn register(self: Pin<&Self>) -> Result {
        Err(ENODEV)
    }

    /// The handler.
    pub fn handler(&self) -> &H {
        &self.handler
    }
}

/// `ENODEV`: no self-NMI on arm64.
pub fn send_nmi_to_self() -> Result {
    Err(ENODEV)
}
