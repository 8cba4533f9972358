// SPDX-License-Identifier: GPL-2.0
//! Host tests of module parameter parsing: what 7.3's kernel crate accepts
//! and refuses (its own examples first), where 6.12's C `param_ops_*` did
//! otherwise.

use lastwords_core::module_param::{set, ParamValue, SetError};

fn p<T: ParamValue>(s: &str) -> Option<T> {
    T::parse(s.as_bytes())
}

#[test]
fn integers_as_7_3_parse_int_examples() {
    // rust/kernel/str/parse_int.rs, `ParseInt`'s examples, in our types.
    assert_eq!(p::<u32>("0"), Some(0));
    assert_eq!(p::<u32>("0xa2"), Some(0xa2));
    assert_eq!(p::<i32>("-0xa2"), Some(-0xa2));
    assert_eq!(p::<i32>("-0o57"), Some(-0o57));
    assert_eq!(p::<i32>("057"), Some(0o57));
    assert_eq!(p::<i64>("0b1001"), Some(0b1001));
    assert_eq!(p::<i64>("-0b1001"), Some(-0b1001));
    assert_eq!(p::<i32>("2147483647"), Some(i32::MAX));
    assert_eq!(p::<i32>("2147483648"), None);
    assert_eq!(p::<i32>("-2147483648"), Some(i32::MIN));
    assert_eq!(p::<i32>("-2147483649"), None);
    assert_eq!(p::<u32>("4294967295"), Some(u32::MAX));
    assert_eq!(p::<u32>("4294967296"), None);
}

#[test]
fn integer_limits_of_every_type() {
    assert_eq!(p::<i64>("-9223372036854775808"), Some(i64::MIN));
    assert_eq!(p::<i64>("-0x8000000000000000"), Some(i64::MIN));
    assert_eq!(p::<i64>("9223372036854775808"), None);
    assert_eq!(p::<i64>("-9223372036854775809"), None);
    assert_eq!(p::<u64>("18446744073709551615"), Some(u64::MAX));
    assert_eq!(p::<u64>("0xffffffffffffffff"), Some(u64::MAX));
    assert_eq!(p::<u64>("18446744073709551616"), None);
    assert_eq!(p::<isize>("-9223372036854775808"), Some(isize::MIN));
    assert_eq!(p::<isize>("9223372036854775808"), None);
    assert_eq!(p::<usize>("18446744073709551615"), Some(usize::MAX));
    assert_eq!(p::<usize>("18446744073709551616"), None);
    assert_eq!(p::<u32>("0x100000000"), None);
}

#[test]
fn prefixes_and_signs() {
    assert_eq!(p::<u32>("4096"), Some(4096));
    assert_eq!(p::<u32>("0X1000"), Some(4096));
    assert_eq!(p::<u32>("0o10000"), Some(4096));
    assert_eq!(p::<u32>("0O10000"), Some(4096));
    assert_eq!(p::<u32>("010000"), Some(4096));
    assert_eq!(p::<u32>("0b1000000000000"), Some(4096));
    assert_eq!(p::<u32>("0B1000000000000"), Some(4096));
    assert_eq!(p::<u32>("00"), Some(0));
    assert_eq!(p::<u32>("+4096"), Some(4096));
    // The sign hides the prefix from `strip_radix`: decimal.
    assert_eq!(p::<u32>("+010"), Some(10));
    assert_eq!(p::<u32>("+0x10"), None);
    // After a prefix, `from_str_radix` takes a sign of its own.
    assert_eq!(p::<u32>("0x+10"), Some(16));
    assert_eq!(p::<i32>("0x-10"), Some(-16));
    assert_eq!(p::<u32>("0x-10"), None);
    assert_eq!(p::<i32>("-+5"), Some(-5));
    assert_eq!(p::<i32>("--5"), None);
    assert_eq!(p::<i32>("-0"), Some(0));
    // Unsigned: only minus zero.
    assert_eq!(p::<u32>("-0"), Some(0));
    assert_eq!(p::<u32>("-0x0"), Some(0));
    assert_eq!(p::<u32>("-1"), None);
    assert_eq!(p::<u64>("-1"), None);
    assert_eq!(p::<usize>("-1"), None);
}

#[test]
fn integers_refused() {
    for s in [
        "", "+", "-", "0x", "0o", "0b", "-0x", "08", "0b2", "0xg", "abc", "1_000", "1e3", "4096\n",
        "4096 ", " 4096", "\n4096", "4096\0", "0x 1", "１",
    ] {
        assert_eq!(p::<u32>(s), None, "u32 {s:?}");
        assert_eq!(p::<i32>(s), None, "i32 {s:?}");
        assert_eq!(p::<u64>(s), None, "u64 {s:?}");
        assert_eq!(p::<i64>(s), None, "i64 {s:?}");
        assert_eq!(p::<usize>(s), None, "usize {s:?}");
        assert_eq!(p::<isize>(s), None, "isize {s:?}");
    }
    assert_eq!(u32::parse(&[b'1', 0xff]), None);
}

#[test]
fn bools_as_7_3_kstrtobool_examples() {
    // rust/kernel/str.rs, `kstrtobool`'s examples.
    for (s, v) in [
        ("true", true),
        ("tr", true),
        ("t", true),
        ("twrong", true),
        ("false", false),
        ("f", false),
        ("yes", true),
        ("no", false),
        ("on", true),
        ("off", false),
        ("True", true),
        ("False", false),
        ("Yes", true),
        ("No", false),
        ("On", true),
        ("Off", false),
        ("TRUE", true),
        ("FALSE", false),
        ("YES", true),
        ("NO", false),
        ("ON", true),
        ("OFF", false),
        ("1", true),
        ("0", false),
    ] {
        assert_eq!(p::<bool>(s), Some(v), "{s:?}");
    }
    assert_eq!(p::<bool>("invalid"), None);
    assert_eq!(p::<bool>("2"), None);
}

#[test]
fn bools_7_3_has_and_6_12_lacks() {
    // 7.3's lib/kstrtox.c kstrtobool(): 'e'/'E' true, 'd'/'D' false.
    for (s, v) in [
        ("e", true),
        ("Enable", true),
        ("d", false),
        ("DISABLE", false),
    ] {
        assert_eq!(p::<bool>(s), Some(v), "{s:?}");
    }
    for s in ["", "o", "O", "ox", " y", "\ny", "x", "-1", "2"] {
        assert_eq!(p::<bool>(s), None, "{s:?}");
    }
    // Only the first byte counts (two for on/off).
    assert_eq!(p::<bool>("y\n"), Some(true));
    assert_eq!(p::<bool>("0x1"), Some(false));
    assert_eq!(p::<bool>("1000"), Some(true));
    assert_eq!(p::<bool>("onion"), Some(true));
}

#[test]
fn no_value_is_refused_for_every_type() {
    let mut b: Option<bool> = None;
    assert_eq!(set(&mut b, None), Err(SetError::Invalid));
    assert_eq!(b, None);
    let mut n: Option<u32> = None;
    assert_eq!(set(&mut n, None), Err(SetError::Invalid));
    assert_eq!(n, None);
}

#[test]
fn set_once_then_eexist() {
    let mut n: Option<u32> = None;
    assert_eq!(set(&mut n, Some(b"2048")), Ok(()));
    assert_eq!(n, Some(2048));
    assert_eq!(set(&mut n, Some(b"4096")), Err(SetError::AlreadySet));
    assert_eq!(set(&mut n, Some(b"2048")), Err(SetError::AlreadySet));
    assert_eq!(n, Some(2048));
    // 7.3 parses before it tries to set: a bad second value is EINVAL.
    assert_eq!(set(&mut n, Some(b"abc")), Err(SetError::Invalid));
    assert_eq!(set(&mut n, None), Err(SetError::Invalid));
    assert_eq!(n, Some(2048));

    let mut b: Option<bool> = None;
    assert_eq!(set(&mut b, Some(b"N")), Ok(()));
    assert_eq!(b, Some(false));
    assert_eq!(set(&mut b, Some(b"N")), Err(SetError::AlreadySet));
}

#[test]
fn a_refused_value_sets_nothing() {
    let mut n: Option<i32> = None;
    assert_eq!(set(&mut n, Some(b"abc")), Err(SetError::Invalid));
    assert_eq!(set(&mut n, Some(b"99999999999")), Err(SetError::Invalid));
    assert_eq!(n, None);
    assert_eq!(set(&mut n, Some(b"-3")), Ok(()));
    assert_eq!(n, Some(-3));
}
