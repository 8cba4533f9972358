// SPDX-License-Identifier: GPL-2.0

//! The lock states: what a kernel thread bound to another CPU holds when the
//! failure comes. Each is armed before the failure and held for good (the
//! thread runs until the kernel goes down), which is why only a panic
//! follows one (`crash_case::valid`).
//!
//! | lock state | armed by                                              |
//! |------------|-------------------------------------------------------|
//! | (none)     | nothing                                               |
//! | `efivars`  | a kernel thread takes the efivars lock and keeps it   |
//! | `backend`  | a kernel thread takes lw_efi_pstore's dump lock and   |
//! |            | keeps it (its exported test hook; `ENODEV` when       |
//! |            | lw_efi_pstore is not loaded, `EPERM` when it was not  |
//! |            | loaded with `test_hooks=1`)                           |
//! | `fwloop`   | a kernel thread on another CPU loops over slow        |
//! |            | `SetVariable` calls (a 4000-byte scratch variable,    |
//! |            | deleted after each), holding the efivars lock; the    |
//! |            | failure is raised once the thread is inside a call    |
//! |            | (flag set, and the firmware found busy), so the panic |
//! |            | stops that CPU mid-call                               |
//!
//! Also the efivars lock held by the writing task, for the
//! `hold_efivars_on` and `hold_efivars_off` commands.

use crate::crash_case::LockState;
use crate::lastwords::context;
use crate::lastwords::efivar::{self, EfivarsGuard, Guid, ATTR_NV_BS_RT};
use crate::lastwords::kthread;
use crate::lastwords::symbol::IntFn;
use crate::lastwords::time;
use core::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use kernel::c_str;
use kernel::prelude::*;
use kernel::str::CStr;

/// Set by the kernel thread that armed a lock state.
static LOCK_ARMED: AtomicBool = AtomicBool::new(false);
/// Set (to a negative errno) by a kernel thread that could not arm it.
static ARM_ERROR: AtomicI32 = AtomicI32::new(0);
/// Set by `hold_efivars_off`: the `hold_efivars_on` writer lets go.
static RELEASE_EFIVARS: AtomicBool = AtomicBool::new(false);

/// How long [`arm`] waits for the lock state's thread (ms): a backstop. The
/// thread takes a lock, or makes one slow firmware call, which a slow guest
/// may take seconds to get to.
const ARM_MAX_MS: i64 = 60_000;
/// How long [`wait_firmware_mid_call`] looks for the fwloop thread inside a
/// call (ms): a backstop; the thread is inside one most of the time.
const MID_CALL_MAX_MS: i64 = 60_000;
/// How long `hold_efivars_on` holds the lock without a `hold_efivars_off`
/// (ms): a backstop for a test that died holding it, well beyond what any
/// test takes between the two.
const HOLD_EFIVARS_MAX_MS: i64 = 300_000;

/// Milliseconds since `start`, a [`time::now_ns`] value.
fn ms_since(start: i64) -> i64 {
    time::now_ns().saturating_sub(start) / 1_000_000
}

/// The CPU other than this one, on a 2+ CPU machine: where the lock
/// holders and the oops thread run.
pub(crate) fn other_cpu() -> Option<u32> {
    Some(if context::processor_id() == 0 { 1 } else { 0 })
}

/// Arms `lock`: starts its kernel thread on another CPU and waits (up to
/// [`ARM_MAX_MS`]) until the thread holds it.
pub(crate) fn arm(lock: LockState) -> Result {
    let (name, f): (&CStr, fn()) = match lock {
        LockState::None => return Ok(()),
        LockState::Efivars => (c_str!("lw_hold_efivars"), hold_efivars_forever),
        LockState::Backend => (c_str!("lw_hold_backend"), hold_backend_lock),
        LockState::FirmwareLoop => (c_str!("lw_fwloop"), firmware_loop),
    };
    LOCK_ARMED.store(false, Ordering::Release);
    ARM_ERROR.store(0, Ordering::Release);
    kthread::spawn(name, other_cpu(), f)?;
    let start = time::now_ns();
    while ms_since(start) < ARM_MAX_MS {
        if LOCK_ARMED.load(Ordering::Acquire) {
            return Ok(());
        }
        let err = ARM_ERROR.load(Ordering::Acquire);
        if err != 0 {
            return Err(Error::from_errno(err));
        }
        time::msleep(10);
    }
    pr_err!("lock state not armed within {} s\n", ARM_MAX_MS / 1000);
    Err(if lock == LockState::Backend {
        ENODEV
    } else {
        EAGAIN
    })
}

/// Waits, once `lock` is armed, for the moment the failure must come: for
/// `fwloop`, until the thread is inside a firmware call. At once for the
/// others.
pub(crate) fn await_moment(lock: LockState) -> Result {
    MID_CALL.store(false, Ordering::Release);
    match lock {
        LockState::FirmwareLoop => wait_firmware_mid_call(),
        LockState::None | LockState::Efivars | LockState::Backend => Ok(()),
    }
}

/// Whether the failure is raised with the fwloop thread inside a call.
pub(crate) fn mid_call() -> bool {
    MID_CALL.load(Ordering::Acquire)
}

/// Kernel thread: takes the efivars lock and keeps it.
fn hold_efivars_forever() {
    let _held = match EfivarsGuard::lock() {
        Ok(g) => g,
        Err(e) => {
            pr_err!("lock state efivars: could not take the efivars lock\n");
            // `arm` returns at once, not after its bound.
            ARM_ERROR.store(e.to_errno(), Ordering::Release);
            return;
        }
    };
    pr_info!("lock state efivars: holding the efivars lock for good\n");
    LOCK_ARMED.store(true, Ordering::Release);
    loop {
        time::msleep(1000);
    }
}

/// Kernel thread: takes lw_efi_pstore's dump lock through its test hook.
fn hold_backend_lock() {
    // SAFETY: The exported hook is `int lw_efi_pstore_hold_dump_lock(void)`
    // (rust/efi_pstore/lw_efi_pstore_params.h).
    let Some(hook) = (unsafe { IntFn::get(c_str!("lw_efi_pstore_hold_dump_lock")) }) else {
        pr_err!("lock state backend: lw_efi_pstore is not loaded\n");
        // `arm` returns at once, not after its bound.
        ARM_ERROR.store(ENODEV.to_errno(), Ordering::Release);
        return;
    };
    let ret = hook.call();
    if ret == 0 {
        // The reference on lw_efi_pstore is kept: its dump lock stays held
        // until the kernel goes down.
        hook.keep();
    } else {
        drop(hook);
        pr_err!(
            "lock state backend: lw_efi_pstore refused ({:?}; load it with test_hooks=1)\n",
            Error::from_errno(ret)
        );
        ARM_ERROR.store(ret, Ordering::Release);
        return;
    }
    pr_info!("lock state backend: lw_efi_pstore's dump lock held for good\n");
    LOCK_ARMED.store(true, Ordering::Release);
}

/// Set by the fwloop thread right before each slow firmware call, cleared
/// right after it returns.
static FW_IN_CALL: AtomicBool = AtomicBool::new(false);
/// Set when the failure is raised with the fwloop thread inside a call.
static MID_CALL: AtomicBool = AtomicBool::new(false);

/// The fwloop thread's scratch variable: `LwFwloopScratch` under a GUID of
/// this test's own, never a pstore GUID.
const SCRATCH_GUID: Guid = Guid::new(
    0x6c77_6677,
    0x6c6f,
    0x4f70,
    [0x9a, 0x4e, 0x73, 0x63, 0x72, 0x61, 0x74, 0x63],
);
const SCRATCH_NAME: [u16; 16] = ucs2(b"LwFwloopScratch");
/// Its size: OVMF writes flash at some 20-30 us per byte under TCG, so one
/// `SetVariable` lasts about 100 ms.
const SCRATCH_SIZE: usize = 4000;

/// `s` as a NUL-terminated UCS-2 array (`N` is its length plus one).
const fn ucs2<const N: usize>(s: &[u8]) -> [u16; N] {
    let mut out = [0u16; N];
    let mut i = 0;
    while i < s.len() && i + 1 < N {
        out[i] = s[i] as u16;
        i += 1;
    }
    out
}

/// Kernel thread: slow `SetVariable` calls (write the scratch variable,
/// delete it) in a loop, for good, under the efivars lock. The non-blocking
/// variant runs the firmware on this CPU, holding the runtime lock for the
/// whole call.
fn firmware_loop() {
    let Ok(mut data) = KVec::with_capacity(SCRATCH_SIZE, GFP_KERNEL) else {
        pr_err!("lock state fwloop: no memory\n");
        return;
    };
    for i in 0..SCRATCH_SIZE {
        if data.push((i % 251) as u8, GFP_KERNEL).is_err() {
            return;
        }
    }
    let mut written: u64 = 0;
    loop {
        let Ok(g) = EfivarsGuard::lock() else {
            time::msleep(10);
            continue;
        };
        let start = time::now_ns();
        FW_IN_CALL.store(true, Ordering::Release);
        let res = g.set_variable(&SCRATCH_NAME, &SCRATCH_GUID, ATTR_NV_BS_RT, &data, true);
        FW_IN_CALL.store(false, Ordering::Release);
        let took_us = (time::now_ns() - start) / 1000;
        // Deleting is quick: no data to write.
        let _ = g.set_variable(&SCRATCH_NAME, &SCRATCH_GUID, ATTR_NV_BS_RT, &[], true);
        drop(g);
        match res {
            Ok(()) => {
                written = written.wrapping_add(1);
                if written == 1 {
                    pr_info!(
                        "lock state fwloop: looping over {SCRATCH_SIZE}-byte SetVariable calls (the first took {took_us} us)\n"
                    );
                    LOCK_ARMED.store(true, Ordering::Release);
                }
            }
            // EBUSY: the trigger's probe was in the firmware; try again.
            Err((_, e)) if e == EBUSY => {}
            Err((st, e)) => {
                pr_err!(
                    "lock state fwloop: SetVariable failed: {:?} ({:?})\n",
                    st,
                    e
                );
                time::msleep(100);
            }
        }
    }
}

/// Whether some CPU is inside the firmware: the non-blocking
/// `QueryVariableInfo` only trylocks the runtime lock, and says
/// `EFI_NOT_READY` when it is held.
fn firmware_busy() -> bool {
    efivar::firmware_busy()
}

/// Waits (up to [`MID_CALL_MAX_MS`]) until the fwloop thread is inside a
/// firmware call: its flag is set and the firmware is busy. Prints nothing:
/// the failure must come while the call lasts, and console output is slow
/// under TCG.
fn wait_firmware_mid_call() -> Result {
    let start = time::now_ns();
    while ms_since(start) < MID_CALL_MAX_MS {
        if FW_IN_CALL.load(Ordering::Acquire) && firmware_busy() {
            MID_CALL.store(true, Ordering::Release);
            return Ok(());
        }
        time::msleep(1);
    }
    pr_err!("lock state fwloop: never found the thread inside the firmware\n");
    Err(EAGAIN)
}

/// `hold_efivars_on`: holds the efivars lock in the writing task until
/// [`hold_efivars_off`], at most [`HOLD_EFIVARS_MAX_MS`].
pub(crate) fn hold_efivars_on() -> Result {
    let held = EfivarsGuard::lock()?;
    RELEASE_EFIVARS.store(false, Ordering::Release);
    pr_info!("hold_efivars_on: holding the efivars lock\n");
    let mut released = false;
    let start = time::now_ns();
    while ms_since(start) < HOLD_EFIVARS_MAX_MS {
        if RELEASE_EFIVARS.load(Ordering::Acquire) {
            released = true;
            break;
        }
        time::msleep(10);
    }
    if !released {
        // Whatever the test asserts next, it did not have the lock held.
        pr_err!(
            "hold_efivars_on: no hold_efivars_off within {} s: letting go\n",
            HOLD_EFIVARS_MAX_MS / 1000
        );
    }
    drop(held);
    pr_info!("hold_efivars_on: released the efivars lock\n");
    Ok(())
}

/// `hold_efivars_off`: the `hold_efivars_on` writer lets go.
pub(crate) fn hold_efivars_off() {
    RELEASE_EFIVARS.store(true, Ordering::Release);
}
