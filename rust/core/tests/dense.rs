// SPDX-License-Identifier: GPL-2.0
//! Host tests of the dense part format: header, CRC, assembly of a dump's
//! parts, and what damaged parts give.

use lastwords_core::dense::{
    alt_dictionary, assemble, crc32, decode_part, dictionary, gap_line, names_part, split_header,
    Damage, Method, PartHeader, Piece, HEADER_LEN, VERSION, VERSION_1,
};
use lastwords_core::efi_name::DumpName;
use lastwords_core::line_codec;

/// A version 1 part.
fn part(method: Method, text: &[u8], data: &[u8]) -> Vec<u8> {
    part_v(VERSION_1, method, text, data)
}

fn part_v(version: u8, method: Method, text: &[u8], data: &[u8]) -> Vec<u8> {
    let mut h = [0u8; HEADER_LEN];
    PartHeader {
        version,
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
    let p = part_v(VERSION, Method::Stored, text, text);
    assert_eq!(&p[..4], &[b'L', b'W', VERSION, 0]);
    let p = part(Method::Stored, text, text);
    assert_eq!(&p[..4], &[b'L', b'W', VERSION_1, 0]);
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
    for v in [0, 3, 255] {
        let mut bad = good.clone();
        bad[2] = v;
        assert_eq!(PartHeader::parse(&bad, 4096), Err(Damage::Version));
    }
    let mut bad = good.clone();
    bad[3] = 7;
    assert_eq!(PartHeader::parse(&bad, 4096), Err(Damage::Method));
    // Method 2 (not coded) is version 2's only.
    let mut bad = good.clone();
    bad[3] = 2;
    assert_eq!(PartHeader::parse(&bad, 4096), Err(Damage::Method));
    bad[2] = VERSION;
    assert!(PartHeader::parse(&bad, 4096).is_ok());
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

/// Most text a dense part may hold: the module's `DENSE_TEXT_MAX`
/// (`RECORD_SIZE_MAX` 32768 times `DENSE_TEXT_FACTOR` 8).
const DENSE_TEXT_MAX: usize = 32768 * 8;

/// The module's preset dictionary, version 1.
static KMSG_DICT: &[u8] = include_bytes!("../dict/kmsg1.dict");

/// Raw deflate (window 15) of `text` after the preset dictionary of
/// version 1: method 1, as the module's dump path wrote it.
fn deflate_preset(text: &[u8]) -> Vec<u8> {
    deflate_dict(KMSG_DICT, text)
}

/// Raw deflate (window 15) of `text` after `dict`.
fn deflate_dict(dict: &[u8], text: &[u8]) -> Vec<u8> {
    use flate2::{Compress, Compression, FlushCompress, Status};
    let mut z = Compress::new_with_window_bits(Compression::best(), false, 15);
    z.set_dictionary(dict).unwrap();
    let mut out = vec![0u8; text.len() + 1024];
    let st = z.compress(text, &mut out, FlushCompress::Finish).unwrap();
    assert_eq!(st, Status::StreamEnd);
    out.truncate(z.total_out() as usize);
    out
}

/// What the module's `Inflate::decompress_preset` does: inflates a raw
/// deflate stream after `dict` into `buf`, which must end (`Z_FINISH`,
/// stream end) within `buf`; the range of `buf` it filled. As zlib's
/// `inflate()`, it ignores input after the end of the stream.
fn inflate_into(dict: &[u8], data: &[u8], buf: &mut [u8]) -> Option<std::ops::Range<usize>> {
    use flate2::{Decompress, FlushDecompress, Status};
    let mut z = Decompress::new_with_window_bits(false, 15);
    z.set_dictionary(dict).ok()?;
    match z.decompress(data, buf, FlushDecompress::Finish) {
        Ok(Status::StreamEnd) => Some(0..z.total_out() as usize),
        _ => None,
    }
}

/// A dense part of format `version` decoded and checked as the module's
/// and the `lastwords` tool's read paths do: `decode_part`, the code they
/// share, with zlib's inflate.
fn decode_v(raw: &[u8], version: u8, count: i32, part: u32) -> Result<Vec<u8>, Damage> {
    let mut buf = vec![0u8; DENSE_TEXT_MAX];
    let mut text = vec![0u8; DENSE_TEXT_MAX];
    let dn = DumpName {
        record_type: 0,
        part,
        count,
        time: 0,
        compressed: false,
        dense: version,
    };
    let n = decode_part(raw, &dn, DENSE_TEXT_MAX, &mut buf, &mut text, inflate_into)?;
    text.truncate(n);
    Ok(text)
}

/// A version 1 part (`lw-dense1` name).
fn decode(raw: &[u8], count: i32, part: u32) -> Result<Vec<u8>, Damage> {
    decode_v(raw, VERSION_1, count, part)
}

/// A version 2 part as the module writes it: coded, then deflated after
/// the version 2 dictionary (method 1), or deflated not coded (method 2)
/// where the codec refuses the text.
fn part2(text: &[u8]) -> Vec<u8> {
    let dict = dictionary(VERSION).unwrap();
    let mut coded = text.to_vec();
    match line_codec::encode_in_place(&mut coded, text.len()) {
        Some(n) => part_v(
            VERSION,
            Method::Deflate,
            text,
            &deflate_dict(dict, &coded[..n]),
        ),
        None => part_v(
            VERSION,
            Method::DeflateUncoded,
            text,
            &deflate_dict(dict, text),
        ),
    }
}

/// A part as CPython's zlib wrote it (`compressobj(9, DEFLATED, -15, 8,
/// zdict=kmsg.dict)`, as `test_dense_damage` builds its parts; the module
/// deflates with the kernel's copy of zlib): part 2, `ZLIB_TEXT`.
const ZLIB_PART: &str = "4c5701018e00000030ae6d670b00d647c9c0ce694062518911978d811dc81dc0beadb1\
     89a999b905e81624f00ac40290326012018f1d57e625834b9ae2ca6260efba04723f2ae8ce2ed0e588\
     5c362648669843370581ba87a19e2e202a00441902131b68b92bb062f6031a09be812835850b00";
const ZLIB_TEXT: &[u8] = b"Panic#1 Part2\n<0>[   12.345678] Kernel panic - not syncing: \
     sysrq triggered crash\n<4>[   12.345700] CPU: 0 UID: 0 PID: 1 Comm: sh Not tainted\n";

fn unhex(s: &str) -> Vec<u8> {
    let s: Vec<u8> = s.bytes().filter(u8::is_ascii_hexdigit).collect();
    s.chunks(2)
        .map(|c| u8::from_str_radix(std::str::from_utf8(c).unwrap(), 16).unwrap())
        .collect()
}

#[test]
fn parts_decode_as_the_module_reads_them() {
    let text = b"Panic#1 Part2\n[   12.345678] Kernel panic - not syncing: test\n";
    let stored = part(Method::Stored, text, text);
    assert_eq!(decode(&stored, 1, 2).as_deref(), Ok(&text[..]));
    let deflated = part(Method::Deflate, text, &deflate_preset(text));
    assert_eq!(decode(&deflated, 1, 2).as_deref(), Ok(&text[..]));
    // zlib's output, which the module writes and reads.
    assert_eq!(decode(&unhex(ZLIB_PART), 1, 2).as_deref(), Ok(ZLIB_TEXT));
    // A whole part under another part's or another dump's name.
    assert_eq!(decode(&stored, 1, 3), Err(Damage::Part));
    assert_eq!(decode(&deflated, 1, 1), Err(Damage::Part));
    assert_eq!(decode(&stored, 2, 2), Err(Damage::Part));
    assert_eq!(decode(&deflated, 11, 2), Err(Damage::Part));
    // Deflate data that is not a deflate stream.
    assert_eq!(
        decode(&part(Method::Deflate, text, text), 1, 2),
        Err(Damage::Inflate)
    );
    // The text inflates, but is not the header's: length, then CRC.
    let other = b"Panic#1 Part2\n[   12.345678] Kernel panic - not syncing: TEST\n";
    let mut p = part(Method::Deflate, text, &deflate_preset(other));
    assert_eq!(decode(&p, 1, 2), Err(Damage::Crc));
    p[4] ^= 1;
    assert_eq!(decode(&p, 1, 2), Err(Damage::Crc));
}

/// Flips every bit of `good` (part `n` of dump `count`, decoding to `text`)
/// in turn and decodes it as the module does: no flip may give a text other
/// than `text`. Returns the bits whose flip still gave `text` (padding
/// after the end of a deflate stream, which inflate ignores).
fn flip_every_bit(good: &[u8], count: i32, n: u32, text: &[u8]) -> Vec<usize> {
    let unflipped = decode(good, count, n);
    assert!(
        unflipped.as_deref() == Ok(text),
        "the unflipped part: {:?}",
        unflipped.map(|t| String::from_utf8_lossy(&t).into_owned())
    );
    let mut harmless = Vec::new();
    for bit in 0..good.len() * 8 {
        let mut p = good.to_vec();
        p[bit / 8] ^= 1 << (bit % 8);
        match decode(&p, count, n) {
            Err(_) => {}
            Ok(t) if t == text => harmless.push(bit),
            Ok(t) => panic!(
                "bit {bit} passed with another text: {:?}",
                String::from_utf8_lossy(&t)
            ),
        }
    }
    harmless
}

#[test]
fn every_single_bit_flip_of_a_stored_part_is_caught() {
    let text = b"Panic#1 Part2\n[   12.345678] Kernel panic - not syncing: test\n";
    let good = part(Method::Stored, text, text);
    assert_eq!(flip_every_bit(&good, 1, 2, text), Vec::<usize>::new());
    // The flip of method 0 (stored) to 1 (deflate): the text is inflated,
    // and is no deflate stream.
    let mut p = good.clone();
    p[3] ^= 1;
    assert_eq!(decode(&p, 1, 2), Err(Damage::Inflate));
}

#[test]
fn every_single_bit_flip_of_a_deflate_part_but_its_padding_is_caught() {
    let text: &[u8] = b"Panic#3 Part1\n\
        <4>[   42.000001] ------------[ cut here ]------------\n\
        <0>[   42.000002] Kernel panic - not syncing: Fatal exception in interrupt\n\
        <0>[   42.000003] Kernel Offset: disabled\n\
        <0>[   42.000004] ---[ end Kernel panic - not syncing: Fatal exception in interrupt ]---\n";
    let data = deflate_preset(text);
    assert!(data.len() < text.len(), "the dictionary helps");
    let good = part(Method::Deflate, text, &data);
    let zlib = unhex(ZLIB_PART);
    for (good, count, n, text) in [(&good, 3, 1, text), (&zlib, 1, 2, ZLIB_TEXT)] {
        // Only the padding after the end of the stream, the high bits of
        // its last byte, may flip unseen: inflate ignores them.
        let harmless = flip_every_bit(good, count, n, text);
        let end = good.len() * 8;
        assert!(harmless.len() < 8, "unseen flips {harmless:?}");
        assert_eq!(
            harmless,
            (end - harmless.len()..end).collect::<Vec<_>>(),
            "unseen flips other than the last byte's padding"
        );
        // The flip of method 1 (deflate) to 0 (stored): the data is not the
        // text's length.
        let mut p = good.to_vec();
        p[3] ^= 1;
        assert_eq!(decode(&p, count, n), Err(Damage::Length));
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
    assert!(names_part(b"Panic#1 Part3\nlog\n", 1, 3));
    assert!(!names_part(b"Panic#1 Part3\nlog\n", 1, 2));
    assert!(!names_part(b"Panic#1 Part13\nlog\n", 1, 3));
    assert!(!names_part(b"Panic#1 Part3", 1, 3));
    assert!(!names_part(b"", 1, 1));
    assert!(names_part(b"Oops#2 Part1024\n", 2, 1024));
}

#[test]
fn ours_is_magic_and_version() {
    let text = b"Panic#3 Part2\nlog\n";
    let good = part(Method::Stored, text, text);
    assert!(PartHeader::is_ours(&good, VERSION_1));
    // Ours by content only under a name of its own version.
    assert!(!PartHeader::is_ours(&good, VERSION));
    // Cut after the version byte: still ours, damaged.
    assert!(PartHeader::is_ours(&good[..3], VERSION_1));
    assert!(!PartHeader::is_ours(&good[..2], VERSION_1));
    assert!(!PartHeader::is_ours(&[], VERSION_1));
    let mut other = good.clone();
    other[2] = VERSION + 1;
    assert!(!PartHeader::is_ours(&other, VERSION + 1));
    other = good.clone();
    other[1] = b'X';
    assert!(!PartHeader::is_ours(&other, VERSION_1));
    // A C record's text is not ours by content.
    assert!(!PartHeader::is_ours(b"Panic#3 Part2\nlog\n", VERSION_1));
    let v2 = part2(text);
    assert!(PartHeader::is_ours(&v2, VERSION));
    assert!(!PartHeader::is_ours(&v2, VERSION_1));
}

/// Text like a crash's log: a part's header line, then kernel lines.
fn crash_text(part: u32) -> Vec<u8> {
    let mut t = format!("Panic#1 Part{part}\n").into_bytes();
    let mut us = 12_345_678u64;
    for (i, line) in [
        "BUG: kernel NULL pointer dereference, address: 0000000000000008",
        "#PF: supervisor read access in kernel mode",
        "Oops: 0000 [#1] PREEMPT SMP NOPTI",
        "CPU: 3 PID: 1234 Comm: kworker/3:1 Tainted: G        W          6.1.0-13-amd64 #1",
        "RIP: 0010:process_one_work+0x1c4/0x3d0",
        "Call Trace:",
        " <TASK>",
        " worker_thread+0x4d/0x390",
        " kthread+0xe6/0x110",
        " ret_from_fork+0x1f/0x30",
        " </TASK>",
        "Kernel panic - not syncing: Fatal exception",
    ]
    .iter()
    .enumerate()
    {
        us += 7 * i as u64;
        t.extend_from_slice(
            format!("<4>[{:5}.{:06}] {line}\n", us / 1_000_000, us % 1_000_000).as_bytes(),
        );
    }
    t
}

#[test]
fn version_2_parts_decode_coded_and_not() {
    let text = crash_text(2);
    let p = part2(&text);
    assert_eq!(p[3], 1, "coded");
    assert_eq!(decode_v(&p, VERSION, 1, 2).as_deref(), Ok(&text[..]));
    // The codec refuses text that starts with a line it would have to
    // escape: deflated as is (method 2).
    let mut odd = b"Panic#1 Part2\n\x01odd\n".to_vec();
    odd.extend_from_slice(&text[14..]);
    let p = part2(&odd);
    assert_eq!(p[3], 2, "not coded");
    assert_eq!(decode_v(&p, VERSION, 1, 2).as_deref(), Ok(&odd[..]));
    // Stored text is the text, not the coded text.
    let p = part_v(VERSION, Method::Stored, &text, &text);
    assert_eq!(decode_v(&p, VERSION, 1, 2).as_deref(), Ok(&text[..]));
    // The name's version and the header's must agree.
    assert_eq!(decode_v(&p, VERSION_1, 1, 2), Err(Damage::NameVersion));
    let p1 = part(Method::Stored, &text, &text);
    assert_eq!(decode_v(&p1, VERSION, 1, 2), Err(Damage::NameVersion));
    // Each version inflates after its own dictionary.
    let wrong = part_v(
        VERSION,
        Method::DeflateUncoded,
        &text,
        &deflate_preset(&text),
    );
    assert_ne!(decode_v(&wrong, VERSION, 1, 2).as_deref(), Ok(&text[..]));
}

#[test]
fn method_3_inflates_after_the_alternate_dictionary() {
    let text = crash_text(1);
    let mut coded = text.clone();
    let n = line_codec::encode_in_place(&mut coded, text.len()).unwrap();
    // Version 1's dictionary, of coded text.
    assert_eq!(alt_dictionary(), dictionary(VERSION_1).unwrap());
    let alt = part_v(
        VERSION,
        Method::DeflateAlt,
        &text,
        &deflate_dict(alt_dictionary(), &coded[..n]),
    );
    assert_eq!(alt[3], 3, "method byte");
    assert_eq!(decode_v(&alt, VERSION, 1, 1).as_deref(), Ok(&text[..]));
    // The same data under method 1 inflates after the other dictionary:
    // not the text.
    let mut as_1 = alt.clone();
    as_1[3] = 1;
    assert_ne!(decode_v(&as_1, VERSION, 1, 1).as_deref(), Ok(&text[..]));
    // Method 3 is version 2's: a version 1 part that names it is damaged.
    let mut v1 = part(Method::Stored, &text, &text);
    v1[3] = 3;
    assert_eq!(decode_v(&v1, VERSION_1, 1, 1), Err(Damage::Method));
    // Nor is there a method 4.
    let mut m4 = alt.clone();
    m4[3] = 4;
    assert_eq!(decode_v(&m4, VERSION, 1, 1), Err(Damage::Method));
}

#[test]
fn version_2_damage_is_named() {
    let text = crash_text(1);
    let dict = dictionary(VERSION).unwrap();
    // Coded text that the codec cannot decode: a coded prefix without its
    // space, deflated after the dictionary.
    let bad = b"Panic#1 Part1\n\x014+12".to_vec();
    let p = part_v(VERSION, Method::Deflate, &text, &deflate_dict(dict, &bad));
    assert_eq!(decode_v(&p, VERSION, 1, 1), Err(Damage::Coded));
    // Coded text that decodes to other text: the CRC.
    let mut other = crash_text(1);
    let k = other.len() - 3;
    other[k] ^= 0x20;
    let mut coded = other.clone();
    let n = line_codec::encode_in_place(&mut coded, other.len()).unwrap();
    let p = part_v(
        VERSION,
        Method::Deflate,
        &text,
        &deflate_dict(dict, &coded[..n]),
    );
    assert_eq!(decode_v(&p, VERSION, 1, 1), Err(Damage::Crc));
    // Under another part's name.
    assert_eq!(decode_v(&part2(&text), VERSION, 1, 2), Err(Damage::Part));
}

#[test]
fn no_single_bit_flip_of_a_version_2_part_gives_another_text() {
    let text = crash_text(1);
    let good = part2(&text);
    let mut harmless = Vec::new();
    for bit in 0..good.len() * 8 {
        let mut p = good.clone();
        p[bit / 8] ^= 1 << (bit % 8);
        match decode_v(&p, VERSION, 1, 1) {
            Err(_) => {}
            Ok(t) if t == text => harmless.push(bit),
            Ok(t) => panic!(
                "bit {bit} passed with another text: {:?}",
                String::from_utf8_lossy(&t)
            ),
        }
    }
    // A flip may also turn a match into another that copies the same bytes
    // (the text repeats itself and the dictionary): harmless, as no flip
    // gives another text (checked above). They are few.
    assert!(harmless.len() < 8, "unseen flips {harmless:?}");
}
