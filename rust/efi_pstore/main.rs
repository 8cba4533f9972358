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
//! Records are dense by default (`dense.rs`: each part deflated with a
//! preset dictionary of kernel log lines, two to three times the log per
//! NVRAM byte of the C backend's records, which the C backend cannot read);
//! `dense=N` writes C-compatible records. Both are read back.
//!
//! Parameters (validated at load): `record_size` (1024..32768, or 0: by
//! record kind and firmware), `max_reason`
//! (1..5), `enabled` (run-time switch), `kmsg_bytes`, `quota_bytes`,
//! `quota_records`, `dense`, `test_hooks` (crash tests only). Counters in
//! `/sys/kernel/debug/lw_efi_pstore/` (when debugfs is available).
//!
//! This file is the module glue, in process context (load and unload):
//! parameters, then registration (the flush work, the writer, the pstore
//! backend, the counters, the kmsg dumper), then teardown. The rest:
//!
//! | file        | what                                        | context           |
//! |-------------|---------------------------------------------|-------------------|
//! | `params.rs` | the parameters, validated                   | load; `enabled()` any |
//! | `format.rs` | record names and headers                    | any (panic path)  |
//! | `writer.rs` | the dump path (panic, oops): pack and store | any (panic path)  |
//! | `nvram.rs`  | our variables: name walk, payload checks    | process           |
//! | `flush.rs`  | deferred parts, the quota, the flush work   | process (work)    |
//! | `pmsg.rs`   | pmsg writes, stored as C-compatible chunks  | process           |
//! | `store.rs`  | the pstore backend: read sessions, erase    | process           |
//!
//! Layering, bottom up (each file uses only those above it):
//! `params.rs`, `format.rs` and the record format (`rust/core`); `nvram.rs`;
//! `flush.rs`; `writer.rs`; `pmsg.rs`; `store.rs`; this file.
//!
//! Panic path rules (`format.rs`, `writer.rs`): never allocate, never sleep,
//! trylocks only.

use kernel::c_str;
use kernel::prelude::*;

#[path = "../lastwords/mod.rs"]
pub mod lastwords;

// `efi_name` writes with the one fixed-buffer writer, at `crate::fixed_buf`
// (as in the host crate, `rust/core`).
pub use lastwords::fixed_buf;

#[path = "../core/src/efi_name.rs"]
pub mod efi_name;

#[path = "../core/src/packing.rs"]
pub mod packing;

#[path = "../core/src/dense.rs"]
pub mod dense;

#[path = "../core/src/line_codec.rs"]
pub mod line_codec;

#[path = "../core/src/read_session.rs"]
pub mod read_session;

mod flush;
mod format;
mod nvram;
mod params;
mod pmsg;
mod store;
mod writer;

use flush::Flusher;
use lastwords::debugfs::Dir;
use lastwords::efivar;
use lastwords::kmsg_dump::Dumper;
use lastwords::pstore::{self, Registration};
use params::Params;
use store::EfiPstore;
use writer::{LogDump, Writer, WRITER};

lastwords::module! {
    type: LwEfiPstore,
    name: "lw_efi_pstore",
    authors: ["lastwords developers"],
    description: "EFI variable backend for pstore, in Rust",
    license: "GPL",
    params: {
        record_size: u32 {
            default: 0,
            description: "size of each pstore EFI variable in bytes, 1024..32768; 0 (default): 4096 for dense records (less if the firmware's variables are smaller), 1024 for C-compatible ones",
        },
        max_reason: i32 {
            default: 2,
            description: "largest kmsg_dump reason stored: 1 panic, 2 oops (default), 3 emerg, 4 shutdown, 5 all",
        },
        kmsg_bytes: u32 {
            default: kernel::bindings::CONFIG_PSTORE_DEFAULT_KMSG_BYTES,
            description: "NVRAM bytes one dump may use, as pstore's kmsg_bytes (default the kernel's, 10240)",
        },
        quota_bytes: u32 {
            default: 0,
            description: "most bytes of record data kept in NVRAM, oldest evicted first (0: no limit)",
        },
        quota_records: u32 {
            default: 0,
            description: "most records kept in NVRAM, oldest evicted first (0: no limit)",
        },
        dense: bool {
            default: true,
            description: "write dense records, two to three times the log per NVRAM byte of the C efi_pstore, which cannot read them (default Y); N: C-compatible records",
        },
        test_hooks: bool {
            default: false,
            description: "allow lw_crash_test to hold the dump lock for good (crash tests only; default N)",
        },
        test_busy_part: u32 {
            default: 0,
            description: "crash tests only, with test_hooks: a panic dump finds the firmware busy from this part on, as with a stopped CPU inside it (0: never)",
        },
        test_flush_at_unload: bool {
            default: false,
            description: "crash tests only, with test_hooks: deferred parts are not handed to the flush work; they wait for the unload's last flush (default N)",
        },
    },
}

// The counters, one debugfs file each (created at registration), bumped by
// every part of the module (`crate::WRITTEN`, ...).
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
    PARTS_ALT => "parts_alt_dictionary",
    PACK_RETRIES => "pack_retries",
    DEFERRED => "deferred",
    DEFERRED_WRITTEN => "deferred_written",
    DEFERRED_ERRORS => "deferred_errors",
    DEFERRED_DROPPED => "deferred_dropped",
    EVICTED => "evicted",
    READ => "read",
    READ_ERRORS => "read_errors",
    READ_SKIPPED => "read_skipped",
    READ_DAMAGED => "read_damaged",
    READ_CUT => "read_budget_cut",
    ERASED => "erased",
    PMSG_TOO_BIG => "pmsg_too_big",
);

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
        // The test hook's caller holds a reference on the module, so no hook
        // runs now; the lock is only ever held briefly anyway.
        loop {
            if let Some(mut w) = WRITER.try_lock() {
                let writer = w.take();
                drop(w);
                drop(writer);
                break;
            }
            lastwords::time::msleep(1);
        }
    }
}

impl kernel::Module for LwEfiPstore {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let params = Params::read()?;
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
        let record_size = params.record_size;
        let max_reason = params.max_reason;
        let quota = params.quota;
        let flusher = Flusher::new(record_size, quota)?;
        let initial = flusher.clone();
        let writer = Writer::new(record_size, params.kmsg_bytes, params.dense, flusher)?;
        let pstore_writer = writer.clone();
        let reg = Registration::register(
            c_str!("lw_efi_pstore"),
            pstore::FLAGS_PMSG,
            max_reason,
            record_size,
            EfiPstore::new(pstore_writer),
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
        let hook = writer.clone();
        let dumper = KBox::pin_init(Dumper::new(LogDump(writer), max_reason), GFP_KERNEL)?;
        dumper.as_ref().register()?;
        // For the test hook, until the module's drop takes it back.
        *WRITER.try_lock().ok_or(EBUSY)? = Some(hook);
        if quota.enabled() {
            // Bring what earlier boots left within the quota.
            let _ = crate::lastwords::workqueue::system_percpu().enqueue(initial);
        }
        pr_info!(
            "registered: record_size={} max_reason={} kmsg_bytes={} quota_bytes={} quota_records={} dense={}\n",
            record_size,
            max_reason,
            params.kmsg_bytes,
            quota.bytes,
            quota.records,
            if params.dense { "Y" } else { "N" }
        );
        Ok(LwEfiPstore {
            _dumper: dumper,
            _reg: reg,
            _dir: dir,
        })
    }
}
