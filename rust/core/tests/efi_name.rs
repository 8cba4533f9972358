// SPDX-License-Identifier: GPL-2.0
//! Host tests of the EFI pstore variable names.

use lastwords_core::efi_name::{
    DumpName, Invalid, NameForm, DUMP_NAME_LEN, PART_MAX, TIME_MAX, TYPE_MAX,
};

fn name(record_type: u32, part: u32, count: i32, time: i64, compressed: bool) -> DumpName {
    DumpName {
        record_type,
        part,
        count,
        time,
        compressed,
        dense: 0,
    }
}

/// A part of a dense dump of format version 1.
fn dense(part: u32, count: i32, time: i64) -> DumpName {
    dense_v(1, part, count, time)
}

fn dense_v(version: u8, part: u32, count: i32, time: i64) -> DumpName {
    DumpName {
        dense: version,
        ..name(0, part, count, time, false)
    }
}

fn encoded(n: &DumpName) -> String {
    let mut buf = [0u8; DUMP_NAME_LEN];
    let len = n.encode(&mut buf);
    assert!(buf[len..].iter().all(|&b| b == 0), "NUL padded");
    String::from_utf8(buf[..len].to_vec()).unwrap()
}

#[test]
fn encodes_like_the_c_snprintf() {
    // snprintf(name, 66, "dump-type%u-%u-%d-%lld-%c", ...)
    assert_eq!(
        encoded(&name(0, 1, 0, 1763779200, true)),
        "dump-type0-1-0-1763779200-C"
    );
    assert_eq!(
        encoded(&name(0, 12, 3, 1763779200, false)),
        "dump-type0-12-3-1763779200-D"
    );
    assert_eq!(encoded(&name(7, 1, -1, -5, false)), "dump-type7-1--1--5-D");
}

#[test]
fn extreme_values_fit_exactly() {
    let n = name(u32::MAX, u32::MAX, i32::MIN, i64::MIN, true);
    let s = encoded(&n);
    assert_eq!(
        s,
        "dump-type4294967295-4294967295--2147483648--9223372036854775808-C"
    );
    assert_eq!(s.len(), DUMP_NAME_LEN - 1);
    assert_eq!(DumpName::parse(s.as_bytes()), Some((n, NameForm::Current)));
}

#[test]
fn round_trips_ascii_and_ucs2() {
    for n in [
        name(0, 1, 0, 0, false),
        name(0, 99, 2147483647, 4102444800, true),
        name(6, 1, 5, 1763779200, false),
        name(2, 3, -7, -1, true),
    ] {
        let s = encoded(&n);
        assert_eq!(
            DumpName::parse(s.as_bytes()),
            Some((n, NameForm::Current)),
            "{s}"
        );
        let mut w = [0u16; DUMP_NAME_LEN];
        let len = n.encode_ucs2(&mut w);
        assert_eq!(len, s.len());
        // The reader's parse takes it as well, if its fields are in range.
        assert_eq!(
            DumpName::parse_ucs2_checked(&w),
            n.check().map(|()| (n, NameForm::Current)),
            "{s}"
        );
    }
}

#[test]
fn reads_the_older_forms() {
    assert_eq!(
        DumpName::parse(b"dump-type0-2-1-1700000000"),
        Some((name(0, 2, 1, 1700000000, false), NameForm::NoFlag))
    );
    assert_eq!(
        DumpName::parse(b"dump-type0-2-1700000000\0\0"),
        Some((name(0, 2, 0, 1700000000, false), NameForm::Old))
    );
    // "%c" takes any character; only 'C' means compressed.
    assert_eq!(
        DumpName::parse(b"dump-type0-1-0-10-X"),
        Some((name(0, 1, 0, 10, false), NameForm::Current))
    );
}

#[test]
fn rejects_what_is_not_a_dump() {
    for s in [
        &b""[..],
        b"dump-type",
        b"dump-type0",
        b"dump-type0-1",
        b"dump-typeX-1-2-3-C",
        b"Boot0001",
        b"dump-type0-1-2-99999999999999999999999-C", // overflows u64
        b"dump-type4294967296-1-2-3-C",              // overflows u32
        b"dump-type0-1-2147483648-3-C",              // overflows i32
        b"DUMP-TYPE0-1-2-3-C",
        b"dump-type0-1-0-10-",   // dangling separator
        b"dump-type0-1-0-10-CX", // trailing characters
        b"dump-type0-1-0-10 ",
    ] {
        assert_eq!(DumpName::parse(s), None, "{}", String::from_utf8_lossy(s));
    }
    // Non-ASCII UCS-2 never matches.
    let mut w = [0u16; DUMP_NAME_LEN];
    for (o, c) in w.iter_mut().zip("dump-type0-1-0-10-C".encode_utf16()) {
        *o = c;
    }
    w[9] = 0x0660; // ARABIC-INDIC DIGIT ZERO
    assert_eq!(DumpName::parse_ucs2_checked(&w), Err(Invalid::NotAscii));
}

#[test]
fn unsigned_fields_wrap_like_sscanf() {
    assert_eq!(
        DumpName::parse(b"dump-type-1-1-0-10-D").map(|(n, _)| n.record_type),
        Some(u32::MAX)
    );
}

#[test]
fn generic_id_matches_the_c_formula() {
    // (timestamp * 100 + part) * 1000 + count
    assert_eq!(
        name(0, 3, 2, 1700000000, true).generic_id(),
        170000000003002
    );
    // Wraps instead of overflowing, like the C u64 arithmetic.
    let n = name(0, 1, -1, i64::MAX, false);
    let want = (i64::MAX as u64)
        .wrapping_mul(100)
        .wrapping_add(1)
        .wrapping_mul(1000)
        .wrapping_add(-1i64 as u64);
    assert_eq!(n.generic_id(), want);
}

fn ucs2(s: &str, buf_len: usize) -> Vec<u16> {
    let mut w: Vec<u16> = s.encode_utf16().collect();
    w.resize(buf_len.max(w.len() + 1), 0);
    w
}

#[test]
fn checked_parse_accepts_what_writers_write() {
    for n in [
        name(0, 1, 0, 0, false),
        name(0, 1, 1, 1763779200, true),
        name(0, PART_MAX, i32::MAX, TIME_MAX, true),
        name(7, 1, 999, 1763779200, false),
        name(TYPE_MAX - 1, 1, 0, 1, false),
    ] {
        let mut w = [0u16; DUMP_NAME_LEN];
        n.encode_ucs2(&mut w);
        assert_eq!(
            DumpName::parse_ucs2_checked(&w),
            Ok((n, NameForm::Current)),
            "{n:?}"
        );
        // The enumeration buffer is larger than a name: same answer.
        let mut big = w.to_vec();
        big.resize(256, 0);
        assert_eq!(
            DumpName::parse_ucs2_checked(&big),
            Ok((n, NameForm::Current))
        );
    }
    assert_eq!(
        DumpName::parse_ucs2_checked(&ucs2("dump-type0-2-1700000000", 256)),
        Ok((name(0, 2, 0, 1700000000, false), NameForm::Old))
    );
    assert_eq!(
        DumpName::parse_ucs2_checked(&ucs2("dump-type0-2-3-1700000000", 256)),
        Ok((name(0, 2, 3, 1700000000, false), NameForm::NoFlag))
    );
}

#[test]
fn checked_parse_names_each_bad_field() {
    let cases: &[(&str, Invalid)] = &[
        ("dump-type9-1-0-10-D", Invalid::Type),
        ("dump-type4294967295-1-0-10-D", Invalid::Type),
        ("dump-type-1-1-0-10-D", Invalid::Type),
        ("dump-type0-0-0-10-D", Invalid::Part),
        ("dump-type0-1025-0-10-D", Invalid::Part),
        ("dump-type0-1--1-10-D", Invalid::Count),
        ("dump-type0-1-0--1927000000-D", Invalid::Time),
        ("dump-type0-1-0-253402300800-D", Invalid::Time),
        ("dump-type0-1-0-10-X", Invalid::Flag),
        ("dump-type0-1-0-10-c", Invalid::Flag),
        ("dump-type7-1-0-10-C", Invalid::CompressedType),
        ("dump-type0-1-0-10-", Invalid::Malformed),
        ("Boot0001", Invalid::Malformed),
        ("", Invalid::Malformed),
        ("dump-type0-1-0-10 D", Invalid::NotAscii),
    ];
    for &(s, want) in cases {
        assert_eq!(
            DumpName::parse_ucs2_checked(&ucs2(s, 256)),
            Err(want),
            "{s}"
        );
    }
    let mut w = ucs2("dump-type0-1-0-10-D", 256);
    w[4] = 0x2010; // HYPHEN
    assert_eq!(DumpName::parse_ucs2_checked(&w), Err(Invalid::NotAscii));
}

#[test]
fn checked_parse_never_truncates() {
    // 65 characters (zero-padded time): the longest name that fits, whole
    // (not truncated: it is read as the alias it is).
    let longest = format!("dump-type0-1-0-{}-D", "0".repeat(65 - 17));
    assert_eq!(longest.len(), DUMP_NAME_LEN - 1);
    assert_eq!(
        DumpName::parse_ucs2_checked(&ucs2(&longest, 256)),
        Err(Invalid::NotCanonical)
    );
    // One more character: the old reader parsed the first 65 and would have
    // erased a name that does not exist; now it is not a record at all.
    let over = format!("dump-type0-1-0-{}-D", "0".repeat(66 - 17));
    assert_eq!(
        DumpName::parse_ucs2_checked(&ucs2(&over, 256)),
        Err(Invalid::TooLong)
    );
    let long_tail = format!("dump-type0-1-0-10-D{}", "x".repeat(100));
    assert_eq!(
        DumpName::parse_ucs2_checked(&ucs2(&long_tail, 256)),
        Err(Invalid::TooLong)
    );
    // No NUL at all in the buffer.
    let full = vec![u16::from(b'd'); DUMP_NAME_LEN];
    assert_eq!(DumpName::parse_ucs2_checked(&full), Err(Invalid::TooLong));
    let short = ucs2("dump-type0-1-0-10-D", 0);
    assert_eq!(
        DumpName::parse_ucs2_checked(&short[..short.len() - 1]),
        Err(Invalid::TooLong)
    );
}

#[test]
fn dense_names_round_trip_and_stay_apart_from_the_c_forms() {
    let d = dense(3, 2, 1_764_690_000);
    assert_eq!(encoded(&d), "lw-dense1-type0-3-2-1764690000");
    let mut buf = [0u8; DUMP_NAME_LEN];
    d.encode(&mut buf);
    assert_eq!(DumpName::parse(&buf), Some((d, NameForm::Dense)));
    let u = ucs2("lw-dense1-type0-3-2-1764690000", DUMP_NAME_LEN);
    assert_eq!(DumpName::parse_ucs2_checked(&u), Ok((d, NameForm::Dense)));
    // The largest fields still fit the C backend's name buffer.
    let big = dense(PART_MAX, i32::MAX, TIME_MAX);
    let mut buf = [0u8; DUMP_NAME_LEN];
    let len = big.encode(&mut buf);
    assert_eq!(DumpName::parse(&buf[..len]), Some((big, NameForm::Dense)));
    // Not a name of the C forms: the C backend's sscanf() passes it over.
    assert!(!encoded(&d).starts_with("dump-type"));
    // Version 2, written now.
    let d2 = dense_v(2, 3, 2, 1_764_690_000);
    assert_eq!(encoded(&d2), "lw-dense2-type0-3-2-1764690000");
    let u = ucs2("lw-dense2-type0-3-2-1764690000", DUMP_NAME_LEN);
    assert_eq!(DumpName::parse_ucs2_checked(&u), Ok((d2, NameForm::Dense)));
    assert!(d2.is_dense() && d.is_dense() && !name(0, 1, 1, 1, false).is_dense());
}

#[test]
fn dense_names_of_other_versions_or_types_are_not_read() {
    for (n, why) in [
        ("lw-dense3-type0-1-1-1764690000", Invalid::Version),
        ("lw-dense0-type0-1-1-1764690000", Invalid::Version),
        ("lw-dense258-type0-1-1-1764690000", Invalid::Version),
        ("lw-dense4294967297-type0-1-1-1", Invalid::Malformed),
        ("lw-dense99999999999-type0-1-1-1", Invalid::Malformed),
        ("lw-dense1-type6-1-1-1764690000", Invalid::CompressedType),
        ("lw-dense1-type0-0-1-1764690000", Invalid::Part),
        ("lw-dense1-type0-1-1-1764690000-C", Invalid::Malformed),
        ("lw-dense1-type0-1-1", Invalid::Malformed),
        ("lw-dense1type0-1-1-1764690000", Invalid::Malformed),
    ] {
        let u = ucs2(n, DUMP_NAME_LEN);
        assert_eq!(DumpName::parse_ucs2_checked(&u), Err(why), "{n}");
    }
    assert_eq!(DumpName::parse(b"lw-dense3-type0-1-1-1764690000"), None);
    assert_eq!(DumpName::parse(b"lw-dense0-type0-1-1-1764690000"), None);
}

#[test]
fn aliases_are_not_canonical() {
    // Each parses to the fields of a name a writer writes, but is spelled
    // otherwise: two variables could then hold one record.
    for s in [
        "lw-dense1-type0-01-3-1700000000",
        "lw-dense01-type0-1-3-1700000000",
        "lw-dense1-type00-1-3-1700000000",
        "lw-dense1-type0-+1-3-1700000000",
        "lw-dense1-type0-1-+3-1700000000",
        "lw-dense1-type0-1-03-1700000000",
        "lw-dense1-type0-1-3-01700000000",
        "lw-dense1-type0-1-3-+1700000000",
        "lw-dense1-type0-1--0-1700000000",
        "lw-dense1-type0-1-0--0",
        "dump-type0-1-3-01700000000-D",
        "dump-type0-+1-3-1700000000-C",
        "dump-type0-1-003-1700000000",
        "dump-type+0-1-1700000000",
        "dump-type0-1-00",
    ] {
        assert_eq!(
            DumpName::parse_ucs2_checked(&ucs2(s, 256)),
            Err(Invalid::NotCanonical),
            "{s}"
        );
    }
    // The canonical spellings of the same fields are taken, zero included.
    for s in [
        "lw-dense1-type0-1-3-1700000000",
        "lw-dense1-type0-1-0-0",
        "dump-type0-1-3-1700000000-D",
        "dump-type0-1-3-1700000000",
        "dump-type0-1-0",
    ] {
        assert!(DumpName::parse_ucs2_checked(&ucs2(s, 256)).is_ok(), "{s}");
    }
}

#[test]
fn every_form_reencodes_to_itself() {
    for (s, form) in [
        ("lw-dense1-type0-7-3-1700000000", NameForm::Dense),
        ("dump-type3-2-5-1700000000-C", NameForm::Current),
        ("dump-type3-2-5-1700000000", NameForm::NoFlag),
        ("dump-type3-2-1700000000", NameForm::Old),
    ] {
        let (dn, f) = DumpName::parse(s.as_bytes()).unwrap();
        assert_eq!(f, form, "{s}");
        let mut out = [0u8; DUMP_NAME_LEN];
        let n = dn.encode_form(form, &mut out);
        assert_eq!(&out[..n], s.as_bytes());
    }
}
