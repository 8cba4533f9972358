// SPDX-License-Identifier: GPL-2.0

//! Names of the EFI variables that hold pstore records, compatible with the C
//! `efi-pstore` (`drivers/firmware/efi/efi-pstore.c`).
//!
//! Written form: `dump-type%u-%u-%d-%lld-%c` (type, part, count, seconds,
//! `C` for compressed or `D`), NUL padded to [`DUMP_NAME_LEN`] characters.
//! Read forms, tried in this order like the C code's `sscanf()` chain:
//!
//! 1. `dump-type%u-%u-%d-%llu-%c` (current),
//! 2. `dump-type%u-%u-%d-%llu` (before the compression flag),
//! 3. `dump-type%u-%u-%llu` (before the count: one log per part).
//!
//! Dense records (`dense.rs`) are named `lw-dense%u-type%u-%u-%d-%lld`
//! (format version, then the fields of the current form without the flag):
//! the C backend's `sscanf()` chain matches none of its forms on them and
//! passes them over. A dense name of a version this code does not read
//! ([`crate::dense::known_version`]) is [`Invalid::Version`]: not ours to
//! read, nor to erase.
//!
//! Unlike `sscanf()`, a form must match the whole name and a number that
//! overflows its field is rejected, so a malformed current-form name is never
//! misread as an older form with other values. The reader also takes a name
//! only in the one spelling a writer gives it ([`Invalid::NotCanonical`]:
//! re-encoding its fields in its form must give it back): `+1`, `-0` or
//! `01` in a field would make aliases, several variables for one record.
//!
//! What the firmware hands back is untrusted: [`DumpName::parse_ucs2_checked`]
//! is the reader's entry point. It takes the name exactly as long as the
//! firmware returned it (no truncation: a name the backend could not give
//! back whole to erase it is not one of ours), and checks every field against
//! what a pstore writer produces ([`Invalid`] says which one failed).

use crate::fixed_buf::FixedBuf;

/// Length, in characters including the terminating NUL, of a dump name buffer.
pub const DUMP_NAME_LEN: usize = 66;

/// Which of the name forms a parsed name had.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NameForm {
    /// `dump-type%u-%u-%d-%llu-%c`.
    Current,
    /// `dump-type%u-%u-%d-%llu`: no compression flag, never compressed.
    NoFlag,
    /// `dump-type%u-%u-%llu`: no count (taken as 0), never compressed.
    Old,
    /// `lw-dense%u-type%u-%u-%d-%llu`: a part of a dense dump (the version
    /// is [`DumpName::dense`]).
    Dense,
}

/// The identity of a pstore record as encoded in its EFI variable name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DumpName {
    /// `enum pstore_type_id` of the record.
    pub record_type: u32,
    /// Part number (1-based for kmsg dumps).
    pub part: u32,
    /// Dump count: how many dumps this boot wrote before this one.
    pub count: i32,
    /// Seconds since the epoch at which the record was written.
    pub time: i64,
    /// Whether the payload is compressed (as pstore decompresses it).
    pub compressed: bool,
    /// The format version of a dense part (`dense.rs`; never `compressed`),
    /// 0 for a C-compatible record.
    pub dense: u8,
}

/// Record types below this are known to pstore (`PSTORE_TYPE_MAX`); pstore
/// WARNs on any other (`pstore_type_to_name()`).
pub const TYPE_MAX: u32 = 9;
/// `PSTORE_TYPE_DMESG`, the only type pstore decompresses.
pub const TYPE_DMESG: u32 = 0;
/// Largest part number accepted: a dump of at most 1 MiB in parts of at
/// least 1 KiB has at most 1024 parts; pmsg chunks are part 1.
pub const PART_MAX: u32 = 1024;
/// Latest time accepted: 9999-12-31T23:59:59Z, in seconds since the epoch.
pub const TIME_MAX: i64 = 253_402_300_799;

/// Why a variable name under the crash GUID was not accepted as a record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Invalid {
    /// Not NUL terminated within [`DUMP_NAME_LEN`] characters.
    TooLong,
    /// Has a character outside printable ASCII.
    NotAscii,
    /// Matches none of the three forms.
    Malformed,
    /// The compression flag is neither `C` nor `D`.
    Flag,
    /// The record type is not below [`TYPE_MAX`].
    Type,
    /// The part is 0 or above [`PART_MAX`].
    Part,
    /// The count is negative.
    Count,
    /// The time is negative or after [`TIME_MAX`].
    Time,
    /// Compressed, but not a dmesg record (pstore decompresses only those).
    CompressedType,
    /// A dense name of a format version this code does not know.
    Version,
    /// Not spelled as a writer spells it: a sign or a leading zero in a
    /// number (an alias of another name).
    NotCanonical,
}

impl Invalid {
    /// A few words for a log line.
    pub fn as_str(self) -> &'static str {
        match self {
            Invalid::TooLong => "name too long",
            Invalid::NotAscii => "name not ASCII",
            Invalid::Malformed => "not a dump-type name",
            Invalid::Flag => "compression flag not C or D",
            Invalid::Type => "record type out of range",
            Invalid::Part => "part out of range",
            Invalid::Count => "negative count",
            Invalid::Time => "time out of range",
            Invalid::CompressedType => "compressed record not of dmesg type",
            Invalid::Version => "dense record of an unknown format version",
            Invalid::NotCanonical => "name not in its canonical spelling",
        }
    }
}

/// A parser over ASCII bytes with `sscanf()`-like number conversions.
struct Scanner<'a> {
    s: &'a [u8],
    pos: usize,
}

impl Scanner<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }

    fn literal(&mut self, lit: &[u8]) -> Option<()> {
        let end = self.pos.checked_add(lit.len())?;
        if self.s.get(self.pos..end)? == lit {
            self.pos = end;
            Some(())
        } else {
            None
        }
    }

    /// An optional sign and at least one decimal digit. Returns whether the
    /// number was negative and its magnitude, or `None` on no digits or on
    /// overflow of `u64`.
    fn number(&mut self) -> Option<(bool, u64)> {
        let neg = match self.peek() {
            Some(b'-') => {
                self.pos += 1;
                true
            }
            Some(b'+') => {
                self.pos += 1;
                false
            }
            _ => false,
        };
        let start = self.pos;
        let mut v: u64 = 0;
        while let Some(c @ b'0'..=b'9') = self.peek() {
            v = v.checked_mul(10)?.checked_add(u64::from(c - b'0'))?;
            self.pos += 1;
        }
        if self.pos == start {
            return None;
        }
        Some((neg, v))
    }

    /// `%u`: like the C library, a negative value wraps around.
    fn uint(&mut self) -> Option<u32> {
        let (neg, v) = self.number()?;
        let v = u32::try_from(v).ok()?;
        Some(if neg { v.wrapping_neg() } else { v })
    }

    /// `%d`.
    fn int(&mut self) -> Option<i32> {
        let (neg, v) = self.number()?;
        let v = i64::try_from(v).ok()?;
        i32::try_from(if neg { -v } else { v }).ok()
    }

    /// `%llu`, kept as the `i64` that `time64_t` is (values written with
    /// `%lld` round-trip).
    fn ulonglong(&mut self) -> Option<i64> {
        let (neg, v) = self.number()?;
        let v = v as i64;
        Some(if neg { v.wrapping_neg() } else { v })
    }

    fn end(&self) -> Option<()> {
        (self.pos == self.s.len()).then_some(())
    }

    fn any_char(&mut self) -> Option<u8> {
        let c = self.peek()?;
        self.pos += 1;
        Some(c)
    }
}

const PREFIX: &[u8] = b"dump-type";
/// Dense names: `lw-dense`, the format version, then `-type`.
const DENSE_PREFIX: &[u8] = b"lw-dense";
const DENSE_TYPE: &[u8] = b"-type";

impl DumpName {
    /// The record id the C backend gives this record:
    /// `(time * 100 + part) * 1000 + count`, in wrapping `u64` arithmetic.
    pub fn generic_id(&self) -> u64 {
        (self.time as u64)
            .wrapping_mul(100)
            .wrapping_add(u64::from(self.part))
            .wrapping_mul(1000)
            .wrapping_add(self.count as u64)
    }

    /// Writes the name in the current form into `out`, NUL padded, and
    /// returns its length without the NUL.
    pub fn encode(&self, out: &mut [u8; DUMP_NAME_LEN]) -> usize {
        let form = if self.is_dense() {
            NameForm::Dense
        } else {
            NameForm::Current
        };
        self.encode_form(form, out)
    }

    /// Writes the name in `form` into `out`, NUL padded, and returns its
    /// length without the NUL: the spelling a writer of that form gives it
    /// (`NoFlag` and `Old` are the C backend's older forms).
    pub fn encode_form(&self, form: NameForm, out: &mut [u8; DUMP_NAME_LEN]) -> usize {
        out.fill(0);
        // Truncated silently, like `snprintf()`, keeping the NUL; no name
        // fits so badly (`DUMP_NAME_LEN` is the C backend's size).
        let mut c = FixedBuf::with_nul(out);
        if form == NameForm::Dense {
            c.push_bytes(DENSE_PREFIX);
            c.push_u64(u64::from(self.dense));
            c.push_bytes(DENSE_TYPE);
        } else {
            c.push_bytes(PREFIX);
        }
        c.push_u64(u64::from(self.record_type));
        c.push(b'-');
        c.push_u64(u64::from(self.part));
        c.push(b'-');
        if form != NameForm::Old {
            c.push_i64(i64::from(self.count));
            c.push(b'-');
        }
        c.push_i64(self.time);
        if form == NameForm::Current {
            c.push(b'-');
            c.push(if self.compressed { b'C' } else { b'D' });
        }
        c.len()
    }

    /// Like [`DumpName::encode`], as the UCS-2 name that EFI variable
    /// services take.
    pub fn encode_ucs2(&self, out: &mut [u16; DUMP_NAME_LEN]) -> usize {
        let mut ascii = [0u8; DUMP_NAME_LEN];
        let len = self.encode(&mut ascii);
        for (o, a) in out.iter_mut().zip(ascii.iter()) {
            *o = u16::from(*a);
        }
        len
    }

    /// Parses a variable name (ASCII, optionally NUL terminated) in any of the
    /// three forms, or as a dense name of a version this code reads. Returns
    /// `None` for names that are not pstore dumps (a dense name of another
    /// version included: see [`DumpName::parse_ucs2_checked`]).
    pub fn parse(name: &[u8]) -> Option<(DumpName, NameForm)> {
        let end = name.iter().position(|&b| b == 0).unwrap_or(name.len());
        let name = name.get(..end)?;
        Self::parse_dense(name)
            .filter(|(v, _)| Self::dense_version(*v).is_some())
            .map(|(_, n)| (n, NameForm::Dense))
            .or_else(|| Self::parse_current(name, true).map(|n| (n, NameForm::Current)))
            .or_else(|| Self::parse_current(name, false).map(|n| (n, NameForm::NoFlag)))
            .or_else(|| Self::parse_old(name).map(|n| (n, NameForm::Old)))
    }

    /// The reader's parse: `name` as the firmware returned it (UCS-2, NUL
    /// terminated), taken whole, every field checked. A name that is longer
    /// than any writer produces, not ASCII, in none of the forms or with a
    /// field out of range is [`Invalid`].
    pub fn parse_ucs2_checked(name: &[u16]) -> Result<(DumpName, NameForm), Invalid> {
        let len = name
            .iter()
            .position(|&w| w == 0)
            .filter(|&l| l < DUMP_NAME_LEN)
            .ok_or(Invalid::TooLong)?;
        let mut ascii = [0u8; DUMP_NAME_LEN];
        for (a, &w) in ascii.iter_mut().zip(name.iter().take(len)) {
            *a = u8::try_from(w)
                .ok()
                .filter(|c| c.is_ascii_graphic())
                .ok_or(Invalid::NotAscii)?;
        }
        let text = ascii.get(..len).ok_or(Invalid::TooLong)?;
        if let Some((v, _)) = Self::parse_dense(text) {
            if Self::dense_version(v).is_none() {
                return Err(Invalid::Version);
            }
        }
        let (dn, form) = Self::parse(text).ok_or(Invalid::Malformed)?;
        if form == NameForm::Current && !matches!(text.last(), Some(b'C' | b'D')) {
            return Err(Invalid::Flag);
        }
        dn.check()?;
        let mut again = [0u8; DUMP_NAME_LEN];
        let n = dn.encode_form(form, &mut again);
        if again.get(..n) != Some(text) {
            return Err(Invalid::NotCanonical);
        }
        Ok((dn, form))
    }

    /// Checks the fields against what pstore writers produce.
    pub fn check(&self) -> Result<(), Invalid> {
        if self.record_type >= TYPE_MAX {
            return Err(Invalid::Type);
        }
        if self.part == 0 || self.part > PART_MAX {
            return Err(Invalid::Part);
        }
        if self.count < 0 {
            return Err(Invalid::Count);
        }
        if !(0..=TIME_MAX).contains(&self.time) {
            return Err(Invalid::Time);
        }
        if (self.compressed || self.is_dense()) && self.record_type != TYPE_DMESG {
            return Err(Invalid::CompressedType);
        }
        Ok(())
    }

    /// Whether this is a part of a dense dump.
    pub fn is_dense(&self) -> bool {
        self.dense != 0
    }

    /// The dense format version `v` of a name, if this code reads it.
    fn dense_version(v: u32) -> Option<u8> {
        u8::try_from(v)
            .ok()
            .filter(|&v| crate::dense::known_version(v))
    }

    /// A dense name of any version: the version and the name (whose
    /// `dense` is the version if this code reads it, else 0).
    fn parse_dense(name: &[u8]) -> Option<(u32, DumpName)> {
        let mut s = Scanner { s: name, pos: 0 };
        s.literal(DENSE_PREFIX)?;
        let version = s.uint()?;
        s.literal(DENSE_TYPE)?;
        let mut dn = Self::type_part_count_time(&mut s)?;
        s.end()?;
        dn.dense = Self::dense_version(version).unwrap_or(0);
        Some((version, dn))
    }

    /// `%u-%u-%d-%llu` (type, part, count, seconds), the fields of the
    /// current and the dense forms, as a record neither compressed nor
    /// dense.
    fn type_part_count_time(s: &mut Scanner<'_>) -> Option<DumpName> {
        let record_type = s.uint()?;
        s.literal(b"-")?;
        let part = s.uint()?;
        s.literal(b"-")?;
        let count = s.int()?;
        s.literal(b"-")?;
        let time = s.ulonglong()?;
        Some(DumpName {
            record_type,
            part,
            count,
            time,
            compressed: false,
            dense: 0,
        })
    }

    fn parse_current(name: &[u8], with_flag: bool) -> Option<DumpName> {
        let mut s = Scanner { s: name, pos: 0 };
        s.literal(PREFIX)?;
        let mut dn = Self::type_part_count_time(&mut s)?;
        if with_flag {
            s.literal(b"-")?;
            dn.compressed = s.any_char()? == b'C';
        }
        s.end()?;
        Some(dn)
    }

    fn parse_old(name: &[u8]) -> Option<DumpName> {
        let mut s = Scanner { s: name, pos: 0 };
        s.literal(PREFIX)?;
        let record_type = s.uint()?;
        s.literal(b"-")?;
        let part = s.uint()?;
        s.literal(b"-")?;
        let time = s.ulonglong()?;
        s.end()?;
        Some(DumpName {
            record_type,
            part,
            count: 0,
            time,
            compressed: false,
            dense: 0,
        })
    }
}
