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
/// # Examples
///
/// `name` is a NUL-terminated UCS-2 name; an empty `data` deletes the
/// variable:
///
/// ```ignore
/// use crate::lastwords::efivar::{EfivarsGuard, ATTR_NV_BS_RT, LINUX_EFI_CRASH_GUID};
///
/// // Process context: sleeps until the lock is free.
/// let g = EfivarsGuard::lock()?;
/// let n = g.get_variable(name, &LINUX_EFI_CRASH_GUID, &mut buf)?; // data: `buf[..n]`
/// g.set_variable(name, &LINUX_EFI_CRASH_GUID, ATTR_NV_BS_RT, &[], false)
///     .map_err(|(_status, e)| e)?;
/// drop(g);
///
/// // A kmsg dump (atomic context): never sleeps, nor enters the firmware
/// // blockingly; `EBUSY` if the lock is held.
/// let g = EfivarsGuard::try_lock()?;
/// g.set_variable(name, &LINUX_EFI_CRASH_GUID, ATTR_NV_BS_RT, data, true)
///     .map_err(|(_status, e)| e)?;
/// ```
///
/// The guard is `Send` (a semaphore may be released by another task than
/// the one that took it: a pstore read session opens in one call and
/// closes in another) but not `Sync`: its methods take `&self` and call the
/// firmware, which must not be entered from two threads under one hold of
/// the lock.
///
/// # Invariants
///
/// The efivars semaphore was taken once for this guard.
pub struct EfivarsGuard {
    /// Not `Sync` (nor, by default, `Send`: see the `impl` below).
    _not_sync: PhantomData<*mut ()>,
}

// SAFETY: The efivars lock is a semaphore, not tied to a task: releasing it
// from another thread than the one that took it is allowed. The guard holds
// no reference to thread-local state.
unsafe impl Send for EfivarsGuard {}

impl EfivarsGuard {
    /// Takes the lock, sleeping (interruptibly) until it is free. Process
    /// context only. `EINTR` if interrupted, `ENODEV` without efivars.
    pub fn lock() -> Result<Self> {
        // SAFETY: `efivar_lock()` may sleep; callers are in process context
        // (documented requirement).
        to_result(unsafe { bindings::efivar_lock() })?;
        // INVARIANT: taken.
        Ok(Self {
            _not_sync: PhantomData,
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
            _not_sync: PhantomData,
        })
    }

    /// `GetNextVariableName`: advances `name` (UCS-2, NUL terminated, empty
    /// to start) and `guid` to the next variable. `Ok(false)` at the end.
    /// For a walk that trusts the firmware less, see [`VarNames`].
    pub fn next_variable(&self, name: &mut [u16], guid: &mut Guid) -> Result<bool> {
        match self.next_variable_raw(name, guid).0 {
            Ok(()) => Ok(true),
            Err((EfiStatus::NotFound, _)) => Ok(false),
            Err((_, e)) => Err(e),
        }
    }

    /// `GetNextVariableName` as the firmware answers it: the status, and the
    /// size in bytes it reports (the name's, or the one it needs).
    fn next_variable_raw(&self, name: &mut [u16], guid: &mut Guid) -> (EfiResult, usize) {
        let mut size = (name.len() * 2) as kernel::ffi::c_ulong;
        // SAFETY: The lock is held (type invariant); `name` is valid for
        // `size` bytes and `guid` for an `efi_guid_t`.
        let raw = unsafe {
            bindings::efivar_get_next_variable(&mut size, name.as_mut_ptr(), guid.as_mut_ptr())
        };
        (check(raw), size as usize)
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

#[path = "../core/src/var_walk.rs"]
pub mod var_walk;

use var_walk::{Stop, WalkGuard};
pub use var_walk::{ENUM_MAX, NAME_CHARS_MAX};

/// A bounded walk over the firmware's variables (`GetNextVariableName`) that
/// trusts nothing it is handed (the decisions, host-tested, are in
/// `rust/core/src/var_walk.rs`): the name buffer grows to what a name needs,
/// up to [`NAME_CHARS_MAX`]; a buffer without a NUL, the previous name handed
/// out again, or more than [`ENUM_MAX`] variables end the walk with an error
/// (`EIO`, `ELOOP`, `E2BIG`); so does a longer name (`ENAMETOOLONG`), as in
/// efivarfs. Process context (allocates when a name needs more room).
///
/// # Invariants
///
/// `name` and `prev` have the same length, at least one; `name` holds the
/// NUL-terminated name of the current variable (empty before the first).
pub struct VarNames {
    name: KVec<u16>,
    prev: KVec<u16>,
    guid: Guid,
    prev_guid: Guid,
    guard: WalkGuard,
}

impl VarNames {
    /// A walk from the first variable, with room for names of `chars`
    /// characters (NUL included) to start with.
    pub fn new(chars: usize) -> Result<Self> {
        let chars = chars.clamp(1, NAME_CHARS_MAX);
        // INVARIANT: same length, at least one; all NUL (the empty name).
        Ok(Self {
            name: KVec::from_elem(0u16, chars, GFP_KERNEL)?,
            prev: KVec::from_elem(0u16, chars, GFP_KERNEL)?,
            guid: Guid::zero(),
            prev_guid: Guid::zero(),
            guard: WalkGuard::new(),
        })
    }

    /// Moves to the next variable; `Ok(false)` at the end.
    pub fn next(&mut self, g: &EfivarsGuard) -> Result<bool> {
        self.guard.before_next().map_err(stop_error)?;
        for (p, n) in self.prev.iter_mut().zip(self.name.iter()) {
            *p = *n;
        }
        self.prev_guid = self.guid;
        loop {
            match g.next_variable_raw(&mut self.name, &mut self.guid) {
                (Ok(()), _) => break,
                (Err((EfiStatus::NotFound, _)), _) => return Ok(false),
                (Err((EfiStatus::BufferTooSmall, _)), bytes) => {
                    let want = WalkGuard::grow_to(bytes, self.name.len()).map_err(stop_error)?;
                    // The call needs the previous name again: it stays,
                    // and both buffers grow behind it, by the same length
                    // (room for both first, so that neither grows alone).
                    let more = want - self.name.len();
                    self.name.reserve(more, GFP_KERNEL)?;
                    self.prev.reserve(more, GFP_KERNEL)?;
                    self.name.extend_with(more, 0, GFP_KERNEL)?;
                    self.prev.extend_with(more, 0, GFP_KERNEL)?;
                }
                (Err((_, e)), _) => return Err(e),
            }
        }
        self.guard
            .after_next(&self.name, &self.guid, &self.prev, &self.prev_guid)
            .map_err(stop_error)?;
        Ok(true)
    }

    /// The current variable's name, NUL included.
    pub fn name(&self) -> &[u16] {
        var_walk::until_nul(&self.name)
    }

    /// The current variable's vendor GUID.
    pub fn guid(&self) -> &Guid {
        &self.guid
    }
}

/// The kernel error for why a walk stopped.
fn stop_error(s: Stop) -> Error {
    match s {
        Stop::TooMany => E2BIG,
        Stop::NoNul => EIO,
        Stop::TooLong => errno(kernel::bindings::ENAMETOOLONG),
        Stop::Repeated => errno(kernel::bindings::ELOOP),
    }
}

/// An errno that the kernel crate has no constant for.
fn errno(e: u32) -> Error {
    Error::from_errno(-(e as kernel::ffi::c_int))
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

/// Whether the firmware has the non-blocking variable services that the
/// panic path needs (`SetVariable` and `QueryVariableInfo`). The kernel's
/// generic efivars operations (the ones registered on UEFI machines; Google's
/// SMI interface, `gsmi`, registers its own, which this does not see) copy
/// these pointers from `efi`, and
/// [`EfivarsGuard::set_variable`] with `nonblocking` and
/// [`set_variable_bypassing_lock`] call through those operations: without
/// them the kernel would fall back to the blocking call (or, for the store
/// query, call a null pointer).
pub fn nonblocking_supported() -> bool {
    // SAFETY: `efi` is the kernel's EFI state, set up at boot; reading two
    // function pointers is a plain load.
    let (set, query) = unsafe {
        (
            core::ptr::addr_of!(bindings::efi.set_variable_nonblocking).read(),
            core::ptr::addr_of!(bindings::efi.query_variable_info_nonblocking).read(),
        )
    };
    set.is_some() && query.is_some()
}

/// `SetVariable` through the kernel's non-blocking path WITHOUT the efivars
/// lock. Only for the panicking CPU after the other CPUs were stopped
/// (`KMSG_DUMP_PANIC`), when the efivars lock was found held: its holder will
/// never release it.
///
/// It is the same call as the locked path's
/// (`efivar_set_variable_locked(..., nonblocking)`: the same registered
/// operations, the same check that the write leaves the kernel's minimum
/// reserve of free variable store), made without the lock, whose only job is
/// to serialise callers that can no longer run. The non-blocking runtime
/// wrappers take the runtime lock with a trylock and return
/// [`EfiStatus::NotReady`] (`EBUSY`) if the firmware is mid-call on some CPU,
/// in which case it is not entered. Returns [`EfiStatus::Unsupported`]
/// (`ENODEV`) without entering anything if [`nonblocking_supported`] is false.
pub fn set_variable_bypassing_lock(
    name: &[u16],
    guid: &Guid,
    attrs: u32,
    data: &[u8],
) -> EfiResult {
    nul_terminated(name).map_err(|e| (EfiStatus::InvalidParameter, e))?;
    if !nonblocking_supported() {
        return Err((EfiStatus::Unsupported, ENODEV));
    }
    // SAFETY: `name` is NUL terminated and `data` valid for its length; the
    // firmware only reads them. With `nonblocking` the call neither sleeps nor
    // allocates (the services it needs exist, checked above). The efivars
    // lock is not held: the caller is the panicking CPU and its holder is
    // stopped (function documentation), so nothing runs concurrently.
    let raw = unsafe {
        bindings::efivar_set_variable_locked(
            name.as_ptr().cast_mut(),
            guid.as_ptr(),
            attrs,
            data.len() as kernel::ffi::c_ulong,
            data.as_ptr().cast_mut().cast(),
            true,
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

/// Whether some CPU is inside the firmware's variable services right now:
/// the non-blocking `QueryVariableInfo` (`efi.query_variable_info_nonblocking`,
/// the runtime wrappers' on every architecture; x86's
/// `efi_query_variable_store(.., true)` makes the same call, arm64's is an
/// inline that calls nothing) only trylocks the runtime lock and says
/// `EFI_NOT_READY` when it is held. Never sleeps or waits. `false` without
/// the non-blocking services (nothing is called then).
pub fn firmware_busy() -> bool {
    if !nonblocking_supported() {
        return false;
    }
    // SAFETY: `efi` is the kernel's EFI state, set up at boot; reading a
    // function pointer is a plain load.
    let query =
        unsafe { core::ptr::addr_of!(bindings::efi.query_variable_info_nonblocking).read() };
    let Some(query) = query else {
        return false;
    };
    let (mut storage, mut remaining, mut max_variable) = (0u64, 0u64, 0u64);
    // SAFETY: The non-blocking query never sleeps or waits: it trylocks the
    // runtime lock, and calls the firmware only if it got it; the three
    // outputs are valid for writes.
    let raw = unsafe {
        query(
            ATTR_NV_BS_RT,
            &mut storage,
            &mut remaining,
            &mut max_variable,
        )
    };
    EfiStatus::from_raw(raw as u64) == EfiStatus::NotReady
}
