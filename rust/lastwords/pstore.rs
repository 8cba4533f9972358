// SPDX-License-Identifier: GPL-2.0

//! pstore backends: `struct pstore_info` registration with the callbacks as
//! trait methods, and all C ABI trampolines in one place.
//!
//! pstore calls, for a backend with `PSTORE_FLAGS_DMESG`:
//!
//! - `write` from `kmsg_dump()`, with `psi->buf_lock` (a raw spinlock) held
//!   and interrupts off: on a panic, possibly in NMI context, after the other
//!   CPUs were stopped. It must not allocate, sleep or wait on a lock. The
//!   record data is in the buffer preallocated at registration.
//! - `open`, `read` (until it says "no more"), `close`, under pstore's
//!   `read_mutex`, in process context, at registration and when pstorefs is
//!   mounted or rescanned.
//! - `erase` in process context when a file is unlinked from pstorefs.
//!
//! With `PSTORE_FLAGS_PMSG`, `write` is also called in process context with a
//! copy of what user space wrote to `/dev/pmsg0`.

use super::bindings;
use core::ffi::c_void;
use core::marker::PhantomPinned;
use core::pin::Pin;
use core::sync::atomic::{AtomicBool, Ordering};
use kernel::prelude::*;
use kernel::str::CStr;
use kernel::types::Opaque;

/// `PSTORE_FLAGS_DMESG`: kernel log dumps (oops, panic, ...).
pub const FLAGS_DMESG: i32 = 1 << 0;
/// `PSTORE_FLAGS_PMSG`: user space messages through `/dev/pmsg0`.
pub const FLAGS_PMSG: i32 = 1 << 3;

/// `enum pstore_type_id` values.
pub mod record_type {
    /// `PSTORE_TYPE_DMESG`.
    pub const DMESG: u32 = 0;
    /// `PSTORE_TYPE_PMSG`.
    pub const PMSG: u32 = 7;
    /// `PSTORE_TYPE_MAX`: types are below this.
    pub const MAX: u32 = 9;
}

/// `enum kmsg_dump_reason` values.
pub mod reason {
    /// `KMSG_DUMP_PANIC`: the other CPUs have been stopped.
    pub const PANIC: u32 = 1;
    /// `KMSG_DUMP_OOPS`: the kernel goes on running.
    pub const OOPS: u32 = 2;
    /// `KMSG_DUMP_EMERG`.
    pub const EMERG: u32 = 3;
    /// `KMSG_DUMP_SHUTDOWN`.
    pub const SHUTDOWN: u32 = 4;
    /// `KMSG_DUMP_MAX`: the largest `max_reason`.
    pub const MAX: u32 = 5;
}

/// A record to store, as pstore hands it to [`Backend::write`].
pub struct WriteRecord<'a> {
    /// `enum pstore_type_id`.
    pub record_type: u32,
    /// `enum kmsg_dump_reason` (dmesg records).
    pub reason: u32,
    /// Part number (1-based; part 1 holds the end of the log).
    pub part: u32,
    /// Number of dumps before this one since boot.
    pub count: i32,
    /// Wall-clock seconds.
    pub time: i64,
    /// Whether `data` is compressed.
    pub compressed: bool,
    /// The payload.
    pub data: &'a [u8],
}

/// A record found by [`Backend::read`].
pub struct ReadRecord<P> {
    /// `enum pstore_type_id`.
    pub record_type: u32,
    /// The id pstore names the file after.
    pub id: u64,
    /// Wall-clock seconds.
    pub time: i64,
    /// Dump count.
    pub count: i32,
    /// Part number.
    pub part: u32,
    /// Whether `data` is compressed.
    pub compressed: bool,
    /// The payload; handed to pstore, which frees it.
    pub data: KVec<u8>,
    /// Backend data kept with the record and given back to
    /// [`Backend::erase`]; pstore frees it with `kfree()`, hence `Copy` (no
    /// destructor to run).
    pub private: Option<KBox<P>>,
}

/// A record pstore asks to erase.
pub struct EraseRecord<'a, P> {
    /// `enum pstore_type_id`.
    pub record_type: u32,
    /// The id.
    pub id: u64,
    /// Dump count.
    pub count: i32,
    /// Part number.
    pub part: u32,
    /// Wall-clock seconds.
    pub time: i64,
    /// What [`Backend::read`] attached to the record.
    pub private: Option<&'a P>,
}

/// A pstore backend.
///
/// # Examples
///
/// A backend with a private id per record, given back to `erase`:
///
/// ```ignore
/// use crate::lastwords::pstore::{Backend, EraseRecord, ReadRecord, WriteRecord};
///
/// impl Backend for MyBackend {
///     type Private = u64;
///
///     fn open(&self) -> Result {
///         self.start_walk() // process context: may sleep, allocate
///     }
///     fn close(&self) {}
///     fn read(&self) -> Result<Option<ReadRecord<u64>>> {
///         self.next_record() // `Ok(None)`: no more records
///     }
///     fn write(&self, record: &WriteRecord<'_>) -> Result<u64> {
///         // Maybe a panic, in NMI context: preallocated storage, trylocks.
///         self.store(record.record_type, record.part, record.data)
///     }
///     fn erase(&self, record: &EraseRecord<'_, u64>) -> Result {
///         self.delete(*record.private.ok_or(EINVAL)?)
///     }
/// }
/// ```
pub trait Backend: Sync + Send + Sized {
    /// What [`ReadRecord::private`] carries to [`Backend::erase`].
    type Private: Copy + Send;

    /// Starts a read iteration. Process context.
    fn open(&self) -> Result;
    /// Ends a read iteration. Process context.
    fn close(&self);
    /// The next record, or `None` when there is no more. Process context.
    fn read(&self) -> Result<Option<ReadRecord<Self::Private>>>;
    /// Stores a record; returns its id. May run in panic or NMI context:
    /// no allocation, no sleeping, trylocks only.
    fn write(&self, record: &WriteRecord<'_>) -> Result<u64>;
    /// Erases a record. Process context.
    fn erase(&self, record: &EraseRecord<'_, Self::Private>) -> Result;
}

/// A registered pstore backend; unregistered when dropped.
///
/// # Examples
///
/// ```ignore
/// use crate::lastwords::pstore::{self, Registration};
///
/// // pmsg writes and reads through pstore, `record_size`-byte records.
/// let reg = Registration::register(
///     c_str!("my_backend"),
///     pstore::FLAGS_PMSG,
///     pstore::reason::OOPS,
///     record_size,
///     MyBackend::new(), // impl PinInit<MyBackend, Error>
/// )?;
/// // Keep `reg` in the module's data: dropping it unregisters.
/// ```
///
/// # Invariants
///
/// While `registered`, `info` is pstore's current backend, `info.data`
/// points at `backend` and `info.buf` at `buf`'s `bufsize` bytes.
#[pin_data(PinnedDrop)]
pub struct Registration<B: Backend> {
    #[pin]
    info: Opaque<bindings::pstore_info>,
    #[pin]
    _pin: PhantomPinned,
    buf: KVec<u8>,
    registered: AtomicBool,
    #[pin]
    backend: B,
}

// SAFETY: pstore calls the backend from any CPU; `B: Sync + Send`.
unsafe impl<B: Backend> Send for Registration<B> {}
// SAFETY: As above.
unsafe impl<B: Backend> Sync for Registration<B> {}

/// Recovers the backend from a `pstore_info`.
///
/// # Safety
///
/// `psi` is the `info` of a live, registered `Registration<B>`.
unsafe fn backend_of<'a, B: Backend>(psi: *mut bindings::pstore_info) -> &'a B {
    // SAFETY: `data` points at the registration's backend (type invariant of
    // `Registration`, function safety requirement).
    unsafe { &*(*psi).data.cast::<B>() }
}

/// The C `open` callback.
///
/// # Safety
///
/// Called by pstore with a `pstore_info` of a registered `Registration<B>` (whose
/// `data` is the backend), valid for the duration of the call.
unsafe extern "C" fn open_trampoline<B: Backend>(psi: *mut bindings::pstore_info) -> i32 {
    // SAFETY: pstore passes the registered `info`.
    let b = unsafe { backend_of::<B>(psi) };
    match b.open() {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
}

/// The C `close` callback.
///
/// # Safety
///
/// Called by pstore with a `pstore_info` of a registered `Registration<B>` (whose
/// `data` is the backend), valid for the duration of the call.
unsafe extern "C" fn close_trampoline<B: Backend>(psi: *mut bindings::pstore_info) -> i32 {
    // SAFETY: pstore passes the registered `info`.
    let b = unsafe { backend_of::<B>(psi) };
    b.close();
    0
}

/// The C `read` callback.
///
/// # Safety
///
/// Called by pstore with a `pstore_record` of a registered `Registration<B>` (whose
/// `data` is the backend), valid for the duration of the call.
unsafe extern "C" fn read_trampoline<B: Backend>(rec: *mut bindings::pstore_record) -> isize {
    // SAFETY: pstore passes a valid record whose `psi` is the registered
    // `info`, with exclusive access for the call.
    let (b, rec) = unsafe { (backend_of::<B>((*rec).psi), &mut *rec) };
    let r = match b.read() {
        Ok(Some(r)) => r,
        Ok(None) => return 0,
        Err(e) => return e.to_errno() as isize,
    };
    let len = r.data.len();
    if len == 0 || isize::try_from(len).is_err() {
        // pstore takes 0 as "no more records": never hand it an empty one.
        return EIO.to_errno() as isize;
    }
    let (ptr, _, _) = r.data.into_raw_parts();
    rec.type_ = r.record_type;
    rec.id = r.id;
    rec.time.tv_sec = r.time;
    rec.time.tv_nsec = 0;
    rec.count = r.count;
    rec.part = r.part;
    rec.compressed = r.compressed;
    rec.ecc_notice_size = 0;
    // pstore frees `buf` with kvfree() and `priv` with kfree(): both were
    // allocated with kmalloc (KVec/KBox with the Kmalloc allocator).
    rec.buf = ptr.cast();
    rec.size = len as isize;
    rec.priv_ = match r.private {
        Some(p) => KBox::into_raw(p).cast::<c_void>(),
        None => core::ptr::null_mut(),
    };
    len as isize
}

/// The C `write` callback.
///
/// # Safety
///
/// Called by pstore with a `pstore_record` of a registered `Registration<B>` (whose
/// `data` is the backend), valid for the duration of the call.
unsafe extern "C" fn write_trampoline<B: Backend>(rec: *mut bindings::pstore_record) -> i32 {
    // SAFETY: pstore passes a valid record whose `psi` is the registered
    // `info`; `buf` holds `size` bytes for the duration of the call.
    let (b, rec) = unsafe { (backend_of::<B>((*rec).psi), &mut *rec) };
    let Ok(len) = usize::try_from(rec.size) else {
        return EINVAL.to_errno();
    };
    let data = if len == 0 || rec.buf.is_null() {
        &[][..]
    } else {
        // SAFETY: See above: `buf` is valid for `size` bytes.
        unsafe { core::slice::from_raw_parts(rec.buf.cast::<u8>(), len) }
    };
    let w = WriteRecord {
        record_type: rec.type_,
        reason: rec.reason,
        part: rec.part,
        count: rec.count,
        time: rec.time.tv_sec,
        compressed: rec.compressed,
        data,
    };
    match b.write(&w) {
        Ok(id) => {
            rec.id = id;
            0
        }
        Err(e) => e.to_errno(),
    }
}

/// The C `erase` callback.
///
/// # Safety
///
/// Called by pstore with a `pstore_record` of a registered `Registration<B>` (whose
/// `data` is the backend), valid for the duration of the call.
unsafe extern "C" fn erase_trampoline<B: Backend>(rec: *mut bindings::pstore_record) -> i32 {
    // SAFETY: pstore passes a valid record of this backend; `priv_` is null
    // or what `read_trampoline` stored: a `B::Private` from a `KBox`.
    let (b, rec) = unsafe { (backend_of::<B>((*rec).psi), &*rec) };
    // SAFETY: As above.
    let private = unsafe { rec.priv_.cast::<B::Private>().as_ref() };
    let e = EraseRecord {
        record_type: rec.type_,
        id: rec.id,
        count: rec.count,
        part: rec.part,
        time: rec.time.tv_sec,
        private,
    };
    match b.erase(&e) {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
}

impl<B: Backend> Registration<B> {
    /// Allocates the write buffer (`bufsize` bytes), builds the backend and
    /// registers it with pstore as `name`. `EBUSY` if another backend is
    /// registered; nothing stays half-registered on any error.
    pub fn register(
        name: &'static CStr,
        flags: i32,
        max_reason: u32,
        bufsize: usize,
        backend: impl PinInit<B, Error>,
    ) -> Result<Pin<KBox<Self>>> {
        let mut buf = KVec::from_elem(0u8, bufsize, GFP_KERNEL)?;
        // The heap buffer stays where it is when the `KVec` moves into
        // `this`, and is never resized.
        let bufp = buf.as_mut_ptr();
        let this = KBox::try_pin_init(
            try_pin_init!(Self {
                info: Opaque::uninit(),
                _pin: PhantomPinned,
                buf,
                registered: AtomicBool::new(false),
                backend <- backend,
            }),
            GFP_KERNEL,
        )?;
        let info = this.info.get();
        let data = core::ptr::from_ref(&this.backend)
            .cast_mut()
            .cast::<c_void>();
        // SAFETY: `info` is pinned and not yet known to pstore: zero it and
        // fill in what pstore reads (it initialises the lock and mutex).
        let ret = unsafe {
            core::ptr::write_bytes(info, 0, 1);
            (*info).name = name.as_char_ptr();
            (*info).buf = bufp.cast();
            (*info).bufsize = bufsize;
            (*info).flags = flags;
            (*info).max_reason = max_reason as i32;
            (*info).data = data;
            (*info).open = Some(open_trampoline::<B>);
            (*info).close = Some(close_trampoline::<B>);
            (*info).read = Some(read_trampoline::<B>);
            (*info).write = Some(write_trampoline::<B>);
            (*info).erase = Some(erase_trampoline::<B>);
            bindings::pstore_register(info)
        };
        if ret != 0 {
            return Err(Error::from_errno(ret));
        }
        // INVARIANT: registered with data/buf pointing into `this`.
        this.registered.store(true, Ordering::Release);
        Ok(this)
    }

    /// The backend.
    pub fn backend(&self) -> &B {
        &self.backend
    }
}

#[pinned_drop]
impl<B: Backend> PinnedDrop for Registration<B> {
    fn drop(self: Pin<&mut Self>) {
        if self.registered.load(Ordering::Acquire) {
            // SAFETY: Registered (type invariant). pstore_unregister() removes
            // the dumper, pmsg and the files, and waits for running work.
            unsafe { bindings::pstore_unregister(self.info.get()) };
        }
    }
}
