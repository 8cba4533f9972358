// SPDX-License-Identifier: GPL-2.0

use lastwords_core::packing::{first_text_len, next_text_len};

#[test]
fn first_try_follows_the_last_fit() {
    assert_eq!(first_text_len(0, 3008), 3008, "first part: the most");
    assert_eq!(
        first_text_len(2400, 3008),
        2475,
        "then 1/32 more than the last fit"
    );
    assert_eq!(first_text_len(3000, 3008), 3008, "never beyond the most");
    assert_eq!(first_text_len(usize::MAX, 3008), 3008);
}

#[test]
fn scales_by_the_miss() {
    // 3008 bytes compressed to 1170: about 2468 bytes next.
    let n = next_text_len(3008, Some(1170), 1024).unwrap();
    assert!((2400..2500).contains(&n), "{n}");
}

#[test]
fn always_shrinks() {
    // Even a "miss" by one byte gives strictly less text.
    for len in [1100usize, 2000, 3008, 96_000] {
        for c in [1025usize, 1100, len] {
            if let Some(n) = next_text_len(len, Some(c), 1024) {
                assert!(n < len, "len {len} c {c} -> {n}");
            }
        }
    }
}

#[test]
fn raw_when_no_gain() {
    assert_eq!(next_text_len(1500, Some(2000), 1024), None);
    assert_eq!(next_text_len(1025, Some(1025), 1024), None);
    assert_eq!(next_text_len(2000, None, 1024), None);
    assert_eq!(next_text_len(0, Some(0), 1024), None);
}

#[test]
fn compression_failure_halves() {
    assert_eq!(next_text_len(3008, None, 1024), Some(1504));
}

#[test]
fn no_overflow_or_panic() {
    for len in [0usize, 1, usize::MAX / 2, usize::MAX] {
        for c in [None, Some(0), Some(1), Some(usize::MAX)] {
            for t in [0usize, 1, 1024, usize::MAX] {
                let _ = next_text_len(len, c, t);
            }
        }
    }
}

#[test]
fn converges_within_four_tries() {
    // Simulated compressors with ratios from 1.5 to 4: the loop the dumper
    // runs ends (fits or goes raw) within its 4 tries, and a fit uses at
    // least 3/4 of the target.
    for ratio10 in 15..=40usize {
        let compress = |len: usize| len * 10 / ratio10 + 8;
        let mut len = 3 * 1024 - 64;
        let mut tries = 0;
        loop {
            tries += 1;
            let c = compress(len);
            if c <= 1024 {
                assert!(
                    c * 4 >= 1024 * 3 || len == 3 * 1024 - 64,
                    "ratio {ratio10}: {c}"
                );
                break;
            }
            match next_text_len(len, Some(c), 1024) {
                Some(n) => len = n,
                None => break,
            }
        }
        assert!(tries <= 4, "ratio {ratio10}: {tries} tries");
    }
}
