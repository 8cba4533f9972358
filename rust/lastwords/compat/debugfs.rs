// SPDX-License-Identifier: GPL-2.0

//! `kernel::debugfs` for 6.12: the part of 7.x's API that this project uses,
//! with the same names and signatures: [`Dir`], [`Scope`] (a directory tree
//! whose files borrow the data the scope owns, all removed before the data is
//! dropped), [`ScopedDir`] with read-only files ([`Writer`]) and write-only
//! callback files.
//!
//! As in 7.x, failures are silent: a directory that cannot be created (no
//! debugfs, `debugfs=off`, no memory) gives a handle whose files are not
//! created either.
//!
//! # Examples
//!
//! ```ignore
//! let scope = KBox::pin_init(
//!     Scope::dir(data_init, c"lw_example", |data, dir| {
//!         dir.read_only_file(c"count", &data.count);
//!         dir.write_only_callback_file(c"run", data, &|d: &Data, r| d.run(r));
//!     }),
//!     GFP_KERNEL,
//! )?;
//! ```

use crate::lastwords::bindings;
use core::ffi::c_void;
use core::fmt;
use core::marker::{PhantomData, PhantomPinned};
use core::ptr::NonNull;
use kernel::prelude::*;
use kernel::str::CStr;
use kernel::uaccess::UserSliceReader;

/// Largest text a [`Writer`] file shows (a page).
const TEXT_MAX: usize = 4096;

/// A value that a read-only file shows as text. Implemented for every
/// `Debug` type, as one line.
pub trait Writer {
    /// Formats the value using the given formatter.
    fn write(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result;
}

impl<T: fmt::Debug> Writer for T {
    fn write(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{self:?}")
    }
}

/// Returns `dentry` if it is a valid dentry, or null for an error pointer.
fn valid(dentry: *mut bindings::dentry) -> *mut bindings::dentry {
    let v = dentry as isize;
    if (-4095..0).contains(&v) {
        core::ptr::null_mut()
    } else {
        dentry
    }
}

/// A debugfs directory at the root; removed, with everything in it, when
/// dropped.
///
/// # Invariants
///
/// `dentry` is null or a directory this handle created and still owns.
pub struct Dir {
    dentry: *mut bindings::dentry,
}

// SAFETY: The handle only passes the dentry to debugfs functions, which may
// be called from any thread.
unsafe impl Send for Dir {}
// SAFETY: As above; `&Dir` gives no access but creating children.
unsafe impl Sync for Dir {}

impl Dir {
    /// Creates a directory at the debugfs root.
    pub fn new(name: &CStr) -> Self {
        // SAFETY: `name` is a valid C string; a null parent is the root.
        let d = unsafe { bindings::debugfs_create_dir(name.as_char_ptr(), core::ptr::null_mut()) };
        // INVARIANT: `valid` keeps only a dentry we own.
        Self { dentry: valid(d) }
    }

    /// A scope: a subdirectory `name` of this directory associated with the
    /// data `data` initialises, populated by `init`. See [`Scope::dir`].
    pub fn scope<'a, T: 'a, E: 'a, F>(
        &'a self,
        data: impl PinInit<T, E> + 'a,
        name: &'a CStr,
        init: F,
    ) -> impl PinInit<Scope<T>, E> + 'a
    where
        F: for<'data, 'dir> FnOnce(&'data T, &'dir ScopedDir<'data, 'dir>) + 'a,
    {
        Scope::new(data, self.dentry, name, init)
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        // SAFETY: `dentry` is null or ours (type invariant); `debugfs_remove`
        // accepts null and removes the tree, waiting for open files' users.
        unsafe { bindings::debugfs_remove(self.dentry) };
    }
}

/// A debugfs directory tree associated with data `T`, which its files may
/// borrow; dropping it removes the tree, then drops the data.
///
/// # Invariants
///
/// `dentry` is null or a directory this scope created and owns; every file
/// under it refers only to `data`, which is pinned and outlives the tree.
#[pin_data(PinnedDrop)]
pub struct Scope<T> {
    dentry: *mut bindings::dentry,
    #[pin]
    data: T,
    #[pin]
    _pin: PhantomPinned,
}

// SAFETY: The dentry is only passed to debugfs functions (any thread); the
// data decides the rest.
unsafe impl<T: Send> Send for Scope<T> {}
// SAFETY: As above.
unsafe impl<T: Sync> Sync for Scope<T> {}

impl<'a, T: 'a> Scope<T> {
    /// A scope whose directory `name` is at the debugfs root.
    pub fn dir<E: 'a, F>(
        data: impl PinInit<T, E> + 'a,
        name: &'a CStr,
        init: F,
    ) -> impl PinInit<Self, E> + 'a
    where
        F: for<'data, 'dir> FnOnce(&'data T, &'dir ScopedDir<'data, 'dir>) + 'a,
    {
        Self::new(data, core::ptr::null_mut(), name, init)
    }

    fn new<E: 'a, F>(
        data: impl PinInit<T, E> + 'a,
        parent: *mut bindings::dentry,
        name: &'a CStr,
        init: F,
    ) -> impl PinInit<Self, E> + 'a
    where
        F: for<'data, 'dir> FnOnce(&'data T, &'dir ScopedDir<'data, 'dir>) + 'a,
    {
        try_pin_init!(Self {
            dentry: core::ptr::null_mut(),
            data <- data,
            _pin: PhantomPinned,
        }? E)
        .pin_chain(move |this| {
            // SAFETY: `name` is a valid C string; `parent` is null (the root)
            // or a live directory of the caller's `Dir`.
            let d = valid(unsafe { bindings::debugfs_create_dir(name.as_char_ptr(), parent) });
            // SAFETY: `dentry` is not structurally pinned.
            let this = unsafe { Pin::into_inner_unchecked(this) };
            // INVARIANT: the directory is ours; its files will borrow the
            // pinned `data`.
            this.dentry = d;
            let dir = ScopedDir {
                dentry: d,
                _phantom: PhantomData,
            };
            init(&this.data, &dir);
            Ok(())
        })
    }
}

#[pinned_drop]
impl<T> PinnedDrop for Scope<T> {
    fn drop(self: Pin<&mut Self>) {
        // SAFETY: `dentry` is null or ours (type invariant). Removing waits
        // for the files' running operations, so nothing uses `data`, which is
        // dropped after this.
        unsafe { bindings::debugfs_remove(self.dentry) };
    }
}

impl<T> core::ops::Deref for Scope<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.data
    }
}

/// A directory of a [`Scope`] being populated: its files may borrow data that
/// lives for `'data`; the scope removes them.
pub struct ScopedDir<'data, 'dir> {
    dentry: *mut bindings::dentry,
    _phantom: PhantomData<fn(&'data ()) -> &'dir ()>,
}

impl<'data, 'dir> ScopedDir<'data, 'dir> {
    /// A subdirectory, removed with the scope.
    pub fn dir<'dir2>(&'dir2 self, name: &CStr) -> ScopedDir<'data, 'dir2> {
        let d = if self.dentry.is_null() {
            core::ptr::null_mut()
        } else {
            // SAFETY: `name` is a valid C string; `dentry` is the scope's.
            valid(unsafe { bindings::debugfs_create_dir(name.as_char_ptr(), self.dentry) })
        };
        ScopedDir {
            dentry: d,
            _phantom: PhantomData,
        }
    }

    fn create_file<T>(&self, name: &CStr, mode: u16, data: &'data T, fops: &'static FileOps) {
        if self.dentry.is_null() {
            return;
        }
        let data = core::ptr::from_ref(data).cast_mut().cast::<c_void>();
        // SAFETY: `name` is a valid C string; the scope removes the file
        // before `data` ends (`'data`); `fops` matches `T` (callers).
        unsafe {
            bindings::lw_debugfs_create_file(name.as_char_ptr(), mode, self.dentry, data, &fops.0)
        };
    }

    /// A read-only file showing `data` through its [`Writer`].
    pub fn read_only_file<T: Writer + Send + Sync + 'static>(&self, name: &CStr, data: &'data T) {
        self.read_callback_file(name, data, &<T as Writer>::write);
    }

    /// A read-only file showing what `f` formats from `data`. `f` must be a
    /// function item or a non-capturing closure.
    pub fn read_callback_file<T, F>(&self, name: &CStr, data: &'data T, _f: &'static F)
    where
        T: Send + Sync + 'static,
        F: Fn(&T, &mut fmt::Formatter<'_>) -> fmt::Result + Send + Sync,
    {
        const { assert!(core::mem::size_of::<F>() == 0) };
        self.create_file(name, 0o444, data, &Ops::<T, F, ()>::READ);
    }

    /// A write-only file: each write calls `w` with `data` and the written
    /// bytes. `w` must be a function item or a non-capturing closure.
    pub fn write_only_callback_file<T, W>(&self, name: &CStr, data: &'data T, _w: &'static W)
    where
        T: Send + Sync + 'static,
        W: Fn(&T, &mut UserSliceReader) -> Result + Send + Sync,
    {
        const { assert!(core::mem::size_of::<W>() == 0) };
        self.create_file(name, 0o200, data, &Ops::<T, (), W>::WRITE);
    }

    /// A file read through `f` and written through `w` (both function items
    /// or non-capturing closures).
    pub fn read_write_callback_file<T, F, W>(
        &self,
        name: &CStr,
        data: &'data T,
        _f: &'static F,
        _w: &'static W,
    ) where
        T: Send + Sync + 'static,
        F: Fn(&T, &mut fmt::Formatter<'_>) -> fmt::Result + Send + Sync,
        W: Fn(&T, &mut UserSliceReader) -> Result + Send + Sync,
    {
        const { assert!(core::mem::size_of::<F>() == 0 && core::mem::size_of::<W>() == 0) };
        self.create_file(name, 0o600, data, &Ops::<T, F, W>::READ_WRITE);
    }
}

/// Returns the value of a zero-sized callback type.
///
/// # Safety
///
/// `F` must be zero-sized (the file creators assert it).
unsafe fn zst<'a, F>() -> &'a F {
    // SAFETY: A dangling, aligned pointer to a zero-sized type is a valid
    // reference (function safety requirement).
    unsafe { NonNull::<F>::dangling().as_ref() }
}

/// File operations for one data type (a wrapper to make them `Sync`).
struct FileOps(bindings::file_operations);

// SAFETY: Constant function pointers and the module pointer, read only.
unsafe impl Sync for FileOps {}

// The type is never read through, only its address taken; 7.x's
// `struct module` has members rustc deems not FFI-safe.
#[allow(improper_ctypes)]
extern "C" {
    /// The `struct module` of the module this library is built into.
    static __this_module: kernel::types::Opaque<kernel::bindings::module>;
}

/// The file operations of data `T` shown by `F` and written by `W`.
struct Ops<T, F, W>(PhantomData<(T, F, W)>);

impl<T: Sync, F: Fn(&T, &mut fmt::Formatter<'_>) -> fmt::Result, W> Ops<T, F, W> {
    const READ: FileOps = FileOps(bindings::file_operations {
        // Taking the address of an extern static reads nothing.
        owner: (&raw const __this_module).cast_mut().cast(),
        open: Some(bindings::simple_open),
        read: Some(read_trampoline::<T, F>),
        llseek: Some(bindings::noop_llseek),
        // SAFETY: All-zero is a valid `file_operations` (no operations).
        ..unsafe { core::mem::zeroed() }
    });
}

impl<T: Sync, F, W: Fn(&T, &mut UserSliceReader) -> Result> Ops<T, F, W> {
    const WRITE: FileOps = FileOps(bindings::file_operations {
        // Taking the address of an extern static reads nothing.
        owner: (&raw const __this_module).cast_mut().cast(),
        open: Some(bindings::simple_open),
        write: Some(write_trampoline::<T, W>),
        llseek: Some(bindings::noop_llseek),
        // SAFETY: All-zero is a valid `file_operations` (no operations).
        ..unsafe { core::mem::zeroed() }
    });
}

impl<T, F, W> Ops<T, F, W>
where
    T: Sync,
    F: Fn(&T, &mut fmt::Formatter<'_>) -> fmt::Result,
    W: Fn(&T, &mut UserSliceReader) -> Result,
{
    const READ_WRITE: FileOps = FileOps(bindings::file_operations {
        // Taking the address of an extern static reads nothing.
        owner: (&raw const __this_module).cast_mut().cast(),
        open: Some(bindings::simple_open),
        read: Some(read_trampoline::<T, F>),
        write: Some(write_trampoline::<T, W>),
        llseek: Some(bindings::noop_llseek),
        // SAFETY: All-zero is a valid `file_operations` (no operations).
        ..unsafe { core::mem::zeroed() }
    });
}

/// Shows `data` through the callback `F` as `Display`.
struct Show<'a, T, F>(&'a T, PhantomData<F>);

impl<T, F: Fn(&T, &mut fmt::Formatter<'_>) -> fmt::Result> fmt::Display for Show<'_, T, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // SAFETY: `F` is zero-sized (asserted where the file is created).
        let show: &F = unsafe { zst() };
        show(self.0, f)
    }
}

/// Collects formatted text up to [`TEXT_MAX`] bytes.
struct Text(KVec<u8>);

impl fmt::Write for Text {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let room = TEXT_MAX.saturating_sub(self.0.len());
        let b = s.as_bytes();
        let part = b.get(..b.len().min(room)).unwrap_or(&[]);
        self.0
            .extend_from_slice(part, GFP_KERNEL)
            .map_err(|_| fmt::Error)
    }
}

/// # Safety
///
/// `file` is a debugfs file created by a [`ScopedDir`] method for `T` and
/// `F`, whose scope keeps the data alive while the file exists; `buf`,
/// `count` and `ppos` come from the VFS.
unsafe extern "C" fn read_trampoline<T: Sync, F: Fn(&T, &mut fmt::Formatter<'_>) -> fmt::Result>(
    file: *mut bindings::file,
    buf: *mut kernel::ffi::c_char,
    count: usize,
    ppos: *mut bindings::loff_t,
) -> isize {
    // SAFETY: `simple_open` put the file's data, a live `T`, in
    // `private_data` (function safety requirement).
    let data = unsafe { &*(*file).private_data.cast::<T>() };
    let Ok(v) = KVec::with_capacity(TEXT_MAX, GFP_KERNEL) else {
        return ENOMEM.to_errno() as isize;
    };
    let mut text = Text(v);
    let shown = fmt::write(
        &mut text,
        format_args!("{}", Show::<T, F>(data, PhantomData)),
    );
    if shown.is_err() && text.0.is_empty() {
        return ENOMEM.to_errno() as isize;
    }
    // SAFETY: `buf`, `count` and `ppos` are the VFS's; the source is ours.
    unsafe {
        kernel::bindings::simple_read_from_buffer(
            buf.cast(),
            count,
            ppos.cast(),
            text.0.as_ptr().cast(),
            text.0.len(),
        )
    }
}

/// # Safety
///
/// `file` is a debugfs file created by a [`ScopedDir`] method for `T` and
/// `W`, whose scope keeps the data alive while the file exists; `buf` and
/// `count` come from the VFS.
unsafe extern "C" fn write_trampoline<T: Sync, W: Fn(&T, &mut UserSliceReader) -> Result>(
    file: *mut bindings::file,
    buf: *const kernel::ffi::c_char,
    count: usize,
    _ppos: *mut bindings::loff_t,
) -> isize {
    // SAFETY: As in `read_trampoline`.
    let data = unsafe { &*(*file).private_data.cast::<T>() };
    // SAFETY: `W` is zero-sized (asserted where the file is created).
    let w: &W = unsafe { zst() };
    let mut reader = crate::lastwords::uaccess::user_slice(buf as usize, count).reader();
    match w(data, &mut reader) {
        Ok(()) => count as isize,
        Err(e) => e.to_errno() as isize,
    }
}
