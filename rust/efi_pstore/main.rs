// SPDX-License-Identifier: GPL-2.0

//! lw_efi_pstore: a pstore backend that keeps kmsg dumps in EFI variables,
//! compatible with the C `efi_pstore` (same GUID, names and attributes), and
//! that still stores a panic's record when another CPU held the efivars lock
//! at the time of the panic (the C backend gives up with `-EBUSY`).
//!
//! It dumps the kernel log itself (a kmsg dumper), in the same record format
//! as pstore's core, but packs each part adaptively: as much log as
//! compresses into a variable, where the core's fixed ratio either wastes
//! space or, when the text does not compress well enough, keeps the first
//! `record_size` bytes and throws the rest of the part's text away. pstore
//! reads, erases and writes pmsg records through the backend as usual.
//!
//! What it reads back from NVRAM is untrusted: every name and payload is
//! checked, and what fails is skipped (counted, one rate-limited line),
//! never handed to pstore, never erased or evicted.
//!
//! Parameters (validated at load): `record_size` (1024..32768), `max_reason`
//! (1..5), `enabled` (run-time switch), `kmsg_bytes`, `quota_bytes`,
//! `quota_records`, `test_hooks` (crash tests only). Counters in
//! `/sys/kernel/debug/lw_efi_pstore/` (when debugfs is available).

use core::fmt::Write as _;
use core::sync::atomic::{AtomicI32, AtomicPtr, AtomicU32, Ordering};
use kernel::prelude::*;
use kernel::sync::{Arc, Mutex};
use kernel::workqueue::{self, Work, WorkItem};
use kernel::{c_str, impl_has_work, new_mutex, new_work};

#[path = "../lastwords/mod.rs"]
pub mod lastwords;

#[path = "../core/src/efi_name.rs"]
pub mod efi_name;

#[path = "../core/src/packing.rs"]
pub mod packing;

use efi_name::{DumpName, DUMP_NAME_LEN, PART_MAX};
use lastwords::bindings;
use lastwords::context::{self, Context};
use lastwords::crash_lock::{CrashGuard, CrashLock};
use lastwords::debugfs::bump;
use lastwords::debugfs::Dir;
use lastwords::deflate::{Deflate, Inflate};
use lastwords::efivar::{
    self, EfiStatus, EfivarsGuard, VarNames, ATTR_NV_BS_RT, LINUX_EFI_CRASH_GUID,
};
use lastwords::irq_work::{IrqWork, IrqWorkHandler};
use lastwords::kmsg_dump::{self, DumpHandler, DumpIter, Dumper};
use lastwords::pstore::{self, Backend, EraseRecord, ReadRecord, Registration, WriteRecord};
use lastwords::ratelimit::RateLimit;
use lastwords::slot_pool::SlotPool;
use lastwords::time;

lastwords::module! {
    type: LwEfiPstore,
    name: "lw_efi_pstore",
    authors: ["lastwords developers"],
    description: "EFI variable backend for pstore, in Rust",
    license: "GPL",
}

/// Record sizes accepted for `record_size`.
const RECORD_SIZE_MIN: u32 = 1024;
const RECORD_SIZE_MAX: u32 = 32768;
/// UCS-2 characters of the name buffer an enumeration starts with (512
/// bytes, as the C backend uses); it grows for a longer name.
const ENUM_NAME_LEN: usize = 256;
/// Largest variable read back; a larger one is skipped.
const READ_MAX: usize = 65536;
/// Most bytes one dump may use, for `kmsg_bytes`.
const KMSG_BYTES_MAX: u32 = 1 << 20;
/// pstore's reader inflates a compressed part into `3 * record_size` bytes
/// (`decompress_record()`), ours and the C backend's alike: a part's text
/// stays below that, with a margin.
const TEXT_FACTOR: usize = 3;
const TEXT_MARGIN: usize = 64;
/// Compression attempts per part before storing it uncompressed.
const PACK_TRIES: u32 = 4;
/// Log records the first fetch of a dump looks at (the window widens as
/// needed): about two full parts of lines. Fetching over the whole log, as
/// pstore's core does, reads all of it for every part.
const FETCH_WINDOW: u64 = 64;
/// pstore decompresses records only with `CONFIG_PSTORE_COMPRESS`.
const COMPRESS: bool = cfg!(CONFIG_PSTORE_COMPRESS);

lastwords::debugfs::debugfs_counters!(
    WRITTEN => "written",
    WRITE_ERRORS => "write_errors",
    WRITE_BUSY => "write_busy",
    BYPASSED => "written_bypassing_lock",
    FIRMWARE_BUSY => "firmware_busy",
    SKIPPED => "skipped_disabled",
    DUMPS => "dumps",
    DUMPS_SKIPPED => "dumps_skipped",
    RESERVE_USED => "reserve_used",
    LOG_BYTES => "log_bytes",
    PARTS_COMPRESSED => "parts_compressed",
    PARTS_RAW => "parts_raw",
    PACK_RETRIES => "pack_retries",
    DEFERRED => "deferred",
    DEFERRED_WRITTEN => "deferred_written",
    DEFERRED_ERRORS => "deferred_errors",
    EVICTED => "evicted",
    READ => "read",
    READ_ERRORS => "read_errors",
    READ_SKIPPED => "read_skipped",
    ERASED => "erased",
    PMSG_TOO_BIG => "pmsg_too_big",
);

/// Lines about skipped variables: untrusted input must not flood the log.
static SKIP_LOG: RateLimit = RateLimit::new();

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
struct Found {
    dn: DumpName,
    name: [u16; DUMP_NAME_LEN],
}

/// A walk over our records in NVRAM that checks every name and payload:
/// invalid ones are skipped (see [`skip`]), foreign GUIDs passed over.
/// Process context; allocated per walk.
struct Walk {
    vars: VarNames,
    check: PayloadCheck,
    /// The reader reports what it skips; the quota's walks, which run after
    /// every flush and pmsg write, stay quiet.
    report: bool,
}

impl Walk {
    fn new(report: bool) -> Result<Self> {
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
    fn next(&mut self, g: &EfivarsGuard) -> Result<Option<(Found, usize)>> {
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
            if let Some(n) = self.check.read(g, &f, self.report) {
                return Ok(Some((f, n)));
            }
        }
    }
}

fn enabled() -> bool {
    // SAFETY: Reads a module parameter with READ_ONCE(); callable anywhere.
    unsafe { bindings::lw_efi_pstore_enabled() }
}

/// Parts that found the efivars lock held outside a panic (its holder is
/// alive and will release it) wait here to be written by the flush work.
/// Several dumps' worth (a default dump is about 11 parts): oopses in a row
/// while a reader holds the lock for a long pstorefs mount. Each slot holds
/// `record_size` bytes (64 KiB in all at the default size).
const DEFER_SLOTS: usize = 64;

/// A part waiting for the efivars lock; `name` and `buf` are preallocated
/// at load (on the heap, so that the pool itself stays small).
struct Deferred {
    name: KVec<u16>,
    len: usize,
    buf: KVec<u8>,
}

/// How much of the variable store the backend may occupy (0: no limit).
#[derive(Clone, Copy)]
struct Quota {
    bytes: usize,
    records: usize,
}

impl Quota {
    fn enabled(&self) -> bool {
        self.bytes != 0 || self.records != 0
    }

    fn allows(&self, bytes: usize, records: usize) -> bool {
        (self.bytes == 0 || bytes <= self.bytes) && (self.records == 0 || records <= self.records)
    }
}

/// One of our variables, as the quota sees it.
struct Stored {
    name: [u16; DUMP_NAME_LEN],
    dn: DumpName,
    size: usize,
}

/// The flush work: writes deferred parts, then enforces the quota, in
/// process context, where it may wait for the efivars lock.
#[pin_data]
struct Flusher {
    #[pin]
    work: Work<Flusher>,
    pool: KBox<SlotPool<Deferred, DEFER_SLOTS>>,
    quota: Quota,
}

impl_has_work! {
    impl HasWork<Self> for Flusher { self.work }
}

impl Flusher {
    fn flush(&self) {
        if self.pool.ready() == 0 && !self.quota.enabled() {
            return;
        }
        let g = match EfivarsGuard::lock() {
            Ok(g) => g,
            Err(e) => {
                pr_warn!("deferred parts not written: efivars lock: {:?}\n", e);
                return;
            }
        };
        while let Some(d) = self.pool.take() {
            let data = d.buf.get(..d.len).unwrap_or(&[]);
            match g.set_variable(&d.name, &LINUX_EFI_CRASH_GUID, ATTR_NV_BS_RT, data, false) {
                Ok(()) => bump(&DEFERRED_WRITTEN),
                Err((_, e)) => {
                    bump(&DEFERRED_ERRORS);
                    pr_warn!("deferred part not written: {:?}\n", e);
                }
            }
        }
        if self.quota.enabled() {
            self.enforce_quota_or_say(&g);
        }
    }

    /// [`Flusher::enforce_quota`], with a rate-limited line if it fails.
    fn enforce_quota_or_say(&self, g: &EfivarsGuard) {
        if let Err(e) = self.enforce_quota(g) {
            if SKIP_LOG.allow() {
                pr_warn!("quota not enforced: {:?}\n", e);
            }
        }
    }

    /// Deletes our oldest variables (oldest dump first, and in a dump the
    /// oldest part, the highest number, first) until the quota holds.
    /// Only records that pass the reader's checks (name and data) count
    /// and are evicted: what the backend cannot parse, it never deletes.
    /// Eviction does not prefer pmsg over dmesg records: the oldest go.
    fn enforce_quota(&self, g: &EfivarsGuard) -> Result {
        let mut walk = Walk::new(false)?;
        let mut stored = KVec::new();
        // An enumeration the firmware broke evicts nothing: the records not
        // reached may be older than those seen.
        while let Some((f, size)) = walk.next(g)? {
            stored.push(
                Stored {
                    name: f.name,
                    dn: f.dn,
                    size,
                },
                GFP_KERNEL,
            )?;
        }
        stored.sort_unstable_by(|a, b| {
            (a.dn.time, a.dn.count, b.dn.part).cmp(&(b.dn.time, b.dn.count, a.dn.part))
        });
        let mut bytes: usize = stored.iter().map(|s| s.size).sum();
        let mut records = stored.len();
        for s in stored.iter() {
            if self.quota.allows(bytes, records) {
                break;
            }
            g.set_variable(&s.name, &LINUX_EFI_CRASH_GUID, ATTR_NV_BS_RT, &[], false)
                .map_err(|(_, e)| e)?;
            bump(&EVICTED);
            bytes = bytes.saturating_sub(s.size);
            records -= 1;
        }
        Ok(())
    }
}

impl WorkItem for Flusher {
    type Pointer = Arc<Flusher>;

    fn run(this: Arc<Flusher>) {
        this.flush();
    }
}

/// Hard irq_work that queues the flush work: the write path may run in NMI
/// context, where work cannot be queued directly.
struct Kick {
    flusher: Arc<Flusher>,
}

impl IrqWorkHandler for Kick {
    fn run(&self) {
        // Already queued: that run will see this part too.
        let _ = workqueue::system().enqueue(self.flusher.clone());
    }
}

/// Owns the flush work: on unload, cancels it and writes what is left, so
/// that removing the module loses no deferred part.
struct FlushOwner(Arc<Flusher>);

impl Drop for FlushOwner {
    fn drop(&mut self) {
        lastwords::workqueue::cancel_sync(&self.0);
        self.0.flush();
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
}

impl PayloadCheck {
    fn new() -> Result<Self> {
        Ok(Self {
            scratch: VVec::from_elem(0u8, READ_MAX, GFP_KERNEL)?,
            inflate: Inflate::new()?,
            inflated: VVec::from_elem(0u8, RECORD_SIZE_MAX as usize * TEXT_FACTOR, GFP_KERNEL)?,
        })
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
        if f.dn.compressed {
            let data = self.scratch.get(..n)?;
            if self.inflate.decompress(data, &mut self.inflated).is_none() {
                skip(report, &f.name, "compressed data does not inflate");
                return None;
            }
        }
        Some(n)
    }

    /// The data [`PayloadCheck::read`] returned the length of.
    fn data(&self, n: usize) -> Option<&[u8]> {
        self.scratch.get(..n)
    }
}

/// The buffers of one dump, allocated at load: the log text of a part
/// (`3 * record_size`), the compressor's output and workspace.
struct DumpBufs {
    text: KVec<u8>,
    out: KVec<u8>,
    deflate: Deflate,
    /// Text length (header included) of the dump's last part that fit
    /// compressed; 0 at the start of a dump.
    fit: usize,
}

impl DumpBufs {
    fn new(record_size: usize) -> Result<Self> {
        let text_len = record_size * TEXT_FACTOR - TEXT_MARGIN;
        Ok(Self {
            text: KVec::from_elem(0u8, text_len, GFP_KERNEL)?,
            // Deflate output of incompressible text is at most a few bytes
            // per 16 KiB block longer than the text.
            out: KVec::from_elem(0u8, text_len + TEXT_MARGIN, GFP_KERNEL)?,
            deflate: Deflate::new()?,
            fit: 0,
        })
    }
}

/// Why [`Writer::store_atomic`] did not store a part.
enum Failed {
    /// The firmware is mid-call on a CPU that the panic stopped.
    FirmwareBusy,
    /// Any other error (counted; the dump goes on with the next part).
    Error(Error),
}

/// What [`Writer::pack`] left in the buffers.
enum Packed {
    /// `out[..n]`, compressed.
    Compressed(usize),
    /// `text[..n]`, as is.
    Raw(usize),
}

/// Formats into a byte slice; fails when it is full.
struct SliceWriter<'a> {
    buf: &'a mut [u8],
    len: usize,
}

impl core::fmt::Write for SliceWriter<'_> {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        let end = self.len.checked_add(s.len()).ok_or(core::fmt::Error)?;
        let dst = self.buf.get_mut(self.len..end).ok_or(core::fmt::Error)?;
        dst.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

/// The write side, shared by the log dumper and the pstore backend (pmsg).
#[pin_data]
struct Writer {
    record_size: usize,
    kmsg_bytes: usize,
    /// The dump buffers. A panic that finds them held (by a CPU it stopped
    /// in the middle of an oops dump, or by a dump it interrupted on this
    /// CPU) uses `reserve`, which only panics take.
    bufs: CrashLock<DumpBufs>,
    reserve: CrashLock<DumpBufs>,
    // Dropped in this order: no more kicks, then the work is cancelled and
    // what is left written.
    #[pin]
    kick: IrqWork<Kick>,
    flusher: FlushOwner,
}

/// Count of dumps since load, as pstore's `oopscount` (part of the names).
static DUMP_COUNT: AtomicI32 = AtomicI32::new(0);

/// Sequence number of pmsg chunks since load.
static PMSG_SEQ: AtomicU32 = AtomicU32::new(0);
/// The name's count field keeps ids unique below this many chunks per second
/// (the id is `(seconds * 100 + part) * 1000 + count`).
const PMSG_SEQ_WRAP: u32 = 1000;

/// The writer, for the test hook; set while the module is loaded.
static WRITER: AtomicPtr<Writer> = AtomicPtr::new(core::ptr::null_mut());

impl Writer {
    /// Dumps the log: parts of at most `record_size` bytes, newest log
    /// first, until `kmsg_bytes` of NVRAM are used or the log ends. Any
    /// context; allocates nothing, trylocks only.
    fn dump(&self, reason: kmsg_dump::Reason) {
        if !enabled() {
            bump(&SKIPPED);
            return;
        }
        let panic = reason == pstore::reason::PANIC;
        let mut bufs = match self.bufs.try_lock_here() {
            Some(g) => g,
            None if panic => match self.reserve.try_lock_here() {
                Some(g) => {
                    bump(&RESERVE_USED);
                    pr_emerg!(
                        "dump buffers held (CPU {}): the panic dump uses the reserve buffers\n",
                        self.bufs.owner_cpu().map_or(-1, i64::from)
                    );
                    g
                }
                None => {
                    bump(&DUMPS_SKIPPED);
                    pr_emerg!("panic dump skipped: a panic dump is already running\n");
                    return;
                }
            },
            None => {
                bump(&DUMPS_SKIPPED);
                pr_err!("dump skipped: another dump is running\n");
                return;
            }
        };
        // The efivars and EFI runtime locks are semaphores, whose trylock
        // takes an internal raw spinlock: not NMI-safe, and lockdep reports
        // it. A panic in NMI context has no other way into the firmware; the
        // other CPUs are stopped, so those spinlocks are free unless a stopped
        // CPU was inside down()/up() itself (the C backend shares the risk).
        // Lock debugging is turned off as panic() does after the dump.
        if panic && Context::current() == Context::Nmi && context::debug_locks_off() {
            pr_emerg!("panic in NMI context: lock debugging off before entering the EFI variable services (semaphores, not NMI-safe)\n");
        }
        let count = DUMP_COUNT.fetch_add(1, Ordering::Relaxed).wrapping_add(1);
        let secs = time::real_fast_ns() / 1_000_000_000;
        let time = i64::try_from(secs).unwrap_or(0);
        let mut iter = DumpIter::newest(FETCH_WINDOW);
        bufs.fit = 0;
        let mut total = 0usize;
        let mut part = 1u32;
        // Only the first error of a dump is logged (as pstore does).
        let mut error_logged = false;
        let mut firmware_busy = false;
        // The reader takes no part above PART_MAX.
        while total < self.kmsg_bytes && part <= PART_MAX {
            let Some(packed) = self.pack(&mut bufs, &mut iter, reason, count, part) else {
                break;
            };
            let (data, compressed) = match packed {
                Packed::Compressed(n) => (bufs.out.get(..n).unwrap_or(&[]), true),
                Packed::Raw(n) => (bufs.text.get(..n).unwrap_or(&[]), false),
            };
            let dn = DumpName {
                record_type: pstore::record_type::DMESG,
                part,
                count,
                time,
                compressed,
            };
            let mut name = [0u16; DUMP_NAME_LEN];
            dn.encode_ucs2(&mut name);
            match self.store_atomic(&name, data, reason, part) {
                Ok(()) => {}
                Err(Failed::FirmwareBusy) => {
                    bump(&WRITE_ERRORS);
                    firmware_busy = true;
                    break;
                }
                Err(Failed::Error(e)) => {
                    if !error_logged {
                        error_logged = true;
                        pr_err!("dump: part {} not stored: {:?}\n", part, e);
                    }
                    bump(&WRITE_ERRORS);
                }
            }
            total = total.saturating_add(data.len());
            part = part.wrapping_add(1);
        }
        if panic && !firmware_busy {
            // Parts of earlier dumps still waiting for the flush work (an
            // oops in NMI context defers all of its parts, and x86 panics
            // right after it): nothing else will write them now. After the
            // panic's own parts, which come first; not at all if the
            // firmware is busy on a stopped CPU (it stays so).
            self.write_deferred_in_panic();
        }
        bump(&DUMPS);
    }

    /// Fills the buffers with the next part: the header pstore writes
    /// (`Panic#1 Part1`), then as much of the newest log not yet dumped as
    /// compresses into `record_size` bytes, the text staying below what the
    /// readers inflate into. Tries the most text first, then less, scaled by
    /// how far it missed; after [`PACK_TRIES`], stores `record_size` bytes of
    /// text uncompressed. Text fetched is never thrown away: the iterator
    /// moves only past what is stored. `None` when the log is exhausted.
    fn pack(
        &self,
        b: &mut CrashGuard<'_, DumpBufs>,
        iter: &mut DumpIter,
        reason: kmsg_dump::Reason,
        count: i32,
        part: u32,
    ) -> Option<Packed> {
        let rs = self.record_size;
        let DumpBufs {
            text,
            out,
            deflate,
            fit,
        } = &mut **b;
        let mut w = SliceWriter {
            buf: &mut text[..],
            len: 0,
        };
        writeln!(
            w,
            "{}#{} Part{}",
            kmsg_dump::reason_str(reason).to_str().unwrap_or("Unknown"),
            count,
            part
        )
        .ok()?;
        let hdr = w.len;
        let mut want = packing::first_text_len(*fit, text.len());
        let mut widened = false;
        // Without pstore's compression, readers would not inflate a part.
        let tries = if COMPRESS { PACK_TRIES } else { 0 };
        for attempt in 0..tries {
            if attempt > 0 {
                bump(&PACK_RETRIES);
            }
            let mut it = *iter;
            // `None`: the log is exhausted. 0: no whole record fits in
            // `want` (the iterator would not move): try once with all the
            // room there is, then the raw path below stores what it can of
            // the newest record.
            let n = it.get_buffer(text.get_mut(hdr..want)?)?;
            if n == 0 {
                if !widened && want < text.len() {
                    widened = true;
                    want = text.len();
                    continue;
                }
                break;
            }
            let len = hdr + n;
            match deflate.compress(text.get(..len)?, &mut out[..]) {
                Some(c) if c <= rs => {
                    *iter = it;
                    *fit = len;
                    bump(&PARTS_COMPRESSED);
                    LOG_BYTES.fetch_add(n as u64, Ordering::Relaxed);
                    return Some(Packed::Compressed(c));
                }
                missed => match packing::next_text_len(len, missed, rs) {
                    Some(n) => want = n,
                    None => break,
                },
            }
        }
        let n = match iter.get_buffer(text.get_mut(hdr..rs)?)? {
            0 => Self::long_record(iter, text.get_mut(hdr..)?, rs.checked_sub(hdr)?, out)?,
            n => n,
        };
        bump(&PARTS_RAW);
        LOG_BYTES.fetch_add(n as u64, Ordering::Relaxed);
        Some(Packed::Raw(hdr + n))
    }

    /// The newest record left is longer than a raw part (`raw` bytes):
    /// moves `iter` past that record alone and puts its beginning at the
    /// start of `text`, so that the dump goes on with the older records,
    /// none skipped. Returns the length stored (`raw`), or `None` if even
    /// `text` cannot hold the record.
    ///
    /// `kmsg_dump_get_buffer()` returns only whole records, newest last: a
    /// fetch into all of `text` returns the long record at the end, behind
    /// older records. Fetches into `probe` with the sizes of
    /// [`packing::long_record_rooms`] then find where it starts: the first
    /// that returns anything returns the long record alone (one fetch per
    /// line of it, usually one).
    fn long_record(
        iter: &mut DumpIter,
        text: &mut [u8],
        raw: usize,
        probe: &mut [u8],
    ) -> Option<usize> {
        // The fetch into `raw` bytes returned nothing: the newest record
        // has at least `raw` bytes (a fetch fills at most `size - 1`).
        let min = raw.checked_sub(1)?;
        let mut all = *iter;
        let n = all.get_buffer(text).filter(|&n| n > min)?;
        let mut found = None;
        for room in packing::long_record_rooms(text.get(..n)?, min) {
            let mut it = *iter;
            match it.get_buffer(probe.get_mut(..room)?)? {
                0 => continue,
                got => {
                    found = Some((it, got));
                    break;
                }
            }
        }
        let (it, got) = found?;
        let keep = got.min(raw);
        text.get_mut(..keep)?.copy_from_slice(probe.get(..keep)?);
        *iter = it;
        Some(keep)
    }

    /// The panic/NMI-safe store: trylock only, non-blocking firmware call;
    /// outside a panic, a busy lock or busy firmware defers the part to the
    /// flush work.
    fn store_atomic(
        &self,
        name: &[u16],
        data: &[u8],
        reason: u32,
        part: u32,
    ) -> core::result::Result<(), Failed> {
        // An empty SetVariable would delete the variable.
        if data.is_empty() {
            return Err(Failed::Error(EINVAL));
        }
        // Outside a panic, NMI context never enters the efivars lock or the
        // firmware: the lock is a semaphore whose release may wake a waiter
        // (not NMI-safe), and the interrupted CPU or a live one may be in
        // the middle of either. The part waits for the flush work (or for
        // the panic dump that usually follows an oops in NMI context).
        if reason != pstore::reason::PANIC && Context::current() == Context::Nmi {
            return self.defer(name, data).map_err(|()| Failed::Error(EBUSY));
        }
        let res = match EfivarsGuard::try_lock() {
            Ok(g) => g.set_variable(name, &LINUX_EFI_CRASH_GUID, ATTR_NV_BS_RT, data, true),
            Err(_) if reason == pstore::reason::PANIC => {
                // The other CPUs are stopped: the holder will never release
                // the lock. The firmware may still be entered if it is not
                // mid-call, which the non-blocking wrapper checks.
                let res = efivar::set_variable_bypassing_lock(
                    name,
                    &LINUX_EFI_CRASH_GUID,
                    ATTR_NV_BS_RT,
                    data,
                );
                if res.is_ok() {
                    bump(&BYPASSED);
                    if part == 1 {
                        pr_emerg!(
                            "efivars lock held by a stopped CPU: panic record written without it\n"
                        );
                    }
                }
                res
            }
            Err(e) => return self.defer(name, data).map_err(|()| Failed::Error(e)),
        };
        match res {
            Ok(()) => {
                bump(&WRITTEN);
                if self.flusher.0.quota.enabled() {
                    // Eviction runs in the flush work, never here.
                    self.kick.queue();
                }
                Ok(())
            }
            // The firmware is mid-call on another CPU. In a panic that CPU is
            // stopped and the firmware stays busy: no later part can be
            // stored either. Otherwise the call will end: defer the part.
            Err((EfiStatus::NotReady, e)) => {
                if reason != pstore::reason::PANIC {
                    return self.defer(name, data).map_err(|()| Failed::Error(e));
                }
                bump(&FIRMWARE_BUSY);
                pr_emerg!(
                    "firmware busy on a stopped CPU: not re-entering it; panic dump stopped at part {}\n",
                    part
                );
                Err(Failed::FirmwareBusy)
            }
            Err((_, e)) => Err(Failed::Error(e)),
        }
    }

    /// In a panic: writes the parts that earlier dumps deferred, oldest
    /// first, through the panic-safe store. What fails is counted and lost
    /// (the panic's own dump follows; nothing else would write them).
    fn write_deferred_in_panic(&self) {
        while let Some(d) = self.flusher.0.pool.take() {
            let data = d.buf.get(..d.len).unwrap_or(&[]);
            match self.store_atomic(&d.name, data, pstore::reason::PANIC, 0) {
                Ok(()) => bump(&DEFERRED_WRITTEN),
                Err(Failed::FirmwareBusy) => {
                    bump(&DEFERRED_ERRORS);
                    return;
                }
                Err(Failed::Error(_)) => bump(&DEFERRED_ERRORS),
            }
        }
    }

    /// The efivars lock is held by a live holder: copy the part into a
    /// preallocated slot for the flush work. `Err` if every slot is in use.
    fn defer(&self, name: &[u16], data: &[u8]) -> core::result::Result<(), ()> {
        let Some(mut slot) = self.flusher.0.pool.claim() else {
            bump(&WRITE_BUSY);
            return Err(());
        };
        let Some(dst) = slot.buf.get_mut(..data.len()) else {
            bump(&WRITE_BUSY);
            return Err(());
        };
        dst.copy_from_slice(data);
        slot.len = data.len();
        for (d, n) in slot.name.iter_mut().zip(name.iter()) {
            *d = *n;
        }
        slot.publish();
        bump(&DEFERRED);
        self.kick.queue();
        Ok(())
    }

    /// The largest pmsg write stored: what one dump may use
    /// (`kmsg_bytes`), at most the byte quota, and fewer chunks than the
    /// name's count field keeps apart within a second.
    fn pmsg_max(&self) -> usize {
        let quota = self.flusher.0.quota.bytes;
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
            let seq = PMSG_SEQ.fetch_add(1, Ordering::Relaxed);
            let dn = DumpName {
                record_type: r.record_type,
                part: 1,
                count: i32::try_from(seq % PMSG_SEQ_WRAP).unwrap_or(0),
                time: r.time,
                compressed: false,
            };
            let mut name = [0u16; DUMP_NAME_LEN];
            dn.encode_ucs2(&mut name);
            g.set_variable(&name, &LINUX_EFI_CRASH_GUID, ATTR_NV_BS_RT, chunk, false)
                .map_err(|(_, e)| e)?;
            bump(&WRITTEN);
            first.get_or_insert(dn.generic_id());
        }
        if self.flusher.0.quota.enabled() {
            self.flusher.0.enforce_quota_or_say(&g);
        }
        first.ok_or(EINVAL)
    }
}

/// Test hook (exported by the C side for lw_crash_test, which calls it only
/// after the C side checked that the module was loaded with `test_hooks=1`):
/// takes the dump buffers' lock and never gives it back, as an oops dump
/// would leave it on a CPU that a panic stopped. 0, or `-EBUSY` if the lock
/// is taken, `-ENODEV` while the module is not set up.
#[no_mangle]
pub extern "C" fn lw_efi_pstore_rust_hold_dump_lock() -> kernel::ffi::c_int {
    let w = WRITER.load(Ordering::Acquire);
    if w.is_null() {
        return ENODEV.to_errno();
    }
    // SAFETY: `WRITER` points at the writer while the module is loaded, and
    // the caller holds a reference on the module (symbol_get()).
    let w = unsafe { &*w };
    let Some(held) = w.bufs.try_lock_here() else {
        return EBUSY.to_errno();
    };
    pr_warn!("test hook: holding the dump lock for good (oops dumps are off from now on)\n");
    core::mem::forget(held);
    0
}

/// The log dumper.
struct LogDump(Arc<Writer>);

impl DumpHandler for LogDump {
    fn dump(&self, reason: kmsg_dump::Reason) {
        self.0.dump(reason);
    }
}

#[pin_data]
struct EfiPstore {
    #[pin]
    session: Mutex<Option<Session>>,
    writer: Arc<Writer>,
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
        match g.set_variable(name, &LINUX_EFI_CRASH_GUID, ATTR_NV_BS_RT, &[], false) {
            Ok(()) | Err((EfiStatus::NotFound, _)) => {
                bump(&ERASED);
                Ok(())
            }
            Err((_, e)) => Err(e),
        }
    }
}

struct LwEfiPstore {
    // Dropped in this order: the dumper first (no new dumps), then pstore
    // (no more reads or pmsg writes); the writer goes with the last of them.
    _dumper: Pin<KBox<Dumper<LogDump>>>,
    _reg: Pin<KBox<Registration<EfiPstore>>>,
    /// The counters, when debugfs is available (`debugfs=off` is not a
    /// reason to go without a backend).
    _dir: Option<Dir>,
}

impl Drop for LwEfiPstore {
    fn drop(&mut self) {
        WRITER.store(core::ptr::null_mut(), Ordering::Release);
    }
}

impl kernel::Module for LwEfiPstore {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        // SAFETY: Reads module parameters, set before init runs.
        let (record_size, max_reason, kmsg_bytes, quota_bytes, quota_records) = unsafe {
            (
                bindings::lw_efi_pstore_record_size(),
                bindings::lw_efi_pstore_max_reason(),
                bindings::lw_efi_pstore_kmsg_bytes(),
                bindings::lw_efi_pstore_quota_bytes(),
                bindings::lw_efi_pstore_quota_records(),
            )
        };
        if !(RECORD_SIZE_MIN..=RECORD_SIZE_MAX).contains(&record_size) {
            pr_err!(
                "record_size={} is out of range {}..{}: not loading\n",
                record_size,
                RECORD_SIZE_MIN,
                RECORD_SIZE_MAX
            );
            return Err(EINVAL);
        }
        let max_reason = match u32::try_from(max_reason) {
            Ok(m @ 1..=pstore::reason::MAX) => m,
            _ => {
                pr_err!(
                    "max_reason={} is out of range 1..{}: not loading\n",
                    max_reason,
                    pstore::reason::MAX
                );
                return Err(EINVAL);
            }
        };
        if !(record_size..=KMSG_BYTES_MAX).contains(&kmsg_bytes) {
            pr_err!(
                "kmsg_bytes={} is out of range record_size..{} ({}..{}): not loading\n",
                kmsg_bytes,
                KMSG_BYTES_MAX,
                record_size,
                KMSG_BYTES_MAX
            );
            return Err(EINVAL);
        }
        if quota_bytes != 0 && quota_bytes < record_size {
            pr_err!(
                "quota_bytes={} is below record_size={}: not loading\n",
                quota_bytes,
                record_size
            );
            return Err(EINVAL);
        }
        let quota = Quota {
            bytes: quota_bytes as usize,
            records: quota_records as usize,
        };
        if !efivar::supports_writes() {
            pr_err!("EFI variables are not writable here (no UEFI runtime services?)\n");
            return Err(ENODEV);
        }
        if !efivar::nonblocking_supported() {
            pr_err!(
                "the firmware has no non-blocking variable services: a panic could not be stored\n"
            );
            return Err(ENODEV);
        }
        let record_size = record_size as usize;
        // Built in place: the pool is too big to pass through the stack.
        let mut pool = KBox::<SlotPool<Deferred, DEFER_SLOTS>>::new_uninit(GFP_KERNEL)?;
        SlotPool::init_in_place(&mut pool, |_| Deferred {
            name: KVec::new(),
            len: 0,
            buf: KVec::new(),
        });
        // SAFETY: `init_in_place()` initialised the whole pool.
        let mut pool = unsafe { pool.assume_init() };
        for d in pool.values_mut() {
            d.name = KVec::from_elem(0u16, DUMP_NAME_LEN, GFP_KERNEL)?;
            d.buf = KVec::from_elem(0u8, record_size, GFP_KERNEL)?;
        }
        let flusher = Arc::pin_init(
            pin_init!(Flusher {
                work <- new_work!("lw_efi_pstore::flush"),
                pool,
                quota,
            }),
            GFP_KERNEL,
        )?;
        let kick = Kick {
            flusher: flusher.clone(),
        };
        let initial = flusher.clone();
        let bufs = DumpBufs::new(record_size)?;
        let reserve = DumpBufs::new(record_size)?;
        let writer = Arc::pin_init(
            try_pin_init!(Writer {
                record_size,
                kmsg_bytes: kmsg_bytes as usize,
                bufs: CrashLock::new(bufs),
                reserve: CrashLock::new(reserve),
                kick <- IrqWork::new(kick),
                flusher: FlushOwner(flusher),
            }),
            GFP_KERNEL,
        )?;
        let pstore_writer = writer.clone();
        let reg = Registration::register(
            c_str!("lw_efi_pstore"),
            pstore::FLAGS_PMSG,
            max_reason,
            record_size,
            try_pin_init!(EfiPstore {
                session <- new_mutex!(None, "lw_efi_pstore::session"),
                writer: pstore_writer,
            }),
        )
        .inspect_err(|e| {
            if *e == EBUSY {
                pr_err!(
                    "another pstore backend is registered (e.g. efi_pstore): unload it first\n"
                );
            }
        })?;
        let dir = match Dir::new(c_str!("lw_efi_pstore")) {
            Ok(dir) => {
                counter_files(&dir);
                Some(dir)
            }
            Err(e) => {
                pr_info!("no counters: debugfs unavailable ({:?})\n", e);
                None
            }
        };
        let hook = core::ptr::from_ref::<Writer>(&writer).cast_mut();
        let dumper = KBox::pin_init(Dumper::new(LogDump(writer), max_reason), GFP_KERNEL)?;
        dumper.as_ref().register()?;
        // The dumper holds the writer until the module's drop clears this.
        WRITER.store(hook, Ordering::Release);
        if quota.enabled() {
            // Bring what earlier boots left within the quota.
            let _ = workqueue::system().enqueue(initial);
        }
        pr_info!(
            "registered: record_size={} max_reason={} kmsg_bytes={} quota_bytes={} quota_records={}\n",
            record_size,
            max_reason,
            kmsg_bytes,
            quota_bytes,
            quota_records
        );
        Ok(LwEfiPstore {
            _dumper: dumper,
            _reg: reg,
            _dir: dir,
        })
    }
}
