// SPDX-License-Identifier: GPL-2.0

//! Kernel threads running a plain function.

use super::bindings;
use kernel::prelude::*;
use kernel::str::CStr;

/// The thread function: runs the `fn()` passed as `data`.
///
/// # Safety
///
/// `data` is a `fn()` cast to a pointer, as [`spawn`] passes it.
unsafe extern "C" fn thread_trampoline(data: *mut kernel::ffi::c_void) -> kernel::ffi::c_int {
    // SAFETY: `data` came from a `fn()` (function safety requirement);
    // function pointers and data pointers have the same size here.
    let f: fn() = unsafe { core::mem::transmute::<*mut kernel::ffi::c_void, fn()>(data) };
    f();
    0
}

/// Starts a kernel thread named `name` running `f`, bound to `cpu` if that
/// CPU is online (else anywhere). The thread ends when `f` returns; code
/// that may still be running must not be unloaded (a module that spawns
/// threads which do not return can only go down with the kernel).
pub fn spawn(name: &CStr, cpu: Option<u32>, f: fn()) -> Result {
    let cpu = cpu.and_then(|c| i32::try_from(c).ok()).unwrap_or(-1);
    // SAFETY: The trampoline matches the data passed (a `fn()`); `name` is a
    // valid C string, copied by kthread_create().
    let ret = unsafe {
        bindings::lw_kthread_run(
            Some(thread_trampoline),
            f as *mut kernel::ffi::c_void,
            name.as_char_ptr(),
            cpu,
        )
    };
    kernel::error::to_result(ret)
}
