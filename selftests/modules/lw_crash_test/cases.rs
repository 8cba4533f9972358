// SPDX-License-Identifier: GPL-2.0

//! The armed case, and raising its failure.
//!
//! The axes, the names and their parsing are [`crate::crash_case`]
//! (`rust/core/src/crash_case.rs`, tested on the host). Here is the one case
//! that runs at a time: a writer claims the slot, arms its case (formatting
//! the panic or warning message, `lw_crash_test: CASE`, into a fixed buffer)
//! and triggers it; the tasklet, irq_work or NMI handler that then raises
//! the failure reads the case and its message back, and neither formats nor
//! allocates anything.

use crate::crash_case::{Action, Case, Message, MESSAGE_MAX};
use crate::lastwords::context::Context as Running;
use crate::lastwords::fault;
use crate::locks;
use core::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use kernel::c_str;
use kernel::prelude::*;
use kernel::str::CStr;

/// The prefix of every panic and warning message.
const MESSAGE_PREFIX: &str = "lw_crash_test: ";

/// [`ARMED`] when no case runs.
const NO_CASE: usize = usize::MAX;
/// [`ARMED`] when a writer has claimed the slot and not armed its case yet.
const CLAIMED: usize = usize::MAX - 1;

/// The armed case ([`Case::index`]), or [`NO_CASE`] or [`CLAIMED`].
static ARMED: AtomicUsize = AtomicUsize::new(NO_CASE);
/// The armed case's message, NUL-terminated; written before the case is
/// published in [`ARMED`] (release), read after it is found there
/// (acquire).
static MESSAGE: [AtomicU8; MESSAGE_MAX] = [const { AtomicU8::new(0) }; MESSAGE_MAX];

/// The slot of the one case that runs at a time, claimed by a writer;
/// dropping the claim disarms the case.
pub(crate) struct Claim(());

impl Claim {
    /// Claims the slot: `EBUSY` while another case runs.
    pub(crate) fn new() -> Result<Self> {
        ARMED
            .compare_exchange(NO_CASE, CLAIMED, Ordering::AcqRel, Ordering::Acquire)
            .map_err(|_| EBUSY)?;
        Ok(Claim(()))
    }

    /// Arms `case`: formats its message, then publishes both.
    pub(crate) fn arm(&self, case: Case) {
        let msg = Message::new(MESSAGE_PREFIX, case);
        for (byte, &b) in MESSAGE.iter().zip(msg.as_bytes_with_nul()) {
            byte.store(b, Ordering::Relaxed);
        }
        ARMED.store(case.index(), Ordering::Release);
    }
}

impl Drop for Claim {
    fn drop(&mut self) {
        ARMED.store(NO_CASE, Ordering::Release);
    }
}

/// The armed case's message, copied into `buf`.
fn message(buf: &mut [u8; MESSAGE_MAX]) -> &CStr {
    for (b, byte) in buf.iter_mut().zip(MESSAGE.iter()) {
        *b = byte.load(Ordering::Relaxed);
    }
    let len = buf.iter().position(|&b| b == 0).unwrap_or(0);
    buf.get(..=len)
        .and_then(|text| CStr::from_bytes_with_nul(text).ok())
        .unwrap_or(c_str!("lw_crash_test"))
}

/// Raises the armed case's failure in the current context; nothing if no
/// case is armed.
pub(crate) fn raise_armed() {
    if let Some(case) = Case::from_index(ARMED.load(Ordering::Acquire)) {
        raise(case);
    }
}

/// How many failures [`raise`] has raised (a warning or an oops comes
/// back; the writer that entered the context waits until it has).
static RAISED: core::sync::atomic::AtomicUsize = core::sync::atomic::AtomicUsize::new(0);

/// The number of failures raised so far (see [`RAISED`]).
pub(crate) fn raised() -> usize {
    RAISED.load(Ordering::Acquire)
}

/// Raises `case`'s failure in the current context. A panic or a warning
/// says the armed message: `case` is the armed case (the oops thread's oops
/// may come after its write returned, and says nothing).
pub(crate) fn raise(case: Case) {
    // Counted before anything else: a panic does not come back, and the
    // writer that entered the context waits for this ([`raised`]).
    RAISED.fetch_add(1, Ordering::AcqRel);
    let fw = if locks::mid_call() {
        " (the fwloop thread is inside SetVariable)"
    } else {
        ""
    };
    pr_emerg!(
        "{}: in {} context{fw}\n",
        format_args!("{case}"),
        Running::current().name()
    );
    let mut buf = [0u8; MESSAGE_MAX];
    match case.action() {
        Action::Panic => fault::panic(message(&mut buf)),
        Action::Oops => fault::bug(),
        Action::Warn => fault::warn(message(&mut buf)),
    }
}
