// SPDX-License-Identifier: GPL-2.0
//! Host tests of the crash trylock: exclusion, no waiting, release/acquire
//! publication. With `--cfg loom` the concurrent tests run under loom.

#[cfg(not(loom))]
mod std_tests {
    use lastwords_core::crash_lock::CrashLock;
    use std::num::NonZeroU32;
    use std::sync::Arc;

    #[test]
    fn second_try_fails_without_waiting() {
        let l = CrashLock::new(5u32);
        let g = l.try_lock_as(NonZeroU32::new(3).unwrap()).unwrap();
        assert_eq!(g.owner(), 3);
        assert_eq!(l.owner().map(NonZeroU32::get), Some(3));
        assert!(l.try_lock().is_none(), "held: a try must fail");
        drop(g);
        assert!(!l.is_locked());
        assert_eq!(*l.try_lock().unwrap(), 5);
    }

    #[test]
    fn threads_hammering_keep_counts_consistent() {
        const THREADS: u64 = 4;
        const TRIES: u64 = 200_000;
        let l = Arc::new(CrashLock::new((0u64, 0u64)));
        let handles: Vec<_> = (0..THREADS)
            .map(|_| {
                let l = Arc::clone(&l);
                std::thread::spawn(move || {
                    let (mut won, mut busy) = (0u64, 0u64);
                    for _ in 0..TRIES {
                        match l.try_lock() {
                            Some(mut g) => {
                                // Non-atomic read-modify-write of two fields:
                                // torn updates would show as a mismatch.
                                let v = g.0;
                                g.0 = v + 1;
                                g.1 += 1;
                                won += 1;
                            }
                            None => busy += 1,
                        }
                    }
                    (won, busy)
                })
            })
            .collect();
        let (mut won, mut busy) = (0, 0);
        for h in handles {
            let (w, b) = h.join().unwrap();
            won += w;
            busy += b;
        }
        let g = l.try_lock().unwrap();
        assert_eq!(won + busy, THREADS * TRIES);
        assert_eq!(g.0, won);
        assert_eq!(g.1, won);
    }

    /// `AmbiguousIfSync::some_item` resolves for a type only if it is *not*
    /// `Sync` (for a `Sync` type both impls apply and the call is ambiguous,
    /// a compile error), after `static_assertions::assert_not_impl_any!`.
    trait AmbiguousIfSync<A> {
        fn some_item() {}
    }
    impl<T: ?Sized> AmbiguousIfSync<()> for T {}
    impl<T: ?Sized + Sync> AmbiguousIfSync<u8> for T {}

    fn is_sync<T: Sync>() {}
    fn is_send<T: Send>() {}

    /// A guard derefs to `&T`: sharing it shares `&T`, so it is `Sync` only
    /// when `T` is (like `std::sync::MutexGuard`). The doctest on
    /// `CrashGuard` shows the race this forbids; this test fails to compile
    /// if `CrashGuard<Cell<_>>` is `Sync` again.
    #[test]
    fn guard_is_sync_only_for_sync_data() {
        use lastwords_core::crash_lock::CrashGuard;
        use std::cell::Cell;
        use std::sync::atomic::AtomicU32;
        <CrashGuard<'static, Cell<u32>> as AmbiguousIfSync<_>>::some_item();
        is_sync::<CrashGuard<'static, AtomicU32>>();
        is_sync::<CrashGuard<'static, u32>>();
        // The lock itself stays shareable for any `Send` data, and a guard
        // may still move to another thread.
        is_sync::<CrashLock<Cell<u32>>>();
        is_send::<CrashGuard<'static, Cell<u32>>>();
    }
}

#[cfg(loom)]
mod loom_tests {
    use lastwords_core::crash_lock::CrashLock;
    use loom::sync::Arc;

    /// Two contexts try the lock once each and update data under it: at most
    /// one holds it at a time, and a later acquirer sees the earlier writes.
    #[test]
    fn loom_exclusion_and_publication() {
        loom::model(|| {
            let l = Arc::new(CrashLock::new((0u32, 0u32)));
            let l2 = Arc::clone(&l);
            let t = loom::thread::spawn(move || {
                if let Some(mut g) = l2.try_lock() {
                    g.0 += 1;
                    g.1 += 1;
                    1
                } else {
                    0
                }
            });
            let mine = if let Some(mut g) = l.try_lock() {
                g.0 += 1;
                g.1 += 1;
                1
            } else {
                0
            };
            let theirs = t.join().unwrap();
            let g = l.try_lock().expect("both guards are gone");
            assert_eq!(g.0, mine + theirs);
            assert_eq!(g.1, g.0);
        });
    }
}
