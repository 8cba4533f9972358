// SPDX-License-Identifier: GPL-2.0

//! EFI status codes and their mapping to kernel error numbers.
//!
//! The mapping follows `efi_status_to_err()` (`drivers/firmware/efi/efi.c`)
//! where that function has a case, and gives the codes it folds into `-EINVAL`
//! a meaning of their own: above all `EFI_NOT_READY`, which the non-blocking
//! runtime wrappers return when the firmware is in use on another CPU
//! (`-EBUSY` here, so a caller can tell "firmware busy" from "bad argument").

/// The error bit of an EFI status (the top bit of a 64-bit `efi_status_t`).
pub const EFI_ERROR_BIT: u64 = 1 << 63;

/// Named EFI statuses this project deals with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EfiStatus {
    /// `EFI_SUCCESS`.
    Success,
    /// `EFI_INVALID_PARAMETER`.
    InvalidParameter,
    /// `EFI_UNSUPPORTED`.
    Unsupported,
    /// `EFI_BUFFER_TOO_SMALL`.
    BufferTooSmall,
    /// `EFI_NOT_READY`: the non-blocking wrappers' "runtime lock is held".
    NotReady,
    /// `EFI_DEVICE_ERROR`.
    DeviceError,
    /// `EFI_WRITE_PROTECTED`.
    WriteProtected,
    /// `EFI_OUT_OF_RESOURCES`: the variable store is full.
    OutOfResources,
    /// `EFI_NOT_FOUND`.
    NotFound,
    /// `EFI_ABORTED`.
    Aborted,
    /// `EFI_SECURITY_VIOLATION`.
    SecurityViolation,
    /// Any other value.
    Other(u64),
}

// errno values (include/uapi/asm-generic/errno*.h), as positive numbers.
const ENOENT: i32 = 2;
const EINTR: i32 = 4;
const EIO: i32 = 5;
const EACCES: i32 = 13;
const EBUSY: i32 = 16;
const EINVAL: i32 = 22;
const ENOSPC: i32 = 28;
const EROFS: i32 = 30;
const EOPNOTSUPP: i32 = 95;
const ENOBUFS: i32 = 105;

impl EfiStatus {
    /// Decodes a raw `efi_status_t`.
    pub fn from_raw(raw: u64) -> Self {
        if raw == 0 {
            return EfiStatus::Success;
        }
        if raw & EFI_ERROR_BIT == 0 {
            return EfiStatus::Other(raw);
        }
        match raw & !EFI_ERROR_BIT {
            2 => EfiStatus::InvalidParameter,
            3 => EfiStatus::Unsupported,
            5 => EfiStatus::BufferTooSmall,
            6 => EfiStatus::NotReady,
            7 => EfiStatus::DeviceError,
            8 => EfiStatus::WriteProtected,
            9 => EfiStatus::OutOfResources,
            14 => EfiStatus::NotFound,
            21 => EfiStatus::Aborted,
            26 => EfiStatus::SecurityViolation,
            _ => EfiStatus::Other(raw),
        }
    }

    /// The kernel error number (negative), or 0 for success.
    pub fn to_errno(self) -> i32 {
        match self {
            EfiStatus::Success => 0,
            EfiStatus::InvalidParameter => -EINVAL,
            EfiStatus::Unsupported => -EOPNOTSUPP,
            EfiStatus::BufferTooSmall => -ENOBUFS,
            EfiStatus::NotReady => -EBUSY,
            EfiStatus::DeviceError => -EIO,
            EfiStatus::WriteProtected => -EROFS,
            EfiStatus::OutOfResources => -ENOSPC,
            EfiStatus::NotFound => -ENOENT,
            EfiStatus::Aborted => -EINTR,
            EfiStatus::SecurityViolation => -EACCES,
            // Warnings (top bit clear) and unknown errors: the C code's
            // default.
            EfiStatus::Other(_) => -EINVAL,
        }
    }
}
