// SPDX-License-Identifier: GPL-2.0

//! Failing on purpose, for crash tests: `panic()`, `BUG()` and `WARN()`.

use super::bindings;
use kernel::prelude::*;

/// `panic("%s", msg)`: never returns.
///
/// # Examples
///
/// A crash test raising the failure it was asked for, in whatever context it
/// runs in:
///
/// ```ignore
/// use crate::lastwords::fault;
///
/// match action {
///     Action::Panic => fault::panic(c_str!("lw_crash_test: panic_nmi")),
///     Action::Oops => fault::bug(),
///     Action::Warn => fault::warn(c_str!("lw_crash_test: warn_nmi")),
/// }
/// ```
pub fn panic(msg: &CStr) -> ! {
    // SAFETY: A constant format with one `%s` conversion, matched by a valid
    // C string.
    unsafe { bindings::panic(kernel::c_str!("%s\n").as_char_ptr(), msg.as_char_ptr()) }
}

/// `BUG()`: an oops (`invalid opcode`). In task context the task is killed
/// and the kernel goes on unless `panic_on_oops` is set; in interrupt
/// context x86 always panics ("Fatal exception in interrupt").
pub fn bug() -> ! {
    // SAFETY: `BUG()` has no precondition; it does not return.
    unsafe { bindings::lw_bug() }
}

/// `WARN(1, "%s", msg)`: a warning with a backtrace; the kernel goes on
/// unless `panic_on_warn` is set.
pub fn warn(msg: &CStr) {
    // SAFETY: `msg` is a valid C string.
    unsafe { bindings::lw_warn(msg.as_char_ptr()) }
}
