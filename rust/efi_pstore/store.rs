// SPDX-License-Identifier: GPL-2.0

//! Reading and erasing records through pstore: the backend ([`EfiPstore`],
//! pstore's `open`/`read`/`close`, `erase`, and `write` for pmsg), and the
//! checked walk over our variables ([`Walk`]) that the reader and the
//! quota's eviction (`flush.rs`) share.
//!
//! What it reads back from NVRAM is untrusted: every name and payload is
//! checked ([`Walk`], [`PayloadCheck`]), and what fails is skipped
//! ([`skip`]: counted, one rate-limited line naming it as a [`Ucs2Name`]),
//! never handed to pstore, never erased or evicted.
//!
//! Context: process only (pstore's callbacks, with pstore's locks held, and
//! the flush work): it allocates, and sleeps for the efivars lock and the
//! firmware. Nothing here runs on the panic path.

use kernel::new_mutex;
use kernel::prelude::*;
use kernel::sync::{Arc, Mutex};

use crate::dense::{self, Method, PartHeader, Piece};
use crate::efi_name::{DumpName, DUMP_NAME_LEN};
use crate::format::{self, DENSE_TEXT_FACTOR, KMSG_DICT, PMSG_SEQ_WRAP, TEXT_FACTOR};
use crate::lastwords;
use crate::lastwords::debugfs::bump;
use crate::lastwords::deflate::Inflate;
use crate::lastwords::efivar::{
    EfiStatus, EfivarsGuard, VarNames, ATTR_NV_BS_RT, LINUX_EFI_CRASH_GUID,
};
use crate::lastwords::pstore::{self, Backend, EraseRecord, ReadRecord, WriteRecord};
use crate::lastwords::ratelimit::RateLimit;
use crate::params::{enabled, RECORD_SIZE_MAX};
use crate::writer::Writer;
use crate::{
    ERASED, PMSG_TOO_BIG, READ, READ_ERRORS, READ_SKIPPED, SKIPPED, WRITE_ERRORS, WRITTEN,
};

/// UCS-2 characters of the name buffer an enumeration starts with (512
/// bytes, as the C backend uses); it grows for a longer name.
const ENUM_NAME_LEN: usize = 256;
/// Largest variable read back; a larger one is skipped.
const READ_MAX: usize = 65536;

/// Lines about skipped variables: untrusted input must not flood the log.
pub(crate) static SKIP_LOG: RateLimit = RateLimit::new();

/// A UCS-2 variable name for a log line: printable ASCII as is, anything
/// else as `?`, at most 80 characters.
struct Ucs2Name<'a>(&'a [u16]);

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

/// A variable under the crash GUID that a walk did not accept: with
/// `report`, counted, with one rate-limited line naming it and why.
fn skip(report: bool, name: &[u16], why: &str) {
    if !report {
        return;
    }
    bump(&READ_SKIPPED);
    if SKIP_LOG.allow() {
        pr_warn!("skipped variable '{}': {}\n", Ucs2Name(name), why);
    }
}

/// One of our records, as the firmware's enumeration finds it: the name
/// passed every check, so it is exactly as the firmware holds it.
pub(crate) struct Found {
    pub(crate) dn: DumpName,
    pub(crate) name: [u16; DUMP_NAME_LEN],
}

/// A walk over our records in NVRAM that checks every name and payload:
/// invalid ones are skipped (see [`skip`]), foreign GUIDs passed over.
/// Process context; allocated per walk.
pub(crate) struct Walk {
    vars: VarNames,
    check: PayloadCheck,
    /// The reader reports what it skips; the quota's walks, which run after
    /// every flush and pmsg write, stay quiet.
    report: bool,
}

impl Walk {
    pub(crate) fn new(report: bool) -> Result<Self> {
        Ok(Self {
            vars: VarNames::new(ENUM_NAME_LEN)?,
            check: PayloadCheck::new()?,
            report,
        })
    }

    /// The next record that passes every check, and the length of its data
    /// ([`PayloadCheck::data`]). `Ok(None)` at the end; an error if the
    /// firmware broke the enumeration (a repeated or unterminated name, too
    /// many variables): what was seen is then not all there is.
    pub(crate) fn next(&mut self, g: &EfivarsGuard) -> Result<Option<(Found, usize)>> {
        self.next_where(g, |_| true)
    }

    /// The size of the variable the last [`Walk::next`] returned: its
    /// data in NVRAM (a dense part's data, not its decoded text).
    pub(crate) fn stored_size(&self) -> usize {
        self.check.var_size
    }

    /// Like [`Walk::next`], for the records whose name `want` accepts: the
    /// others are passed over unread and unreported.
    pub(crate) fn next_where(
        &mut self,
        g: &EfivarsGuard,
        want: impl Fn(&DumpName) -> bool,
    ) -> Result<Option<(Found, usize)>> {
        loop {
            if !self.vars.next(g)? {
                return Ok(None);
            }
            if *self.vars.guid() != LINUX_EFI_CRASH_GUID {
                continue;
            }
            let name = self.vars.name();
            let f = match DumpName::parse_ucs2_checked(name) {
                Ok((dn, _form)) => {
                    let mut n = [0u16; DUMP_NAME_LEN];
                    // Checked: at most DUMP_NAME_LEN characters, NUL
                    // included.
                    for (d, s) in n.iter_mut().zip(name.iter()) {
                        *d = *s;
                    }
                    Found { dn, name: n }
                }
                Err(why) => {
                    skip(self.report, name, why.as_str());
                    continue;
                }
            };
            if !want(&f.dn) {
                continue;
            }
            if let Some(n) = self.check.read(g, &f, self.report) {
                return Ok(Some((f, n)));
            }
        }
    }
}

/// A read iteration: holds the efivars lock from `open` to `close`. Dropping
/// it (on close, or on any error building it) releases the lock.
struct Session {
    lock: EfivarsGuard,
    walk: Walk,
    /// Type and id of every record handed out: pstore makes one file per
    /// id, a second record with the same one is skipped.
    ids: KVec<(u32, u64)>,
    /// Count and time of every dense dump handed out (as one record).
    dense_dumps: KVec<(i32, i64)>,
}

/// Reads a record's data and checks it, for the reader and the quota's
/// walk alike (process context; allocated per walk).
struct PayloadCheck {
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
    /// A dense part decodes here, after the dictionary
    /// ([`Inflate::decompress_preset`]); [`PayloadCheck::data`] then gives
    /// its text, at `dense_text`.
    dense: VVec<u8>,
    dense_text: Option<core::ops::Range<usize>>,
    /// Bytes of the last variable read (what it takes in NVRAM, less the
    /// firmware's own header and the name).
    var_size: usize,
}

/// Most text a dense part may hold, whatever `record_size` wrote it.
const DENSE_TEXT_MAX: usize = RECORD_SIZE_MAX as usize * DENSE_TEXT_FACTOR;

impl PayloadCheck {
    fn new() -> Result<Self> {
        Ok(Self {
            scratch: VVec::from_elem(0u8, READ_MAX, GFP_KERNEL)?,
            inflate: Inflate::new()?,
            inflated: VVec::from_elem(0u8, RECORD_SIZE_MAX as usize * TEXT_FACTOR, GFP_KERNEL)?,
            dense: VVec::from_elem(0u8, KMSG_DICT.len() + DENSE_TEXT_MAX, GFP_KERNEL)?,
            dense_text: None,
            var_size: 0,
        })
    }

    /// Decodes the dense part `data` into `self.dense`: the range of its
    /// text, or what is wrong with it (its header line must name dump
    /// `dn_count` and `part`).
    fn decode_dense(
        &mut self,
        data_len: usize,
        dn_count: i32,
        part: u32,
    ) -> core::result::Result<core::ops::Range<usize>, dense::Damage> {
        let raw = self.scratch.get(..data_len).ok_or(dense::Damage::Short)?;
        let (h, data) = PartHeader::parse(raw, DENSE_TEXT_MAX)?;
        let range = match h.method {
            Method::Stored => {
                let dst = self
                    .dense
                    .get_mut(..data.len())
                    .ok_or(dense::Damage::TooLong)?;
                dst.copy_from_slice(data);
                0..data.len()
            }
            Method::Deflate => self
                .inflate
                .decompress_preset(KMSG_DICT, data, &mut self.dense)
                .ok_or(dense::Damage::Inflate)?,
        };
        let text = self.dense.get(range.clone()).ok_or(dense::Damage::Crc)?;
        h.check(text)?;
        if !dense::names_part(text, dn_count, part) {
            return Err(dense::Damage::Part);
        }
        Ok(range)
    }

    /// Reads the record `f` into [`PayloadCheck::data`] and returns its
    /// length if it is one pstore can take; else `None` (skipped, with a
    /// line if `report`).
    fn read(&mut self, g: &EfivarsGuard, f: &Found, report: bool) -> Option<usize> {
        let size = match g.variable_size(&f.name, &LINUX_EFI_CRASH_GUID) {
            Ok(n) => n,
            Err(e) => {
                bump(&READ_ERRORS);
                skip(report, &f.name, "size query failed");
                pr_debug!("size query: {:?}\n", e);
                return None;
            }
        };
        if size == 0 {
            skip(report, &f.name, "empty");
            return None;
        }
        if size > self.scratch.len() {
            skip(report, &f.name, "larger than any record");
            return None;
        }
        let n = match g.get_variable(&f.name, &LINUX_EFI_CRASH_GUID, &mut self.scratch) {
            Ok(n) if n == size => n,
            Ok(_) => {
                skip(report, &f.name, "size changed while read");
                return None;
            }
            Err(e) => {
                bump(&READ_ERRORS);
                skip(report, &f.name, "read failed");
                pr_debug!("read: {:?}\n", e);
                return None;
            }
        };
        self.dense_text = None;
        self.var_size = n;
        if f.dn.dense {
            match self.decode_dense(n, f.dn.count, f.dn.part) {
                Ok(r) => {
                    let len = r.len();
                    self.dense_text = Some(r);
                    return Some(len);
                }
                Err(why) => {
                    skip(report, &f.name, why.as_str());
                    return None;
                }
            }
        }
        if f.dn.compressed {
            let data = self.scratch.get(..n)?;
            if self.inflate.decompress(data, &mut self.inflated).is_none() {
                skip(report, &f.name, "compressed data does not inflate");
                return None;
            }
        }
        Some(n)
    }

    /// The data [`PayloadCheck::read`] returned the length of: a dense
    /// part's decoded text, else the variable's data.
    fn data(&self, n: usize) -> Option<&[u8]> {
        match &self.dense_text {
            Some(r) if r.len() == n => self.dense.get(r.clone()),
            _ => self.scratch.get(..n),
        }
    }
}

/// pmsg writes, the writer's process-context side (its dump path is in
/// `writer.rs`).
impl Writer {
    /// The largest pmsg write stored: what one dump may use
    /// (`kmsg_bytes`), at most the byte quota, and fewer chunks than the
    /// name's count field keeps apart within a second.
    fn pmsg_max(&self) -> usize {
        let quota = self.flusher.item().quota.bytes;
        let chunks = self.record_size.saturating_mul(PMSG_SEQ_WRAP as usize);
        let max = self.kmsg_bytes.min(chunks);
        if quota == 0 {
            max
        } else {
            max.min(quota)
        }
    }

    /// pmsg: process context (pstore's pmsg mutex is held), so it may sleep
    /// for the lock and the firmware. A write is stored as chunks of at most
    /// `record_size` bytes, one variable each, numbered by a per-boot
    /// sequence in the name's count field so that writes within the same
    /// second do not overwrite each other and read back in order.
    ///
    /// Bounded: a write larger than [`Writer::pmsg_max`] fails with `EFBIG`
    /// and stores nothing, and with a quota set, the quota is enforced after
    /// every write, so that a `/dev/pmsg0` writer cannot take more of the
    /// variable store than the quota allows.
    fn store_pmsg(&self, r: &WriteRecord<'_>) -> Result<u64> {
        if r.data.len() > self.pmsg_max() {
            bump(&PMSG_TOO_BIG);
            return Err(EFBIG);
        }
        let g = EfivarsGuard::lock()?;
        let mut first = None;
        for chunk in r.data.chunks(self.record_size) {
            let dn = format::next_pmsg_name(r.record_type, r.time);
            let name = format::ucs2_name(&dn);
            g.set_variable(&name, &LINUX_EFI_CRASH_GUID, ATTR_NV_BS_RT, chunk, false)
                .map_err(|(_, e)| e)?;
            bump(&WRITTEN);
            first.get_or_insert(dn.generic_id());
        }
        if self.flusher.item().quota.enabled() {
            self.flusher.item().enforce_quota_or_say(&g);
        }
        first.ok_or(EINVAL)
    }
}

/// The pstore backend.
#[pin_data]
pub(crate) struct EfiPstore {
    #[pin]
    session: Mutex<Option<Session>>,
    writer: Arc<Writer>,
}

impl EfiPstore {
    /// The backend, sharing `writer` for pmsg. Process context (module
    /// init).
    pub(crate) fn new(writer: Arc<Writer>) -> impl PinInit<Self, Error> {
        try_pin_init!(EfiPstore {
            session <- new_mutex!(None, "lw_efi_pstore::session"),
            writer,
        })
    }
}

impl Backend for EfiPstore {
    type Private = [u16; DUMP_NAME_LEN];

    fn open(&self) -> Result {
        // Allocate first: nothing is held if this fails.
        let walk = Walk::new(true)?;
        let lock = EfivarsGuard::lock()?;
        *self.session.lock() = Some(Session {
            lock,
            walk,
            ids: KVec::new(),
            dense_dumps: KVec::new(),
        });
        Ok(())
    }

    fn close(&self) {
        drop(self.session.lock().take());
    }

    fn read(&self) -> Result<Option<ReadRecord<Self::Private>>> {
        let mut guard = self.session.lock();
        let s = Option::as_mut(&mut guard).ok_or(EINVAL)?;
        loop {
            // Unlike the C backend, a foreign or malformed name under the
            // crash GUID is skipped instead of ending the enumeration.
            let (f, size) = match s.walk.next(&s.lock) {
                Ok(Some(r)) => r,
                Ok(None) => return Ok(None),
                Err(e) => {
                    if SKIP_LOG.allow() {
                        pr_warn!("variable enumeration stopped: {:?}\n", e);
                    }
                    return Ok(None);
                }
            };
            let dn = f.dn;
            if dn.dense {
                let dump = (dn.count, dn.time);
                if s.dense_dumps.contains(&dump) {
                    continue;
                }
                s.dense_dumps.push(dump, GFP_KERNEL)?;
                match dense_dump(&s.lock, dump)? {
                    Some(r) if !s.ids.contains(&(r.record_type, r.id)) => {
                        s.ids.push((r.record_type, r.id), GFP_KERNEL)?;
                        bump(&READ);
                        return Ok(Some(r));
                    }
                    _ => continue,
                }
            }
            let key = (dn.record_type, dn.generic_id());
            if s.ids.contains(&key) {
                skip(true, &f.name, "same record id as an earlier variable");
                continue;
            }
            let bytes = s.walk.check.data(size).ok_or(EINVAL)?;
            let mut data = KVec::with_capacity(size, GFP_KERNEL)?;
            data.extend_from_slice(bytes, GFP_KERNEL)?;
            s.ids.push(key, GFP_KERNEL)?;
            bump(&READ);
            return Ok(Some(ReadRecord {
                record_type: dn.record_type,
                id: dn.generic_id(),
                time: dn.time,
                count: dn.count,
                part: dn.part,
                compressed: dn.compressed,
                data,
                private: Some(KBox::new(f.name, GFP_KERNEL)?),
            }));
        }
    }

    /// pstore calls this for pmsg only: the backend registers no dmesg
    /// front end, its own dumper writes the log.
    fn write(&self, r: &WriteRecord<'_>) -> Result<u64> {
        if r.record_type != pstore::record_type::PMSG {
            return Err(EINVAL);
        }
        if !enabled() {
            bump(&SKIPPED);
            return Ok(0);
        }
        self.writer
            .store_pmsg(r)
            .inspect_err(|_| bump(&WRITE_ERRORS))
    }

    fn erase(&self, r: &EraseRecord<'_, Self::Private>) -> Result {
        let name = r.private.ok_or(EINVAL)?;
        let g = EfivarsGuard::lock()?;
        if let Ok((dn, _)) = DumpName::parse_ucs2_checked(name) {
            if dn.dense {
                return erase_dense_dump(&g, (dn.count, dn.time));
            }
        }
        match g.set_variable(name, &LINUX_EFI_CRASH_GUID, ATTR_NV_BS_RT, &[], false) {
            Ok(()) | Err((EfiStatus::NotFound, _)) => {
                bump(&ERASED);
                Ok(())
            }
            Err((_, e)) => Err(e),
        }
    }
}

/// The record of dense dump `dump` (count, time): every part of it that
/// decodes, put back together in log order ([`dense::assemble`]), as one
/// plain record named after its newest part. `None` if no part decodes.
fn dense_dump(
    g: &EfivarsGuard,
    dump: (i32, i64),
) -> Result<Option<ReadRecord<[u16; DUMP_NAME_LEN]>>> {
    let mine = |dn: &DumpName| dn.dense && (dn.count, dn.time) == dump;
    // Quiet: the session's own walk reports what is damaged, once.
    let mut walk = Walk::new(false)?;
    let mut texts: KVec<(u32, KVec<u8>)> = KVec::new();
    let mut newest: Option<Found> = None;
    while let Some((f, n)) = walk.next_where(g, mine).ok().flatten() {
        let text = walk.check.data(n).ok_or(EINVAL)?;
        let mut v = KVec::with_capacity(text.len(), GFP_KERNEL)?;
        v.extend_from_slice(text, GFP_KERNEL)?;
        texts.push((f.dn.part, v), GFP_KERNEL)?;
        let newer = match &newest {
            Some(o) => f.dn.part < o.dn.part,
            None => true,
        };
        if newer {
            newest = Some(f);
        }
    }
    let Some(newest) = newest else {
        return Ok(None);
    };
    let mut parts: KVec<(u32, Option<&[u8]>)> = KVec::with_capacity(texts.len(), GFP_KERNEL)?;
    for (p, t) in texts.iter() {
        parts.push((*p, Some(&t[..])), GFP_KERNEL)?;
    }
    let mut data: KVec<u8> = KVec::new();
    let mut failed = false;
    dense::assemble(&mut parts, |piece| {
        let r = match piece {
            Piece::Text(t) => data.extend_from_slice(t, GFP_KERNEL).is_ok(),
            Piece::Gap(from, to) => {
                let mut line = [0u8; 96];
                let mut w = lastwords::fixed_buf::FixedBuf::new(&mut line[..]);
                dense::gap_line(&mut w, from, to).is_ok()
                    && data.extend_from_slice(w.as_bytes(), GFP_KERNEL).is_ok()
            }
        };
        failed |= !r;
    });
    let dn = newest.dn;
    if failed {
        // Text beyond what one allocation gives (kmalloc's largest, 4 MiB
        // with 4 KiB pages): this dump is not read, the others are.
        skip(true, &newest.name, "dense dump too large to put together");
        return Ok(None);
    }
    Ok(Some(ReadRecord {
        record_type: dn.record_type,
        id: dn.generic_id(),
        time: dn.time,
        count: dn.count,
        part: dn.part,
        compressed: false,
        data,
        private: Some(KBox::new(newest.name, GFP_KERNEL)?),
    }))
}

/// Erases the parts of dense dump `dump` (count, time) that decode, the
/// ones its record was made of; a part that does not decode is left alone,
/// as every record the reader could not parse.
fn erase_dense_dump(g: &EfivarsGuard, dump: (i32, i64)) -> Result {
    let mine = |dn: &DumpName| dn.dense && (dn.count, dn.time) == dump;
    let mut walk = Walk::new(false)?;
    let mut names: KVec<[u16; DUMP_NAME_LEN]> = KVec::new();
    // Names first: a variable deleted in the middle of an enumeration may
    // end it early.
    while let Some((f, _)) = walk.next_where(g, mine)? {
        names.push(f.name, GFP_KERNEL)?;
    }
    for name in names.iter() {
        match g.set_variable(name, &LINUX_EFI_CRASH_GUID, ATTR_NV_BS_RT, &[], false) {
            Ok(()) | Err((EfiStatus::NotFound, _)) => bump(&ERASED),
            Err((_, e)) => return Err(e),
        }
    }
    Ok(())
}
