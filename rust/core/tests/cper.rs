// SPDX-License-Identifier: GPL-2.0
//! Host tests of the CPER-like record format: round trips, the exact byte
//! layout, every error, and that no truncation or corruption of any byte
//! panics or goes unnoticed.

use lastwords_core::cper::{
    encode, fnv1a32, parse, CperError, Header, Severity, HEADER_LEN, MAGIC, MAX_PAYLOAD_LEN,
    MAX_RECORD_LEN,
};

const ALL: [Severity; 4] = [
    Severity::Recoverable,
    Severity::Fatal,
    Severity::Corrected,
    Severity::Info,
];

fn record(sev: Severity, payload: &[u8]) -> Vec<u8> {
    let mut out = vec![0; HEADER_LEN + payload.len()];
    assert_eq!(
        encode(sev, 0x1234, 0xdead_beef, payload, &mut out),
        Ok(out.len())
    );
    out
}

/// Recomputes the checksum after a deliberate header change.
fn reseal(rec: &mut [u8]) {
    let total = u32::from_le_bytes(rec[4..8].try_into().unwrap()) as usize;
    let mut bytes = rec[..16].to_vec();
    bytes.extend_from_slice(&rec[HEADER_LEN..total]);
    let sum = fnv1a32(&bytes);
    rec[16..20].copy_from_slice(&sum.to_le_bytes());
}

struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
}

#[test]
fn fnv1a32_known_values() {
    assert_eq!(fnv1a32(b""), 0x811c_9dc5);
    assert_eq!(fnv1a32(b"a"), 0xe40c_292c);
    assert_eq!(fnv1a32(b"foobar"), 0xbf9c_f968);
}

#[test]
fn severity_values() {
    for (v, s) in ALL.iter().enumerate() {
        assert_eq!(s.as_u8() as usize, v);
        assert_eq!(Severity::from_u8(v as u8), Some(*s));
    }
    for v in 4..=255 {
        assert_eq!(Severity::from_u8(v), None);
    }
}

#[test]
fn exact_layout() {
    let rec = record(Severity::Corrected, b"hi");
    assert_eq!(&rec[0..4], b"LWER");
    assert_eq!(MAGIC, u32::from_le_bytes(*b"LWER"));
    assert_eq!(&rec[4..8], &22u32.to_le_bytes());
    assert_eq!(rec[8], 2);
    assert_eq!(rec[9], 0);
    assert_eq!(&rec[10..12], &[0x34, 0x12]);
    assert_eq!(&rec[12..16], &[0xef, 0xbe, 0xad, 0xde]);
    let mut covered = rec[..16].to_vec();
    covered.extend_from_slice(b"hi");
    assert_eq!(&rec[16..20], &fnv1a32(&covered).to_le_bytes());
    assert_eq!(&rec[20..], b"hi");
}

#[test]
fn round_trips() {
    for (i, sev) in ALL.into_iter().enumerate() {
        for len in [0usize, 1, 3, 20, 257] {
            let payload: Vec<u8> = (0..len).map(|j| (j * 7 + i) as u8).collect();
            let rec = record(sev, &payload);
            let (h, p) = parse(&rec).unwrap();
            assert_eq!(p, &payload[..]);
            assert_eq!(
                h,
                Header {
                    severity: sev,
                    source_id: 0x1234,
                    seq: 0xdead_beef,
                    total_len: (HEADER_LEN + len) as u32,
                    checksum: u32::from_le_bytes(rec[16..20].try_into().unwrap()),
                }
            );
            assert_eq!(h.payload_len(), len);
        }
    }
}

#[test]
fn encode_leaves_the_rest_alone_and_parse_ignores_trailing_bytes() {
    let mut out = vec![0xaa; 64];
    let n = encode(Severity::Fatal, 7, 9, b"payload", &mut out).unwrap();
    assert_eq!(n, HEADER_LEN + 7);
    assert!(out[n..].iter().all(|&b| b == 0xaa));
    let (h, p) = parse(&out).unwrap();
    assert_eq!(
        (h.severity, h.source_id, h.seq, p),
        (Severity::Fatal, 7, 9, &b"payload"[..])
    );
}

#[test]
fn largest_record() {
    let payload = vec![0x5a; MAX_PAYLOAD_LEN];
    let rec = record(Severity::Info, &payload);
    assert_eq!(rec.len(), MAX_RECORD_LEN);
    assert_eq!(parse(&rec).unwrap().1.len(), MAX_PAYLOAD_LEN);
    let mut out = vec![0; MAX_RECORD_LEN + 1];
    let big = vec![0; MAX_PAYLOAD_LEN + 1];
    assert_eq!(
        encode(Severity::Info, 0, 0, &big, &mut out),
        Err(CperError::PayloadTooLarge)
    );
    assert!(out.iter().all(|&b| b == 0), "nothing written on error");
}

#[test]
fn encode_errors() {
    let mut out = vec![0u8; HEADER_LEN + 3];
    assert_eq!(
        encode(Severity::Fatal, 0, 0, b"four", &mut out),
        Err(CperError::OutputTooSmall)
    );
    assert!(out.iter().all(|&b| b == 0), "nothing written on error");
    assert_eq!(
        encode(Severity::Fatal, 0, 0, b"", &mut [0u8; HEADER_LEN - 1]),
        Err(CperError::OutputTooSmall)
    );
    assert_eq!(
        encode(Severity::Fatal, 0, 0, b"", &mut []),
        Err(CperError::OutputTooSmall)
    );
    assert_eq!(
        encode(Severity::Fatal, 0, 0, b"", &mut [0u8; HEADER_LEN]),
        Ok(HEADER_LEN)
    );
}

#[test]
fn every_parse_error() {
    let good = record(Severity::Recoverable, b"abc");
    assert!(parse(&good).is_ok());
    let with = |f: &dyn Fn(&mut Vec<u8>)| {
        let mut r = good.clone();
        f(&mut r);
        parse(&r).map(|_| ())
    };
    assert_eq!(parse(&[]), Err(CperError::Truncated));
    assert_eq!(parse(&good[..HEADER_LEN - 1]), Err(CperError::Truncated));
    assert_eq!(with(&|r| r[0] = b'X'), Err(CperError::BadMagic));
    assert_eq!(
        with(&|r| r[4..8].copy_from_slice(&(HEADER_LEN as u32 - 1).to_le_bytes())),
        Err(CperError::LengthTooSmall)
    );
    assert_eq!(
        with(&|r| r[4..8].copy_from_slice(&(MAX_RECORD_LEN as u32 + 1).to_le_bytes())),
        Err(CperError::LengthTooLarge)
    );
    assert_eq!(
        with(&|r| r[4..8].copy_from_slice(&u32::MAX.to_le_bytes())),
        Err(CperError::LengthTooLarge)
    );
    assert_eq!(
        parse(&good[..good.len() - 1]),
        Err(CperError::LengthBeyondBuffer)
    );
    assert_eq!(with(&|r| r[22] ^= 1), Err(CperError::BadChecksum));
    assert_eq!(with(&|r| r[16] ^= 1), Err(CperError::BadChecksum));
    assert_eq!(
        with(&|r| {
            r[9] = 1;
            reseal(r);
        }),
        Err(CperError::ReservedNotZero)
    );
    assert_eq!(
        with(&|r| {
            r[8] = 4;
            reseal(r);
        }),
        Err(CperError::BadSeverity)
    );
    // A header-only record with a shorter total length parses (checksum
    // over the header only).
    assert_eq!(
        with(&|r| {
            r[4..8].copy_from_slice(&(HEADER_LEN as u32).to_le_bytes());
            reseal(r);
        }),
        Ok(())
    );
}

#[test]
fn every_single_byte_corruption_is_detected() {
    let rec = record(Severity::Corrected, b"corrupt me, any byte");
    for i in 0..rec.len() {
        for mask in 1..=255u8 {
            let mut r = rec.clone();
            r[i] ^= mask;
            assert!(parse(&r).is_err(), "byte {i} ^ {mask:#x} not detected");
        }
    }
}

#[test]
fn every_truncation_is_rejected() {
    let rec = record(Severity::Fatal, &[1, 2, 3, 4, 5, 6, 7, 8, 9]);
    for len in 0..rec.len() {
        let want = if len < HEADER_LEN {
            CperError::Truncated
        } else {
            CperError::LengthBeyondBuffer
        };
        assert_eq!(parse(&rec[..len]), Err(want), "len {len}");
    }
    assert!(parse(&rec).is_ok());
}

#[test]
fn random_bytes_never_panic_and_valid_ones_reencode_identically() {
    let mut rng = XorShift(0x1234_5678_9abc_def1);
    let mut ok = 0;
    for round in 0..200_000u32 {
        let len = (rng.next() % 64) as usize;
        let mut buf: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        // Make many of them plausible so that the later checks are reached.
        if round % 2 == 0 && len >= HEADER_LEN {
            buf[..4].copy_from_slice(b"LWER");
            let total = HEADER_LEN as u32 + (rng.next() % (len as u64 - 19)) as u32;
            buf[4..8].copy_from_slice(&total.to_le_bytes());
            if round % 4 == 0 {
                buf[8] %= 5;
                buf[9] = u8::from(rng.next() & 7 == 0);
                reseal(&mut buf);
            }
        }
        if let Ok((h, p)) = parse(&buf) {
            ok += 1;
            let mut again = vec![0; h.total_len as usize];
            let n = encode(h.severity, h.source_id, h.seq, p, &mut again).unwrap();
            assert_eq!(&again[..], &buf[..n]);
        }
    }
    assert!(ok > 1000, "valid records were generated: {ok}");
}
