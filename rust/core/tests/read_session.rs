// SPDX-License-Identifier: GPL-2.0
//! Host tests of the reader's session plan: the sort, the grouping of a
//! dense dump's parts, the part set an erase uses, and the text budget.

use lastwords_core::efi_name::{DumpName, PART_MAX};
use lastwords_core::read_session::{
    groups, sort_by_key, Budget, Entry, PartSet, DUMP_TEXT_MAX, SESSION_TEXT_MAX,
};

fn dn(dense: bool, part: u32, count: i32, time: i64) -> DumpName {
    DumpName {
        record_type: 0,
        part,
        count,
        time,
        compressed: false,
        dense: u8::from(dense),
    }
}

#[test]
fn heap_sort_sorts_like_std() {
    let mut seed = 0x1234_5678_u64;
    for n in 0..200 {
        let mut v: Vec<u64> = (0..n)
            .map(|_| {
                seed = seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                (seed >> 33) % 17
            })
            .collect();
        let mut want = v.clone();
        want.sort();
        sort_by_key(&mut v, |x| *x);
        assert_eq!(v, want, "n = {n}");
    }
}

#[test]
fn a_dumps_parts_come_together_newest_first() {
    // Parts of two dense dumps and two C records, in firmware order.
    let names = [
        dn(true, 3, 1, 200),
        dn(false, 1, 0, 150),
        dn(true, 1, 2, 200),
        dn(true, 1, 1, 200),
        dn(false, 2, 0, 150),
        dn(true, 2, 1, 200),
    ];
    let mut e: Vec<Entry> = names
        .iter()
        .enumerate()
        .map(|(slot, &dn)| Entry { dn, slot })
        .collect();
    sort_by_key(&mut e, Entry::key);
    let g: Vec<Vec<usize>> = groups(&e)
        .map(|r| e[r].iter().map(|x| x.slot).collect())
        .collect();
    // The C records one each, then the newest dump, (2, 200), then dump
    // (1, 200) parts 1, 2, 3.
    assert_eq!(g, vec![vec![1], vec![4], vec![2], vec![3, 5, 0]]);
    assert_eq!(groups(&[]).count(), 0);
}

#[test]
fn dumps_of_another_time_or_type_stay_apart() {
    let mut other_type = dn(true, 2, 1, 200);
    other_type.record_type = 3;
    let e = [
        Entry {
            dn: dn(true, 1, 1, 200),
            slot: 0,
        },
        Entry {
            dn: other_type,
            slot: 1,
        },
        Entry {
            dn: dn(true, 3, 1, 201),
            slot: 2,
        },
    ];
    assert_eq!(groups(&e).count(), 3);
}

#[test]
fn part_sets_hold_every_part_once() {
    let mut s = PartSet::new();
    assert!(s.is_empty());
    assert!(!s.insert(0));
    assert!(!s.insert(PART_MAX + 1));
    for p in [1, 64, 65, PART_MAX] {
        assert!(s.insert(p), "{p}");
        assert!(!s.insert(p), "{p} twice");
    }
    assert_eq!(s.len(), 4);
    assert_eq!(s.iter().collect::<Vec<_>>(), vec![1, 64, 65, PART_MAX]);
    assert!(s.contains(65) && !s.contains(66) && !s.contains(0));
    assert!(s.remove(64) && !s.remove(64) && !s.remove(0) && !s.remove(PART_MAX + 1));
    assert_eq!(s.iter().collect::<Vec<_>>(), vec![1, 65, PART_MAX]);
}

#[test]
fn the_budget_caps_a_dump_and_the_session() {
    let mut b = Budget::new(SESSION_TEXT_MAX);
    b.start_dump();
    assert!(b.take(DUMP_TEXT_MAX - 10));
    assert!(!b.take(11), "over the dump's cap");
    assert_eq!(b.dump_left(), 10);
    assert!(b.take(10));
    // Later dumps still get their share until the session's is spent.
    let mut dumps = 1;
    loop {
        b.start_dump();
        if !b.take(DUMP_TEXT_MAX) {
            break;
        }
        dumps += 1;
    }
    assert_eq!(dumps, SESSION_TEXT_MAX / DUMP_TEXT_MAX);
    assert_eq!(b.session_left(), 0);
    b.start_dump();
    assert!(b.take(0));
    assert!(!b.take(1));
}
