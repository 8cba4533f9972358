// SPDX-License-Identifier: GPL-2.0

//! The pstore backend ([`EfiPstore`]): reading and erasing our records
//! through pstore (`open`/`read`/`close`, `erase`), and pmsg writes, which
//! it hands to the writer (`pmsg.rs`).
//!
//! A read session ([`Session`]) enumerates the variables once, at `open`
//! ([`Names`]), keeps the ones that are ours (canonical names, every field
//! checked), sorts them so that each dense dump's parts sit together
//! ([`read_session`]) and hands pstore one record per group: a C-compatible
//! record alone, or a dense dump put back together. Reading is linear in
//! the number of variables, and so is erasing: a record carries what its
//! erase deletes ([`Held`]), with no enumeration.
//!
//! Memory: decoded dense text is charged to the session's [`Budget`]
//! (`read_session::DUMP_TEXT_MAX` per dump, `SESSION_TEXT_MAX` per session,
//! newest parts first); a part that does not fit is left out with a gap
//! line, and the records after it are still listed. Beside it, a session
//! holds its [`PayloadCheck`] buffers (about 450 KiB) and 40 bytes per
//! variable of ours, at most `ENUM_MAX` (4096) of them: the walk visits no
//! more (`rust/core/src/var_walk.rs`).
//!
//! What cannot be parsed is skipped (`nvram.rs`) and never erased; a dense
//! part of ours by name and header whose data is damaged (a power cut, a
//! bit flip) is listed, with its dump or alone as a gap line, so that `rm`
//! reclaims it.
//!
//! Context: process only (pstore's callbacks, with pstore's locks held):
//! it allocates, and sleeps for the efivars lock and the firmware.

use kernel::new_mutex;
use kernel::prelude::*;
use kernel::sync::{Arc, Mutex};

use crate::dense::{self, Piece};
use crate::efi_name::{DumpName, NameForm};
use crate::lastwords::debugfs::bump;
use crate::lastwords::efivar::{EfiStatus, EfivarsGuard, ATTR_NV_BS_RT, LINUX_EFI_CRASH_GUID};
use crate::lastwords::fixed_buf::FixedBuf;
use crate::lastwords::pstore::{self, Backend, EraseRecord, ReadRecord, WriteRecord};
use crate::nvram::{skip, Found, Names, Payload, PayloadCheck, DENSE_TEXT_MAX, SKIP_LOG};
use crate::params::enabled;
use crate::read_session::{self, Budget, Entry, PartSet};
use crate::writer::Writer;
use crate::{ERASED, READ, READ_CUT, READ_DAMAGED, SKIPPED, WRITE_ERRORS};

/// Longest header line (`Panic#12 Part1`) taken from a dense part, or
/// written for a dump with no part that decodes.
const HEADER_LINE_MAX: usize = 128;

/// What a record's erase deletes, kept with it by pstore: no enumeration.
#[derive(Clone, Copy)]
pub(crate) enum Held {
    /// One variable, `dn` in `form` (a C-compatible record).
    One(DumpName, NameForm),
    /// The parts of dense dump `dn` (any part's name: `part` is replaced)
    /// that its record was made of or listed as damaged.
    Dense(DumpName, PartSet),
}

/// A read iteration: holds the efivars lock from `open` to `close`.
/// Dropping it (on close, or on any error building it) releases the lock.
struct Session {
    lock: EfivarsGuard,
    check: PayloadCheck,
    /// Our variables, sorted ([`Entry::key`]); `forms[e.slot]` is the form
    /// of `e`'s name.
    entries: KVec<Entry>,
    forms: KVec<NameForm>,
    /// Where the next group starts in `entries`.
    at: usize,
    /// Type and id of every record handed out: pstore makes one file per
    /// id, a second record with the same one is skipped.
    ids: KVec<(u32, u64)>,
    budget: Budget,
    /// Whether the budget's line was said (once per session).
    cut_said: bool,
}

impl Session {
    /// Takes the efivars lock and enumerates our variables once.
    fn new() -> Result<Self> {
        // Allocate first: the lock is not held while this may fail or
        // wait for memory.
        let mut names = Names::new(true)?;
        let check = PayloadCheck::new()?;
        let mut s = Session {
            lock: EfivarsGuard::lock()?,
            check,
            entries: KVec::new(),
            forms: KVec::new(),
            at: 0,
            ids: KVec::new(),
            budget: Budget::default(),
            cut_said: false,
        };
        loop {
            let f = match names.next(&s.lock) {
                Ok(Some(f)) => f,
                Ok(None) => break,
                // Unlike the C backend, what was found is still listed.
                Err(e) => {
                    if SKIP_LOG.allow() {
                        pr_warn!("variable enumeration stopped: {:?}\n", e);
                    }
                    break;
                }
            };
            let slot = s.forms.len();
            s.forms.push(f.form, GFP_KERNEL)?;
            s.entries.push(Entry { dn: f.dn, slot }, GFP_KERNEL)?;
        }
        read_session::sort_by_key(&mut s.entries, Entry::key);
        Ok(s)
    }

    /// The variable of entry `i`.
    fn found(&self, i: usize) -> Option<Found> {
        let e = self.entries.get(i)?;
        Some(Found::new(e.dn, *self.forms.get(e.slot)?))
    }

    /// The record of the group at `range`, or `None` if it holds none.
    fn record(&mut self, range: core::ops::Range<usize>) -> Result<Option<ReadRecord<Held>>> {
        let first = self.entries.get(range.start).ok_or(EINVAL)?.dn;
        if first.is_dense() {
            return self.dense_record(range);
        }
        let f = self.found(range.start).ok_or(EINVAL)?;
        let Payload::Record(n) = self.check.read(&self.lock, &f, true) else {
            return Ok(None);
        };
        let bytes = self.check.data(n).ok_or(EINVAL)?;
        let mut data = KVec::with_capacity(n, GFP_KERNEL)?;
        data.extend_from_slice(bytes, GFP_KERNEL)?;
        Ok(Some(ReadRecord {
            record_type: f.dn.record_type,
            id: f.dn.generic_id(),
            time: f.dn.time,
            count: f.dn.count,
            part: f.dn.part,
            compressed: f.dn.compressed,
            data,
            private: Some(KBox::new(Held::One(f.dn, f.form), GFP_KERNEL)?),
        }))
    }

    /// The record of one dense dump, its parts at `range` (part 1, the
    /// newest, first): the header line of the newest part that decodes,
    /// then the logs from the oldest part to the newest, with a gap line
    /// where parts are missing, damaged or left out. A dump whose parts are
    /// all damaged is a record of gap lines, for `rm` to reclaim them.
    ///
    /// Two passes: newest first, the budget admits parts by the text length
    /// their header claims (so the newest lines, the crash itself, are kept
    /// when a dump does not fit); then oldest first, the admitted parts are
    /// decoded into the record as they come.
    fn dense_record(&mut self, range: core::ops::Range<usize>) -> Result<Option<ReadRecord<Held>>> {
        let newest_entry = self.entries.get(range.start).ok_or(EINVAL)?.dn;
        // Parts admitted to the record (to be decoded), parts its erase
        // deletes (decoded or damaged), and parts not ours by content.
        let mut admitted = PartSet::new();
        let mut held = PartSet::new();
        let mut foreign = PartSet::new();
        let mut cut = 0usize;
        self.budget.start_dump();
        let surely_fits = range
            .len()
            .checked_mul(DENSE_TEXT_MAX)
            .is_some_and(|m| m <= self.budget.dump_left());
        for i in range.clone() {
            let Some(f) = self.found(i) else { continue };
            if surely_fits {
                admitted.insert(f.dn.part);
                continue;
            }
            match self.check.claimed_text(&self.lock, &f) {
                Some(Ok(len)) if self.budget.take(len) => {
                    admitted.insert(f.dn.part);
                }
                Some(Ok(_)) => cut += 1,
                Some(Err(_)) => {
                    held.insert(f.dn.part);
                }
                None => {
                    foreign.insert(f.dn.part);
                }
            }
        }
        if cut > 0 {
            bump(&READ_CUT);
            if !self.cut_said && SKIP_LOG.allow() {
                pr_warn!(
                    "read budget reached ({} KiB per dump, {} KiB per mount): {} parts of dump {} left out, listed once records are erased\n",
                    read_session::DUMP_TEXT_MAX / 1024,
                    read_session::SESSION_TEXT_MAX / 1024,
                    cut,
                    newest_entry.count
                );
                self.cut_said = true;
            }
        }
        if admitted.is_empty() && held.is_empty() && cut == 0 {
            return Ok(None);
        }

        let mut data: KVec<u8> = KVec::new();
        let mut header = [0u8; HEADER_LINE_MAX];
        let mut header_len = 0usize;
        let mut newest: Option<DumpName> = None;
        let mut failed = false;
        let mut a = dense::Assembler::new();
        for i in range.rev() {
            let Some(f) = self.found(i) else { continue };
            let p = f.dn.part;
            let mut text: &[u8] = &[];
            if admitted.contains(p) {
                match self.check.read(&self.lock, &f, true) {
                    Payload::Record(n) => {
                        text = self.check.data(n).unwrap_or(&[]);
                        // Charged already, unless the dump surely fits.
                        if !surely_fits || self.budget.take(text.len()) {
                            held.insert(p);
                            newest = Some(f.dn);
                        } else {
                            admitted.remove(p);
                        }
                    }
                    Payload::Damaged(_) => {
                        admitted.remove(p);
                        held.insert(p);
                    }
                    Payload::Foreign => {
                        admitted.remove(p);
                        foreign.insert(p);
                    }
                }
            }
            if foreign.contains(p) {
                // Not ours by content: not part of the dump.
                continue;
            }
            // Decoded, damaged, or left out by the budget: a gap unless
            // decoded.
            let decoded = admitted.contains(p);
            if !a.part(p, decoded, |piece| failed |= !push_piece(&mut data, piece)) || !decoded {
                continue;
            }
            let (line, log) = dense::split_header(text);
            // The newest decoded part's line wins; one too long for the
            // buffer leaves the record without a header line.
            header_len = match header.get_mut(..line.len()) {
                Some(h) => {
                    h.copy_from_slice(line);
                    line.len()
                }
                None => 0,
            };
            failed |= data.extend_from_slice(log, GFP_KERNEL).is_err();
        }
        let decoded = a.finish(|piece| failed |= !push_piece(&mut data, piece));
        if decoded == 0 {
            // Nothing decoded: a record that says why, its gap lines naming
            // the parts: damaged ones, for `rm` to reclaim, or parts left
            // out by the budget, listed in full once others are erased.
            let mut w = FixedBuf::new(&mut header[..]);
            let said = if held.is_empty() {
                core::fmt::Write::write_fmt(
                    &mut w,
                    format_args!(
                        "lw_efi_pstore: dump #{} left out: read budget reached; erase other records to read it\n",
                        newest_entry.count
                    ),
                )
            } else {
                bump(&READ_DAMAGED);
                core::fmt::Write::write_fmt(
                    &mut w,
                    format_args!(
                        "lw_efi_pstore: no part of dump #{} decodes; removing this file erases them\n",
                        newest_entry.count
                    ),
                )
            };
            header_len = match said {
                Ok(()) if !w.truncated() => w.as_bytes().len(),
                _ => 0,
            };
        }
        let dn = newest.unwrap_or(newest_entry);
        // The newest part's header line first, in a buffer of the exact
        // size: pstore keeps it while mounted, and growing `data` may have
        // doubled its capacity.
        let h = header.get(..header_len).unwrap_or(&[]);
        if !failed {
            match KVec::with_capacity(h.len().saturating_add(data.len()), GFP_KERNEL) {
                Ok(mut exact) => {
                    failed |= exact.extend_from_slice(h, GFP_KERNEL).is_err()
                        || exact.extend_from_slice(&data, GFP_KERNEL).is_err();
                    data = exact;
                }
                Err(_) => failed = true,
            }
        }
        if failed {
            // Out of memory: this dump is not listed now, the others are.
            let name = Found::new(dn, NameForm::Dense).name;
            skip(true, &name, "no memory to put the dump together");
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
            private: Some(KBox::new(Held::Dense(dn, held), GFP_KERNEL)?),
        }))
    }
}

/// Appends an assembled dump's `piece` to `data`; `false` if out of memory.
fn push_piece(data: &mut KVec<u8>, piece: Piece<'_>) -> bool {
    match piece {
        Piece::Text(t) => data.extend_from_slice(t, GFP_KERNEL).is_ok(),
        Piece::Gap(from, to) => {
            let mut line = [0u8; 96];
            let mut w = FixedBuf::new(&mut line[..]);
            dense::gap_line(&mut w, from, to).is_ok()
                && data.extend_from_slice(w.as_bytes(), GFP_KERNEL).is_ok()
        }
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
    type Private = Held;

    fn open(&self) -> Result {
        let s = Session::new()?;
        *self.session.lock() = Some(s);
        Ok(())
    }

    fn close(&self) {
        drop(self.session.lock().take());
    }

    fn read(&self) -> Result<Option<ReadRecord<Self::Private>>> {
        let mut guard = self.session.lock();
        let s = Option::as_mut(&mut guard).ok_or(EINVAL)?;
        loop {
            let rest = s.entries.get(s.at..).unwrap_or(&[]);
            let Some(range) = read_session::groups(rest).next() else {
                return Ok(None);
            };
            let range = (s.at + range.start)..(s.at + range.end);
            s.at = range.end;
            // An allocation that fails skips this record, not the rest.
            let r = match s.record(range) {
                Ok(Some(r)) => r,
                Ok(None) => continue,
                Err(e) => {
                    if SKIP_LOG.allow() {
                        pr_warn!("record not read: {:?}\n", e);
                    }
                    continue;
                }
            };
            let key = (r.record_type, r.id);
            if s.ids.contains(&key) {
                let (dn, form) = match r.private.as_deref() {
                    Some(Held::One(dn, form)) => (*dn, *form),
                    Some(Held::Dense(dn, _)) => (*dn, NameForm::Dense),
                    None => continue,
                };
                skip(
                    true,
                    &Found::new(dn, form).name,
                    "same record id as an earlier variable",
                );
                continue;
            }
            s.ids.push(key, GFP_KERNEL)?;
            bump(&READ);
            return Ok(Some(r));
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

    /// Deletes what the record was read from ([`Held`]): one variable, or
    /// a dense dump's parts by their canonical names. A part already gone
    /// is not an error; the first other error is returned once every part
    /// was tried.
    fn erase(&self, r: &EraseRecord<'_, Self::Private>) -> Result {
        let held = *r.private.ok_or(EINVAL)?;
        let g = EfivarsGuard::lock()?;
        let delete = |f: &Found| -> Result {
            match g.set_variable(&f.name, &LINUX_EFI_CRASH_GUID, ATTR_NV_BS_RT, &[], false) {
                Ok(()) | Err((EfiStatus::NotFound, _)) => {
                    bump(&ERASED);
                    Ok(())
                }
                Err((_, e)) => Err(e),
            }
        };
        match held {
            Held::One(dn, form) => delete(&Found::new(dn, form)),
            Held::Dense(dn, parts) => {
                let mut res = Ok(());
                for part in parts.iter() {
                    let f = Found::new(DumpName { part, ..dn }, NameForm::Dense);
                    if let Err(e) = delete(&f) {
                        res = res.and(Err(e));
                    }
                }
                res
            }
        }
    }
}
