// SPDX-License-Identifier: GPL-2.0

//! The records in a set of variables, as `lw_efi_pstore` hands them to
//! pstore: the same names, checks, grouping and assembly (`rust/core`:
//! `efi_name.rs`, `dense.rs`, `read_session.rs`), so that a record read
//! here is the text the module would have shown.
//!
//! - C-compatible records (`dump-type…`, the C `efi_pstore`'s and ours with
//!   `dense=N`): one variable each; compressed ones (`-C`) inflated as
//!   pstore does (raw deflate, at most 3 × 32 KiB).
//! - Dense dumps (`lw-dense2-…`, and version 1's `lw-dense1-…`): every
//!   part of one dump (same version, count and time) decoded
//!   (`dense::decode_part`, the module's own code: the version's
//!   dictionary, version 2's line codec, the header's CRC, the part's own
//!   header line) and put back in log order, a gap line where parts are
//!   missing or damaged.
//!
//! What is not ours by name (another GUID's, any name that is not a
//! canonical record name) is never listed and never erased. A dense part
//! ours by name and header (magic, version) that does not decode is listed
//! with its dump, as the module does, so that erasing the dump reclaims it;
//! anything else that fails a check is skipped with its reason.

use lastwords_core::dense::{self, PartHeader, Piece};
use lastwords_core::efi_name::{DumpName, NameForm, DUMP_NAME_LEN};
use lastwords_core::read_session::{self, Entry};
use serde::Serialize;

use crate::vars::Var;

/// Largest `record_size` a writer uses (`rust/efi_pstore/params.rs`).
const RECORD_SIZE_MAX: usize = 32768;
/// Most text a dense part holds (`DENSE_TEXT_FACTOR` × the largest
/// `record_size`, `rust/efi_pstore/format.rs`).
pub const DENSE_TEXT_MAX: usize = RECORD_SIZE_MAX * 8;
/// Most text a compressed C-compatible record inflates to for pstore's
/// reader (`3 * record_size`, `decompress_record()`).
const C_TEXT_MAX: usize = RECORD_SIZE_MAX * 3;

/// pstore's record type names (`pstore_type_to_name()`).
pub fn type_name(t: u32) -> &'static str {
    match t {
        0 => "dmesg",
        1 => "mce",
        2 => "console",
        3 => "ftrace",
        4 => "rtas",
        5 => "powerpc-ofw",
        6 => "powerpc-common",
        7 => "pmsg",
        8 => "powerpc-opal",
        _ => "unknown",
    }
}

/// Which writer's format a record is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    /// `dump-type…`: the C `efi_pstore`'s names (ours with `dense=N`).
    C,
    /// `lw-dense1-…`: a dense dump of `lw_efi_pstore`, format version 1.
    Dense1,
    /// `lw-dense2-…`: a dense dump of `lw_efi_pstore`, format version 2.
    Dense2,
}

/// One record.
#[derive(Clone, Debug, Serialize)]
pub struct Record {
    /// `TYPE-ID`, as pstore names the file (`dmesg-lw_efi_pstore-ID`) less
    /// the backend's name: what `show` and `erase` take.
    pub id: String,
    pub record_type: u32,
    pub type_name: &'static str,
    pub format: Format,
    /// Seconds since the epoch, from the name.
    pub time: i64,
    pub count: i32,
    /// Parts decoded and parts listed as damaged or missing (dense).
    pub parts: u32,
    pub damaged_parts: u32,
    /// The text pstore would show (`show`); not in JSON listings.
    #[serde(skip)]
    pub text: Vec<u8>,
    pub bytes: usize,
    /// The variables erasing the record deletes.
    #[serde(serialize_with = "names_as_strings")]
    pub vars: Vec<Vec<u16>>,
}

fn names_as_strings<S: serde::Serializer>(v: &[Vec<u16>], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(v.iter().map(|n| String::from_utf16_lossy(n)))
}

/// A variable under the crash GUID that is not read, and why.
#[derive(Clone, Debug, Serialize)]
pub struct Skipped {
    pub name: String,
    pub reason: String,
}

/// What [`read`] found.
#[derive(Debug, Default, Serialize)]
pub struct Found {
    pub records: Vec<Record>,
    pub skipped: Vec<Skipped>,
}

fn ascii_name(dn: &DumpName, form: NameForm) -> Vec<u16> {
    let mut out = [0u8; DUMP_NAME_LEN];
    let n = dn.encode_form(form, &mut out);
    out.iter().take(n).map(|&b| u16::from(b)).collect()
}

/// Raw deflate of `src` into at most `max` bytes, after `dict` (the preset
/// dictionary; empty for none), as the kernel's zlib does it for the module
/// and pstore (`Z_FINISH`): `None` unless the stream ends within `max`
/// bytes of output. Input after the stream's end is ignored, as zlib does.
pub fn inflate(dict: &[u8], src: &[u8], max: usize) -> Option<Vec<u8>> {
    use flate2::{Decompress, FlushDecompress, Status};
    let mut z = Decompress::new_with_window_bits(false, 15);
    if !dict.is_empty() {
        z.set_dictionary(dict).ok()?;
    }
    let mut out = vec![0u8; max];
    match z.decompress(src, &mut out, FlushDecompress::Finish) {
        Ok(Status::StreamEnd) => {
            out.truncate(usize::try_from(z.total_out()).ok()?);
            Some(out)
        }
        _ => None,
    }
}

/// Decodes one dense part: its text, or why it does not decode
/// (`dense::decode_part`, as the module does).
pub fn decode_part(data: &[u8], dn: &DumpName) -> Result<Vec<u8>, dense::Damage> {
    let mut buf = vec![0u8; DENSE_TEXT_MAX];
    let mut text = vec![0u8; DENSE_TEXT_MAX];
    let n = dense::decode_part(
        data,
        dn,
        DENSE_TEXT_MAX,
        &mut buf,
        &mut text,
        |dict, src, buf| {
            let out = inflate(dict, src, buf.len())?;
            buf.get_mut(..out.len())?.copy_from_slice(&out);
            Some(0..out.len())
        },
    )?;
    text.truncate(n);
    Ok(text)
}

fn record_id(dn: &DumpName) -> String {
    format!("{}-{}", type_name(dn.record_type), dn.generic_id())
}

/// The records among `vars` (all under the crash GUID), in the module's
/// order: C-compatible records first, then dense dumps, newest first.
pub fn read(vars: &[Var]) -> Found {
    let mut found = Found::default();
    let mut entries = Vec::new();
    // The form of each variable's name, by its index in `vars`.
    let mut forms = vec![NameForm::Current; vars.len()];
    for (i, v) in vars.iter().enumerate() {
        // As the firmware returns it: NUL-terminated.
        let mut name = v.name.clone();
        name.push(0);
        match DumpName::parse_ucs2_checked(&name) {
            Ok((dn, form)) => {
                entries.push(Entry { dn, slot: i });
                forms[i] = form;
            }
            Err(why) => found.skipped.push(Skipped {
                name: v.shown_name(),
                reason: why.as_str().into(),
            }),
        }
    }
    let mut sorted = entries;
    read_session::sort_by_key(&mut sorted, Entry::key);
    let mut ids = std::collections::HashSet::new();
    for range in read_session::groups(&sorted) {
        let group = &sorted[range];
        let rec = if group[0].dn.is_dense() {
            dense_record(vars, group, &mut found.skipped)
        } else {
            let e = &group[0];
            c_record(&vars[e.slot], e.dn, forms[e.slot], &mut found.skipped)
        };
        let Some(rec) = rec else { continue };
        if !ids.insert(rec.id.clone()) {
            for n in &rec.vars {
                found.skipped.push(Skipped {
                    name: String::from_utf16_lossy(n),
                    reason: "same record id as an earlier variable".into(),
                });
            }
            continue;
        }
        found.records.push(rec);
    }
    found
}

fn c_record(v: &Var, dn: DumpName, form: NameForm, skipped: &mut Vec<Skipped>) -> Option<Record> {
    let skip = |skipped: &mut Vec<Skipped>, why: &str| {
        skipped.push(Skipped {
            name: v.shown_name(),
            reason: why.into(),
        })
    };
    if v.data.is_empty() {
        skip(skipped, "empty");
        return None;
    }
    let text = if dn.compressed {
        match inflate(&[], &v.data, C_TEXT_MAX) {
            Some(t) => t,
            None => {
                skip(skipped, "compressed data does not inflate");
                return None;
            }
        }
    } else {
        v.data.clone()
    };
    Some(Record {
        id: record_id(&dn),
        record_type: dn.record_type,
        type_name: type_name(dn.record_type),
        format: Format::C,
        time: dn.time,
        count: dn.count,
        parts: 1,
        damaged_parts: 0,
        bytes: text.len(),
        text,
        vars: vec![ascii_name(&dn, form)],
    })
}

fn dense_record(vars: &[Var], group: &[Entry], skipped: &mut Vec<Skipped>) -> Option<Record> {
    // Part 1 (the newest) first in `group`.
    let newest = group.first()?.dn;
    let mut decoded: Vec<(u32, Option<Vec<u8>>)> = Vec::new();
    let mut names = Vec::new();
    let mut budget = read_session::DUMP_TEXT_MAX;
    for e in group.iter() {
        let v = &vars[e.slot];
        match decode_part(&v.data, &e.dn) {
            Ok(text) if text.len() <= budget => {
                budget -= text.len();
                decoded.push((e.dn.part, Some(text)));
                names.push(ascii_name(&e.dn, NameForm::Dense));
            }
            Ok(_) => {
                skipped.push(Skipped {
                    name: v.shown_name(),
                    reason: format!(
                        "left out: the dump's text passes {} KiB",
                        read_session::DUMP_TEXT_MAX / 1024
                    ),
                });
                decoded.push((e.dn.part, None));
            }
            Err(why) => {
                skipped.push(Skipped {
                    name: v.shown_name(),
                    reason: why.as_str().into(),
                });
                // Ours by name and header: listed with the dump (a gap)
                // and erased with it. Anything else is not part of it.
                if PartHeader::is_ours(&v.data, e.dn.dense) {
                    decoded.push((e.dn.part, None));
                    names.push(ascii_name(&e.dn, NameForm::Dense));
                }
            }
        }
    }
    if decoded.is_empty() {
        return None;
    }
    let mut parts: Vec<(u32, Option<&[u8]>)> =
        decoded.iter().map(|(p, t)| (*p, t.as_deref())).collect();
    let mut text = Vec::new();
    let n = dense::assemble(&mut parts, |piece| match piece {
        Piece::Text(t) => text.extend_from_slice(t),
        Piece::Gap(from, to) => {
            let mut line = String::new();
            let _ = dense::gap_line(&mut line, from, to);
            text.extend_from_slice(line.as_bytes());
        }
    });
    if n == 0 {
        let mut head = format!(
            "lw_efi_pstore: no part of dump #{} decodes; removing this file erases them\n",
            newest.count
        )
        .into_bytes();
        head.extend_from_slice(&text);
        text = head;
    }
    let damaged = decoded.iter().filter(|(_, t)| t.is_none()).count() as u32;
    // The record is named after its newest decoded part, as the module's.
    let dn = group
        .iter()
        .find(|e| decoded.iter().any(|(p, t)| *p == e.dn.part && t.is_some()))
        .map_or(newest, |e| e.dn);
    Some(Record {
        id: record_id(&dn),
        record_type: dn.record_type,
        type_name: type_name(dn.record_type),
        format: if dn.dense == dense::VERSION_1 {
            Format::Dense1
        } else {
            Format::Dense2
        },
        time: dn.time,
        count: dn.count,
        parts: decoded.len() as u32 - damaged,
        damaged_parts: damaged,
        bytes: text.len(),
        text,
        vars: names,
    })
}
