// SPDX-License-Identifier: GPL-2.0

use lastwords_core::packing::{first_text_len, grow_text_len, long_record_rooms, next_text_len};

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

/// A model of `kmsg_dump_get_buffer()` over records printed as `texts`:
/// the newest whole records below `next` whose total is below `size`,
/// oldest first, and the new `next`.
fn fetch(texts: &[String], next: usize, size: usize) -> (String, usize) {
    let mut first = next;
    let mut total = 0;
    while first > 0 && total + texts[first - 1].len() < size {
        total += texts[first - 1].len();
        first -= 1;
    }
    (texts[first..next].concat(), first)
}

/// A record of `lines` lines of about `width` characters, with the prefix
/// the kernel prints on every line.
fn record(seq: usize, lines: usize, width: usize) -> String {
    (0..lines)
        .map(|l| {
            format!(
                "<6>[{seq:6}.{l:06}] {}\n",
                "x".repeat(width + (seq * 7 + l) % 13)
            )
        })
        .collect()
}

#[test]
fn long_record_rooms_find_the_newest_record_alone() {
    let mut state = 0x2545_f491_u64;
    let mut rnd = |n: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % n as u64) as usize
    };
    for case in 0..3000 {
        let count = 1 + rnd(20);
        let texts: Vec<String> = (0..count)
            .map(|seq| record(seq, 1 + rnd(6), rnd(400)))
            .collect();
        let newest = texts.last().unwrap();
        if newest.len() < 10 {
            continue;
        }
        // A raw part smaller than the newest record; a scratch buffer that
        // holds it and maybe older ones.
        let raw = rnd(newest.len());
        let scratch = newest.len() + 1 + rnd(2000);
        let (text, _) = fetch(&texts, count, raw + 1);
        assert_eq!(
            text, "",
            "case {case}: the raw part's fetch returns nothing"
        );
        let (text, _) = fetch(&texts, count, scratch);
        assert!(text.ends_with(newest.as_str()));
        let mut found = None;
        let mut probes = 0;
        for room in long_record_rooms(text.as_bytes(), raw) {
            probes += 1;
            assert!(room <= text.len() + 1, "case {case}: room within the text");
            let (got, next) = fetch(&texts, count, room);
            if !got.is_empty() {
                found = Some((got, next));
                break;
            }
        }
        let (got, next) = found.unwrap_or_else(|| panic!("case {case}: not found"));
        assert_eq!(&got, newest, "case {case}: the newest record alone");
        assert_eq!(
            next,
            count - 1,
            "case {case}: the iterator moves past it only"
        );
        let lines = newest.matches('\n').count();
        assert!(
            probes <= lines,
            "case {case}: {probes} fetches for {lines} lines"
        );
    }
}

#[test]
fn long_record_rooms_end_with_the_whole_text() {
    let rooms: Vec<usize> = long_record_rooms(b"ab\ncd\nefgh\n", 3).collect();
    // Line starts from the end: "efgh\n" (5 > 3), "cd\nefgh\n" (8), then all.
    assert_eq!(rooms, vec![6, 9, 12]);
    let rooms: Vec<usize> = long_record_rooms(b"ab\ncd\nefgh\n", 100).collect();
    assert_eq!(rooms, vec![12]);
    assert_eq!(long_record_rooms(b"", 0).collect::<Vec<_>>(), vec![1]);
}

#[test]
fn grows_a_part_only_with_room_to_spare() {
    // Half full: about twice the text, 15/16 of it.
    assert_eq!(grow_text_len(4000, 500, 1000, 8192), Some(7500));
    // Capped by the buffer.
    assert_eq!(grow_text_len(4000, 100, 1000, 8192), Some(8192));
    // Full enough (7/8 or more used), or the text is already all there is.
    assert_eq!(grow_text_len(4000, 875, 1000, 8192), None);
    assert_eq!(grow_text_len(8192, 100, 1000, 8192), None);
    // Never shrinks, never divides by zero.
    assert_eq!(grow_text_len(4000, 0, 1000, 8192), Some(8192));
    assert_eq!(grow_text_len(4000, 800, 1000, 4100), Some(4100));
}
