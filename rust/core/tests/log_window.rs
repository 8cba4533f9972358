// SPDX-License-Identifier: GPL-2.0

use lastwords_core::log_window::{start, widen};

#[test]
fn start_is_window_below_next_not_below_floor() {
    assert_eq!(start(1000, 64, 0), 936);
    assert_eq!(start(1000, 64, 950), 950);
    assert_eq!(start(30, 64, 0), 0);
    assert_eq!(start(1000, u64::MAX, 7), 7, "the whole log");
}

#[test]
fn widens_only_when_all_was_taken_and_older_records_exist() {
    assert_eq!(widen(936, 0, true, 64), Some(128));
    assert_eq!(
        widen(936, 0, false, 64),
        None,
        "the fetch stopped inside the window"
    );
    assert_eq!(widen(0, 0, true, 64), None, "already the whole log");
    assert_eq!(widen(5, 0, true, u64::MAX), Some(u64::MAX));
}

/// A model of the kernel's log and `kmsg_dump_get_buffer()`: record `seq`
/// prints as `len[seq]` bytes; records below `first` were dropped by the
/// ring buffer.
struct Log {
    len: Vec<usize>,
    first: u64,
}

struct Iter {
    cur: u64,
    next: u64,
}

impl Log {
    /// `kmsg_dump_get_buffer(iter, buf of size)`: `None` if nothing is left
    /// (`false`), else the records fetched, `[new next, old next)`.
    fn get_buffer(&self, it: &mut Iter, size: usize) -> Option<(u64, u64)> {
        if it.cur < self.first {
            it.cur = self.first;
        }
        if it.cur >= it.next {
            return None;
        }
        let l = |s: u64| self.len[s as usize];
        let mut total: usize = (it.cur..it.next).map(l).sum();
        let mut seq = it.cur;
        while total > size - 1 && seq < it.next {
            total -= l(seq);
            seq += 1;
        }
        let got = (seq, it.next);
        it.next = seq;
        Some(got)
    }
}

/// A dump's fetches with buffers of `sizes` (cycled) until the log ends,
/// through the windowed iterator (as in `kmsg_dump.rs`) when `window` is set.
fn dump(log: &Log, floor: u64, window: Option<u64>, sizes: &[usize]) -> Vec<(u64, u64)> {
    let next = log.len.len() as u64;
    let mut w = window.unwrap_or(u64::MAX);
    let mut it = Iter {
        cur: start(next, w, floor),
        next,
    };
    let mut parts = Vec::new();
    let mut fetches = 0;
    for &size in sizes.iter().cycle() {
        let got = loop {
            fetches += 1;
            assert!(fetches < 100_000, "no progress");
            let shown = it.cur;
            let saved = (it.cur, it.next);
            let got = log.get_buffer(&mut it, size);
            let took_all = got.is_none() || it.next <= it.cur;
            match widen(shown, floor, took_all, w) {
                Some(nw) => {
                    w = nw;
                    it.cur = saved.0;
                    it.next = saved.1;
                    it.cur = start(it.next, w, floor);
                }
                None => break got,
            }
        };
        match got {
            // Nothing fit (a record longer than the buffer): a dumper stops
            // or stores it another way; the model stops.
            Some(p) if p.0 == p.1 => {
                parts.push(p);
                break;
            }
            Some(p) => parts.push(p),
            None => break,
        }
    }
    parts
}

/// A deterministic pseudo-random sequence (xorshift).
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[test]
fn windowed_dump_fetches_what_a_whole_log_dump_does() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for case in 0..3000 {
        let n = (rng.next() % 2000) as usize;
        let len: Vec<usize> = (0..n)
            .map(|_| match rng.next() % 50 {
                // Now and then a record longer than any buffer.
                0 => 5000,
                k => 20 + (k as usize * 7) % 180,
            })
            .collect();
        let first = if n > 0 {
            rng.next() % (n as u64 / 4 + 1)
        } else {
            0
        };
        let log = Log { len, first };
        // The floor is where the dump's rewind put the start: at or below
        // the first record still held.
        let floor = first.saturating_sub(rng.next() % 3);
        let sizes: Vec<usize> = (0..1 + rng.next() % 4)
            .map(|_| 200 + (rng.next() % 3000) as usize)
            .collect();
        let window = 1 + rng.next() % 200;
        let whole = dump(&log, floor, None, &sizes);
        let windowed = dump(&log, floor, Some(window), &sizes);
        assert_eq!(
            whole, windowed,
            "case {case}: {n} records, first {first}, window {window}, sizes {sizes:?}"
        );
    }
}

#[test]
fn an_empty_log_ends_at_once() {
    let log = Log {
        len: vec![],
        first: 0,
    };
    assert!(dump(&log, 0, Some(64), &[1000]).is_empty());
}
