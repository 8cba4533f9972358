// SPDX-License-Identifier: GPL-2.0
//! Host tests of the error-record duplicate cache: the window, the choice of
//! the entry to replace, no false duplicates under concurrency. With
//! `--cfg loom`, concurrent inserts and a reader racing a rewrite run under
//! loom.

#[cfg(not(loom))]
mod std_tests {
    use lastwords_core::estatus_cache::{fnv1a64, EstatusCache};
    use std::sync::Arc;

    const W: u64 = 100;

    // Usable as a static (const constructor).
    static CACHE: EstatusCache<4> = EstatusCache::new();

    #[test]
    fn fnv1a64_known_values() {
        assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a64(b"foobar"), 0x8594_4171_f739_67e8);
        assert_ne!(fnv1a64(b"ab"), fnv1a64(b"ba"));
    }

    #[test]
    fn duplicate_only_within_the_window() {
        let c: EstatusCache<4> = EstatusCache::new();
        assert!(!c.check_and_add(7, 1000, W), "first sighting");
        assert!(c.check_and_add(7, 1000, W), "same instant");
        assert!(c.check_and_add(7, 1000 + W - 1, W), "just inside");
        assert!(c.contains(7, 1000 + W - 1, W));
        assert!(!c.contains(7, 1000 + W, W), "the window is strict");
        // Expired: not a duplicate, and remembered anew.
        assert!(!c.check_and_add(7, 1000 + W, W));
        assert!(c.check_and_add(7, 1000 + 2 * W - 1, W));
        assert_eq!(c.occupied(), 1, "the expired entry was replaced");
    }

    #[test]
    fn a_hit_does_not_refresh_the_entry() {
        // A record repeating every W/2 is reported once per window, as GHES.
        let c: EstatusCache<2> = EstatusCache::new();
        let reported: Vec<u64> = (0..10)
            .map(|i| i * W / 2)
            .filter(|&t| !c.check_and_add(1, t, W))
            .collect();
        assert_eq!(reported, [0, W, 2 * W, 3 * W, 4 * W]);
    }

    #[test]
    fn a_different_hash_is_never_a_duplicate() {
        let c: EstatusCache<4> = EstatusCache::new();
        for h in 0..4u64 {
            assert!(!c.check_and_add(h, 10, W));
        }
        assert!(!c.check_and_add(100, 10, W));
        // Hash 0 is a hash like any other, not an empty entry.
        let z: EstatusCache<2> = EstatusCache::new();
        assert!(!z.contains(0, 0, W));
        assert!(!z.check_and_add(0, 0, W));
        assert!(z.check_and_add(0, 1, W));
    }

    #[test]
    fn replaces_empty_then_expired_then_oldest() {
        let c: EstatusCache<2> = EstatusCache::new();
        assert!(!c.check_and_add(0xA, 0, W));
        assert!(!c.check_and_add(0xB, 10, W));
        assert_eq!(c.occupied(), 2);
        // Full, nothing expired: the oldest (A) goes.
        assert!(!c.check_and_add(0xC, 20, W));
        assert!(!c.contains(0xA, 20, W));
        assert!(c.contains(0xB, 20, W) && c.contains(0xC, 20, W));
        // B expired (age 105), C not: B goes although C is first.
        assert!(!c.check_and_add(0xD, 115, W));
        assert!(!c.contains(0xB, 115, W));
        assert!(c.contains(0xC, 115, W) && c.contains(0xD, 115, W));
        assert_eq!(c.occupied(), 2);
    }

    #[test]
    fn odd_clocks_and_windows() {
        let c: EstatusCache<2> = EstatusCache::new();
        // Window 0: nothing is ever a duplicate.
        assert!(!c.check_and_add(5, 50, 0));
        assert!(!c.check_and_add(5, 50, 0));
        // A stamp ahead of `now` (another CPU's clock) counts as just seen.
        let c: EstatusCache<2> = EstatusCache::new();
        assert!(!c.check_and_add(6, 1000, W));
        assert!(c.check_and_add(6, 900, W));
        // Extreme values neither overflow nor panic.
        assert!(!c.check_and_add(u64::MAX, u64::MAX, u64::MAX));
        assert!(c.check_and_add(u64::MAX, 0, u64::MAX));
        assert!(!c.check_and_add(9, 0, u64::MAX));
        assert!(c.check_and_add(9, u64::MAX - 1, u64::MAX));
        // No capacity: never a duplicate.
        let none: EstatusCache<0> = EstatusCache::default();
        assert!(!none.check_and_add(1, 0, W));
        assert!(!none.check_and_add(1, 0, W));
        assert_eq!(none.occupied(), 0);
    }

    #[test]
    fn static_cache() {
        assert!(!CACHE.check_and_add(fnv1a64(b"record"), 5, W));
        assert!(CACHE.check_and_add(fnv1a64(b"record"), 6, W));
        assert!(!CACHE.check_and_add(fnv1a64(b"other"), 6, W));
    }

    #[test]
    fn threads_never_see_a_false_duplicate() {
        // Every hash is inserted once, by one thread: any `true` would be a
        // duplicate of a different hash.
        const THREADS: u64 = 4;
        const PER: u64 = 50_000;
        let c: Arc<EstatusCache<8>> = Arc::new(EstatusCache::new());
        let hs: Vec<_> = (0..THREADS)
            .map(|t| {
                let c = Arc::clone(&c);
                std::thread::spawn(move || {
                    for i in 0..PER {
                        let h = fnv1a64(&((t << 32) | i).to_le_bytes());
                        assert!(!c.check_and_add(h, i, u64::MAX), "t{t} i{i}");
                    }
                })
            })
            .collect();
        for h in hs {
            h.join().unwrap();
        }
        assert!(c.occupied() <= 8);
    }

    #[test]
    fn threads_adding_the_same_hash() {
        const THREADS: u64 = 4;
        const PER: u64 = 20_000;
        let c: Arc<EstatusCache<4>> = Arc::new(EstatusCache::new());
        let hs: Vec<_> = (0..THREADS)
            .map(|t| {
                let c = Arc::clone(&c);
                std::thread::spawn(move || {
                    // Shared hashes 0 and 1, with a thread's own one in between.
                    let mut shared_dups = 0u64;
                    for i in 0..PER {
                        if i % 2 == 0 {
                            shared_dups += u64::from(c.check_and_add((i / 2) % 2, i, 1_000));
                        } else {
                            let own = ((t + 1) << 40) | i;
                            assert!(!c.check_and_add(own, i, 1_000), "seen by nobody");
                        }
                    }
                    shared_dups
                })
            })
            .collect();
        let dups: u64 = hs.into_iter().map(|h| h.join().unwrap()).sum();
        assert!(dups > 0, "shared hashes are suppressed at times");
        assert!(c.occupied() <= 4);
    }
}

#[cfg(loom)]
mod loom_tests {
    use lastwords_core::estatus_cache::EstatusCache;
    use loom::sync::Arc;

    const W: u64 = 100;

    /// Two contexts insert a hash each: different hashes are never
    /// duplicates; with room for both, both are remembered.
    #[test]
    fn loom_estatus_cache_concurrent_add() {
        loom::model(|| {
            let c: Arc<EstatusCache<2>> = Arc::new(EstatusCache::new());
            let c2 = Arc::clone(&c);
            let t = loom::thread::spawn(move || c2.check_and_add(0xB, 10, W));
            assert!(!c.check_and_add(0xA, 10, W));
            assert!(!t.join().unwrap());
            assert!(c.contains(0xA, 10, W));
            assert!(c.contains(0xB, 10, W));
            assert!(!c.contains(0xC, 10, W));
        });
    }

    /// Two contexts insert the same hash: at most one reports a duplicate,
    /// and afterwards it is cached.
    #[test]
    fn loom_estatus_cache_same_hash() {
        loom::model(|| {
            let c: Arc<EstatusCache<2>> = Arc::new(EstatusCache::new());
            let c2 = Arc::clone(&c);
            let t = loom::thread::spawn(move || c2.check_and_add(0xA, 10, W));
            let mine = c.check_and_add(0xA, 10, W);
            let theirs = t.join().unwrap();
            assert!(!(mine && theirs), "one of them saw it first");
            assert!(c.contains(0xA, 10, W));
        });
    }

    /// A reader looks up A while a writer replaces A's expired entry with a
    /// fresh B: the reader must never pair A with B's fresh time. (The reader
    /// is the spawned thread so that loom, which runs the main thread first,
    /// sees its loads race with the stores already made.)
    #[test]
    fn loom_estatus_cache_no_torn_pair() {
        loom::model(|| {
            let c: Arc<EstatusCache<1>> = Arc::new(EstatusCache::new());
            assert!(!c.check_and_add(0xA, 0, W));
            let c2 = Arc::clone(&c);
            let t = loom::thread::spawn(move || c2.contains(0xA, 200, W));
            assert!(!c.check_and_add(0xB, 200, W));
            assert!(!t.join().unwrap(), "A expired: not a duplicate");
            assert!(c.contains(0xB, 200, W));
        });
    }
}
