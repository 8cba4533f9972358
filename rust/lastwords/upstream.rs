// SPDX-License-Identifier: GPL-2.0

//! The kernel crate's abstractions that this project uses and that 6.12 lacks,
//! under their 7.x paths: from the kernel crate on 7.x, from [`compat`] on
//! 6.12. `Kbuild` sets `--cfg lw_compat_6_12` (and `-DLW_COMPAT_6_12` for
//! the C shims that only compat needs, in `rust/helpers.c`) for trees before
//! 7.0, and this is the only Rust file that reads it; module
//! code writes `lastwords::sync::SpinLockIrq` and runs on both.
//!
//! Not taken from 7.x: `kernel::debugfs`. Its `file_operations` are the
//! kernel crate's generic constants, instantiated in the module that uses
//! them but with no `owner`: an open file does not hold the module, `rmmod`
//! succeeds under it, and the last `close()` runs `full_proxy_release()` on
//! the freed module's `file_operations` (an oops on 7.3.4: "unable to handle
//! page fault", RIP `full_proxy_release`). [`super::debugfs`] names the
//! module as owner; `selftests/primitives/test_debugfs_unload.sh` checks it.

#[cfg(lw_compat_6_12)]
#[path = "compat/mod.rs"]
pub mod compat;

/// `kernel::sync`'s interrupt-disabling spinlock and its lockdep class type.
pub mod sync {
    #[cfg(lw_compat_6_12)]
    pub use super::compat::spinlock_irq::{new_spinlock_irq, SpinLockIrq, SpinLockIrqGuard};
    #[cfg(not(lw_compat_6_12))]
    pub use kernel::sync::{new_spinlock_irq, SpinLockIrq, SpinLockIrqGuard};

    /// What `kernel::static_lock_class!()` returns.
    #[cfg(lw_compat_6_12)]
    pub type StaticLockClass = &'static kernel::sync::LockClassKey;
    /// What `kernel::static_lock_class!()` returns.
    #[cfg(not(lw_compat_6_12))]
    pub type StaticLockClass = core::pin::Pin<&'static kernel::sync::LockClassKey>;
}

/// The `Display` that `pr_*!` formats with (7.x: `kernel::fmt`'s own).
pub mod fmt {
    #[cfg(lw_compat_6_12)]
    pub use core::fmt::Display;
    #[cfg(not(lw_compat_6_12))]
    pub use kernel::fmt::Display;
}

/// `kernel::uaccess`: a user slice from a raw address.
pub mod uaccess {
    use kernel::uaccess::UserSlice;

    /// The `len` bytes at user address `addr` (7.x wraps it in `UserPtr`).
    pub fn user_slice(addr: usize, len: usize) -> UserSlice {
        #[cfg(lw_compat_6_12)]
        let ptr = addr;
        #[cfg(not(lw_compat_6_12))]
        let ptr = kernel::uaccess::UserPtr::from_addr(addr);
        UserSlice::new(ptr, len)
    }
}

/// `kernel::workqueue`'s queues.
pub mod wq {
    use kernel::workqueue::Queue;

    /// The per-CPU system workqueue: 7.x's `system_percpu_wq` (7.x deprecates
    /// `system_wq`, which `kernel::workqueue::system()` still returns, with a
    /// log line at its first use), 6.12's `system_wq`.
    pub fn system_percpu() -> &'static Queue {
        #[cfg(lw_compat_6_12)]
        let q = kernel::workqueue::system();
        // SAFETY: `system_percpu_wq` is set up at boot, before any module
        // loads, and never freed; reading the pointer is a plain load.
        #[cfg(not(lw_compat_6_12))]
        let q = unsafe { Queue::from_raw(kernel::bindings::system_percpu_wq) };
        q
    }
}

/// `kernel::interrupt`'s interrupt-disable token.
pub mod interrupt {
    #[cfg(lw_compat_6_12)]
    pub use super::compat::interrupt::{local_interrupt_disable, LocalInterruptDisabled};
    #[cfg(not(lw_compat_6_12))]
    pub use kernel::interrupt::{local_interrupt_disable, LocalInterruptDisabled};
}

/// `kernel::module!` with 7.x's fields (`authors: [..]`) on every kernel;
/// use it as `lastwords::module!`.
#[cfg(not(lw_compat_6_12))]
#[macro_export]
macro_rules! lw_module {
    ($($t:tt)*) => { ::kernel::prelude::module! { $($t)* } };
}

/// `kernel::module!` with 7.x's fields (`authors: [..]`, `params: {..}`) on
/// every kernel; use it as `lastwords::module!`. On 6.12: one author, and
/// `params` (if any) right after `license`; the parameters come from
/// [`compat::module_param`].
#[cfg(lw_compat_6_12)]
#[macro_export]
macro_rules! lw_module {
    (type: $type:ident, name: $name:tt, authors: [$author:tt $(,)?], description: $desc:tt,
     license: $license:tt, params: { $($params:tt)* } $(,)?) => {
        ::kernel::prelude::module! {
            type: $type, name: $name, author: $author, description: $desc, license: $license,
        }
        $crate::lw_module_params! { $($params)* }
    };
    (type: $type:ident, name: $name:tt, authors: [$author:tt $(,)?], $($rest:tt)*) => {
        ::kernel::prelude::module! { type: $type, name: $name, author: $author, $($rest)* }
    };
}
