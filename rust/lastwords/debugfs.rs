// SPDX-License-Identifier: GPL-2.0

//! debugfs directories, counter files and write-to-trigger files.
//!
//! Counter files point at `'static` data (module statics), which outlives the
//! files: they are removed with their [`Dir`] at the latest when the module's
//! data is dropped at unload, before its statics go away. A [`TriggerDir`]
//! owns the handler its write file calls and removes the directory before
//! dropping the handler. debugfs's file proxy waits for running file
//! operations when a file is removed, and fails later ones.
//!
//! The `file_operations` of trigger and text files live in this module's
//! text and carry it as their `owner`: debugfs's proxy takes a reference on
//! the owner when such a file is opened (`fops_get()`) and drops it when the
//! file is released, after calling into the operations one last time
//! (`full_proxy_release()`). So an open file keeps the module loaded, and
//! `rmmod` fails (the module is in use) until it is closed. Counter files use
//! the kernel's own operations and need no owner.

use super::bindings;
use super::fixed_buf::FixedBuf;
use core::ffi::c_void;
use core::pin::Pin;
use core::sync::atomic::{AtomicBool, AtomicU64};
use kernel::prelude::*;
use kernel::str::CStr;

/// Declares `AtomicU64` counter statics and a function
/// `counter_files(&Dir)` that shows each in a read-only file.
///
/// # Examples
///
/// At the crate root, next to `module!`; the counters are bumped anywhere
/// in the module (any context, NMI included):
///
/// ```ignore
/// lastwords::debugfs::debugfs_counters!(
///     WRITTEN => "written",
///     WRITE_ERRORS => "write_errors",
/// );
///
/// fn init() -> Result<Dir> {
///     let dir = Dir::new(c_str!("my_module"))?;
///     // /sys/kernel/debug/my_module/written and .../write_errors
///     counter_files(&dir);
///     Ok(dir)
/// }
///
/// fn store() {
///     bump(&WRITTEN);
/// }
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

// The type is never read through, only its address taken; 7.x's
// `struct module` has members rustc deems not FFI-safe.
#[allow(improper_ctypes)]
extern "C" {
    /// The `struct module` of the module this library is built into (every
    /// user is a loadable module), defined by modpost; the declaration is
    /// the one the `module!` macro makes for `THIS_MODULE`.
    static __this_module: kernel::types::Opaque<kernel::bindings::module>;
}

/// `THIS_MODULE`: the module whose code the file operations of this library
/// are, as a `file_operations::owner`.
const fn this_module() -> *mut bindings::module {
    // Taking the address of an extern static is safe: it is not read.
    (&raw const __this_module).cast_mut().cast()
}

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
        // An open file holds a reference on this module (module doc).
        owner: this_module(),
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
    if let Err(e) = super::uaccess::user_slice(buf as usize, n)
        .reader()
        .read_slice(dst)
    {
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
/// # Examples
///
/// ```ignore
/// use crate::lastwords::debugfs::{TriggerDir, WriteHandler};
///
/// #[pin_data]
/// struct Trigger {}
///
/// impl WriteHandler for Trigger {
///     fn write(&self, data: &[u8]) -> Result {
///         match data {
///             b"nmi" => {
///                 nmi::send_nmi_to_self();
///                 Ok(())
///             }
///             _ => Err(EINVAL),
///         }
///     }
/// }
///
/// // `echo nmi > /sys/kernel/debug/my_module/run`, until `trigger` is dropped.
/// let trigger = TriggerDir::new(c_str!("my_module"), c_str!("run"), try_pin_init!(Trigger {}))?;
/// counter_files(trigger.dir());
/// trigger.dir().bool_file(c_str!("armed"), &ARMED);
/// ```
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
            bindings::lw_debugfs_create_file(
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

/// Largest content of a text file made by [`TriggerDir::text_file`].
pub const TEXT_MAX: usize = 4096;

/// The content of a read-only text file of a [`TriggerDir`].
pub trait TextSource: Sync {
    /// Writes the file's content into `out`, at most [`TEXT_MAX`] bytes
    /// (what does not fit is cut). Called for each `read(2)`, in the
    /// reader's process context (a read that continues at an offset sees the
    /// content as of that call).
    fn show(&self, out: &mut FixedBuf<'_>);
}

struct ReadFops<H: TextSource>(core::marker::PhantomData<H>);

impl<H: TextSource> ReadFops<H> {
    const FOPS: bindings::file_operations = bindings::file_operations {
        // An open file holds a reference on this module (module doc).
        owner: this_module(),
        open: Some(bindings::simple_open),
        read: Some(read_trampoline::<H>),
        llseek: Some(bindings::noop_llseek),
        // SAFETY: All other members are optional pointers: zero is "none".
        ..unsafe { core::mem::zeroed() }
    };
}

/// The C `read` operation of a text file.
///
/// # Safety
///
/// Called by the VFS for a file created by [`TriggerDir::text_file`] for `H`,
/// whose `private_data` points at the pinned `H` of a live [`TriggerDir`],
/// with `buf` a user buffer of `count` bytes and `ppos` the file position.
unsafe extern "C" fn read_trampoline<H: TextSource>(
    file: *mut bindings::file,
    buf: *mut kernel::ffi::c_char,
    count: usize,
    ppos: *mut bindings::loff_t,
) -> isize {
    // SAFETY: See the function's safety requirements: the `H` outlives the
    // file, which its `TriggerDir` removes first.
    let h = unsafe { &*(*file).private_data.cast::<H>() };
    let Ok(mut page) = KVec::from_elem(0u8, TEXT_MAX, GFP_KERNEL) else {
        return ENOMEM.to_errno() as isize;
    };
    let mut out = FixedBuf::new(&mut page);
    h.show(&mut out);
    let text = out.as_bytes();
    // SAFETY: `buf`/`count` and `ppos` come from the VFS (function safety
    // requirements); the source is `text`, valid for its length.
    unsafe {
        kernel::bindings::simple_read_from_buffer(
            buf.cast(),
            count,
            ppos.cast(),
            text.as_ptr().cast(),
            text.len(),
        )
    }
}

impl<H: WriteHandler + TextSource> TriggerDir<H> {
    /// Adds a world-readable text file `name` whose content the handler
    /// shows ([`TextSource::show`]). Like the write file, it is removed with
    /// the directory, before the handler is dropped.
    pub fn text_file(&self, name: &CStr) -> Result {
        let h = core::ptr::from_ref(&self.handler)
            .cast_mut()
            .cast::<c_void>();
        // SAFETY: `h` points at the pinned handler, which outlives the file
        // (type invariant: the directory, and the file in it, are removed
        // first); the fops are a static constant built for `H`, matching
        // `read_trampoline`'s requirements.
        check(unsafe {
            bindings::lw_debugfs_create_file(
                name.as_char_ptr(),
                0o444,
                self.dir.dentry,
                h,
                &ReadFops::<H>::FOPS,
            )
        })?;
        Ok(())
    }
}
