// SPDX-License-Identifier: GPL-2.0

//! The reader's plan for one pstore read session: one enumeration of the
//! firmware's variables, the records it found sorted so that the parts of a
//! dense dump sit together, and the memory budget that decoded text may
//! take.
//!
//! The kernel module's session (`rust/efi_pstore/store.rs`) enumerates the
//! variables once, at `open`, keeps the names that are ours (canonical,
//! every field checked: `efi_name.rs`), sorts them with [`sort_by_key`] on
//! [`Entry::key`], and hands pstore one record per [`groups`] range: a
//! C-compatible record alone, or every part of one dense dump. So reading
//! and erasing are linear in the number of variables: no enumeration per
//! dump, no enumeration per erase (the parts to erase travel with the
//! record, [`PartSet`]).
//!
//! Memory: decoded dense text is what a small variable can blow up into (a
//! 300-byte part inflates to 256 KiB), so it is charged to a [`Budget`]:
//! at most [`DUMP_TEXT_MAX`] per dump and [`SESSION_TEXT_MAX`] per session.
//! A part that does not fit is left out of its record (a gap line says so)
//! and the session goes on: the records after it are still listed.
//!
//! Pure logic: nothing here allocates, panics or takes a lock.

use core::cmp::Reverse;

use crate::efi_name::{DumpName, PART_MAX};

/// Most decoded text one dense dump's record takes: a dump is at most
/// `kmsg_bytes` (1 MiB) of NVRAM, and a kernel log rarely holds more than
/// a few hundred KiB (`CONFIG_LOG_BUF_SHIFT`).
pub const DUMP_TEXT_MAX: usize = 2 << 20;
/// Most decoded text all the dense records of one session take.
pub const SESSION_TEXT_MAX: usize = 8 << 20;

/// One of our variables, as the session's enumeration found it: its parsed
/// name, and where the caller keeps the name itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entry {
    /// The name's fields (canonical: the name is `dn`'s encoding).
    pub dn: DumpName,
    /// The caller's index of the variable's name.
    pub slot: usize,
}

/// The order of a session: C-compatible records first, then dense dumps,
/// each newest first (by time, then count), so that the newest dumps get
/// the [`Budget`] first; a dense dump's parts together (one format version:
/// `lw-dense1` and `lw-dense2` names are different dumps), part 1 (the
/// newest) first.
pub type Key = (bool, Reverse<i64>, Reverse<i32>, u32, u8, u32);

impl Entry {
    /// The sort key ([`Key`]).
    pub fn key(&self) -> Key {
        (
            self.dn.is_dense(),
            Reverse(self.dn.time),
            Reverse(self.dn.count),
            self.dn.record_type,
            self.dn.dense,
            self.dn.part,
        )
    }

    /// Whether `self` and `other` are parts of the same dense dump.
    pub fn same_dump(&self, other: &Entry) -> bool {
        self.dn.is_dense()
            && (
                self.dn.dense,
                self.dn.count,
                self.dn.time,
                self.dn.record_type,
            ) == (
                other.dn.dense,
                other.dn.count,
                other.dn.time,
                other.dn.record_type,
            )
    }
}

/// Sorts `v` by `key`: a heap sort, in place, O(n log n), with no
/// allocation and no panic path (the kernel's objtool cannot follow
/// `core`'s sorts).
pub fn sort_by_key<T, K: Ord>(v: &mut [T], key: impl Fn(&T) -> K) {
    let less = |v: &[T], a: usize, b: usize| match (v.get(a), v.get(b)) {
        (Some(x), Some(y)) => key(x) < key(y),
        _ => false,
    };
    let sift_down = |v: &mut [T], mut root: usize, end: usize| loop {
        let Some(mut child) = root.checked_mul(2).and_then(|c| c.checked_add(1)) else {
            return;
        };
        if child >= end {
            return;
        }
        if child + 1 < end && less(v, child, child + 1) {
            child += 1;
        }
        if !less(v, root, child) {
            return;
        }
        v.swap(root, child);
        root = child;
    };
    let n = v.len();
    for start in (0..n / 2).rev() {
        sift_down(v, start, n);
    }
    for end in (1..n).rev() {
        v.swap(0, end);
        sift_down(v, 0, end);
    }
}

/// The records of a sorted session: consecutive ranges of `entries`, one
/// per record (a dense dump's parts together, anything else alone).
pub fn groups(entries: &[Entry]) -> Groups<'_> {
    Groups { entries, at: 0 }
}

/// Iterator of [`groups`].
pub struct Groups<'a> {
    entries: &'a [Entry],
    at: usize,
}

impl Iterator for Groups<'_> {
    type Item = core::ops::Range<usize>;

    fn next(&mut self) -> Option<Self::Item> {
        let start = self.at;
        let first = self.entries.get(start)?;
        let mut end = start + 1;
        while let Some(e) = self.entries.get(end) {
            if !first.same_dump(e) {
                break;
            }
            end += 1;
        }
        self.at = end;
        Some(start..end)
    }
}

/// A set of part numbers `1..=PART_MAX`, small and `Copy`: the parts a dense
/// record was made of, which its erase deletes (by their canonical names,
/// without another enumeration).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PartSet {
    bits: [u64; (PART_MAX as usize).div_ceil(64)],
}

impl Default for PartSet {
    fn default() -> Self {
        Self::new()
    }
}

impl PartSet {
    /// The empty set.
    pub const fn new() -> Self {
        Self {
            bits: [0; (PART_MAX as usize).div_ceil(64)],
        }
    }

    fn at(part: u32) -> Option<(usize, u64)> {
        let i = usize::try_from(part.checked_sub(1)?).ok()?;
        if part > PART_MAX {
            return None;
        }
        Some((i / 64, 1u64 << (i % 64)))
    }

    /// Adds `part`; returns `false` if it is out of range or already there.
    pub fn insert(&mut self, part: u32) -> bool {
        let Some((w, b)) = Self::at(part) else {
            return false;
        };
        match self.bits.get_mut(w) {
            Some(word) if *word & b == 0 => {
                *word |= b;
                true
            }
            _ => false,
        }
    }

    /// Removes `part`; returns whether it was there.
    pub fn remove(&mut self, part: u32) -> bool {
        let Some((w, b)) = Self::at(part) else {
            return false;
        };
        match self.bits.get_mut(w) {
            Some(word) if *word & b != 0 => {
                *word &= !b;
                true
            }
            _ => false,
        }
    }

    /// Whether `part` is in the set.
    pub fn contains(&self, part: u32) -> bool {
        Self::at(part)
            .and_then(|(w, b)| self.bits.get(w).map(|word| word & b != 0))
            .unwrap_or(false)
    }

    /// How many parts the set holds.
    pub fn len(&self) -> usize {
        self.bits.iter().map(|w| w.count_ones() as usize).sum()
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The parts, in increasing order.
    pub fn iter(&self) -> impl Iterator<Item = u32> + '_ {
        (1..=PART_MAX).filter(move |&p| self.contains(p))
    }
}

/// The decoded text a session may still take, per session and per dump.
///
/// # Invariants
///
/// `dump_left <= session_left`.
#[derive(Debug)]
pub struct Budget {
    session_left: usize,
    dump_left: usize,
}

impl Default for Budget {
    fn default() -> Self {
        Self::new(SESSION_TEXT_MAX)
    }
}

impl Budget {
    /// A session's budget of `session` bytes (the kernel uses
    /// [`SESSION_TEXT_MAX`]).
    pub const fn new(session: usize) -> Self {
        Self {
            session_left: session,
            dump_left: 0,
        }
    }

    /// A new dump starts: it may take [`DUMP_TEXT_MAX`], or what the
    /// session has left if that is less.
    pub fn start_dump(&mut self) {
        self.dump_left = DUMP_TEXT_MAX.min(self.session_left);
    }

    /// Charges `n` bytes of text to the current dump and the session, if
    /// both have room; `false` (nothing charged) if not.
    pub fn take(&mut self, n: usize) -> bool {
        if n > self.dump_left {
            return false;
        }
        self.dump_left -= n;
        self.session_left = self.session_left.saturating_sub(n);
        true
    }

    /// What the current dump may still take.
    pub fn dump_left(&self) -> usize {
        self.dump_left
    }

    /// What the session has left.
    pub fn session_left(&self) -> usize {
        self.session_left
    }
}
