// SPDX-License-Identifier: GPL-2.0

//! EFI variables: the efivars lock as a guard, the variable services under
//! it, and the panic-time bypass of that lock.
//!
//! `efivar_lock()` is a semaphore that serialises variable operations in
//! Linux; `efi_runtime_lock`, inside the runtime wrappers, serialises calls
//! into the firmware. A CPU stopped by a panic while holding the efivars lock
//! never releases it, but as long as it was not inside the firmware, the
//! firmware may still be called: [`set_variable_bypassing_lock`] does that
//! through the non-blocking wrapper, whose own trylock of `efi_runtime_lock`
//! says whether the firmware is mid-call on some CPU (`EFI_NOT_READY`), in
//! which case it is never re-entered.

use super::bindings;
use core::marker::PhantomData;
use kernel::error::to_result;
use kernel::prelude::*;

#[path = "../core/src/efi_status.rs"]
pub mod status;

pub use status::EfiStatus;

/// `EFI_VARIABLE_NON_VOLATILE | EFI_VARIABLE_BOOTSERVICE_ACCESS |
/// EFI_VARIABLE_RUNTIME_ACCESS`, the attributes of pstore variables.
pub const ATTR_NV_BS_RT: u32 = 0x1 | 0x2 | 0x4;

/// An EFI GUID, laid out and aligned as `efi_guid_t`.
#[repr(C, align(4))]
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Guid([u8; 16]);

impl Guid {
    /// `EFI_GUID(a, b, c, d...)`: the first three fields little-endian.
    pub const fn new(a: u32, b: u16, c: u16, d: [u8; 8]) -> Self {
        let a = a.to_le_bytes();
        let b = b.to_le_bytes();
        let c = c.to_le_bytes();
        Guid([
            a[0], a[1], a[2], a[3], b[0], b[1], c[0], c[1], d[0], d[1], d[2], d[3], d[4], d[5],
            d[6], d[7],
        ])
    }

    /// The all-zero GUID.
    pub const fn zero() -> Self {
        Guid([0; 16])
    }

    /// For C functions that only read the GUID.
    fn as_ptr(&self) -> *mut bindings::efi_guid_t {
        core::ptr::from_ref(self).cast_mut().cast()
    }

    /// For C functions that write the GUID.
    fn as_mut_ptr(&mut self) -> *mut bindings::efi_guid_t {
        core::ptr::from_mut(self).cast()
    }
}

/// `LINUX_EFI_CRASH_GUID`, the vendor GUID of pstore variables.
pub const LINUX_EFI_CRASH_GUID: Guid = Guid::new(
    0xcfc8fc79,
    0xbe2e,
    0x4ddc,
    [0x97, 0xf0, 0x9f, 0x98, 0xbf, 0xe2, 0x98, 0xa0],
);

/// A firmware call's outcome: `Ok`, or the EFI status with its kernel error.
pub type EfiResult = core::result::Result<(), (EfiStatus, Error)>;

/// Converts a raw status into `Ok` or the mapped kernel error.
fn check(raw: bindings::efi_status_t) -> EfiResult {
    let st = EfiStatus::from_raw(raw as u64);
    match st.to_errno() {
        0 => Ok(()),
        e => Err((st, Error::from_errno(e))),
    }
}

/// Whether the platform's EFI variable services can write (the efivars
/// operations are registered and have `set_variable`).
pub fn supports_writes() -> bool {
    // SAFETY: Reads the registered efivars operations; callable anywhere.
    unsafe { bindings::efivar_supports_writes() }
}

/// Proof that the efivars lock is held. Releases it when dropped: every path
/// that gets one gives it back.
///
/// # Invariants
///
/// The efivars semaphore was taken once for this guard.
pub struct EfivarsGuard {
    _private: PhantomData<()>,
}

impl EfivarsGuard {
    /// Takes the lock, sleeping (interruptibly) until it is free. Process
    /// context only. `EINTR` if interrupted, `ENODEV` without efivars.
    pub fn lock() -> Result<Self> {
        // SAFETY: `efivar_lock()` may sleep; callers are in process context
        // (documented requirement).
        to_result(unsafe { bindings::efivar_lock() })?;
        // INVARIANT: taken.
        Ok(Self {
            _private: PhantomData,
        })
    }

    /// Takes the lock only if it is free (`EBUSY` otherwise). Never sleeps;
    /// allowed in atomic context.
    pub fn try_lock() -> Result<Self> {
        // SAFETY: `efivar_trylock()` is `down_trylock()` plus a check: it
        // does not sleep.
        to_result(unsafe { bindings::efivar_trylock() })?;
        // INVARIANT: taken.
        Ok(Self {
            _private: PhantomData,
        })
    }

    /// `GetNextVariableName`: advances `name` (UCS-2, NUL terminated, empty
    /// to start) and `guid` to the next variable. `Ok(false)` at the end.
    pub fn next_variable(&self, name: &mut [u16], guid: &mut Guid) -> Result<bool> {
        let mut size = (name.len() * 2) as kernel::ffi::c_ulong;
        // SAFETY: The lock is held (type invariant); `name` is valid for
        // `size` bytes and `guid` for an `efi_guid_t`.
        let raw = unsafe {
            bindings::efivar_get_next_variable(&mut size, name.as_mut_ptr(), guid.as_mut_ptr())
        };
        match check(raw) {
            Ok(()) => Ok(true),
            Err((EfiStatus::NotFound, _)) => Ok(false),
            Err((_, e)) => Err(e),
        }
    }

    /// `GetVariable` into `buf` (possibly empty, to ask for the size).
    /// Returns the status and the size the variable has.
    fn get_raw(&self, name: &[u16], guid: &Guid, buf: &mut [u8]) -> Result<(EfiResult, usize)> {
        nul_terminated(name)?;
        let mut size = buf.len() as kernel::ffi::c_ulong;
        let data = if buf.is_empty() {
            core::ptr::null_mut()
        } else {
            buf.as_mut_ptr().cast()
        };
        // SAFETY: The lock is held (type invariant); `name` is NUL
        // terminated (checked); `data` is null with a zero size, or valid for
        // `size` bytes. The firmware does not write the name.
        let raw = unsafe {
            bindings::efivar_get_variable(
                name.as_ptr().cast_mut(),
                guid.as_ptr(),
                core::ptr::null_mut(),
                &mut size,
                data,
            )
        };
        Ok((check(raw), size as usize))
    }

    /// `GetVariable`: reads the variable into `buf`; returns its size.
    /// `ENOBUFS` if it is larger than `buf`.
    pub fn get_variable(&self, name: &[u16], guid: &Guid, buf: &mut [u8]) -> Result<usize> {
        let (status, size) = self.get_raw(name, guid, buf)?;
        status.map_err(|(_, e)| e)?;
        Ok(size)
    }

    /// The size of a variable's data (`GetVariable` with no buffer).
    pub fn variable_size(&self, name: &[u16], guid: &Guid) -> Result<usize> {
        match self.get_raw(name, guid, &mut [])? {
            (Ok(()) | Err((EfiStatus::BufferTooSmall, _)), size) => Ok(size),
            (Err((_, e)), _) => Err(e),
        }
    }

    /// `SetVariable` under the lock; an empty `data` deletes the variable.
    /// With `nonblocking`, the firmware's non-blocking variant is used and
    /// nothing sleeps (`EBUSY` if the firmware is in use).
    pub fn set_variable(
        &self,
        name: &[u16],
        guid: &Guid,
        attrs: u32,
        data: &[u8],
        nonblocking: bool,
    ) -> EfiResult {
        nul_terminated(name).map_err(|e| (EfiStatus::InvalidParameter, e))?;
        // SAFETY: The lock is held (type invariant); `name` is NUL
        // terminated, `data` valid for its length; the firmware reads both.
        let raw = unsafe {
            bindings::efivar_set_variable_locked(
                name.as_ptr().cast_mut(),
                guid.as_ptr(),
                attrs,
                data.len() as kernel::ffi::c_ulong,
                data.as_ptr().cast_mut().cast(),
                nonblocking,
            )
        };
        check(raw)
    }
}

impl Drop for EfivarsGuard {
    fn drop(&mut self) {
        // SAFETY: Taken once for this guard (type invariant).
        unsafe { bindings::efivar_unlock() };
    }
}

fn nul_terminated(name: &[u16]) -> Result {
    if name.contains(&0) {
        Ok(())
    } else {
        Err(EINVAL)
    }
}

/// `SetVariable` through the firmware's non-blocking runtime wrapper WITHOUT
/// the efivars lock. Only for the panicking CPU after the other CPUs were
/// stopped (`KMSG_DUMP_PANIC`), when the efivars lock was found held: its
/// holder will never release it. The wrapper's trylock of the runtime lock
/// fails with [`EfiStatus::NotReady`] (`EBUSY`) if the firmware is mid-call,
/// and the firmware is then not entered.
///
/// Like the locked path, it first asks the firmware (non-blocking) whether
/// the write would leave less than the kernel's minimum reserve of free
/// variable store (`efi_query_variable_store()`), and refuses with
/// [`EfiStatus::OutOfResources`] (`ENOSPC`) if so.
pub fn set_variable_bypassing_lock(
    name: &[u16],
    guid: &Guid,
    attrs: u32,
    data: &[u8],
) -> EfiResult {
    nul_terminated(name).map_err(|e| (EfiStatus::InvalidParameter, e))?;
    let name_bytes = name.iter().position(|&c| c == 0).unwrap_or(name.len()) * 2 + 2;
    // SAFETY: The non-blocking query only trylocks the runtime lock; it does
    // not sleep or allocate.
    check(unsafe {
        bindings::efi_query_variable_store(
            attrs,
            (data.len() + name_bytes) as kernel::ffi::c_ulong,
            true,
        )
    })?;
    // SAFETY: `efi` is the kernel's EFI state, set up at boot; reading its
    // function pointer is a plain load.
    let setvar = unsafe { core::ptr::addr_of!(bindings::efi.set_variable_nonblocking).read() };
    let Some(setvar) = setvar else {
        return Err((EfiStatus::Unsupported, ENODEV));
    };
    // SAFETY: The non-blocking runtime wrapper never sleeps and enters the
    // firmware only after taking the runtime lock with a trylock; `name` is
    // NUL terminated and `data` valid for its length.
    let raw = unsafe {
        setvar(
            name.as_ptr().cast_mut(),
            guid.as_ptr(),
            attrs,
            data.len() as kernel::ffi::c_ulong,
            data.as_ptr().cast_mut().cast(),
        )
    };
    check(raw)
}

/// What the firmware says of its variable store (`QueryVariableInfo`).
#[derive(Clone, Copy, Debug)]
pub struct StoreInfo {
    /// Size of the store for variables with these attributes.
    pub storage: u64,
    /// Bytes left (on EDK2, space of variables deleted since boot is only
    /// reclaimed at the next boot).
    pub remaining: u64,
    /// Largest single variable.
    pub max_variable: u64,
}

/// Asks the firmware about its store for variables with attributes `attrs`.
/// Process context (the firmware call may sleep on the runtime lock).
pub fn query_variable_info(attrs: u32) -> core::result::Result<StoreInfo, (EfiStatus, Error)> {
    let (mut storage, mut remaining, mut max_variable) = (0u64, 0u64, 0u64);
    // SAFETY: The three outputs are valid for writes; the function needs no
    // lock (the firmware call is serialised by the runtime lock).
    check(unsafe {
        bindings::efivar_query_variable_info(attrs, &mut storage, &mut remaining, &mut max_variable)
    })?;
    Ok(StoreInfo {
        storage,
        remaining,
        max_variable,
    })
}
