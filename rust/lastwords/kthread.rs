// SPDX-License-Identifier: GPL-2.0

//! Kernel threads running a plain function.

use super::bindings;
use kernel::prelude::*;
use kernel::str::CStr;

/// The thread function of [`spawn`]: runs the `fn()` passed as `data`, then
/// drops the module reference the thread holds and exits.
///
/// # Safety
///
/// `data` is a `fn()` cast to a pointer, and the thread holds a reference on
/// this module, as [`spawn`] arranges.
unsafe extern "C" fn thread_holding_module(data: *mut kernel::ffi::c_void) -> kernel::ffi::c_int {
    // SAFETY: `data` came from a `fn()` (function safety requirement).
    unsafe { call(data) };
    // SAFETY: The thread holds a module reference (function safety
    // requirement); this drops it and ends the thread without returning
    // into module code.
    unsafe { bindings::lw_kthread_exit_put() }
}

/// The thread function of [`spawn_unreferenced`].
///
/// # Safety
///
/// `data` is a `fn()` cast to a pointer.
unsafe extern "C" fn thread_plain(data: *mut kernel::ffi::c_void) -> kernel::ffi::c_int {
    // SAFETY: `data` came from a `fn()` (function safety requirement).
    unsafe { call(data) };
    0
}

/// Calls the `fn()` that [`spawn`] passed as the thread's data.
///
/// # Safety
///
/// `data` is a `fn()` cast to a pointer.
unsafe fn call(data: *mut kernel::ffi::c_void) {
    // SAFETY: `data` came from a `fn()` (function safety requirement);
    // function pointers and data pointers have the same size here.
    let f: fn() = unsafe { core::mem::transmute::<*mut kernel::ffi::c_void, fn()>(data) };
    f();
}

fn run(
    name: &CStr,
    cpu: Option<u32>,
    f: fn(),
    thread: unsafe extern "C" fn(*mut kernel::ffi::c_void) -> kernel::ffi::c_int,
    hold_module: bool,
) -> Result {
    let cpu = cpu.and_then(|c| i32::try_from(c).ok()).unwrap_or(-1);
    // SAFETY: The thread function matches the data passed (a `fn()`) and the
    // module reference (taken by the shim when `hold_module`); `name` is a
    // valid C string, copied by kthread_create().
    let ret = unsafe {
        bindings::lw_kthread_run(
            Some(thread),
            f as *mut kernel::ffi::c_void,
            name.as_char_ptr(),
            cpu,
            hold_module,
        )
    };
    kernel::error::to_result(ret)
}

/// Starts a kernel thread named `name` running `f`, bound to `cpu` if that
/// CPU is online (else anywhere). The thread holds a reference on this
/// module until `f` returns, so the module cannot be unloaded under it (a
/// thread that never returns keeps the module loaded until the kernel goes
/// down).
pub fn spawn(name: &CStr, cpu: Option<u32>, f: fn()) -> Result {
    run(name, cpu, f, thread_holding_module, true)
}

/// Like [`spawn`], without a module reference: for a thread that dies in
/// `f` (an oops on purpose), which would never drop it.
///
/// # Safety
///
/// The module must not be unloaded while the thread runs module code: `f`
/// must end the thread (e.g. `BUG()`) promptly, and the caller must not
/// allow unloading before it has.
pub unsafe fn spawn_unreferenced(name: &CStr, cpu: Option<u32>, f: fn()) -> Result {
    run(name, cpu, f, thread_plain, false)
}
