// SPDX-License-Identifier: GPL-2.0

//! Microbenchmarks of the lastwords primitives against their C anchors, in
//! the same boot: `echo ITERATIONS > /sys/kernel/debug/lw_bench/run` runs 5
//! rounds of each case (C and Rust interleaved) and logs one line per sample:
//! `lw_bench: sample CASE IMPL NS`. `scripts/bench.sh` turns them into a
//! table of medians and ratios. `echo nvram > .../run` logs what the
//! firmware reports of its variable store (`lw_bench: nvram STORAGE
//! REMAINING`), for the pstore benchmark's NVRAM accounting.

use core::sync::atomic::AtomicI32;
use kernel::c_str;
use kernel::prelude::*;

#[path = "../../rust/lastwords/mod.rs"]
pub mod lastwords;

use lastwords::bindings;
use lastwords::crash_lock::CrashLock;
use lastwords::debugfs::{TriggerDir, WriteHandler};
use lastwords::spinlock_irq::SpinLockIrq;
use lastwords::time;

module! {
    type: Bench,
    name: "lw_bench",
    author: "lastwords developers",
    description: "lastwords primitives vs C anchors microbenchmarks",
    license: "GPL",
}

const ROUNDS: usize = 5;

static CRASH: CrashLock<()> = CrashLock::new(());
/// The C anchor's kexec-style lock word (`atomic_t` has the layout of `i32`).
static C_LOCK: AtomicI32 = AtomicI32::new(0);

#[pin_data]
struct Runner {
    #[pin]
    rust_lock: SpinLockIrq<()>,
    #[pin]
    c_lock: SpinLockIrq<()>,
}

fn sample(case: &str, imp: &str, ns: i64) {
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
        // SAFETY: The anchor takes and releases the initialised spinlock
        // `iters` times on this CPU; nothing else uses `c_lock`.
        let ns = unsafe { bindings::lw_bench_c_spin_irqsave(self.c_lock.as_raw(), iters) };
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
                c_lock <- new_spinlock_irq!((), "lw_bench_c"),
            }),
        )?;
        Ok(Bench { _trigger: trigger })
    }
}
