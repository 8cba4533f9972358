// SPDX-License-Identifier: GPL-2.0

//! Dense records: the payload of each part of a dense dump (the variable
//! name is `efi_name.rs`'s `lw-dense2-...` form, `lw-dense1-...` for
//! version 1), and how the reader checks it and puts a dump's parts back
//! together.
//!
//! A part is a 12-byte header, then the part's text, deflated on its own
//! (raw deflate, window 15) after the preset dictionary of its version
//! (`dict/kmsg1.dict`, `dict/kmsg2.dict`), or stored as is:
//!
//! ```text
//! offset  size  field
//!      0     2  magic "LW"
//!      2     1  version (2; 1 is still read)
//!      3     1  method: 0 stored,
//!                       1 deflate with the version's dictionary (version 2:
//!                         of the text coded by `line_codec.rs`),
//!                       2 deflate with the dictionary, not coded (version 2
//!                         only: text the codec refused)
//!                       3 deflate of the coded text after the alternate
//!                         dictionary, version 1's (version 2 only: the
//!                         writer keeps whichever of 1 and 3 is smaller)
//!      4     4  text length, little endian
//!      8     4  CRC-32 (IEEE 802.3, as zlib's crc32()) of the text, LE
//!     12        the data
//! ```
//!
//! The length and the CRC are the text's, as the reader gives it back (not
//! the coded text's).
//!
//! The text is what a C-compatible part holds: the header line pstore
//! writes (`Panic#1 Part3`) and the log lines. Each part decodes alone, so
//! that a dump cut off (NVRAM full, power cut, busy firmware) or damaged
//! keeps every part that was stored whole; the CRC catches what inflating
//! alone would pass (a bit flip inside a stored block or a literal).
//!
//! Pure logic: nothing here allocates, panics or takes a lock; the kernel
//! module runs the same code (`#[path]`) on its read path, and its dump path
//! uses [`PartHeader::encode`] and [`crc32`] only.

/// The format version of the parts written.
pub const VERSION: u8 = 2;
/// The first format version, still read.
pub const VERSION_1: u8 = 1;

/// Whether parts of format version `v` are read.
pub const fn known_version(v: u8) -> bool {
    v == VERSION || v == VERSION_1
}

/// The preset dictionary of format version `version` (kernel log lines:
/// `scripts/dict-build.py`, Documentation/efi_pstore.rst), or `None` for a
/// version this code does not know. A new dictionary is a new format
/// version: parts written with another one would not decode.
pub fn dictionary(version: u8) -> Option<&'static [u8]> {
    match version {
        VERSION_1 => Some(DICT_1),
        VERSION => Some(DICT_2),
        _ => None,
    }
}

/// The alternate dictionary of version 2 parts (method 3): version 1's,
/// built from this project's VM logs, which knows a QEMU guest's devices
/// where version 2's, built from real machines' logs, knows real hardware.
/// The writer deflates each coded part after both and keeps the smaller.
pub fn alt_dictionary() -> &'static [u8] {
    DICT_1
}

/// The dictionary of version 1 (built from this project's VM logs).
static DICT_1: &[u8] = include_bytes!("../dict/kmsg1.dict");
/// The dictionary of version 2 (built from real machines' logs).
static DICT_2: &[u8] = include_bytes!("../dict/kmsg2.dict");
/// Bytes of [`PartHeader`] at the start of every part.
pub const HEADER_LEN: usize = 12;
/// The header's magic bytes.
pub const MAGIC: [u8; 2] = *b"LW";

/// How a part's text is stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// As is (text that does not compress into the part).
    Stored,
    /// Raw deflate after the version's dictionary; in version 2, of the
    /// text coded by `line_codec.rs`.
    Deflate,
    /// Version 2: raw deflate after the dictionary, the text not coded (the
    /// codec refused it).
    DeflateUncoded,
    /// Version 2: raw deflate of the coded text after the alternate
    /// dictionary ([`alt_dictionary`]).
    DeflateAlt,
}

impl Method {
    fn to_byte(self) -> u8 {
        match self {
            Method::Stored => 0,
            Method::Deflate => 1,
            Method::DeflateUncoded => 2,
            Method::DeflateAlt => 3,
        }
    }

    fn from_byte(b: u8, version: u8) -> Option<Self> {
        match (b, version) {
            (0, _) => Some(Method::Stored),
            (1, _) => Some(Method::Deflate),
            (2, VERSION) => Some(Method::DeflateUncoded),
            (3, VERSION) => Some(Method::DeflateAlt),
            _ => None,
        }
    }
}

/// The header of a dense part.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PartHeader {
    /// The format version ([`VERSION`] for parts written).
    pub version: u8,
    /// How the data holds the text.
    pub method: Method,
    /// Bytes of text the data decodes to.
    pub text_len: u32,
    /// [`crc32`] of that text.
    pub crc: u32,
}

/// Why a part was not decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Damage {
    /// Shorter than its header.
    Short,
    /// Does not start with [`MAGIC`].
    Magic,
    /// A format version other than [`VERSION`].
    Version,
    /// A method this version does not define.
    Method,
    /// Claims more text than any part holds (`max_text`).
    TooLong,
    /// Stored text whose length is not the header's.
    Length,
    /// The data does not decode (the caller inflates).
    Inflate,
    /// The text decoded is not as long as the header says, or its CRC
    /// differs.
    Crc,
    /// The text's header line names another part than the variable's name
    /// (parts swapped or renamed).
    Part,
    /// The header's format version is not the one its name gives.
    NameVersion,
    /// Version 2 coded text that `line_codec.rs` does not decode.
    Coded,
}

impl Damage {
    /// A few words for a log line.
    pub fn as_str(self) -> &'static str {
        match self {
            Damage::Short => "dense part shorter than its header",
            Damage::Magic => "dense part without its magic",
            Damage::Version => "dense part of an unknown format version",
            Damage::Method => "dense part of an unknown method",
            Damage::TooLong => "dense part claims more text than a part holds",
            Damage::Length => "stored dense part of the wrong length",
            Damage::Inflate => "dense part does not inflate",
            Damage::Crc => "dense part fails its CRC",
            Damage::Part => "dense part's text is another part's",
            Damage::NameVersion => "dense part of another format version than its name",
            Damage::Coded => "dense part's coded lines do not decode",
        }
    }
}

impl PartHeader {
    /// Writes the header into `out`.
    pub fn encode(&self, out: &mut [u8; HEADER_LEN]) {
        let [m0, m1] = MAGIC;
        let [l0, l1, l2, l3] = self.text_len.to_le_bytes();
        let [c0, c1, c2, c3] = self.crc.to_le_bytes();
        *out = [
            m0,
            m1,
            self.version,
            self.method.to_byte(),
            l0,
            l1,
            l2,
            l3,
            c0,
            c1,
            c2,
            c3,
        ];
    }

    /// Parses the header of `part` (a variable's whole data, untrusted):
    /// the header and the data after it. A text longer than `max_text` is
    /// [`Damage::TooLong`]; stored data must be exactly the text.
    pub fn parse(part: &[u8], max_text: usize) -> Result<(PartHeader, &[u8]), Damage> {
        if part.len() < HEADER_LEN {
            return Err(Damage::Short);
        }
        let (h, data) = part.split_at(HEADER_LEN);
        let &[m0, m1, version, method, l0, l1, l2, l3, c0, c1, c2, c3] = h else {
            return Err(Damage::Short);
        };
        if [m0, m1] != MAGIC {
            return Err(Damage::Magic);
        }
        if !known_version(version) {
            return Err(Damage::Version);
        }
        let method = Method::from_byte(method, version).ok_or(Damage::Method)?;
        let text_len = u32::from_le_bytes([l0, l1, l2, l3]);
        let crc = u32::from_le_bytes([c0, c1, c2, c3]);
        if usize::try_from(text_len).map_or(true, |l| l > max_text) {
            return Err(Damage::TooLong);
        }
        if method == Method::Stored && usize::try_from(text_len).ok() != Some(data.len()) {
            return Err(Damage::Length);
        }
        Ok((
            PartHeader {
                version,
                method,
                text_len,
                crc,
            },
            data,
        ))
    }

    /// Whether `part` (a variable's whole data) starts as every part of
    /// ours of format version `version` does: [`MAGIC`] and that version.
    /// A part that does so but does not decode is ours and damaged (a power
    /// cut, a bit flip): ours by name and by content, so the reader may
    /// offer it for erasing.
    pub fn is_ours(part: &[u8], version: u8) -> bool {
        known_version(version)
            && matches!(part, [m0, m1, v, ..] if [*m0, *m1] == MAGIC && *v == version)
    }

    /// Checks the text a part decoded to against the header.
    pub fn check(&self, text: &[u8]) -> Result<(), Damage> {
        if usize::try_from(self.text_len).ok() != Some(text.len()) || crc32(text) != self.crc {
            return Err(Damage::Crc);
        }
        Ok(())
    }
}

/// Decodes the dense part `raw` (a variable's whole data, untrusted) whose
/// name is `dn` (its format version, dump count and part): puts its text in
/// `text` and returns its length, or says what is wrong.
///
/// `inflate(dict, data, buf)` inflates raw deflate `data` after the preset
/// dictionary `dict` into `buf` and returns where the output is in `buf`
/// (the kernel's zlib has no `inflateSetDictionary()`: the module inflates
/// after a copy of the dictionary in `buf`), `None` if it does not inflate
/// or does not fit. `buf` must hold what the caller's inflate needs for
/// `max_text` bytes of output; `text` at least `max_text` bytes. Every
/// check of a part is here: header, version against the name, length, CRC,
/// the header line against the name.
pub fn decode_part<F>(
    raw: &[u8],
    dn: &crate::efi_name::DumpName,
    max_text: usize,
    buf: &mut [u8],
    text: &mut [u8],
    inflate: F,
) -> Result<usize, Damage>
where
    F: FnOnce(&'static [u8], &[u8], &mut [u8]) -> Option<core::ops::Range<usize>>,
{
    let (h, data) = PartHeader::parse(raw, max_text)?;
    if h.version != dn.dense {
        return Err(Damage::NameVersion);
    }
    let dict = dictionary(h.version).ok_or(Damage::Version)?;
    let n = match h.method {
        Method::Stored => {
            text.get_mut(..data.len())
                .ok_or(Damage::TooLong)?
                .copy_from_slice(data);
            data.len()
        }
        Method::Deflate | Method::DeflateAlt if h.version == VERSION => {
            let dict = if h.method == Method::DeflateAlt {
                alt_dictionary()
            } else {
                dict
            };
            let r = inflate(dict, data, buf).ok_or(Damage::Inflate)?;
            let coded = buf.get(r).ok_or(Damage::Inflate)?;
            let room = text.len().min(max_text);
            crate::line_codec::decode(coded, text.get_mut(..room).ok_or(Damage::TooLong)?)
                .map_err(|_| Damage::Coded)?
        }
        Method::Deflate | Method::DeflateUncoded | Method::DeflateAlt => {
            let r = inflate(dict, data, buf).ok_or(Damage::Inflate)?;
            let inflated = buf.get(r).ok_or(Damage::Inflate)?;
            text.get_mut(..inflated.len())
                .ok_or(Damage::TooLong)?
                .copy_from_slice(inflated);
            inflated.len()
        }
    };
    let t = text.get(..n).ok_or(Damage::Crc)?;
    h.check(t)?;
    if !names_part(t, dn.count, dn.part) {
        return Err(Damage::Part);
    }
    Ok(n)
}

/// The CRC-32 table (reflected polynomial 0xedb88320), built at compile time.
const CRC_TABLE: [u32; 256] = {
    let mut t = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 {
                0xedb8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
            k += 1;
        }
        t[i] = c;
        i += 1;
    }
    t
};

/// CRC-32 of `data` as zlib's `crc32(0, data, len)` computes it.
pub fn crc32(data: &[u8]) -> u32 {
    let mut c = !0u32;
    for &b in data {
        // The index is below 256: a byte.
        c = CRC_TABLE[usize::from((c as u8) ^ b)] ^ (c >> 8);
    }
    !c
}

/// Whether the header line of `text` (`Panic#1 Part3`) names dump `count`
/// and part `part`, as the writer puts it: a part moved to another part's
/// or another dump's name fails.
pub fn names_part(text: &[u8], count: i32, part: u32) -> bool {
    let (line, _) = split_header(text);
    let Some(line) = line.strip_suffix(b"\n") else {
        return false;
    };
    let mut want = [0u8; 32];
    let mut w = crate::fixed_buf::FixedBuf::new(&mut want[..]);
    let _ = core::fmt::Write::write_fmt(&mut w, format_args!("#{} Part{}", count, part));
    // The reason before `#` is a word (`Panic`, `Oops`, ...).
    !w.truncated()
        && line.ends_with(w.as_bytes())
        && line
            .len()
            .checked_sub(w.as_bytes().len())
            .and_then(|n| line.get(..n))
            .is_some_and(|reason| !reason.is_empty() && reason.iter().all(u8::is_ascii_alphabetic))
}

/// A part's text split into its header line (`Panic#1 Part3\n`, newline
/// included) and the log after it. Text without a newline is all log.
pub fn split_header(text: &[u8]) -> (&[u8], &[u8]) {
    match text.iter().position(|&b| b == b'\n') {
        Some(nl) => text.split_at(nl + 1),
        None => (&[], text),
    }
}

/// Puts a dump's parts back in log order as they come, oldest (highest part
/// number) first, without holding more than one: the reader's side of
/// [`assemble`]. Feed it every part the reader knows of, in decreasing part
/// order ([`Assembler::part`]: decoded or not), then [`Assembler::finish`];
/// it says where [`gap_line`]s go. A part number not below the previous one
/// (a duplicate, or out of order) is refused.
#[derive(Debug, Default)]
pub struct Assembler {
    /// The part that should come next, counting down to 1: at first the
    /// highest part found, damaged or not. `None` before the first part.
    expect: Option<u32>,
    /// The last part fed (to refuse duplicates and disorder).
    last: Option<u32>,
    /// Parts decoded so far.
    decoded: usize,
}

impl Assembler {
    /// An assembler before the dump's first (oldest) part.
    pub const fn new() -> Self {
        Self {
            expect: None,
            last: None,
            decoded: 0,
        }
    }

    /// Part `part` comes next: decoded (its log follows, `emit` gets a gap
    /// before it if parts between are missing) or not (damaged, or left out:
    /// it counts toward the gap). Returns `false`, and changes nothing, for
    /// a part number that is not below the previous one.
    pub fn part<'a>(&mut self, part: u32, decoded: bool, mut emit: impl FnMut(Piece<'a>)) -> bool {
        if self.last.is_some_and(|l| part >= l) || part == 0 {
            return false;
        }
        self.last = Some(part);
        if self.expect.is_none() {
            self.expect = Some(part);
        }
        if decoded {
            if let Some(e) = self.expect.filter(|&e| part < e) {
                emit(Piece::Gap(part.saturating_add(1), e));
            }
            self.decoded = self.decoded.saturating_add(1);
            self.expect = part.checked_sub(1);
        }
        true
    }

    /// No more parts: `emit` gets the gap down to part 1, if parts are
    /// missing there. Returns the number of parts decoded.
    pub fn finish<'a>(self, mut emit: impl FnMut(Piece<'a>)) -> usize {
        if let Some(e) = self.expect.filter(|&e| e >= 1) {
            emit(Piece::Gap(1, e));
        }
        self.decoded
    }
}

/// The dense parts of one dump, as the reader found them, put back in log
/// order: the header line of the newest part found, then the logs of the
/// parts from the oldest (highest part number) to the newest, with one
/// [`gap_line`] where parts are missing or damaged. A part number given
/// twice counts once (its first text).
///
/// `parts` holds `(part number, Some(text) | None for damaged)` in any
/// order; `emit` receives the pieces of the record in order. Returns the
/// number of parts decoded.
pub fn assemble<'a>(
    parts: &mut [(u32, Option<&'a [u8]>)],
    mut emit: impl FnMut(Piece<'a>),
) -> usize {
    // Highest part first (and, for one number, a text before a damaged
    // copy). An insertion sort: a dump has few parts, and core's sort
    // brings code objtool cannot follow into the module.
    for i in 1..parts.len() {
        let mut j = i;
        while j > 0 {
            match (parts.get(j - 1), parts.get(j)) {
                (Some(a), Some(b))
                    if a.0 < b.0 || (a.0 == b.0 && a.1.is_none() && b.1.is_some()) =>
                {
                    parts.swap(j - 1, j)
                }
                _ => break,
            }
            j -= 1;
        }
    }
    let newest = parts
        .iter()
        .rev()
        .find_map(|(_, t)| t.map(|t| split_header(t).0));
    if let Some(h) = newest {
        emit(Piece::Text(h));
    }
    let mut a = Assembler::new();
    for &(part, text) in parts.iter() {
        if a.part(part, text.is_some(), &mut emit) {
            if let Some(t) = text {
                emit(Piece::Text(split_header(t).1));
            }
        }
    }
    a.finish(emit)
}

/// A piece of an assembled dump.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Piece<'a> {
    /// Text as is.
    Text(&'a [u8]),
    /// Parts `from..=to` are missing or damaged: see [`gap_line`].
    Gap(u32, u32),
}

/// The line that stands for missing or damaged parts `from..=to` in an
/// assembled dump (`w` gets it), so that a reader sees where the log breaks.
pub fn gap_line(w: &mut impl core::fmt::Write, from: u32, to: u32) -> core::fmt::Result {
    if from == to {
        writeln!(
            w,
            "lw_efi_pstore: part {} of this dump is missing or damaged",
            from
        )
    } else {
        writeln!(
            w,
            "lw_efi_pstore: parts {}-{} of this dump are missing or damaged",
            from, to
        )
    }
}
