// SPDX-License-Identifier: GPL-2.0

//! debugfs directories, counter files and write-to-trigger files.
//!
//! Counter files point at `'static` data (module statics), which outlives the
//! files: they are removed with their [`Dir`] at the latest when the module's
//! data is dropped at unload, before its statics go away. A [`TriggerDir`]
//! owns the handler its write file calls and removes the directory before
//! dropping the handler. debugfs's file proxy waits for running file
//! operations when a file is removed, and fails later ones.

use super::bindings;
use core::ffi::c_void;
use core::pin::Pin;
use core::sync::atomic::{AtomicBool, AtomicU64};
use kernel::prelude::*;
use kernel::str::CStr;
use kernel::uaccess::UserSlice;

/// Declares `AtomicU64` counter statics and a function
/// `counter_files(&Dir)` that shows each in a read-only file:
///
/// ```ignore
/// debugfs_counters!(WRITTEN => "written", ERRORS => "errors");
/// ```
#[macro_export]
macro_rules! debugfs_counters {
    ($($name:ident => $file:literal),* $(,)?) => {
        $(static $name: ::core::sync::atomic::AtomicU64 =
            ::core::sync::atomic::AtomicU64::new(0);)*
        fn counter_files(dir: &$crate::lastwords::debugfs::Dir) {
            $(dir.u64_file(::kernel::c_str!($file), &$name);)*
        }
    };
}
pub use debugfs_counters;

/// Adds one to a counter (relaxed: counters order nothing).
pub fn bump(counter: &AtomicU64) {
    counter.fetch_add(1, core::sync::atomic::Ordering::Relaxed);
}

/// A debugfs directory, removed with everything in it when dropped.
///
/// # Invariants
///
/// `dentry` is a valid debugfs dentry created by `debugfs_create_dir()`.
pub struct Dir {
    dentry: *mut bindings::dentry,
}

// SAFETY: A dentry pointer may be used and removed from any thread.
unsafe impl Send for Dir {}
// SAFETY: Creating files under a directory from several threads is allowed.
unsafe impl Sync for Dir {}

fn check(dentry: *mut bindings::dentry) -> Result<*mut bindings::dentry> {
    let v = dentry as isize;
    // ERR_PTR values are the last page of the address space.
    if (-4095..0).contains(&v) {
        Err(Error::from_errno(v as kernel::ffi::c_int))
    } else if dentry.is_null() {
        Err(ENOMEM)
    } else {
        Ok(dentry)
    }
}

/// The action of a write-to-trigger file: gets what user space wrote, without
/// a trailing newline, at most 63 bytes.
pub trait WriteHandler: Sync {
    /// Handles one write, in the writer's process context; an error is
    /// returned to the writer (`write(2)` fails with it).
    fn write(&self, data: &[u8]) -> Result;
}

struct WriteFops<H: WriteHandler>(core::marker::PhantomData<H>);

impl<H: WriteHandler> WriteFops<H> {
    const FOPS: bindings::file_operations = bindings::file_operations {
        open: Some(bindings::simple_open),
        write: Some(write_trampoline::<H>),
        llseek: Some(bindings::noop_llseek),
        // SAFETY: All other members are optional pointers: zero is "none".
        ..unsafe { core::mem::zeroed() }
    };
}

/// The C `write` operation of a trigger file.
///
/// # Safety
///
/// Called by the VFS for the file created by [`TriggerDir::new`] for `H`,
/// whose `private_data` (copied from `i_private` by `simple_open()`) points at
/// the pinned `H` of a live [`TriggerDir`].
unsafe extern "C" fn write_trampoline<H: WriteHandler>(
    file: *mut bindings::file,
    buf: *const kernel::ffi::c_char,
    count: usize,
    _ppos: *mut bindings::loff_t,
) -> isize {
    // SAFETY: See the function's safety requirements: the `H` outlives the
    // file, which its `TriggerDir` removes first.
    let h = unsafe { &*(*file).private_data.cast::<H>() };
    let mut kbuf = [0u8; 64];
    let n = count.min(kbuf.len() - 1);
    let Some(dst) = kbuf.get_mut(..n) else {
        return EINVAL.to_errno() as isize;
    };
    if let Err(e) = UserSlice::new(buf as usize, n).reader().read_slice(dst) {
        return e.to_errno() as isize;
    }
    let mut data: &[u8] = dst;
    while let [rest @ .., b'\n' | b' ' | b'\t'] = data {
        data = rest;
    }
    match h.write(data) {
        Ok(()) => count as isize,
        Err(e) => e.to_errno() as isize,
    }
}

impl Dir {
    /// Creates `/sys/kernel/debug/<name>`.
    pub fn new(name: &CStr) -> Result<Self> {
        // SAFETY: `name` is a valid C string; a null parent means the root.
        let d = check(unsafe {
            bindings::debugfs_create_dir(name.as_char_ptr(), core::ptr::null_mut())
        })?;
        // INVARIANT: a valid directory dentry.
        Ok(Self { dentry: d })
    }

    /// A read-only file showing `value` in decimal.
    pub fn u64_file(&self, name: &CStr, value: &'static AtomicU64) {
        // SAFETY: `AtomicU64` has the layout of `u64`; it outlives the file
        // (module doc). The read in debugfs is an aligned 8-byte load.
        unsafe {
            bindings::debugfs_create_u64(name.as_char_ptr(), 0o400, self.dentry, value.as_ptr())
        };
    }

    /// A root-writable boolean file (`Y`/`N`).
    pub fn bool_file(&self, name: &CStr, value: &'static AtomicBool) {
        // SAFETY: `AtomicBool` has the layout of `bool`; it outlives the file
        // (module doc).
        unsafe {
            bindings::debugfs_create_bool(name.as_char_ptr(), 0o600, self.dentry, value.as_ptr())
        };
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        // SAFETY: `dentry` is valid (type invariant); removal is recursive
        // and waits for running file operations.
        unsafe { bindings::debugfs_remove(self.dentry) };
    }
}

/// A debugfs directory with a root-only write-to-trigger file whose writes go
/// to an owned, pinned handler `H` (lkdtm style: `echo CASE > .../run`). More
/// files can be added with [`TriggerDir::dir`].
///
/// # Invariants
///
/// The write file's `i_private` points at `handler`, which is pinned and is
/// dropped only after `dir` (declared first) removed the file.
#[pin_data]
pub struct TriggerDir<H: WriteHandler> {
    dir: Dir,
    #[pin]
    handler: H,
}

impl<H: WriteHandler> TriggerDir<H> {
    /// Creates `/sys/kernel/debug/<name>/<file>` calling `handler`.
    pub fn new(
        name: &CStr,
        file: &CStr,
        handler: impl PinInit<H, Error>,
    ) -> Result<Pin<KBox<Self>>> {
        let dir = Dir::new(name)?;
        let this = KBox::try_pin_init(
            try_pin_init!(Self {
                dir,
                handler <- handler,
            }),
            GFP_KERNEL,
        )?;
        let h = core::ptr::from_ref(&this.handler)
            .cast_mut()
            .cast::<c_void>();
        // SAFETY: `h` points at the pinned handler, which outlives the file
        // (type invariant); the fops are a static constant built for `H`,
        // matching `write_trampoline`'s requirements.
        check(unsafe {
            bindings::debugfs_create_file(
                file.as_char_ptr(),
                0o200,
                this.dir.dentry,
                h,
                &WriteFops::<H>::FOPS,
            )
        })?;
        Ok(this)
    }

    /// The directory, to add counter files to.
    pub fn dir(&self) -> &Dir {
        &self.dir
    }

    /// The handler.
    pub fn handler(&self) -> &H {
        &self.handler
    }
}
