// SPDX-License-Identifier: GPL-2.0

//! One writer into a fixed byte buffer, for code that must not allocate: the
//! panic path's record headers, EFI variable names, debugfs text.
//!
//! It never writes past its limit. What does not fit is dropped and
//! remembered ([`FixedBuf::truncated`]), and `fmt::Write` reports it as an
//! error, so each caller picks its policy: all-or-error (check the result)
//! or `snprintf()`-like truncation (ignore it).

use core::fmt;

/// Writes bytes into `buf[..limit]`.
///
/// # Invariants
///
/// `len <= limit <= buf.len()`; `buf[..len]` is what was written.
pub struct FixedBuf<'a> {
    buf: &'a mut [u8],
    len: usize,
    limit: usize,
    truncated: bool,
}

impl<'a> FixedBuf<'a> {
    /// A writer that may fill all of `buf`.
    pub fn new(buf: &'a mut [u8]) -> Self {
        let limit = buf.len();
        Self {
            buf,
            len: 0,
            limit,
            truncated: false,
        }
    }

    /// A writer that keeps the last byte of `buf` free, for a terminating
    /// NUL that the caller provides (a zeroed buffer has it already).
    pub fn with_nul(buf: &'a mut [u8]) -> Self {
        let limit = buf.len().saturating_sub(1);
        Self {
            buf,
            len: 0,
            limit,
            truncated: false,
        }
    }

    /// Bytes written so far.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether nothing was written.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// What was written.
    pub fn as_bytes(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or(&[])
    }

    /// Whether something did not fit (and was dropped).
    pub fn truncated(&self) -> bool {
        self.truncated
    }

    /// Appends one byte; `false` (and nothing written) if it does not fit.
    pub fn push(&mut self, b: u8) -> bool {
        if self.len < self.limit {
            if let Some(slot) = self.buf.get_mut(self.len) {
                *slot = b;
                self.len += 1;
                return true;
            }
        }
        self.truncated = true;
        false
    }

    /// Appends as much of `s` as fits; `false` if not all of it did.
    pub fn push_bytes(&mut self, s: &[u8]) -> bool {
        let start = self.len.min(self.limit);
        let dst = self.buf.get_mut(start..self.limit).unwrap_or(&mut []);
        // A byte loop, not `copy_from_slice()`: nothing here may panic (the
        // length check of a slice copy is a panic path).
        let mut n = 0;
        for (d, b) in dst.iter_mut().zip(s) {
            *d = *b;
            n += 1;
        }
        self.len = start.saturating_add(n);
        if n < s.len() {
            self.truncated = true;
        }
        n == s.len()
    }

    /// Appends `v` in decimal.
    pub fn push_u64(&mut self, mut v: u64) -> bool {
        let mut digits = [0u8; 20];
        let mut n = 0;
        loop {
            if let Some(d) = digits.get_mut(n) {
                *d = b'0' + (v % 10) as u8;
            }
            n += 1;
            v /= 10;
            if v == 0 || n == digits.len() {
                break;
            }
        }
        let mut ok = true;
        while n > 0 {
            n -= 1;
            if let Some(&d) = digits.get(n) {
                ok &= self.push(d);
            }
        }
        ok
    }

    /// Appends `v` in decimal, with a `-` if negative.
    pub fn push_i64(&mut self, v: i64) -> bool {
        let sign = v >= 0 || self.push(b'-');
        self.push_u64(v.unsigned_abs()) && sign
    }
}

impl fmt::Write for FixedBuf<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        if self.push_bytes(s.as_bytes()) {
            Ok(())
        } else {
            Err(fmt::Error)
        }
    }
}
