// SPDX-License-Identifier: GPL-2.0

//! How much log text to try next when packing a dump part.
//!
//! A part must compress into `target` bytes (the EFI variable's size). The
//! dumper fetches `len` bytes of text and compresses them; when the result
//! is `compressed > target` bytes, the next try scales the text by how far
//! it missed (`len * target / compressed`), minus 1/16 for the ratio's local
//! variation, and always strictly less than `len`. When compression itself
//! fails (`None`), the next try halves the text. Once the text would be no
//! more than `target` bytes, compressing gains nothing over storing it as
//! is: the answer is `None`, store `target` bytes of text uncompressed.

/// The text length of a part's first try: the most the readers accept
/// (`max`) for a dump's first part; after that, 1/32 more than the previous
/// part's text that fit (`last_fit`), since neighbouring log text compresses
/// alike: most parts then fit at the first try, one compression each.
pub fn first_text_len(last_fit: usize, max: usize) -> usize {
    if last_fit == 0 {
        return max;
    }
    last_fit.saturating_add(last_fit / 32).min(max)
}

/// The text length of the next try, or `None` to store the text raw.
pub fn next_text_len(len: usize, compressed: Option<usize>, target: usize) -> Option<usize> {
    let want = match compressed {
        Some(c) => len.saturating_mul(target) / c.max(1) / 16 * 15,
        None => len / 2,
    };
    let want = want.min(len.saturating_sub(1));
    (want > target).then_some(want)
}

/// After `len` bytes of text compressed to `compressed` bytes, which fit
/// in `target` with more than an eighth of it to spare: the text length to
/// try next to fill the part better (at most `max`), scaled by the room
/// left like [`next_text_len`]; `None` if the part is full enough or the
/// text cannot grow.
pub fn grow_text_len(len: usize, compressed: usize, target: usize, max: usize) -> Option<usize> {
    if compressed.saturating_mul(8) >= target.saturating_mul(7) || len >= max {
        return None;
    }
    let want = len.saturating_mul(target) / compressed.max(1) / 16 * 15;
    let want = want.min(max);
    (want > len).then_some(want)
}

/// The buffer sizes to fetch with, in order, to find where the newest record
/// of `text` starts, when that record is longer than `min` bytes.
///
/// `text` is what `kmsg_dump_get_buffer()` returned: whole records, oldest
/// first, each line ending in a newline; its newest record is longer than
/// `min` (a fetch into `min + 1` bytes returned nothing). The newest record
/// starts at a line start; a fetch with room for exactly the text from some
/// line start on (`len + 1` bytes) returns records only if a record starts
/// there, so fetching with these sizes, from the newest line start to the
/// oldest (those that leave more than `min` bytes), the first fetch that
/// returns anything returns the newest record alone. The last size covers
/// all of `text`.
pub fn long_record_rooms(text: &[u8], min: usize) -> LongRecordRooms<'_> {
    LongRecordRooms {
        text,
        min,
        pos: text.len().saturating_sub(1),
        done: false,
    }
}

/// The iterator of [`long_record_rooms`].
pub struct LongRecordRooms<'a> {
    text: &'a [u8],
    min: usize,
    /// Newlines before this index are still to be looked at.
    pos: usize,
    done: bool,
}

impl Iterator for LongRecordRooms<'_> {
    type Item = usize;

    fn next(&mut self) -> Option<usize> {
        let n = self.text.len();
        while self.pos > 0 {
            self.pos -= 1;
            if self.text.get(self.pos) == Some(&b'\n') {
                let len = n - (self.pos + 1);
                if len > self.min {
                    return Some(len + 1);
                }
            }
        }
        if self.done {
            return None;
        }
        self.done = true;
        Some(n + 1)
    }
}
