// SPDX-License-Identifier: GPL-2.0

//! Microbenchmarks of the lastwords primitives against their C anchors, in
//! the same boot: `echo ITERATIONS > /sys/kernel/debug/lw_bench/run` runs 5
//! rounds of each case (C and Rust interleaved) and logs one line per sample:
//! `lw_bench: sample CASE IMPL NS`. `scripts/bench.sh` turns them into a
//! table of medians and ratios. `echo nvram > .../run` logs what the
//! firmware reports of its variable store (`lw_bench: nvram STORAGE
//! REMAINING`), for the pstore benchmark's NVRAM accounting. `echo profile >
//! .../run` times the pieces of a dump part, [`PROFILE_REPS`] times each:
//! fetching the newest log text (the whole log walked, or a window of the
//! newest records), compressing it (as C-compatible parts are, and as dense
//! parts are: after the kmsg dictionary, the saved state put back first),
//! and writing an EFI variable of a given
//! size (`lw_bench: profile CASE NS`). `echo 'apei_queue ROUNDS' > .../run`
//! times the APEI error status queue's enqueue against its C floor
//! ([`apei_queue`]; `scripts/bench-apei.sh`).

use apei_queue::QueueBench;
use core::sync::atomic::AtomicI32;
use kernel::c_str;
use kernel::prelude::*;

#[path = "../../rust/lastwords/mod.rs"]
pub mod lastwords;

mod apei_queue;

use lastwords::bindings;
use lastwords::crash_lock::CrashLock;
use lastwords::debugfs::{TriggerDir, WriteHandler};
use lastwords::deflate::{Deflate, PresetDeflate, Prime};
use lastwords::efivar::{EfivarsGuard, Guid, ATTR_NV_BS_RT};
use lastwords::kmsg_dump::DumpIter;
use lastwords::sync::{new_spinlock_irq, SpinLockIrq};
use lastwords::time;

lastwords::module! {
    type: Bench,
    name: "lw_bench",
    authors: ["lastwords developers"],
    description: "lastwords primitives vs C anchors microbenchmarks",
    license: "GPL",
}

const ROUNDS: usize = 5;
/// Samples of each profile case.
const PROFILE_REPS: usize = 7;
/// Log text sizes profiled: what the C pstore fetches per part with a
/// 1024-byte record (`1024 * 100 / 60`), lw_efi_pstore's most in
/// C-compatible parts, and a typical dense part of log text.
const PROFILE_TEXT: [usize; 3] = [1706, 3008, 5120];
/// The dictionary of dense parts, as lw_efi_pstore ships it.
static KMSG_DICT: &[u8] = include_bytes!("../../rust/core/dict/kmsg2.dict");
/// Variable sizes profiled: a typical C part, a full lw_efi_pstore part.
const PROFILE_VAR: [usize; 2] = [768, 1024];
/// Records in the windowed fetch.
const PROFILE_WINDOW: u64 = 128;
/// The profile's variables, deleted when it ends: a GUID of their own.
const BENCH_GUID: Guid = Guid::new(
    0x6c77_6265,
    0x6e63,
    0x4800,
    [0x9a, 0x1b, 0x2c, 0x3d, 0x4e, 0x5f, 0x60, 0x71],
);

static CRASH: CrashLock<()> = CrashLock::new(());
/// The C anchor's kexec-style lock word (`atomic_t` has the layout of `i32`).
static C_LOCK: AtomicI32 = AtomicI32::new(0);

#[pin_data]
struct Runner {
    #[pin]
    rust_lock: SpinLockIrq<()>,
    #[pin]
    apei_queue: QueueBench,
}

fn sample(case: impl lastwords::fmt::Display, imp: &str, ns: i64) {
    pr_info!("sample {} {} {}\n", case, imp, ns);
}

impl Runner {
    fn rust_spin(&self, iters: u64) -> i64 {
        let t0 = time::now_ns();
        for _ in 0..iters {
            drop(self.rust_lock.lock());
        }
        time::now_ns().wrapping_sub(t0)
    }

    fn c_spin(&self, iters: u64) -> i64 {
        // SAFETY: The anchor takes and releases its own spinlock `iters`
        // times on this CPU; no precondition.
        let ns = unsafe { bindings::lw_bench_c_spin_irqsave(iters) };
        i64::try_from(ns).unwrap_or(i64::MAX)
    }

    fn rust_try(iters: u64, here: bool) -> i64 {
        let t0 = time::now_ns();
        for _ in 0..iters {
            let g = if here {
                CRASH.try_lock_here()
            } else {
                CRASH.try_lock()
            };
            drop(g);
        }
        time::now_ns().wrapping_sub(t0)
    }

    fn c_try(iters: u64) -> i64 {
        // SAFETY: `C_LOCK` is an `i32`-sized atomic that only the anchor
        // uses, with the layout of `atomic_t`.
        let ns = unsafe { bindings::lw_bench_c_trylock(C_LOCK.as_ptr().cast(), iters) };
        i64::try_from(ns).unwrap_or(i64::MAX)
    }
}

/// A UCS-2 string being written with `write!` (ASCII only).
struct Ucs2(KVec<u16>);

impl core::fmt::Write for Ucs2 {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        for b in s.bytes() {
            self.0
                .push(u16::from(b), GFP_KERNEL)
                .map_err(|_| core::fmt::Error)?;
        }
        Ok(())
    }
}

/// `lw-bench-SIZE-I` as a NUL-terminated UCS-2 name.
fn bench_name(size: usize, i: usize) -> Result<KVec<u16>> {
    let mut name = Ucs2(KVec::new());
    core::fmt::Write::write_fmt(&mut name, format_args!("lw-bench-{}-{}\0", size, i))
        .map_err(|_| ENOMEM)?;
    Ok(name.0)
}

fn profile() -> Result {
    let max = PROFILE_TEXT.iter().copied().max().unwrap_or(0);
    let mut text = KVec::from_elem(0u8, max, GFP_KERNEL)?;
    let mut out = KVec::from_elem(0u8, max * 2, GFP_KERNEL)?;
    let mut deflate = Deflate::new()?;
    let mut dense = PresetDeflate::new(KMSG_DICT, 9, Prime::Saved)?;
    let (start, end) = DumpIter::rewind().bounds();
    pr_info!("profile log records {}\n", end.saturating_sub(start));
    for size in PROFILE_TEXT {
        let buf = text.get_mut(..size).ok_or(EINVAL)?;
        let mut n = 0;
        for _ in 0..PROFILE_REPS {
            let mut it = DumpIter::rewind();
            let t0 = time::now_ns();
            n = it.get_buffer(buf).unwrap_or(0);
            pr_info!(
                "profile fetch_all_{} {}\n",
                size,
                time::now_ns().wrapping_sub(t0)
            );
        }
        for _ in 0..PROFILE_REPS {
            let mut it = DumpIter::newest(PROFILE_WINDOW);
            let t0 = time::now_ns();
            let _ = it.get_buffer(buf);
            pr_info!(
                "profile fetch_window_{} {}\n",
                size,
                time::now_ns().wrapping_sub(t0)
            );
        }
        let src = text.get(..n).ok_or(EINVAL)?;
        for _ in 0..PROFILE_REPS {
            let t0 = time::now_ns();
            let c = deflate.compress(src, &mut out).unwrap_or(0);
            let dt = time::now_ns().wrapping_sub(t0);
            pr_info!("profile deflate_{} {} {}\n", size, dt, c);
        }
        for _ in 0..PROFILE_REPS {
            let t0 = time::now_ns();
            let c = dense.compress(src, &mut out).unwrap_or(0);
            let dt = time::now_ns().wrapping_sub(t0);
            pr_info!("profile dense_{} {} {}\n", size, dt, c);
        }
    }
    let g = EfivarsGuard::lock()?;
    for size in PROFILE_VAR {
        let data = text.get(..size).ok_or(EINVAL)?;
        for i in 0..PROFILE_REPS {
            let name = bench_name(size, i)?;
            let t0 = time::now_ns();
            let res = g.set_variable(&name, &BENCH_GUID, ATTR_NV_BS_RT, data, true);
            let dt = time::now_ns().wrapping_sub(t0);
            res.map_err(|(_, e)| e)?;
            pr_info!("profile setvar_{} {}\n", size, dt);
        }
    }
    for size in PROFILE_VAR {
        for i in 0..PROFILE_REPS {
            if let Ok(name) = bench_name(size, i) {
                let _ = g.set_variable(&name, &BENCH_GUID, ATTR_NV_BS_RT, &[], false);
            }
        }
    }
    Ok(())
}

fn parse_u64(data: &[u8]) -> Option<u64> {
    let mut v: u64 = 0;
    if data.is_empty() {
        return None;
    }
    for &c in data {
        let d = c.checked_sub(b'0').filter(|d| *d < 10)?;
        v = v.checked_mul(10)?.checked_add(u64::from(d))?;
    }
    Some(v)
}

impl WriteHandler for Runner {
    fn write(&self, data: &[u8]) -> Result {
        if data == b"nvram" {
            let info = lastwords::efivar::query_variable_info(lastwords::efivar::ATTR_NV_BS_RT)
                .map_err(|(_, e)| e)?;
            pr_info!("nvram {} {}\n", info.storage, info.remaining);
            return Ok(());
        }
        if data == b"profile" {
            return profile();
        }
        if let Some(rounds) = data.strip_prefix(b"apei_queue ") {
            let rounds = parse_u64(rounds).ok_or(EINVAL)?;
            return self.apei_queue.run(rounds.clamp(1, 100_000));
        }
        let iters = parse_u64(data).filter(|n| *n > 0).ok_or(EINVAL)?;
        pr_info!("start {} iterations x {} rounds\n", iters, ROUNDS);
        for _ in 0..ROUNDS {
            sample("spinlock_irqsave", "c", self.c_spin(iters));
            sample("spinlock_irqsave", "rust", self.rust_spin(iters));
            sample("crash_trylock", "c", Self::c_try(iters));
            sample("crash_trylock", "rust", Self::rust_try(iters, false));
            sample("crash_trylock_cpu_tag", "c", Self::c_try(iters));
            sample("crash_trylock_cpu_tag", "rust", Self::rust_try(iters, true));
        }
        pr_info!("done\n");
        Ok(())
    }
}

struct Bench {
    _trigger: Pin<KBox<TriggerDir<Runner>>>,
}

impl kernel::Module for Bench {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let trigger = TriggerDir::new(
            c_str!("lw_bench"),
            c_str!("run"),
            try_pin_init!(Runner {
                rust_lock <- new_spinlock_irq!((), "lw_bench_rust"),
                apei_queue <- QueueBench::new(),
            }),
        )?;
        Ok(Bench { _trigger: trigger })
    }
}
