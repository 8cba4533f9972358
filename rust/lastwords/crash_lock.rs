// SPDX-License-Identifier: GPL-2.0

//! kexec-style crash trylocks, with the two faces the kernel's kexec code
//! gives its lock (`kernel/kexec_internal.h`):
//!
//! - crash and NMI callers only ever *try* ([`CrashLock::try_lock_here`]): one
//!   atomic compare-exchange (acquire) to take it, one release store to drop
//!   it, no waiting, no owner spinning. A holder that never comes back (a CPU
//!   that a panic stopped) cannot hang the panic path.
//! - process-context callers (the sysfs-style ones) get `-EBUSY` instead of
//!   blocking ([`CrashLock::try_lock_or_busy`]), optionally serialised among
//!   themselves by a mutex ([`HybridCrashLock`]) so that they queue behind
//!   each other instead of failing against each other.
//!
//! Why not a mutex alone: a mutex may sleep, which NMI, hard interrupt and
//! panic context must not do; `mutex_trylock()` is not allowed from
//! interrupt context either (its owner tracking and debug checks assume a
//! task), and a mutex held by a CPU that a panic stopped stays held forever
//! while its waiters could spin on the wait lock. The atomic word is the part
//! every context can use; the mutex only orders the sleepable callers.
//!
//! The algorithm lives in `rust/core/src/crash_lock.rs`, shared with the host
//! tests (`cargo test`, loom).

use super::context;
use super::sync::StaticLockClass;
use core::num::NonZeroU32;
use kernel::prelude::*;
use kernel::str::CStr;
use kernel::sync::lock::{mutex::MutexBackend, Guard};
use kernel::sync::Mutex;

#[path = "../core/src/crash_lock.rs"]
mod algorithm;

pub use algorithm::{CrashGuard, CrashLock};

fn this_cpu_tag() -> NonZeroU32 {
    NonZeroU32::new(context::processor_id().wrapping_add(1)).unwrap_or(NonZeroU32::MIN)
}

impl<T> CrashLock<T> {
    /// Tries once to take the lock, tagging it with this CPU (number + 1, see
    /// [`CrashLock::owner_cpu`]). Safe in any context, NMI and panic included.
    ///
    /// # Examples
    ///
    /// ```ignore
    /// use crate::lastwords::crash_lock::CrashLock;
    ///
    /// static CRASH: CrashLock<u64> = CrashLock::new(0);
    ///
    /// // NMI handler, panic path: never waits, a held lock is just busy.
    /// match CRASH.try_lock_here() {
    ///     Some(mut g) => *g = g.wrapping_add(1),
    ///     None => bump(&NMI_BUSY),
    /// }
    ///
    /// // Process context, for a caller that reports errors.
    /// let g = CRASH.try_lock_or_busy()?;
    /// pr_info!("value {} (held by CPU {:?})\n", *g, CRASH.owner_cpu());
    /// ```
    pub fn try_lock_here(&self) -> Option<CrashGuard<'_, T>> {
        self.try_lock_as(this_cpu_tag())
    }

    /// Like [`CrashLock::try_lock_here`], for callers that report errors:
    /// `EBUSY` when the lock is held.
    pub fn try_lock_or_busy(&self) -> Result<CrashGuard<'_, T>> {
        self.try_lock_here().ok_or(EBUSY)
    }

    /// The CPU that holds the lock, if any (a hint: it may change right away).
    pub fn owner_cpu(&self) -> Option<u32> {
        self.owner().map(|t| t.get().wrapping_sub(1))
    }
}

/// Creates a [`HybridCrashLock`] initialiser; the mutex gets a lockdep class
/// of its own, named after the given literal or the call site.
#[macro_export]
macro_rules! new_hybrid_crash_lock {
    ($inner:expr $(, $name:literal)? $(,)?) => {
        $crate::lastwords::crash_lock::HybridCrashLock::new(
            $inner,
            ::kernel::optional_name!($($name)?),
            ::kernel::static_lock_class!(),
        )
    };
}
pub use new_hybrid_crash_lock;

/// A crash lock whose process-context users are serialised by a mutex.
///
/// # Examples
///
/// ```ignore
/// use crate::lastwords::crash_lock::{new_hybrid_crash_lock, HybridCrashLock};
///
/// #[pin_data]
/// struct Shared {
///     #[pin]
///     hybrid: HybridCrashLock<u64>,
/// }
///
/// let shared = Arc::pin_init(
///     pin_init!(Shared {
///         hybrid <- new_hybrid_crash_lock!(0, "my_module_hybrid"),
///     }),
///     GFP_KERNEL,
/// )?;
///
/// // Process context (a debugfs write): waits for other writers; `EBUSY`
/// // while a crash or NMI path holds the lock.
/// *shared.hybrid.lock_or_busy()? += 1;
///
/// // Crash or NMI path: one try.
/// if let Some(mut g) = shared.hybrid.try_lock() {
///     *g = g.wrapping_add(1);
/// }
/// ```
#[pin_data]
pub struct HybridCrashLock<T> {
    #[pin]
    serial: Mutex<()>,
    lock: CrashLock<T>,
}

/// Proof that a process-context caller holds a [`HybridCrashLock`]: the mutex
/// and the crash lock. Drops the crash lock first, then the mutex.
pub struct HybridGuard<'a, T> {
    crash: CrashGuard<'a, T>,
    _serial: Guard<'a, (), MutexBackend>,
}

impl<T> HybridCrashLock<T> {
    /// Returns an initialiser; prefer [`new_hybrid_crash_lock!`].
    pub fn new(t: T, name: &'static CStr, key: StaticLockClass) -> impl PinInit<Self> {
        pin_init!(Self {
            serial <- Mutex::new((), name, key),
            lock: CrashLock::new(t),
        })
    }

    /// The crash/NMI face: one try, never waits.
    pub fn try_lock(&self) -> Option<CrashGuard<'_, T>> {
        self.lock.try_lock_here()
    }

    /// The process-context face: waits (sleeping) for other process-context
    /// callers, then tries the crash lock once; `EBUSY` if a crash or NMI path
    /// holds it. Must not be called from atomic context.
    pub fn lock_or_busy(&self) -> Result<HybridGuard<'_, T>> {
        let serial = self.serial.lock();
        let crash = self.lock.try_lock_or_busy()?;
        Ok(HybridGuard {
            crash,
            _serial: serial,
        })
    }

    /// The underlying crash lock.
    pub fn crash_lock(&self) -> &CrashLock<T> {
        &self.lock
    }
}

impl<T> core::ops::Deref for HybridGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.crash
    }
}

impl<T> core::ops::DerefMut for HybridGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.crash
    }
}
