// SPDX-License-Identifier: GPL-2.0

//! Record names and headers, as pstore's core and the C `efi_pstore` write
//! them: the fields of each record's variable name (the name format itself,
//! [`DumpName`], is `rust/core/src/efi_name.rs`), the numbering of dumps and
//! pmsg chunks, the header line that starts each dmesg part, and how much
//! text a part may hold for pstore's readers.
//!
//! Any context, the panic path included: nothing here allocates, sleeps or
//! takes a lock (the counters are atomics).

use core::fmt::Write;
use core::sync::atomic::{AtomicI32, AtomicU32, Ordering};

use crate::efi_name::{DumpName, DUMP_NAME_LEN};
use crate::lastwords::kmsg_dump;
use crate::lastwords::pstore;

/// pstore's reader inflates a compressed part into `3 * record_size` bytes
/// (`decompress_record()`), ours and the C backend's alike: a part's text
/// stays below that, with a margin.
pub(crate) const TEXT_FACTOR: usize = 3;
pub(crate) const TEXT_MARGIN: usize = 64;

/// The text of a dense part stays below this many times `record_size`
/// (the reader's buffers are sized from it): log text compresses about five
/// times with the dictionary, repetitive text more.
pub(crate) const DENSE_TEXT_FACTOR: usize = 8;

/// Count of dumps since load, as pstore's `oopscount` (part of the names).
static DUMP_COUNT: AtomicI32 = AtomicI32::new(0);

/// Sequence number of pmsg chunks since load.
static PMSG_SEQ: AtomicU32 = AtomicU32::new(0);
/// The name's count field keeps ids unique below this many chunks per second
/// (the id is `(seconds * 100 + part) * 1000 + count`).
pub(crate) const PMSG_SEQ_WRAP: u32 = 1000;

/// The count of a new dump, for its names and headers: 1 for the first
/// dump since load.
pub(crate) fn next_dump_count() -> i32 {
    DUMP_COUNT.fetch_add(1, Ordering::Relaxed).wrapping_add(1)
}

/// The name of part `part` of dump `count`, a dmesg record written at
/// `time` (seconds).
pub(crate) fn dmesg_name(
    count: i32,
    part: u32,
    time: i64,
    compressed: bool,
    dense: bool,
) -> DumpName {
    DumpName {
        record_type: pstore::record_type::DMESG,
        part,
        count,
        time,
        compressed: compressed && !dense,
        dense: if dense { crate::dense::VERSION } else { 0 },
    }
}

/// The name of the next pmsg chunk, a record of `record_type` written at
/// `time` (seconds): part 1, numbered by a per-boot sequence in the count
/// field, so that chunks within the same second do not overwrite each other
/// and read back in order.
pub(crate) fn next_pmsg_name(record_type: u32, time: i64) -> DumpName {
    let seq = PMSG_SEQ.fetch_add(1, Ordering::Relaxed);
    DumpName {
        record_type,
        part: 1,
        count: i32::try_from(seq % PMSG_SEQ_WRAP).unwrap_or(0),
        time,
        compressed: false,
        dense: 0,
    }
}

/// The variable name of the record `dn`: UCS-2, NUL-terminated.
pub(crate) fn ucs2_name(dn: &DumpName) -> [u16; DUMP_NAME_LEN] {
    let mut name = [0u16; DUMP_NAME_LEN];
    dn.encode_ucs2(&mut name);
    name
}

/// Writes the header pstore writes at the start of each dmesg part
/// (`Panic#1 Part1`, and a newline).
pub(crate) fn write_header(
    w: &mut impl Write,
    reason: kmsg_dump::Reason,
    count: i32,
    part: u32,
) -> core::fmt::Result {
    writeln!(
        w,
        "{}#{} Part{}",
        kmsg_dump::reason_str(reason).to_str().unwrap_or("Unknown"),
        count,
        part
    )
}
