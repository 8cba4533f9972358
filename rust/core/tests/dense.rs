// SPDX-License-Identifier: GPL-2.0
//! Host tests of the dense part format: header, CRC, assembly of a dump's
//! parts, and what damaged parts give.

use lastwords_core::dense::{
    assemble, crc32, gap_line, names_part, split_header, Damage, Method, PartHeader, Piece,
    HEADER_LEN, VERSION,
};

fn part(method: Method, text: &[u8], data: &[u8]) -> Vec<u8> {
    let mut h = [0u8; HEADER_LEN];
    PartHeader {
        method,
        text_len: text.len() as u32,
        crc: crc32(text),
    }
    .encode(&mut h);
    let mut v = h.to_vec();
    v.extend_from_slice(data);
    v
}

#[test]
fn crc32_is_zlibs() {
    // zlib.crc32(b"123456789") and of the empty string.
    assert_eq!(crc32(b"123456789"), 0xcbf4_3926);
    assert_eq!(crc32(b""), 0);
}

#[test]
fn header_round_trips() {
    let text = b"Panic#1 Part1\n[    1.000000] hello\n";
    let p = part(Method::Stored, text, text);
    assert_eq!(&p[..4], &[b'L', b'W', VERSION, 0]);
    let (h, data) = PartHeader::parse(&p, 4096).unwrap();
    assert_eq!(h.method, Method::Stored);
    assert_eq!(data, text);
    assert_eq!(h.check(data), Ok(()));
    let p = part(Method::Deflate, text, b"\x01\x02");
    let (h, data) = PartHeader::parse(&p, 4096).unwrap();
    assert_eq!(
        (h.method, h.text_len as usize, data),
        (Method::Deflate, text.len(), &b"\x01\x02"[..])
    );
}

#[test]
fn damaged_headers_are_named() {
    let text = b"Oops#2 Part4\nsome log\n";
    let good = part(Method::Stored, text, text);
    assert_eq!(
        PartHeader::parse(&good[..HEADER_LEN - 1], 4096),
        Err(Damage::Short)
    );
    assert_eq!(PartHeader::parse(&[], 4096), Err(Damage::Short));
    let mut bad = good.clone();
    bad[0] = b'X';
    assert_eq!(PartHeader::parse(&bad, 4096), Err(Damage::Magic));
    let mut bad = good.clone();
    bad[2] = 2;
    assert_eq!(PartHeader::parse(&bad, 4096), Err(Damage::Version));
    let mut bad = good.clone();
    bad[3] = 7;
    assert_eq!(PartHeader::parse(&bad, 4096), Err(Damage::Method));
    assert_eq!(
        PartHeader::parse(&good, text.len() - 1),
        Err(Damage::TooLong)
    );
    let mut bad = good.clone();
    bad.pop();
    assert_eq!(PartHeader::parse(&bad, 4096), Err(Damage::Length));
    let mut bad = good.clone();
    bad[4..8].copy_from_slice(&u32::MAX.to_le_bytes());
    assert_eq!(PartHeader::parse(&bad, usize::MAX), Err(Damage::Length));
}

#[test]
fn every_single_bit_flip_of_a_stored_part_is_caught() {
    let text = b"Panic#1 Part2\n[   12.345678] Kernel panic - not syncing: test\n";
    let good = part(Method::Stored, text, text);
    for bit in 0..good.len() * 8 {
        let mut p = good.clone();
        p[bit / 8] ^= 1 << (bit % 8);
        // Deflated data would be inflated first: stored text is no deflate
        // stream that gives the same text back.
        let ok = PartHeader::parse(&p, 4096).and_then(|(h, d)| match h.method {
            Method::Stored => h.check(d),
            Method::Deflate => Err(Damage::Inflate),
        });
        assert!(ok.is_err(), "bit {bit} passed");
    }
}

fn assembled(parts: &mut [(u32, Option<&[u8]>)]) -> (String, usize) {
    let mut s = String::new();
    let n = assemble(parts, |p| match p {
        Piece::Text(t) => s.push_str(std::str::from_utf8(t).unwrap()),
        Piece::Gap(a, b) => gap_line(&mut s, a, b).unwrap(),
    });
    (s, n)
}

#[test]
fn parts_go_back_in_log_order_under_one_header() {
    let p1: &[u8] = b"Panic#1 Part1\nline 5\nline 6\n";
    let p2: &[u8] = b"Panic#1 Part2\nline 3\nline 4\n";
    let p3: &[u8] = b"Panic#1 Part3\nline 1\nline 2\n";
    let (s, n) = assembled(&mut [(2, Some(p2)), (1, Some(p1)), (3, Some(p3))]);
    assert_eq!(
        s,
        "Panic#1 Part1\nline 1\nline 2\nline 3\nline 4\nline 5\nline 6\n"
    );
    assert_eq!(n, 3);
}

#[test]
fn missing_and_damaged_parts_leave_a_line() {
    let p1: &[u8] = b"Panic#1 Part1\nnewest\n";
    let p4: &[u8] = b"Panic#1 Part4\noldest\n";
    let (s, n) = assembled(&mut [(4, Some(p4)), (1, Some(p1)), (2, None)]);
    assert_eq!(
        s,
        "Panic#1 Part1\noldest\nlw_efi_pstore: parts 2-3 of this dump are missing or damaged\nnewest\n"
    );
    assert_eq!(n, 2);
    // Part 1 missing: the header is the newest part's found, and the end
    // says what is missing.
    let (s, _) = assembled(&mut [(3, Some(p4)), (5, None)]);
    assert_eq!(
        s,
        "Panic#1 Part4\nlw_efi_pstore: parts 4-5 of this dump are missing or damaged\noldest\n\
         lw_efi_pstore: parts 1-2 of this dump are missing or damaged\n"
    );
    // Nothing decoded: the reader hands pstore no record for it.
    let (_, n) = assembled(&mut [(1, None), (2, None)]);
    assert_eq!(n, 0);
}

#[test]
fn split_header_takes_the_first_line() {
    assert_eq!(
        split_header(b"Oops#1 Part1\nx\n"),
        (&b"Oops#1 Part1\n"[..], &b"x\n"[..])
    );
    assert_eq!(split_header(b"no newline"), (&b""[..], &b"no newline"[..]));
}

#[test]
fn a_part_knows_its_number() {
    assert!(names_part(b"Panic#1 Part3\nlog\n", 3));
    assert!(!names_part(b"Panic#1 Part3\nlog\n", 2));
    assert!(!names_part(b"Panic#1 Part13\nlog\n", 3));
    assert!(!names_part(b"Panic#1 Part3", 3));
    assert!(!names_part(b"", 1));
    assert!(names_part(b"Oops#2 Part1024\n", 1024));
}
