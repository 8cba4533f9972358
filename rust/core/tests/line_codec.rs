// SPDX-License-Identifier: GPL-2.0

//! The line codec of dense records v2: every input round-trips, coded
//! prefixes are what the format says, malformed coded text is refused.

use lastwords_core::line_codec::{decode, encode_in_place, Malformed, CODED, ESCAPED};
use proptest::prelude::*;

fn enc(text: &[u8]) -> Option<Vec<u8>> {
    let mut buf = text.to_vec();
    let n = encode_in_place(&mut buf, text.len())?;
    buf.truncate(n);
    Some(buf)
}

fn dec(coded: &[u8], room: usize) -> Result<Vec<u8>, Malformed> {
    let mut out = vec![0u8; room];
    let n = decode(coded, &mut out)?;
    out.truncate(n);
    Ok(out)
}

fn roundtrip(text: &[u8]) {
    if let Some(c) = enc(text) {
        assert!(c.len() <= text.len());
        assert_eq!(
            dec(&c, text.len()).unwrap(),
            text,
            "coded {:?}",
            String::from_utf8_lossy(&c)
        );
    }
}

#[test]
fn codes_kernel_prefixes_as_deltas() {
    let text = b"Panic#1 Part1\n<6>[    1.000100] a\n<6>[    1.000200] b\n<4>[12345.000001] c\n<4>[    2.500000] back\n";
    let c = enc(text).unwrap();
    assert_eq!(
        c,
        b"Panic#1 Part1\n\x016+1000100 a\n\x016+100 b\n\x014+12343999801 c\n\x014=2500000 back\n"
    );
    assert_eq!(dec(&c, text.len()).unwrap(), text);
}

#[test]
fn leaves_other_prefixes_alone() {
    // Not the kernel's own format: too narrow, too wide, leading zeros,
    // seven digits of microseconds, no space after `]`, level of four
    // digits, the caller id of CONFIG_PRINTK_CALLER.
    for line in [
        &b"<6>[  1.000000] narrow\n"[..],
        b"<6>[     1.000000] wide\n",
        b"<6>[00001.000000] zeros\n",
        b"<06>[    1.000000] level zero\n",
        b"<6>[    1.0000001] seven\n",
        b"<6>[    1.000000]nospace\n",
        b"<1234>[    1.000000] level\n",
        b"<6>[    1.000000][    T1] caller\n",
        b"<6>[1234567890123.000000] too late\n",
        b"[    1.000000] no level\n",
    ] {
        assert_eq!(
            enc(line).unwrap(),
            line,
            "{}",
            String::from_utf8_lossy(line)
        );
    }
    // Seconds wider than five digits are the kernel's format too.
    let wide = b"<6>[123456.000001] up a day\n";
    assert_eq!(enc(wide).unwrap(), b"\x016+123456000001 up a day\n");
    roundtrip(wide);
}

#[test]
fn escapes_lines_that_start_as_coded_ones() {
    let text = b"<6>[    1.000000] saves room\n\x01not coded\n\x02nor this\n";
    let c = enc(text).unwrap();
    assert_eq!(
        c,
        b"\x016+1000000 saves room\n\x02\x01not coded\n\x02\x02nor this\n"
    );
    assert_eq!(dec(&c, text.len()).unwrap(), text);
    // No byte saved before it: refused (the writer deflates without the
    // codec).
    assert_eq!(enc(b"\x01first line\n"), None);
    assert_eq!(enc(b"plain\n\x02second\n"), None);
    // Refused after coding lines: the buffer is left as it was.
    let text =
        b"<6>[    1.000000] a\n\x01b\n\x01c\n\x01d\n\x01e\n\x01f\n\x01g\n\x01h\n\x01i\n\x01j\n";
    let mut buf = text.to_vec();
    assert_eq!(encode_in_place(&mut buf, text.len()), None);
    assert_eq!(&buf[..], &text[..]);
}

#[test]
fn last_line_without_newline() {
    roundtrip(b"<6>[    1.000000] a\n<6>[    1.000001] cut");
    roundtrip(b"<6>[    1.000000] a\n<6>[    1.0000");
    roundtrip(b"");
}

#[test]
fn refuses_malformed_coded_text() {
    for bad in [
        &b"\x01"[..],
        b"\x016+",
        b"\x016+1",
        b"\x016+01 x\n",
        b"\x016-1 x\n",
        b"\x01+1 x\n",
        b"\x011234+1 x\n",
        b"\x016+99999999999999999999 x\n",
        b"\x016=0 x\n",
        b"\x02plain\n",
        b"\x02",
        b"\x016+1000000000000000000 x\n",
    ] {
        assert_eq!(dec(bad, 4096), Err(Malformed), "{:?}", bad);
    }
    // Time going back must be written as such, not as a zero delta.
    assert_eq!(dec(b"\x016+5 a\n\x016=5 b\n", 4096), Err(Malformed));
    // Too little room for the decoded text.
    assert_eq!(dec(b"\x016+1 x\n", 10), Err(Malformed));
    let _ = (CODED, ESCAPED);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4096))]

    #[test]
    fn any_bytes_round_trip(text in proptest::collection::vec(any::<u8>(), 0..300)) {
        roundtrip(&text);
    }

    #[test]
    fn log_like_text_round_trips(
        lines in proptest::collection::vec(
            (0u32..300, 0u64..2_000_000_000_000, "[ -~]{0,40}", 0u8..4),
            0..40,
        )
    ) {
        let mut text = Vec::new();
        for (level, us, msg, kind) in lines {
            match kind {
                0 => text.extend_from_slice(format!("<{}>[{:5}.{:06}] {}\n", level, us / 1_000_000, us % 1_000_000, msg).as_bytes()),
                1 => text.extend_from_slice(format!("\x01{}\n", msg).as_bytes()),
                2 => text.extend_from_slice(format!("<{}>[{:5}.{:06}]{}\n", level, us / 1_000_000, us % 1_000_000, msg).as_bytes()),
                _ => text.extend_from_slice(msg.as_bytes()),
            }
        }
        let coded = enc(&text);
        if let Some(c) = &coded {
            prop_assert!(c.len() <= text.len());
            prop_assert_eq!(&dec(c, text.len()).unwrap(), &text);
        }
        // Every kernel-format line is coded and shorter.
        if !text.is_empty() && !text.contains(&1u8) && !text.contains(&2u8) {
            prop_assert!(coded.is_some());
        }
    }

    #[test]
    fn decoding_garbage_never_panics(src in proptest::collection::vec(any::<u8>(), 0..200)) {
        let _ = dec(&src, 1024);
    }
}
