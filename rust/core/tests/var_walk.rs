// SPDX-License-Identifier: GPL-2.0
//! Host tests of the variable walk's guards, against fake firmware.

use lastwords_core::var_walk::{Stop, WalkGuard, ENUM_MAX, NAME_CHARS_MAX};

/// A fake `GetNextVariableName` over a list of names (GUID: the index),
/// which may misbehave: `answer(prev)` gives the next name for a previous
/// one, as the firmware would, by position in `names`.
struct Fake {
    names: Vec<Vec<u16>>,
    /// After the last name: start again (a cycling firmware) instead of
    /// "not found".
    cycle: bool,
    /// Hand out this index twice in a row.
    stutter: Option<usize>,
    stuttered: bool,
}

fn ucs2(s: &str) -> Vec<u16> {
    s.encode_utf16().chain(std::iter::once(0)).collect()
}

enum Answer {
    Name(Vec<u16>, u32),
    NotFound,
}

impl Fake {
    fn answer(&mut self, prev: &[u16], prev_guid: u32) -> Answer {
        let next = if prev.first() == Some(&0) {
            0
        } else {
            prev_guid as usize + 1
        };
        if let Some(s) = self.stutter {
            if prev_guid as usize == s && !self.stuttered && prev.first() != Some(&0) {
                self.stuttered = true;
                return Answer::Name(self.names[s].clone(), s as u32);
            }
        }
        if next >= self.names.len() {
            if self.cycle {
                return Answer::Name(self.names[0].clone(), 0);
            }
            return Answer::NotFound;
        }
        Answer::Name(self.names[next].clone(), next as u32)
    }
}

/// Walks `fake` as the kernel's `VarNames` does; the names seen, and how it
/// ended.
fn walk(fake: &mut Fake) -> (usize, Option<Stop>) {
    let mut g = WalkGuard::new();
    let mut name = vec![0u16; 4];
    let mut guid = 0u32;
    let mut seen = 0;
    loop {
        if let Err(s) = g.before_next() {
            return (seen, Some(s));
        }
        let (prev, prev_guid) = (name.clone(), guid);
        match fake.answer(&prev, prev_guid) {
            Answer::NotFound => return (seen, None),
            Answer::Name(n, gd) => {
                let mut buf = vec![0xffffu16; prev.len().max(n.len())];
                buf[..n.len()].copy_from_slice(&n);
                if let Err(s) = g.after_next(&buf, &gd, &prev, &prev_guid) {
                    return (seen, Some(s));
                }
                name = buf;
                guid = gd;
                seen += 1;
            }
        }
    }
}

fn fake(n: usize) -> Fake {
    Fake {
        names: (0..n).map(|i| ucs2(&format!("Var{i}"))).collect(),
        cycle: false,
        stutter: None,
        stuttered: false,
    }
}

#[test]
fn a_well_behaved_firmware_is_walked_to_the_end() {
    assert_eq!(walk(&mut fake(50)), (50, None));
    assert_eq!(walk(&mut fake(ENUM_MAX - 1)), (ENUM_MAX - 1, None));
    // A walk takes at most ENUM_MAX variables.
    assert_eq!(
        walk(&mut fake(ENUM_MAX + 5)),
        (ENUM_MAX, Some(Stop::TooMany))
    );
}

#[test]
fn a_cycling_firmware_ends_the_walk() {
    let mut f = fake(7);
    f.cycle = true;
    assert_eq!(walk(&mut f), (ENUM_MAX, Some(Stop::TooMany)));
}

#[test]
fn a_repeated_name_ends_the_walk_at_once() {
    let mut f = fake(10);
    f.stutter = Some(3);
    assert_eq!(walk(&mut f), (4, Some(Stop::Repeated)));
    // The same name under another GUID is another variable.
    let mut g = WalkGuard::new();
    let a = ucs2("Boot0001");
    assert_eq!(g.after_next(&a, &1u32, &a, &2u32), Ok(()));
}

#[test]
fn a_name_without_nul_ends_the_walk() {
    let mut g = WalkGuard::new();
    let bad = vec![u16::from(b'x'); 8];
    assert_eq!(g.after_next(&bad, &0u32, &[0], &0u32), Err(Stop::NoNul));
    // The NUL may be anywhere in the buffer (the reported size is not
    // trusted), and what follows it does not count.
    let mut ok = ucs2("A");
    ok.extend([0x41, 0x42]);
    assert_eq!(g.after_next(&ok, &0u32, &[0], &0u32), Ok(()));
}

#[test]
fn buffers_grow_within_bounds() {
    assert_eq!(WalkGuard::grow_to(600, 256), Ok(300));
    assert_eq!(WalkGuard::grow_to(601, 256), Ok(301));
    assert_eq!(
        WalkGuard::grow_to(2 * NAME_CHARS_MAX, 256),
        Ok(NAME_CHARS_MAX)
    );
    assert_eq!(
        WalkGuard::grow_to(2 * NAME_CHARS_MAX + 2, 256),
        Err(Stop::TooLong)
    );
    // Asking for no more than it got: the firmware is not making sense.
    assert_eq!(WalkGuard::grow_to(512, 256), Err(Stop::TooLong));
    assert_eq!(WalkGuard::grow_to(0, 256), Err(Stop::TooLong));
}
