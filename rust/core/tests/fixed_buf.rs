// SPDX-License-Identifier: GPL-2.0

use core::fmt::Write;
use lastwords_core::fixed_buf::FixedBuf;

#[test]
fn fits() {
    let mut b = [0u8; 16];
    let mut w = FixedBuf::new(&mut b);
    assert!(write!(w, "Panic#{} Part{}\n", 3, 12).is_ok());
    assert_eq!(w.as_bytes(), b"Panic#3 Part12\n");
    assert_eq!(w.len(), 15);
    assert!(!w.truncated());
}

#[test]
fn exactly_full_then_one_more() {
    let mut b = [0u8; 4];
    let mut w = FixedBuf::new(&mut b);
    assert!(w.push_bytes(b"abcd"));
    assert!(!w.truncated());
    assert!(!w.push(b'e'));
    assert!(w.truncated());
    assert_eq!(w.as_bytes(), b"abcd");
}

#[test]
fn truncates_and_reports() {
    let mut b = [0xffu8; 8];
    let mut w = FixedBuf::new(&mut b);
    assert!(write!(w, "0123456789").is_err());
    assert_eq!(w.as_bytes(), b"01234567");
    assert!(w.truncated());
    // Later writes add nothing.
    assert!(write!(w, "x").is_err());
    assert_eq!(w.len(), 8);
}

#[test]
fn nul_room_is_kept() {
    let mut b = [0u8; 6];
    {
        let mut w = FixedBuf::with_nul(&mut b);
        assert!(!w.push_bytes(b"abcdefgh"));
        assert_eq!(w.as_bytes(), b"abcde");
    }
    assert_eq!(b, *b"abcde\0");
}

#[test]
fn empty_buffers() {
    let mut b = [0u8; 0];
    let mut w = FixedBuf::with_nul(&mut b);
    assert!(w.is_empty());
    assert!(!w.push(b'a'));
    assert!(write!(w, "").is_ok());
    let mut one = [0u8; 1];
    let mut w = FixedBuf::with_nul(&mut one);
    assert!(!w.push(b'a'));
    assert_eq!(w.len(), 0);
}

#[test]
fn numbers() {
    let mut b = [0u8; 64];
    let mut w = FixedBuf::new(&mut b);
    assert!(w.push_u64(0));
    assert!(w.push(b' '));
    assert!(w.push_u64(u64::MAX));
    assert!(w.push(b' '));
    assert!(w.push_i64(i64::MIN));
    assert!(w.push(b' '));
    assert!(w.push_i64(-7));
    assert_eq!(
        w.as_bytes(),
        b"0 18446744073709551615 -9223372036854775808 -7"
    );
    let mut s = [0u8; 3];
    let mut w = FixedBuf::new(&mut s);
    assert!(!w.push_u64(12345));
    assert_eq!(w.as_bytes(), b"123");
    assert!(w.truncated());
}
