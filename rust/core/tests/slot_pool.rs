// SPDX-License-Identifier: GPL-2.0
//! Host tests of the slot pool: every published value is taken exactly once,
//! oldest first; a full pool refuses; abandoned claims free their slot. With
//! `--cfg loom`, producers and a consumer race under loom.

#[cfg(not(loom))]
mod std_tests {
    use lastwords_core::slot_pool::SlotPool;
    use std::sync::Arc;

    #[test]
    fn init_in_place_matches_new() {
        let mut b = Box::new(std::mem::MaybeUninit::<SlotPool<Vec<u8>, 64>>::uninit());
        let p = SlotPool::init_in_place(&mut b, |i| vec![i as u8; 3]);
        let mut seen = Vec::new();
        for _ in 0..64 {
            let f = p.claim().unwrap();
            seen.push(f[0]);
            f.publish();
        }
        assert!(p.claim().is_none(), "64 slots, all claimed");
        seen.sort();
        assert_eq!(seen, (0..64).collect::<Vec<u8>>(), "slot i holds init(i)");
        assert_eq!(p.ready(), 64);
        // SAFETY: initialised by init_in_place; dropping frees the vectors.
        drop(unsafe { b.assume_init() });
    }

    #[test]
    fn fifo_full_and_abandon() {
        let p: SlotPool<u32, 3> = SlotPool::new(|_| 0);
        for v in [10, 20, 30] {
            let mut f = p.claim().unwrap();
            *f = v;
            f.publish();
        }
        assert!(p.claim().is_none(), "full");
        assert_eq!(p.ready(), 3);
        assert_eq!(*p.take().unwrap(), 10);
        // The freed slot is reused; order stays by publication.
        let mut f = p.claim().unwrap();
        *f = 40;
        f.publish();
        let got: Vec<u32> = std::iter::from_fn(|| p.take().map(|d| *d)).collect();
        assert_eq!(got, [20, 30, 40]);
        // An abandoned claim is not published and frees its slot.
        drop(p.claim().unwrap());
        assert!(p.take().is_none());
        assert_eq!(p.ready(), 0);
        let all: Vec<_> = (0..3).map(|_| p.claim().unwrap()).collect();
        assert_eq!(all.len(), 3);
    }

    #[test]
    fn values_mut_sets_up_slots() {
        let mut p: SlotPool<Vec<u8>, 2> = SlotPool::new(|_| Vec::new());
        for v in p.values_mut() {
            v.resize(16, 0);
        }
        let mut f = p.claim().unwrap();
        assert_eq!(f.len(), 16);
        f[0] = 7;
        f.publish();
        assert_eq!(p.take().unwrap()[0], 7);
    }

    #[test]
    fn threads_every_value_once() {
        const PER: u32 = 20_000;
        let p: Arc<SlotPool<u32, 8>> = Arc::new(SlotPool::new(|_| 0));
        let producers: Vec<_> = (0..3u32)
            .map(|t| {
                let p = Arc::clone(&p);
                std::thread::spawn(move || {
                    let mut dropped = 0u32;
                    for i in 0..PER {
                        match p.claim() {
                            Some(mut f) => {
                                *f = t * PER + i;
                                f.publish();
                            }
                            None => dropped += 1,
                        }
                    }
                    dropped
                })
            })
            .collect();
        let consumer = {
            let p = Arc::clone(&p);
            std::thread::spawn(move || {
                let mut seen = vec![false; 3 * PER as usize];
                let mut n = 0u32;
                let mut idle = 0u32;
                while idle < 2_000_000 {
                    match p.take() {
                        Some(d) => {
                            assert!(!seen[*d as usize], "value {} taken twice", *d);
                            seen[*d as usize] = true;
                            n += 1;
                            idle = 0;
                        }
                        None => idle += 1,
                    }
                }
                n
            })
        };
        let dropped: u32 = producers.into_iter().map(|h| h.join().unwrap()).sum();
        let taken = consumer.join().unwrap();
        let left = std::iter::from_fn(|| p.take()).count() as u32;
        assert_eq!(taken + left + dropped, 3 * PER);
    }
}

#[cfg(loom)]
mod loom_tests {
    use lastwords_core::slot_pool::SlotPool;
    use loom::sync::Arc;

    /// Two producers and a consumer on a 1-slot pool: a value is taken at
    /// most once, and published or refused, never lost.
    #[test]
    fn loom_producers_and_consumer() {
        loom::model(|| {
            let p: Arc<SlotPool<u32, 1>> = Arc::new(SlotPool::new(|_| 0));
            let hs: Vec<_> = (1..=2u32)
                .map(|v| {
                    let p = Arc::clone(&p);
                    loom::thread::spawn(move || match p.claim() {
                        Some(mut f) => {
                            *f = v;
                            f.publish();
                            1
                        }
                        None => 0,
                    })
                })
                .collect();
            let mut taken = 0;
            if let Some(d) = p.take() {
                assert!(*d == 1 || *d == 2);
                taken += 1;
            }
            let published: u32 = hs.into_iter().map(|h| h.join().unwrap()).sum();
            while let Some(d) = p.take() {
                assert!(*d == 1 || *d == 2);
                taken += 1;
            }
            assert_eq!(taken, published);
        });
    }
}
