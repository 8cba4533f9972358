// SPDX-License-Identifier: GPL-2.0
//! Host tests of the EFI status mapping.

use lastwords_core::efi_status::{EfiStatus, EFI_ERROR_BIT};

fn err(n: u64) -> u64 {
    EFI_ERROR_BIT | n
}

#[test]
fn matches_efi_status_to_err_where_it_has_a_case() {
    // drivers/firmware/efi/efi.c: efi_status_to_err()
    for (raw, errno) in [
        (0, 0),
        (err(2), -22),  // EFI_INVALID_PARAMETER -> -EINVAL
        (err(9), -28),  // EFI_OUT_OF_RESOURCES -> -ENOSPC
        (err(7), -5),   // EFI_DEVICE_ERROR -> -EIO
        (err(8), -30),  // EFI_WRITE_PROTECTED -> -EROFS
        (err(26), -13), // EFI_SECURITY_VIOLATION -> -EACCES
        (err(14), -2),  // EFI_NOT_FOUND -> -ENOENT
        (err(21), -4),  // EFI_ABORTED -> -EINTR
    ] {
        assert_eq!(EfiStatus::from_raw(raw).to_errno(), errno, "{raw:#x}");
    }
}

#[test]
fn gives_folded_codes_their_own_meaning() {
    assert_eq!(EfiStatus::from_raw(err(6)), EfiStatus::NotReady);
    assert_eq!(EfiStatus::from_raw(err(6)).to_errno(), -16); // -EBUSY
    assert_eq!(EfiStatus::from_raw(err(5)).to_errno(), -105); // -ENOBUFS
    assert_eq!(EfiStatus::from_raw(err(3)).to_errno(), -95); // -EOPNOTSUPP
}

#[test]
fn unknown_and_warnings_fall_back_to_einval() {
    assert_eq!(EfiStatus::from_raw(err(99)), EfiStatus::Other(err(99)));
    assert_eq!(EfiStatus::from_raw(err(99)).to_errno(), -22);
    // A warning (top bit clear) is not success either.
    assert_eq!(EfiStatus::from_raw(4), EfiStatus::Other(4));
    assert_eq!(EfiStatus::from_raw(4).to_errno(), -22);
}
