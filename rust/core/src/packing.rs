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
