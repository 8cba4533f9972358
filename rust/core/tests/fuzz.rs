// SPDX-License-Identifier: GPL-2.0
//! Property-based fuzzing (proptest) of the record code the reader runs on
//! what NVRAM hands back: variable names, dense parts, the assembly of a
//! dump, the read session's plan and budget, and the variable walk.
//!
//! `cargo test` runs each property over a few hundred inputs; `make fuzz`
//! runs them in release mode with overflow checks, `LW_FUZZ_CASES` inputs
//! each (by default 2 million per property, 10 million in all). Inputs that
//! once failed are kept in `tests/fuzz.proptest-regressions` (the corpus, in
//! the repository) and replayed first.
//!
//! Every property checks more than "no panic": a parsed name is canonical
//! (it encodes back to the same bytes), a dense part decodes to no more
//! than its header's bound and only with a matching CRC, an assembled dump
//! holds each decoded part's log once with gaps exactly where parts lack,
//! the session's budget is never exceeded.

use flate2::{Decompress, FlushDecompress, Status};
use proptest::prelude::*;

use lastwords_core::dense::{self, Assembler, Method, PartHeader, Piece, HEADER_LEN};
use lastwords_core::efi_name::{DumpName, DUMP_NAME_LEN};
use lastwords_core::read_session::{
    groups, sort_by_key, Budget, Entry, DUMP_TEXT_MAX, SESSION_TEXT_MAX,
};
use lastwords_core::var_walk::{WalkGuard, ENUM_MAX, NAME_CHARS_MAX};

/// Inputs per property: `LW_FUZZ_CASES`, else proptest's default.
fn config() -> ProptestConfig {
    let cases = std::env::var("LW_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256);
    ProptestConfig {
        cases,
        max_shrink_iters: 10_000,
        ..ProptestConfig::default()
    }
}

/// Names as NVRAM may hold them: valid names of every form, mutated.
fn name_bytes() -> impl Strategy<Value = Vec<u8>> {
    let valid = (
        0u32..12,
        0u32..1100,
        -3i32..3000,
        -5i64..300_000_000_000,
        any::<bool>(),
        0usize..4,
    )
        .prop_map(|(t, p, c, time, z, form)| {
            let flag = if z { 'C' } else { 'D' };
            match form {
                0 => format!("dump-type{t}-{p}-{c}-{time}-{flag}"),
                1 => format!("dump-type{t}-{p}-{c}-{time}"),
                2 => format!("dump-type{t}-{p}-{time}"),
                _ => format!("lw-dense1-type{t}-{p}-{c}-{time}"),
            }
            .into_bytes()
        });
    let mutated =
        (valid.clone(), any::<usize>(), any::<u8>(), 0usize..3).prop_map(|(mut v, at, b, how)| {
            if !v.is_empty() {
                let i = at % v.len();
                match how {
                    0 => v[i] = b,
                    1 => v.insert(i, b),
                    _ => {
                        v.remove(i);
                    }
                }
            }
            v
        });
    prop_oneof![
        valid,
        mutated,
        proptest::collection::vec(any::<u8>(), 0..80),
        // Numbers with signs, leading zeros and overflowing digits.
        "(dump-type|lw-dense1-type)[+-]?0*[0-9]{1,21}-[+-]?0*[0-9]{1,21}-[+-]?0*[0-9]{1,21}(-[+-]?0*[0-9]{1,21})?(-[CDX])?"
            .prop_map(String::into_bytes),
    ]
}

/// Raw deflate after the dictionary, as the module's `Inflate`, into at
/// most `max` bytes: `None` if the data does not end a stream within it.
fn inflate_preset(dict: &[u8], data: &[u8], max: usize) -> Option<Vec<u8>> {
    let mut d = Decompress::new(false);
    d.set_dictionary(dict).ok()?;
    let mut out = vec![0u8; max];
    match d.decompress(data, &mut out, FlushDecompress::Finish) {
        Ok(Status::StreamEnd) => {
            out.truncate(d.total_out() as usize);
            Some(out)
        }
        _ => None,
    }
}

const DICT: &[u8] = include_bytes!("../dict/kmsg1.dict");
const TEXT_MAX: usize = 32768 * 8;

/// A dense part of format version 1 as a writer made it, for `text`.
fn part(text: &[u8], deflate: bool) -> Vec<u8> {
    part_v(1, text, deflate)
}

/// A dense part of format `version` as a writer makes it, for `text`
/// (version 2: its lines coded first, or not where the codec refuses).
fn part_v(version: u8, text: &[u8], deflate: bool) -> Vec<u8> {
    let mut h = [0u8; HEADER_LEN];
    let dict = dense::dictionary(version).unwrap_or(DICT);
    let deflated = |t: &[u8]| {
        let mut c = flate2::Compress::new(flate2::Compression::best(), false);
        c.set_dictionary(dict).expect("dictionary");
        let mut out = Vec::with_capacity(t.len() + 64);
        c.compress_vec(t, &mut out, flate2::FlushCompress::Finish)
            .expect("deflate");
        out
    };
    let (method, data) = if deflate && version == 2 {
        let mut coded = text.to_vec();
        match lastwords_core::line_codec::encode_in_place(&mut coded, text.len()) {
            Some(n) => (Method::Deflate, deflated(&coded[..n])),
            None => (Method::DeflateUncoded, deflated(text)),
        }
    } else if deflate {
        (Method::Deflate, deflated(text))
    } else {
        (Method::Stored, text.to_vec())
    };
    PartHeader {
        version,
        method,
        text_len: text.len() as u32,
        crc: dense::crc32(text),
    }
    .encode(&mut h);
    let mut v = h.to_vec();
    v.extend_from_slice(&data);
    v
}

/// Dense parts as NVRAM may hold them: valid ones, damaged, or noise.
fn part_bytes() -> impl Strategy<Value = Vec<u8>> {
    let text = (
        1u32..5,
        0i32..5,
        proptest::collection::vec(any::<u8>(), 0..300),
        proptest::collection::vec((0u64..100_000_000, "[ -~]{0,30}"), 0..8),
    )
        .prop_map(|(p, c, log, lines)| {
            let mut t = format!("Panic#{c} Part{p}\n").into_bytes();
            // Kernel lines (coded in version 2), then any bytes.
            for (us, msg) in lines {
                t.extend_from_slice(
                    format!("<4>[{:5}.{:06}] {msg}\n", us / 1_000_000, us % 1_000_000).as_bytes(),
                );
            }
            t.extend_from_slice(&log);
            t
        });
    let valid = (text, any::<bool>(), 1u8..3).prop_map(|(t, z, v)| part_v(v, &t, z));
    let damaged = (valid.clone(), any::<usize>(), any::<u8>(), any::<bool>()).prop_map(
        |(mut v, at, b, cut)| {
            let i = at % v.len();
            if cut {
                v.truncate(i);
            } else {
                v[i] ^= b | 1;
            }
            v
        },
    );
    prop_oneof![
        valid,
        damaged,
        proptest::collection::vec(any::<u8>(), 0..64),
        // A header claiming the most text, over noise (a would-be bomb).
        proptest::collection::vec(any::<u8>(), 0..64).prop_map(|d| {
            let mut v = b"LW\x01\x01".to_vec();
            v.extend_from_slice(&(TEXT_MAX as u32).to_le_bytes());
            v.extend_from_slice(&[0; 4]);
            v.extend_from_slice(&d);
            v
        }),
    ]
}

proptest! {
    #![proptest_config(config())]

    /// A name is taken only in its canonical spelling, and never panics.
    #[test]
    fn names_parse_canonically(name in name_bytes()) {
        if let Some((dn, form)) = DumpName::parse(&name) {
            let mut again = [0u8; DUMP_NAME_LEN];
            let n = dn.encode_form(form, &mut again);
            let ucs2: Vec<u16> = name.iter().map(|&b| u16::from(b)).chain([0]).collect();
            if let Ok((checked, f2)) = DumpName::parse_ucs2_checked(&ucs2) {
                // A name ends at its NUL, as the firmware's does.
                let end = name.iter().position(|&b| b == 0).unwrap_or(name.len());
                prop_assert_eq!(&again[..n], &name[..end]);
                prop_assert_eq!((checked, f2), (dn, form));
                prop_assert!(checked.check().is_ok());
            }
        }
        let ucs2: Vec<u16> = name.iter().map(|&b| u16::from(b)).collect();
        let _ = DumpName::parse_ucs2_checked(&ucs2);
    }

    /// A dense part decodes within its bound, only with its CRC, and only
    /// under the name its header line gives: `dense::decode_part`, the
    /// code the module and the tool run, on any bytes.
    #[test]
    fn dense_parts_decode_within_bounds(raw in part_bytes(), version in 1u8..3, count in 0i32..5, p in 1u32..5) {
        let mut buf = vec![0u8; TEXT_MAX];
        let mut text = vec![0u8; TEXT_MAX];
        let inflate = |dict: &[u8], data: &[u8], buf: &mut [u8]| {
            let t = inflate_preset(dict, data, buf.len())?;
            buf.get_mut(..t.len())?.copy_from_slice(&t);
            Some(0..t.len())
        };
        let dn = DumpName { record_type: 0, part: p, count, time: 0, compressed: false, dense: version };
        let Ok(n) = dense::decode_part(&raw, &dn, TEXT_MAX, &mut buf, &mut text, inflate) else {
            return Ok(());
        };
        let (h, _) = PartHeader::parse(&raw, TEXT_MAX).expect("decoded: its header parses");
        prop_assert_eq!(h.version, version);
        prop_assert_eq!(n, h.text_len as usize);
        prop_assert!(n <= TEXT_MAX);
        let text = &text[..n];
        prop_assert_eq!(dense::crc32(text), h.crc);
        let (line, _) = dense::split_header(text);
        let want = format!("#{count} Part{p}\n");
        prop_assert!(line.ends_with(want.as_bytes()));
    }

    /// Assembly: each decoded part's text once, in order, gaps exactly
    /// where parts lack; duplicates and disorder refused.
    #[test]
    fn assembly_is_exact(parts in proptest::collection::vec((1u32..40, any::<bool>()), 0..40)) {
        let mut a = Assembler::new();
        let mut got: Vec<(u32, u32)> = Vec::new();
        let mut fed: Vec<(u32, bool)> = Vec::new();
        for &(p, decoded) in &parts {
            let before = fed.last().copied();
            let ok = a.part(p, decoded, |piece| {
                if let Piece::Gap(from, to) = piece {
                    got.push((from, to));
                }
            });
            prop_assert_eq!(ok, before.map_or(true, |(l, _)| p < l));
            if ok {
                fed.push((p, decoded));
            }
        }
        let decoded = a.finish(|piece| {
            if let Piece::Gap(from, to) = piece {
                got.push((from, to));
            }
        });
        prop_assert_eq!(decoded, fed.iter().filter(|f| f.1).count());
        // The gaps are the numbers from the highest part fed down to 1
        // that were not decoded, as maximal runs.
        let mut want = Vec::new();
        if let Some(&(top, _)) = fed.first() {
            let mut run: Option<(u32, u32)> = None;
            for n in (1..=top).rev() {
                let ok = fed.iter().any(|&(p, d)| p == n && d);
                match (ok, run) {
                    (false, None) => run = Some((n, n)),
                    (false, Some((_, to))) => run = Some((n, to)),
                    (true, Some(r)) => {
                        want.push(r);
                        run = None;
                    }
                    (true, None) => {}
                }
            }
            if let Some(r) = run {
                want.push(r);
            }
        }
        prop_assert_eq!(got, want);
    }

    /// The session's plan: sorted, grouped by dump, each entry in one
    /// group; the budget never exceeded.
    #[test]
    fn sessions_group_and_stay_in_budget(
        names in proptest::collection::vec(
            (any::<bool>(), 1u32..6, 0i32..4, 0i64..4, 0u32..2, 0usize..(TEXT_MAX + 1)),
            0..200,
        ),
    ) {
        let mut e: Vec<Entry> = names
            .iter()
            .enumerate()
            .map(|(slot, &(dense, part, count, time, record_type, _))| Entry {
                dn: DumpName { record_type, part, count, time, compressed: false, dense: u8::from(dense) },
                slot,
            })
            .collect();
        sort_by_key(&mut e, Entry::key);
        prop_assert!(e.windows(2).all(|w| w[0].key() <= w[1].key()));
        let mut seen = 0;
        let mut budget = Budget::new(SESSION_TEXT_MAX);
        let mut session = 0usize;
        for r in groups(&e) {
            prop_assert_eq!(r.start, seen);
            seen = r.end;
            let g = &e[r];
            prop_assert!(g.iter().all(|x| x.same_dump(&g[0]) || g.len() == 1));
            budget.start_dump();
            let mut dump = 0usize;
            for x in g {
                let claimed = names[x.slot].5;
                if budget.take(claimed) {
                    dump += claimed;
                    session += claimed;
                }
            }
            prop_assert!(dump <= DUMP_TEXT_MAX);
            prop_assert!(session <= SESSION_TEXT_MAX);
        }
        prop_assert_eq!(seen, e.len());
    }

    /// The walk ends: at most ENUM_MAX variables, a repeated name or one
    /// without its NUL ends it, a name buffer never grows past the limit.
    #[test]
    fn walks_end(
        answers in proptest::collection::vec(
            (proptest::collection::vec(0u16..4, 0..6), any::<bool>(), 0usize..5000),
            0..64,
        ),
    ) {
        let mut w = WalkGuard::new();
        let mut prev: Vec<u16> = vec![0];
        let mut visited = 0usize;
        for (name, same_guid, need) in answers {
            if w.before_next().is_err() {
                prop_assert!(visited >= ENUM_MAX);
                break;
            }
            if let Ok(n) = WalkGuard::grow_to(need, prev.len()) {
                prop_assert!(n <= NAME_CHARS_MAX && n > prev.len());
            }
            match w.after_next(&name, &same_guid, &prev, &true) {
                Ok(()) => {
                    visited += 1;
                    prop_assert!(name.contains(&0));
                    prev = name;
                }
                Err(_) => break,
            }
        }
    }
}
