// SPDX-License-Identifier: GPL-2.0

//! Our variables in NVRAM, as the reader ([`crate::store`]) and the quota
//! ([`crate::flush`]) see them: a walk over their names ([`Names`]: one
//! `GetNextVariableName` per variable, nothing read), and what one of them
//! holds ([`PayloadCheck`]: read, checked, a dense part decoded).
//!
//! What NVRAM hands back is untrusted: a name is ours only if it is one of
//! the forms of `efi_name.rs`, canonical, every field in range; what fails
//! is skipped ([`skip`]: counted, one rate-limited line naming it as a
//! [`Ucs2Name`]). A variable of ours by name whose data is damaged is
//! [`Payload::Damaged`] only if it is a dense part with our header (magic
//! and version): ours by name and by content, so the reader lists it for
//! `rm` and the quota may evict it. Anything else that fails is
//! [`Payload::Foreign`]: never handed to pstore, never erased or evicted.
//!
//! Context: process only (pstore's callbacks and the flush work): it
//! allocates, and sleeps for the firmware.

use kernel::prelude::*;

use crate::dense::{self, PartHeader};
use crate::efi_name::{DumpName, NameForm, DUMP_NAME_LEN};
use crate::format::{DENSE_TEXT_FACTOR, TEXT_FACTOR};
use crate::lastwords;
use crate::lastwords::debugfs::bump;
use crate::lastwords::deflate::Inflate;
use crate::lastwords::efivar::{EfivarsGuard, VarNames, LINUX_EFI_CRASH_GUID};
use crate::lastwords::ratelimit::RateLimit;
use crate::params::RECORD_SIZE_MAX;
use crate::{READ_ERRORS, READ_SKIPPED};

/// UCS-2 characters of the name buffer an enumeration starts with (512
/// bytes, as the C backend uses); it grows for a longer name.
const ENUM_NAME_LEN: usize = 256;
/// Largest variable read back; a larger one is skipped.
const READ_MAX: usize = 65536;
/// Most text a dense part may hold, whatever `record_size` wrote it.
pub(crate) const DENSE_TEXT_MAX: usize = RECORD_SIZE_MAX as usize * DENSE_TEXT_FACTOR;
/// The longest preset dictionary of a dense format version (the window).
const DICT_MAX: usize = 32768;

/// Lines about skipped variables: untrusted input must not flood the log.
pub(crate) static SKIP_LOG: RateLimit = RateLimit::new();

/// A UCS-2 variable name for a log line: printable ASCII as is, anything
/// else as `?`, at most 80 characters.
pub(crate) struct Ucs2Name<'a>(pub(crate) &'a [u16]);

impl lastwords::fmt::Display for Ucs2Name<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        const SHOWN: usize = 80;
        let len = self.0.iter().position(|&c| c == 0).unwrap_or(self.0.len());
        for &c in self.0.iter().take(len.min(SHOWN)) {
            let ch = u8::try_from(c)
                .ok()
                .filter(|b| b.is_ascii_graphic() || *b == b' ')
                .map_or('?', char::from);
            f.write_fmt(format_args!("{}", ch))?;
        }
        if len > SHOWN {
            f.write_str("...")?;
        }
        Ok(())
    }
}

/// A variable under the crash GUID that was not taken: with `report`,
/// counted, with one rate-limited line naming it and why.
pub(crate) fn skip(report: bool, name: &[u16], why: &str) {
    if !report {
        return;
    }
    bump(&READ_SKIPPED);
    if SKIP_LOG.allow() {
        pr_warn!("skipped variable '{}': {}\n", Ucs2Name(name), why);
    }
}

/// One of our variables, by name: the name passed every check, so it is
/// exactly as the firmware holds it, `dn` encoded in `form`
/// ([`Found::new`] gives it back from the two).
#[derive(Clone, Copy)]
pub(crate) struct Found {
    pub(crate) dn: DumpName,
    pub(crate) form: NameForm,
    pub(crate) name: [u16; DUMP_NAME_LEN],
}

impl Found {
    /// The variable named `dn` in `form`: names are canonical, so a name
    /// the walk found is rebuilt from its fields without keeping it.
    pub(crate) fn new(dn: DumpName, form: NameForm) -> Self {
        let mut ascii = [0u8; DUMP_NAME_LEN];
        dn.encode_form(form, &mut ascii);
        let mut name = [0u16; DUMP_NAME_LEN];
        for (o, a) in name.iter_mut().zip(ascii.iter()) {
            *o = u16::from(*a);
        }
        Self { dn, form, name }
    }
}

/// A walk over the names of our variables: foreign GUIDs passed over,
/// names that are not ours skipped ([`skip`]). Nothing is read.
pub(crate) struct Names {
    vars: VarNames,
    /// The reader reports what it skips; the quota's walks, which run after
    /// every flush and pmsg write, stay quiet.
    report: bool,
}

impl Names {
    /// A walk from the first variable. Process context (allocates).
    pub(crate) fn new(report: bool) -> Result<Self> {
        Ok(Self {
            vars: VarNames::new(ENUM_NAME_LEN)?,
            report,
        })
    }

    /// The next variable of ours. `Ok(None)` at the end; an error if the
    /// firmware broke the enumeration (a repeated or unterminated name, too
    /// many variables): what was seen is then not all there is.
    pub(crate) fn next(&mut self, g: &EfivarsGuard) -> Result<Option<Found>> {
        loop {
            if !self.vars.next(g)? {
                return Ok(None);
            }
            if *self.vars.guid() != LINUX_EFI_CRASH_GUID {
                continue;
            }
            let name = self.vars.name();
            match DumpName::parse_ucs2_checked(name) {
                // Canonical (checked by the parse): the name is `dn`'s
                // encoding in `form`.
                Ok((dn, form)) => return Ok(Some(Found::new(dn, form))),
                Err(why) => skip(self.report, name, why.as_str()),
            }
        }
    }
}

/// What one of our variables holds ([`PayloadCheck::read`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Payload {
    /// A record pstore can take, of this many bytes
    /// ([`PayloadCheck::data`]: a dense part's text, else the data).
    Record(usize),
    /// A dense part with our header that does not decode (why): ours, so
    /// erasable by the reader's `rm` and evictable by the quota.
    Damaged(&'static str),
    /// Not a record, and not known to be ours: left alone.
    Foreign,
}

/// Reads a record's data and checks it, for the reader and the quota's
/// walk alike (process context; allocated per session or walk).
pub(crate) struct PayloadCheck {
    /// A variable's data.
    scratch: VVec<u8>,
    /// A compressed record is inflated here first: data that is not a raw
    /// deflate stream, or that inflates to more than any record size's
    /// readers take (`3 * RECORD_SIZE_MAX`), is neither handed to pstore
    /// nor counted as a record. A record written with a larger
    /// `record_size` than this boot's inflates here, and pstore shows it
    /// as it is (`.enc.z`), to be read or deleted.
    inflate: Inflate,
    inflated: VVec<u8>,
    /// A dense part inflates here, after a copy of its dictionary
    /// ([`Inflate::decompress_preset`]), and its text is put in
    /// `dense_text` ([`dense::decode_part`], version 2's lines decoded);
    /// [`PayloadCheck::data`] then gives `dense_text[..dense_len]`.
    dense: VVec<u8>,
    dense_text: VVec<u8>,
    dense_len: Option<usize>,
    /// Bytes of the last variable read (what it takes in NVRAM, less the
    /// firmware's own header and the name).
    var_size: usize,
}

impl PayloadCheck {
    /// Its buffers: about 700 KiB (vmalloc). Process context.
    pub(crate) fn new() -> Result<Self> {
        Ok(Self {
            scratch: VVec::from_elem(0u8, READ_MAX, GFP_KERNEL)?,
            inflate: Inflate::new()?,
            inflated: VVec::from_elem(0u8, RECORD_SIZE_MAX as usize * TEXT_FACTOR, GFP_KERNEL)?,
            dense: VVec::from_elem(0u8, DICT_MAX + DENSE_TEXT_MAX, GFP_KERNEL)?,
            dense_text: VVec::from_elem(0u8, DENSE_TEXT_MAX, GFP_KERNEL)?,
            dense_len: None,
            var_size: 0,
        })
    }

    /// Decodes the dense part `data_len` bytes long in `scratch` into
    /// `self.dense_text`: its text's length, or what is wrong with it.
    fn decode_dense(
        &mut self,
        data_len: usize,
        dn: &DumpName,
    ) -> core::result::Result<usize, dense::Damage> {
        let raw = self.scratch.get(..data_len).ok_or(dense::Damage::Short)?;
        let inflate = &mut self.inflate;
        dense::decode_part(
            raw,
            dn,
            DENSE_TEXT_MAX,
            &mut self.dense,
            &mut self.dense_text,
            |dict, data, buf| inflate.decompress_preset(dict, data, buf),
        )
    }

    /// Reads the variable `f` into `scratch` with one `GetVariable`: its
    /// length, or `None` if it cannot be read or is empty or larger than
    /// any record (skipped, with a line if `report`).
    fn fetch(&mut self, g: &EfivarsGuard, f: &Found, report: bool) -> Option<usize> {
        self.dense_len = None;
        self.var_size = 0;
        match g.get_variable(&f.name, &LINUX_EFI_CRASH_GUID, &mut self.scratch) {
            Ok(0) => {
                skip(report, &f.name, "empty");
                None
            }
            Ok(n) if n <= self.scratch.len() => {
                self.var_size = n;
                Some(n)
            }
            Ok(_) => {
                skip(report, &f.name, "larger than any record");
                None
            }
            // 6.12's kernel crate has no `ENOBUFS` to match.
            Err(e) if e.to_errno() == -(kernel::bindings::ENOBUFS as i32) => {
                skip(report, &f.name, "larger than any record");
                None
            }
            Err(e) => {
                bump(&READ_ERRORS);
                skip(report, &f.name, "read failed");
                pr_debug!("read: {:?}\n", e);
                None
            }
        }
    }

    /// For the reader's budget: reads the dense part `f` and parses its
    /// header only. The text length it claims (`Ok`), or, for a part of
    /// ours (magic and version) whose header is damaged, why (`Err`);
    /// `None` for anything else (skipped, with a line).
    pub(crate) fn claimed_text(
        &mut self,
        g: &EfivarsGuard,
        f: &Found,
    ) -> Option<core::result::Result<usize, &'static str>> {
        let n = self.fetch(g, f, true)?;
        let raw = self.scratch.get(..n)?;
        match PartHeader::parse(raw, DENSE_TEXT_MAX) {
            Ok((h, _)) => usize::try_from(h.text_len).ok().map(Ok),
            Err(why) => {
                skip(true, &f.name, why.as_str());
                PartHeader::is_ours(raw, f.dn.dense).then_some(Err(why.as_str()))
            }
        }
    }

    /// Reads the variable `f` and checks it: a record pstore can take
    /// ([`PayloadCheck::data`]), a damaged part of ours, or neither. What
    /// is not a record is skipped (with a line if `report`).
    pub(crate) fn read(&mut self, g: &EfivarsGuard, f: &Found, report: bool) -> Payload {
        let Some(n) = self.fetch(g, f, report) else {
            return Payload::Foreign;
        };
        if f.dn.is_dense() {
            return match self.decode_dense(n, &f.dn) {
                Ok(len) => {
                    self.dense_len = Some(len);
                    Payload::Record(len)
                }
                Err(why) => {
                    skip(report, &f.name, why.as_str());
                    match self
                        .scratch
                        .get(..n)
                        .map(|raw| PartHeader::is_ours(raw, f.dn.dense))
                    {
                        Some(true) => Payload::Damaged(why.as_str()),
                        _ => Payload::Foreign,
                    }
                }
            };
        }
        if f.dn.compressed {
            let data = self.scratch.get(..n).unwrap_or(&[]);
            if self.inflate.decompress(data, &mut self.inflated).is_none() {
                skip(report, &f.name, "compressed data does not inflate");
                return Payload::Foreign;
            }
        }
        Payload::Record(n)
    }

    /// The bytes [`PayloadCheck::read`] returned the length of: a dense
    /// part's decoded text, else the variable's data.
    pub(crate) fn data(&self, n: usize) -> Option<&[u8]> {
        match self.dense_len {
            Some(len) if len == n => self.dense_text.get(..n),
            _ => self.scratch.get(..n),
        }
    }

    /// The size of the variable the last [`PayloadCheck::read`] read: its
    /// data in NVRAM (a dense part's data, not its decoded text); 0 if it
    /// could not be read.
    pub(crate) fn stored_size(&self) -> usize {
        self.var_size
    }
}
