// SPDX-License-Identifier: GPL-2.0

//! Kernel threads running a plain function.
//!
//! A thread runs module code, so the module must stay loaded while it may.
//! [`spawn`] gives the thread a reference on the module, dropped when the
//! function returns. A thread that dies in the function (an oops on purpose)
//! never drops one: [`spawn_tracked`] instead keeps a reference on the
//! thread's task, and its [`Thread`] handle waits, when dropped, until the
//! task has exited.

use super::bindings;
use super::time;
use core::ptr::NonNull;
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

/// The thread function of [`spawn_tracked`]: runs the `fn()` passed as
/// `data` and returns into `kthread()`, which ends the thread.
///
/// # Safety
///
/// `data` is a `fn()` cast to a pointer.
unsafe extern "C" fn thread_tracked(data: *mut kernel::ffi::c_void) -> kernel::ffi::c_int {
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

/// Starts a kernel thread named `name` running `f`, bound to `cpu` if that
/// CPU is online (else anywhere). The thread holds a reference on this
/// module until `f` returns, so the module cannot be unloaded under it (a
/// thread that never returns keeps the module loaded until the kernel goes
/// down).
///
/// # Examples
///
/// A thread on another CPU that takes a lock and keeps it:
///
/// ```ignore
/// use crate::lastwords::{context, kthread, time};
///
/// fn hold_efivars_forever() {
///     let Ok(_held) = EfivarsGuard::lock() else {
///         return;
///     };
///     loop {
///         time::msleep(1000);
///     }
/// }
///
/// let other = if context::processor_id() == 0 { 1 } else { 0 };
/// kthread::spawn(c_str!("lw_hold_efivars"), Some(other), hold_efivars_forever)?;
/// ```
pub fn spawn(name: &CStr, cpu: Option<u32>, f: fn()) -> Result {
    let cpu = cpu.and_then(|c| i32::try_from(c).ok()).unwrap_or(-1);
    // SAFETY: `thread_holding_module` gets a `fn()` and, taken by the shim
    // (`hold_module`), a module reference, as it requires; `name` is a
    // valid C string, copied by kthread_create(); no task reference asked.
    let ret = unsafe {
        bindings::lw_kthread_run(
            Some(thread_holding_module),
            f as *mut kernel::ffi::c_void,
            name.as_char_ptr(),
            cpu,
            true,
            core::ptr::null_mut(),
        )
    };
    kernel::error::to_result(ret)
}

/// A kernel thread started by [`spawn_tracked`]. Dropping it waits until
/// the thread has exited.
///
/// The handle must be dropped before this module's code goes away: keep it
/// in the module's data (dropped at unload), not in a static, and do not
/// leak it.
///
/// # Examples
///
/// ```ignore
/// fn oops_thread() {
///     fault::bug(); // the thread dies, the kernel goes on
/// }
///
/// let thread: kthread::Thread = kthread::spawn_tracked(c_str!("lw_oops"), None, oops_thread)?;
/// if !thread.wait_exited(1000) {
///     pr_info!("the thread still runs\n");
/// }
/// // Dropping it (at the latest at unload) waits until it has exited.
/// drop(thread);
/// ```
///
/// # Invariants
///
/// `task` points at the thread's `task_struct`, on which this handle holds
/// a reference (`get_task_struct()`), so it stays valid until dropped.
pub struct Thread {
    task: NonNull<bindings::task_struct>,
}

// SAFETY: The handle only reads the task's exit state and drops the task
// reference, both allowed from any thread.
unsafe impl Send for Thread {}
// SAFETY: The only `&self` operation reads the exit state with `READ_ONCE`.
unsafe impl Sync for Thread {}

impl Thread {
    /// Whether the thread has exited: its `exit_state` is set. From then on
    /// it runs only the scheduler's last switch away from it, never module
    /// code, even if it died in an oops with module frames on its stack.
    pub fn has_exited(&self) -> bool {
        // SAFETY: `task` is valid while the handle holds its reference
        // (type invariant).
        unsafe { bindings::lw_task_exited(self.task.as_ptr()) }
    }

    /// Sleeps until the thread has exited or `ms` milliseconds have passed
    /// (in 10 ms steps); returns whether it has exited.
    pub fn wait_exited(&self, ms: u32) -> bool {
        let mut waited = 0;
        while !self.has_exited() {
            if waited >= ms {
                return false;
            }
            time::msleep(10);
            waited += 10;
        }
        true
    }
}

impl Drop for Thread {
    fn drop(&mut self) {
        // Unconditional: returning before the thread has exited could let
        // the module be unloaded under code the thread still runs.
        while !self.wait_exited(10_000) {
            pr_warn!("still waiting for a kernel thread to exit\n");
        }
        // SAFETY: The handle holds a reference on the task (type
        // invariant); this drops it, and the handle is gone.
        unsafe { bindings::lw_put_task_struct(self.task.as_ptr()) };
    }
}

/// Starts a kernel thread named `name` running `f`, bound to `cpu` if that
/// CPU is online (else anywhere), without a module reference: for a thread
/// that may die in `f` (an oops on purpose), which would never drop one.
/// The returned [`Thread`] keeps the module's code safe instead: dropping
/// it waits until the thread has exited.
pub fn spawn_tracked(name: &CStr, cpu: Option<u32>, f: fn()) -> Result<Thread> {
    let cpu = cpu.and_then(|c| i32::try_from(c).ok()).unwrap_or(-1);
    let mut task: *mut bindings::task_struct = core::ptr::null_mut();
    // SAFETY: `thread_tracked` gets a `fn()` as it requires; `name` is a
    // valid C string, copied by kthread_create(); on success the shim
    // stores a referenced task in `task`.
    let ret = unsafe {
        bindings::lw_kthread_run(
            Some(thread_tracked),
            f as *mut kernel::ffi::c_void,
            name.as_char_ptr(),
            cpu,
            false,
            &mut task,
        )
    };
    kernel::error::to_result(ret)?;
    let task = NonNull::new(task).ok_or(EINVAL)?;
    // INVARIANT: the shim took a reference on the task for us.
    Ok(Thread { task })
}
