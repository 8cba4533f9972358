// SPDX-License-Identifier: GPL-2.0

//! The line codec of dense records, format version 2: the syslog prefix of
//! each kernel log line (`<6>[  123.456789] `) written as the time since the
//! line before it, before the text is deflated.
//!
//! A log's timestamps are nearly all of its entropy that a dictionary cannot
//! predict: 15 bytes per line, of which the last five or six digits differ
//! from line to line. Lines come in bursts (a driver's probe, an oops trace
//! printed in a few microseconds), so the difference to the line before is
//! short, and often the same few digits.
//!
//! A line of the text (bytes up to and including a newline, or the bytes
//! after the last newline) is written as:
//!
//! ```text
//! <L>[SSSSS.UUUUUU] MSG   ->  0x01 L '+' D ' ' MSG   D = microseconds since the
//!                                                    line before (0 for a part's
//!                                                    first line: since 0)
//!                         ->  0x01 L '=' T ' ' MSG   T = microseconds since boot,
//!                                                    where the time goes back
//! 0x01 ... or 0x02 ...    ->  0x02 and the line      (a line that starts as a
//!                                                    coded one does)
//! anything else           ->  the line as is
//! ```
//!
//! `L`, `D` and `T` are decimal numbers without leading zeros. Only a prefix
//! that the kernel's own format reproduces exactly is coded (`<%u>[%5lu.%06lu]
//! ` with a level of at most three digits and seconds below 10^12), so that
//! decoding gives back the same bytes: every input round-trips.
//!
//! Pure logic: nothing here allocates, panics or takes a lock. The dump path
//! codes a part's text in place ([`encode_in_place`]): a coded prefix is never
//! longer than the prefix it stands for, and an escape is refused where it
//! would overtake the text still to be read (the writer then deflates that
//! part without the codec).

use crate::fixed_buf::FixedBuf;

/// The first byte of a coded line.
pub const CODED: u8 = 0x01;
/// The first byte of an escaped line (a line that starts with [`CODED`] or
/// `ESCAPED`, kept as is after it).
pub const ESCAPED: u8 = 0x02;

/// Seconds at or above this are not coded (the product in microseconds
/// stays far below `u64::MAX`).
const SECONDS_LIMIT: u64 = 1_000_000_000_000;
/// Longest prefix that is coded: `<255>[` + 12 digits of seconds + `.` + 6
/// digits + `] `.
const PREFIX_MAX: usize = 5 + 1 + 12 + 1 + 6 + 2;

/// A syslog prefix of the kernel's own format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Prefix {
    /// The level (and facility) number between `<` and `>`.
    level: u32,
    /// Microseconds since boot.
    micros: u64,
    /// Bytes of the prefix, the space after `]` included.
    len: usize,
}

/// A decimal number without leading zeros (or `0`) at the start of `s`,
/// at most `max_digits` long: its value and length.
fn number(s: &[u8], max_digits: usize) -> Option<(u64, usize)> {
    let n = s
        .iter()
        .take(max_digits + 1)
        .take_while(|b| b.is_ascii_digit())
        .count();
    if n == 0 || n > max_digits || (n > 1 && s.first() == Some(&b'0')) {
        return None;
    }
    let mut v = 0u64;
    for &b in s.get(..n)? {
        v = v.checked_mul(10)?.checked_add(u64::from(b - b'0'))?;
    }
    Some((v, n))
}

/// The kernel's prefix at the start of `line`, if the line has one of
/// exactly the kernel's format (`<%u>[%5lu.%06lu] `).
fn parse_prefix(line: &[u8]) -> Option<Prefix> {
    let rest = line.strip_prefix(b"<")?;
    let (level, n) = number(rest, 3)?;
    let rest = rest.get(n..)?.strip_prefix(b">[")?;
    // `%5lu`: spaces to a width of five, then the digits.
    let spaces = rest.iter().take_while(|&&b| b == b' ').count();
    let (secs, n) = number(rest.get(spaces..)?, 12)?;
    if spaces != 5usize.saturating_sub(n) {
        return None;
    }
    let rest = rest.get(spaces + n..)?.strip_prefix(b".")?;
    let frac = rest.get(..6)?;
    if !frac.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let rest = rest.get(6..)?.strip_prefix(b"] ")?;
    if secs >= SECONDS_LIMIT {
        return None;
    }
    let mut us = 0u64;
    for &b in frac {
        us = us * 10 + u64::from(b - b'0');
    }
    Some(Prefix {
        level: u32::try_from(level).ok()?,
        micros: secs.checked_mul(1_000_000)?.checked_add(us)?,
        len: line.len() - rest.len(),
    })
}

/// Writes the coded prefix of a line with `level` and time `micros`, the
/// line before it at `prev`, into `out`: its length.
fn coded_prefix(level: u32, micros: u64, prev: u64, out: &mut [u8; PREFIX_MAX]) -> usize {
    let mut w = FixedBuf::new(&mut out[..]);
    w.push(CODED);
    w.push_u64(u64::from(level));
    match micros.checked_sub(prev) {
        Some(delta) => {
            w.push(b'+');
            w.push_u64(delta);
        }
        None => {
            w.push(b'=');
            w.push_u64(micros);
        }
    }
    w.push(b' ');
    w.len()
}

/// Codes `buf[..len]` in place; returns the coded length (at most `len`),
/// or `None`, with `buf` unchanged, if a line that needs an escape comes
/// where the coded text has saved no byte yet (the writer then deflates
/// the text without the codec).
pub fn encode_in_place(buf: &mut [u8], len: usize) -> Option<usize> {
    let len = len.min(buf.len());
    // A dry run first: nothing is moved unless all of it can be.
    code(buf, len, false)?;
    code(buf, len, true)
}

/// One pass of [`encode_in_place`] over `buf[..len]`: writes only if
/// `write`; returns the coded length, or `None` where the coded text
/// would overtake the text still to be read.
fn code(buf: &mut [u8], len: usize, write: bool) -> Option<usize> {
    let mut r = 0usize;
    let mut w = 0usize;
    let mut prev = 0u64;
    while r < len {
        let end = buf
            .get(r..len)?
            .iter()
            .position(|&b| b == b'\n')
            .map_or(len, |p| r + p + 1);
        let line = buf.get(r..end)?;
        let mut tok = [0u8; PREFIX_MAX];
        let (head, skip) = if let Some(p) = parse_prefix(line) {
            let n = coded_prefix(p.level, p.micros, prev, &mut tok);
            prev = p.micros;
            (n, p.len)
        } else if matches!(line.first(), Some(&CODED) | Some(&ESCAPED)) {
            *tok.first_mut()? = ESCAPED;
            (1, 0)
        } else {
            (0, 0)
        };
        // The coded line must not reach into what is still to be read: the
        // rest of the line moves down (or stays). A coded prefix is always
        // shorter than the kernel's (`<L>[`, `.` and `] ` against 0x01,
        // `+` or `=` and a space; at most 6 more digits than the seconds
        // against at least 5 digits and 6 of microseconds): only an escape
        // can fail this.
        let from = r + skip;
        let to = w + head;
        if to > from {
            return None;
        }
        if write {
            buf.get_mut(w..to)?.copy_from_slice(tok.get(..head)?);
            buf.copy_within(from..end, to);
        }
        w = to + (end - from);
        r = end;
    }
    Some(w)
}

/// Why coded text did not decode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Malformed;

/// Decodes `src` (coded by [`encode_in_place`]) into `dst`: the decoded
/// length. Untrusted input: a coded prefix that is not of the form above,
/// a time out of range, or `dst` too small, is [`Malformed`].
pub fn decode(src: &[u8], dst: &mut [u8]) -> Result<usize, Malformed> {
    let mut r = 0usize;
    let mut w = 0usize;
    let mut prev = 0u64;
    while r < src.len() {
        let end = src
            .get(r..)
            .ok_or(Malformed)?
            .iter()
            .position(|&b| b == b'\n')
            .map_or(src.len(), |p| r + p + 1);
        let line = src.get(r..end).ok_or(Malformed)?;
        let body = match line.first() {
            Some(&CODED) => {
                let rest = line.get(1..).ok_or(Malformed)?;
                let (level, n) = number(rest, 3).ok_or(Malformed)?;
                let op = *rest.get(n).ok_or(Malformed)?;
                let (v, m) = number(rest.get(n + 1..).ok_or(Malformed)?, 19).ok_or(Malformed)?;
                let rest = rest
                    .get(n + 1 + m..)
                    .and_then(|s| s.strip_prefix(b" "))
                    .ok_or(Malformed)?;
                let micros = match op {
                    b'+' => prev.checked_add(v).ok_or(Malformed)?,
                    b'=' if v < prev => v,
                    _ => return Err(Malformed),
                };
                if micros / 1_000_000 >= SECONDS_LIMIT {
                    return Err(Malformed);
                }
                prev = micros;
                w = write_prefix(dst, w, level, micros)?;
                rest
            }
            Some(&ESCAPED) => {
                let rest = line.get(1..).ok_or(Malformed)?;
                if !matches!(rest.first(), Some(&CODED) | Some(&ESCAPED)) {
                    return Err(Malformed);
                }
                rest
            }
            _ => line,
        };
        dst.get_mut(w..w + body.len())
            .ok_or(Malformed)?
            .copy_from_slice(body);
        w += body.len();
        r = end;
    }
    Ok(w)
}

/// Writes `<level>[%5lu.%06lu] ` for `micros` at `dst[w..]`: the new end.
fn write_prefix(dst: &mut [u8], w: usize, level: u64, micros: u64) -> Result<usize, Malformed> {
    let mut out = [0u8; PREFIX_MAX];
    let mut b = FixedBuf::new(&mut out[..]);
    let secs = micros / 1_000_000;
    let frac = micros % 1_000_000;
    b.push(b'<');
    b.push_u64(level);
    b.push_bytes(b">[");
    // `%5lu`: spaces to a width of five.
    let mut width = 1;
    let mut s = secs;
    while s >= 10 {
        s /= 10;
        width += 1;
    }
    for _ in width..5 {
        b.push(b' ');
    }
    b.push_u64(secs);
    b.push(b'.');
    // `%06lu`: zeros to a width of six.
    let mut div = 100_000;
    while div > frac.max(1) && div > 1 {
        b.push(b'0');
        div /= 10;
    }
    b.push_u64(frac);
    b.push_bytes(b"] ");
    if b.truncated() {
        return Err(Malformed);
    }
    let n = b.len();
    dst.get_mut(w..w + n)
        .ok_or(Malformed)?
        .copy_from_slice(out.get(..n).ok_or(Malformed)?);
    Ok(w + n)
}
