// SPDX-License-Identifier: GPL-2.0

//! The dump path (panic, oops and the other kmsg_dump reasons): the log
//! dumper ([`LogDump`]) and the [`Writer`], which packs the newest log into
//! parts (compressed as full as fits, see [`Writer::pack`]) in its dump
//! buffers ([`DumpBufs`], with a reserve set for a panic that finds them
//! held) and stores each part in an EFI variable ([`Writer::store_atomic`]).
//!
//! Context: any, NMI and a panic included. Panic path rules: nothing here
//! allocates (every buffer is allocated at load, [`Writer::new`]), sleeps,
//! or takes a lock other than by trylock (the dump buffers' crash locks, the
//! efivars lock); the firmware is entered through its non-blocking variable
//! services only. What cannot be stored now outside a panic goes to a
//! preallocated slot for the flush work (`flush.rs`). The writer's pmsg
//! writes, in process context, are in `store.rs`; the test hook
//! [`lw_efi_pstore_rust_hold_dump_lock`] runs in process context.

use core::sync::atomic::Ordering;
use kernel::prelude::*;
use kernel::sync::Arc;

use crate::dense::{self, Method, PartHeader, HEADER_LEN};
use crate::efi_name::PART_MAX;
use crate::flush::{FlushOwner, Flusher, Kick};
use crate::format::{self, DENSE_TEXT_FACTOR, TEXT_FACTOR, TEXT_MARGIN};
use crate::lastwords::context::{self, Context};
use crate::lastwords::crash_lock::{CrashGuard, CrashLock};
use crate::lastwords::debugfs::bump;
use crate::lastwords::deflate::{Deflate, PresetDeflate, Prime};
use crate::lastwords::efivar::{
    self, EfiStatus, EfivarsGuard, ATTR_NV_BS_RT, LINUX_EFI_CRASH_GUID,
};
use crate::lastwords::fixed_buf::FixedBuf;
use crate::lastwords::irq_work::IrqWork;
use crate::lastwords::kmsg_dump::{self, DumpHandler, DumpIter};
use crate::lastwords::pstore;
use crate::lastwords::time;
use crate::line_codec;
use crate::packing;
use crate::params::enabled;
use crate::{
    BYPASSED, DEFERRED, DEFERRED_ERRORS, DEFERRED_WRITTEN, DUMPS, DUMPS_SKIPPED, FIRMWARE_BUSY,
    LOG_BYTES, PACK_RETRIES, PARTS_ALT, PARTS_COMPRESSED, PARTS_RAW, RESERVE_USED, SKIPPED,
    WRITE_BUSY, WRITE_ERRORS, WRITTEN,
};

/// Compression attempts per part before storing it uncompressed.
const PACK_TRIES: u32 = 4;
/// Log records the first fetch of a dump looks at (the window widens as
/// needed): about two full parts of lines. Fetching over the whole log, as
/// pstore's core does, reads all of it for every part.
const FETCH_WINDOW: u64 = 64;
/// pstore decompresses records only with `CONFIG_PSTORE_COMPRESS`.
const COMPRESS: bool = cfg!(CONFIG_PSTORE_COMPRESS);
/// The smallest last part of a dense dump: below this, what is left of
/// `kmsg_bytes` is not used.
const DENSE_PART_MIN: usize = 512;
/// Compression level of dense parts: the best (zlib's 9); a part's
/// compression costs far less than the firmware's write of it.
const DENSE_LEVEL: i32 = 9;

/// The compressor of a set of dump buffers.
enum Compressor {
    /// C-compatible parts: raw deflate as pstore's core reads it.
    Compat(Deflate),
    /// Dense parts (format version [`dense::VERSION`]): the text's lines
    /// coded (`line_codec.rs`), then raw deflate after the version's
    /// dictionary.
    Dense(PresetDeflate),
}

/// The buffers of one dump, allocated at load: the log text of a part
/// (`3 * record_size`, dense `8 * record_size`), the compressor's output
/// and workspace (dense: with the dictionary's state saved for the main
/// set, [`Prime::Saved`]; the reserve, used only by a panic that finds the
/// main set held, compresses the dictionary again for each part instead,
/// [`Prime::EachCall`]: the saved state points into its own workspace and
/// cannot be shared).
struct DumpBufs {
    text: KVec<u8>,
    out: KVec<u8>,
    compressor: Compressor,
    /// Text length (header included) of the dump's last part that fit
    /// compressed; 0 at the start of a dump.
    fit: usize,
}

impl DumpBufs {
    /// Bytes of log text a part may hold.
    fn text_len(record_size: usize, dense: bool) -> usize {
        if dense {
            record_size * DENSE_TEXT_FACTOR
        } else {
            record_size * TEXT_FACTOR - TEXT_MARGIN
        }
    }

    /// Bytes of the output buffer: deflate output of incompressible text
    /// is at most a few bytes per 16 KiB block longer than the text; a
    /// dense compressor compresses the alternate dictionary there first
    /// for each part (and one that primes per call, its own too), after
    /// the part's header (with 1 KiB parts, more than the text).
    fn out_len(record_size: usize, dense: bool, prime: Prime) -> usize {
        let text = Self::text_len(record_size, dense) + TEXT_MARGIN;
        if !dense {
            return text;
        }
        let own = match dense::dictionary(dense::VERSION) {
            Some(dict) if prime == Prime::EachCall => PresetDeflate::prime_room(dict),
            _ => 0,
        };
        let alt = PresetDeflate::prime_room(dense::alt_dictionary());
        text.max(own.max(alt) + HEADER_LEN)
    }

    fn new(record_size: usize, dense: bool, prime: Prime) -> Result<Self> {
        let text_len = Self::text_len(record_size, dense);
        let compressor = if dense {
            Compressor::Dense(PresetDeflate::new(
                dense::dictionary(dense::VERSION).ok_or(EINVAL)?,
                DENSE_LEVEL,
                prime,
            )?)
        } else {
            Compressor::Compat(Deflate::new()?)
        };
        Ok(Self {
            text: KVec::from_elem(0u8, text_len, GFP_KERNEL)?,
            out: KVec::from_elem(0u8, Self::out_len(record_size, dense, prime), GFP_KERNEL)?,
            compressor,
            fit: 0,
        })
    }

    /// Bytes allocated for one set (stated in the log at load).
    fn size(record_size: usize, dense: bool, prime: Prime) -> usize {
        let workspaces = if dense {
            PresetDeflate::size(prime)
        } else {
            Deflate::size()
        };
        Self::text_len(record_size, dense) + Self::out_len(record_size, dense, prime) + workspaces
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

/// The write side, shared by the log dumper and the pstore backend (pmsg,
/// `store.rs`).
#[pin_data]
pub(crate) struct Writer {
    pub(crate) record_size: usize,
    pub(crate) kmsg_bytes: usize,
    /// Whether dumps are written as dense records.
    dense: bool,
    /// The dump buffers. A panic that finds them held (by a CPU it stopped
    /// in the middle of an oops dump, or by a dump it interrupted on this
    /// CPU) uses `reserve`, which only panics take.
    bufs: CrashLock<DumpBufs>,
    reserve: CrashLock<DumpBufs>,
    // Dropped in this order: no more kicks, then the work is cancelled and
    // what is left written.
    #[pin]
    kick: IrqWork<Kick>,
    pub(crate) flusher: FlushOwner,
}

/// The writer, for the test hook; set while the module is loaded. Taken in
/// process context only (load, unload, the hook), never for long.
pub(crate) static WRITER: CrashLock<Option<Arc<Writer>>> = CrashLock::new(None);

impl Writer {
    /// The writer, with its dump buffers and the reserve allocated, owning
    /// the flush work. Process context (module init).
    pub(crate) fn new(
        record_size: usize,
        kmsg_bytes: usize,
        dense: bool,
        flusher: Arc<Flusher>,
    ) -> Result<Arc<Self>> {
        let kick = Kick {
            flusher: flusher.clone(),
        };
        let bufs = DumpBufs::new(record_size, dense, Prime::Saved)?;
        let reserve = DumpBufs::new(record_size, dense, Prime::EachCall)?;
        let main = DumpBufs::size(record_size, dense, Prime::Saved);
        let spare = DumpBufs::size(record_size, dense, Prime::EachCall);
        pr_info!(
            "dump buffers: {} KiB ({} KiB and a {} KiB reserve; {} records of {} bytes)\n",
            (main + spare) / 1024,
            main / 1024,
            spare / 1024,
            if dense { "dense" } else { "C-compatible" },
            record_size
        );
        let writer = Arc::pin_init(
            try_pin_init!(Writer {
                record_size,
                kmsg_bytes,
                dense,
                bufs: CrashLock::new(bufs),
                reserve: CrashLock::new(reserve),
                kick <- IrqWork::new(kick),
                flusher: FlushOwner::new(flusher),
            }),
            GFP_KERNEL,
        )?;
        Ok(writer)
    }

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
        let count = format::next_dump_count();
        let secs = time::real_fast_ns() / 1_000_000_000;
        let time = i64::try_from(secs).unwrap_or(0);
        let mut iter = DumpIter::newest(FETCH_WINDOW);
        bufs.fit = 0;
        let mut total = 0usize;
        let mut part = 1u32;
        // Only the first error of a dump is logged (as pstore does).
        let mut error_logged = false;
        let mut firmware_busy = false;
        let mut stored = false;
        // The reader takes no part above PART_MAX.
        while total < self.kmsg_bytes && part <= PART_MAX {
            // A dense dump stays within its budget: its last part takes
            // what is left of it (C-compatible parts are all
            // `record_size`, as pstore's core makes them).
            let rs = if self.dense {
                self.record_size.min(self.kmsg_bytes - total)
            } else {
                self.record_size
            };
            if rs < DENSE_PART_MIN {
                break;
            }
            let Some(packed) = self.pack(&mut bufs, &mut iter, reason, count, part, rs) else {
                break;
            };
            let (data, compressed) = match packed {
                Packed::Compressed(n) => (bufs.out.get(..n).unwrap_or(&[]), true),
                Packed::Raw(n) => (bufs.text.get(..n).unwrap_or(&[]), false),
            };
            let dn = format::dmesg_name(count, part, time, compressed, self.dense);
            let name = format::ucs2_name(&dn);
            match self.store_atomic(&name, data, reason, part) {
                Ok(()) => stored = true,
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
        if stored && !panic && self.flusher.item().quota.enabled() {
            // Eviction runs in the flush work, never here; kicked once the
            // dump is over: kicked after each part, the work took the efivars
            // lock while the dump still wrote (7.x runs it at once), and the
            // dump's remaining parts were deferred.
            self.kick.queue();
        }
        bump(&DUMPS);
    }

    /// Fills the buffers with the next part: the header pstore writes
    /// (`Panic#1 Part1`), then as much of the newest log not yet dumped as
    /// compresses into `rs` bytes (`record_size`, or less for a dense dump's
    /// last part), the text staying below what the readers inflate into.
    /// Tries the most text first, then less, scaled by how far it missed (a
    /// dense part also more, while it has room to spare); after
    /// [`PACK_TRIES`], stores `rs` bytes of text uncompressed. Text fetched is never thrown away: the iterator
    /// moves only past what is stored. `None` when the log is exhausted.
    fn pack(
        &self,
        b: &mut CrashGuard<'_, DumpBufs>,
        iter: &mut DumpIter,
        reason: kmsg_dump::Reason,
        count: i32,
        part: u32,
        rs: usize,
    ) -> Option<Packed> {
        let DumpBufs {
            text,
            out,
            compressor,
            fit,
        } = &mut **b;
        // A dense part starts with its header: the data has that much less
        // room.
        let (room, hdr_room) = match compressor {
            Compressor::Dense(_) => (rs.checked_sub(HEADER_LEN)?, HEADER_LEN),
            Compressor::Compat(_) => (rs, 0),
        };
        let mut w = FixedBuf::new(&mut text[..]);
        format::write_header(&mut w, reason, count, part).ok()?;
        let hdr = w.len();
        let mut want = packing::first_text_len(*fit, text.len());
        let mut widened = false;
        // Dense parts only: the fetch size that gave the largest text that
        // fit so far, with room to spare, while a larger one is tried.
        let mut fitted: Option<usize> = None;
        // Without pstore's compression, readers would not inflate a
        // C-compatible part; dense parts are inflated by this module.
        let tries = if COMPRESS || self.dense {
            PACK_TRIES
        } else {
            0
        };
        for attempt in 0..tries {
            if attempt > 0 {
                bump(&PACK_RETRIES);
            }
            let mut it = *iter;
            // `None`: the log is exhausted. 0: no whole record fits in
            // `want` (the iterator would not move): try once with all the
            // room there is, then the raw path below stores what it can of
            // the newest record.
            let n = match it.get_buffer(text.get_mut(hdr..want)?) {
                Some(n) => n,
                None if fitted.is_some() => break,
                None => return None,
            };
            if n == 0 {
                if !widened && want < text.len() {
                    widened = true;
                    want = text.len();
                    continue;
                }
                break;
            }
            let len = hdr + n;
            let (missed, dense) = match compressor {
                Compressor::Compat(d) => (d.compress(text.get(..len)?, &mut out[..]), None),
                Compressor::Dense(d) => {
                    let (h, coded) = Self::dense_code(text, len)?;
                    (
                        d.compress(text.get(..coded)?, out.get_mut(HEADER_LEN..)?),
                        Some((h, coded)),
                    )
                }
            };
            match missed {
                Some(c) if c <= room => {
                    // All the log that is left is in this part: more room
                    // would fetch the same text again.
                    let grow = packing::grow_text_len(len, c, room, text.len())
                        .filter(|_| !it.exhausted());
                    if let (true, Some(more)) = (self.dense && attempt + 1 < tries, grow) {
                        fitted = Some(want);
                        want = more;
                        continue;
                    }
                    let c = match (dense, &mut *compressor) {
                        (Some((h, coded)), Compressor::Dense(d)) => {
                            match Self::finish_dense(d, text, coded, out, c, h) {
                                Some(c) => c,
                                None => break,
                            }
                        }
                        _ => c,
                    };
                    Self::taken(iter, it, fit, len, n);
                    return Some(Packed::Compressed(c + hdr_room));
                }
                _ if fitted.is_some() => break,
                missed => match packing::next_text_len(len, missed, room) {
                    Some(n) => want = n,
                    None => break,
                },
            }
        }
        if let (Some(fetched), Compressor::Dense(d)) = (fitted, &mut *compressor) {
            // Back to the largest text that fit: fetched again with the
            // same room from the same place, it is the same text.
            let mut it = *iter;
            let n = it.get_buffer(text.get_mut(hdr..fetched)?)?;
            let len = hdr + n;
            let (h, coded) = Self::dense_code(text, len)?;
            if let Some(c) = d
                .compress(text.get(..coded)?, out.get_mut(HEADER_LEN..)?)
                .filter(|&c| c <= room)
                .and_then(|c| Self::finish_dense(d, text, coded, out, c, h))
            {
                Self::taken(iter, it, fit, len, n);
                return Some(Packed::Compressed(c + HEADER_LEN));
            }
        }
        let n = match iter.get_buffer(text.get_mut(hdr..room)?)? {
            0 => Self::long_record(iter, text.get_mut(hdr..)?, room.checked_sub(hdr)?, out)?,
            n => n,
        };
        bump(&PARTS_RAW);
        LOG_BYTES.fetch_add(n as u64, Ordering::Relaxed);
        if self.dense {
            // Stored as is, after the header.
            let src = text.get(..hdr + n)?;
            out.get_mut(HEADER_LEN..HEADER_LEN + src.len())?
                .copy_from_slice(src);
            Self::put_dense_header(out, Self::dense_header(Method::Stored, src)?)?;
            return Some(Packed::Compressed(HEADER_LEN + src.len()));
        }
        Some(Packed::Raw(hdr + n))
    }

    /// A compressed part is kept: the dump goes on after its `n` bytes of
    /// log (`it`), and the next part starts from its text length `len`.
    fn taken(iter: &mut DumpIter, it: DumpIter, fit: &mut usize, len: usize, n: usize) {
        *iter = it;
        *fit = len;
        bump(&PARTS_COMPRESSED);
        LOG_BYTES.fetch_add(n as u64, Ordering::Relaxed);
    }

    /// The header of a dense part whose text is `text`, stored with
    /// `method`.
    fn dense_header(method: Method, text: &[u8]) -> Option<PartHeader> {
        Some(PartHeader {
            version: dense::VERSION,
            method,
            text_len: u32::try_from(text.len()).ok()?,
            crc: dense::crc32(text),
        })
    }

    /// The text of a dense part, `text[..len]`, is about to be deflated:
    /// its header (taken before the text is coded), and the length of what
    /// to deflate, `text[..]` coded in place (`line_codec.rs`), or not
    /// coded (method 2) where the codec refuses it.
    fn dense_code(text: &mut [u8], len: usize) -> Option<(PartHeader, usize)> {
        let src = text.get(..len)?;
        let mut h = Self::dense_header(Method::Deflate, src)?;
        let coded = match line_codec::encode_in_place(text, len) {
            Some(n) => n,
            None => {
                h.method = Method::DeflateUncoded;
                len
            }
        };
        Some((h, coded))
    }

    /// A dense part's coded text (`text[..coded]`, header `h`) fit after
    /// the version's dictionary in `c` bytes (`out[HEADER_LEN..]`): deflates
    /// it after the alternate dictionary too ([`dense::alt_dictionary`], a
    /// QEMU guest's log where the version's knows real hardware) and keeps
    /// that if it is smaller (method 3), else deflates it again after the
    /// version's (the try wrote over it); a text the codec refused (method
    /// 2) keeps the version's. Writes the header. Returns the data's
    /// length, `None` if zlib fails (the caller stores the text raw).
    fn finish_dense(
        d: &mut PresetDeflate,
        text: &[u8],
        coded: usize,
        out: &mut [u8],
        c: usize,
        mut h: PartHeader,
    ) -> Option<usize> {
        let src = text.get(..coded)?;
        let c = if h.method != Method::Deflate {
            c
        } else if let Some(a) = d
            .compress_with(dense::alt_dictionary(), src, out.get_mut(HEADER_LEN..)?)
            .filter(|&a| a < c)
        {
            bump(&PARTS_ALT);
            h.method = Method::DeflateAlt;
            a
        } else {
            // The same state and text: the same output.
            d.compress(src, out.get_mut(HEADER_LEN..)?)
                .filter(|&again| again == c)?
        };
        Self::put_dense_header(out, h)?;
        Some(c)
    }

    /// Writes the dense part header `h` at the start of `out`.
    fn put_dense_header(out: &mut [u8], h: PartHeader) -> Option<()> {
        let mut buf = [0u8; HEADER_LEN];
        h.encode(&mut buf);
        out.get_mut(..HEADER_LEN)?.copy_from_slice(&buf);
        Some(())
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
        if reason == pstore::reason::PANIC && test_firmware_busy(part) {
            bump(&FIRMWARE_BUSY);
            pr_emerg!(
                "firmware busy on a stopped CPU (test_busy_part): not re-entering it; panic dump stopped at part {}\n",
                part
            );
            return Err(Failed::FirmwareBusy);
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
        while let Some(d) = self.flusher.item().pool.take() {
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
        let Some(mut slot) = self.flusher.item().pool.claim() else {
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
        if !test_flush_at_unload() {
            self.kick.queue();
        }
        Ok(())
    }
}

/// Crash tests (`test_hooks=1 test_busy_part=N`): whether the panic dump
/// is to find the firmware busy at `part`, as when a CPU that the panic
/// stopped was inside a variable service from part N on. Part 0 (the
/// deferred parts of earlier dumps) never. Any context.
fn test_firmware_busy(part: u32) -> bool {
    let at = crate::module_parameters::test_busy_part.value();
    at != 0 && part >= at && crate::module_parameters::test_hooks.value()
}

/// Crash tests (`test_hooks=1 test_flush_at_unload=1`): whether deferred
/// parts are left in the pool for the unload's last flush
/// (`flush.rs`), not kicked to the flush work: so that a test can signal
/// rmmod while that flush waits for the efivars lock. Any context.
fn test_flush_at_unload() -> bool {
    crate::module_parameters::test_flush_at_unload.value()
        && crate::module_parameters::test_hooks.value()
}

/// Test hook (exported by the C side for lw_crash_test): takes the dump
/// buffers' lock and never gives it back, as an oops dump would leave it on a
/// CPU that a panic stopped. 0, or `-EPERM` unless the module was loaded
/// with `test_hooks=1`, `-EBUSY` if the lock is taken, `-ENODEV` while the
/// module is not set up.
// `pub(crate)`: the crate does not export it, the C side links to it by
// name (`#[no_mangle]` items are always emitted as global symbols).
#[no_mangle]
pub(crate) extern "C" fn lw_efi_pstore_rust_hold_dump_lock() -> kernel::ffi::c_int {
    if !crate::module_parameters::test_hooks.value() {
        return EPERM.to_errno();
    }
    let Some(writer) = WRITER.try_lock() else {
        return EBUSY.to_errno();
    };
    let Some(w) = writer.as_ref() else {
        return ENODEV.to_errno();
    };
    let Some(held) = w.bufs.try_lock_here() else {
        return EBUSY.to_errno();
    };
    pr_warn!("test hook: holding the dump lock for good (oops dumps are off from now on)\n");
    core::mem::forget(held);
    0
}

/// The log dumper.
pub(crate) struct LogDump(pub(crate) Arc<Writer>);

impl DumpHandler for LogDump {
    fn dump(&self, reason: kmsg_dump::Reason) {
        self.0.dump(reason);
    }
}
