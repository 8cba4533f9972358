// SPDX-License-Identifier: GPL-2.0

//! Raw deflate (zlib, no header) into a caller's buffer, with a workspace
//! allocated up front: usable on the panic path, any context. The stream
//! format is the one pstore's core writes and decompresses (`-MAX_WBITS`).
//!
//! [`PresetDeflate`] and [`Inflate::decompress_preset`] add a preset
//! dictionary, which the kernel's zlib has no call for
//! (`deflateSetDictionary()` and `inflateSetDictionary()` were left out of
//! `lib/zlib_*`). The stream is what zlib's `deflateSetDictionary()` gives
//! with raw deflate: any inflater that is given the same dictionary (as
//! Python's `zlib.decompressobj(-15, zdict=...)`) reads it.

use kernel::prelude::*;

use crate::lastwords::bindings;

/// A workspace of the `size` zlib asked for (a C `int`), from vmalloc.
fn workspace(size: i32) -> Result<VVec<u8>> {
    let size = usize::try_from(size).map_err(|_| EINVAL)?;
    Ok(VVec::from_elem(0u8, size, GFP_KERNEL)?)
}

/// A stream from all of `src` into `dst`, with `workspace` as zlib's.
fn stream(src: &[u8], dst: &mut [u8], workspace: &mut VVec<u8>) -> bindings::z_stream_s {
    bindings::z_stream_s {
        next_in: src.as_ptr(),
        avail_in: src.len(),
        next_out: dst.as_mut_ptr(),
        avail_out: dst.len(),
        workspace: workspace.as_mut_ptr().cast(),
        ..Default::default()
    }
}

/// A deflate compressor.
///
/// # Examples
///
/// The workspace and output buffer are allocated at load; compressing later,
/// on the panic path, allocates nothing:
///
/// ```ignore
/// use crate::lastwords::deflate::Deflate;
///
/// let mut deflate = Deflate::new()?;
/// let mut out = KVec::from_elem(0u8, record_size, GFP_KERNEL)?;
///
/// // Any context: as much as fits, else the text as is.
/// let (data, compressed) = match deflate.compress(text, &mut out) {
///     Some(n) => (out.get(..n).unwrap_or(&[]), true),
///     None => (text, false),
/// };
/// ```
///
/// # Invariants
///
/// `workspace` holds `zlib_deflate_workspacesize(MAX_WBITS, DEF_MEM_LEVEL)`
/// bytes.
pub struct Deflate {
    workspace: VVec<u8>,
}

impl Deflate {
    /// Bytes of the workspace [`Deflate::new`] allocates.
    pub fn size() -> usize {
        // SAFETY: Pure computation on its arguments.
        let ws = unsafe {
            bindings::zlib_deflate_workspacesize(
                bindings::MAX_WBITS as i32,
                bindings::DEF_MEM_LEVEL as i32,
            )
        };
        usize::try_from(ws).unwrap_or(0)
    }

    /// Allocates the workspace (about 270 KiB, from vmalloc).
    pub fn new() -> Result<Self> {
        // SAFETY: Pure computation on its arguments.
        let size = unsafe {
            bindings::zlib_deflate_workspacesize(
                bindings::MAX_WBITS as i32,
                bindings::DEF_MEM_LEVEL as i32,
            )
        };
        // INVARIANT: allocated with the size zlib asked for.
        Ok(Self {
            workspace: workspace(size)?,
        })
    }

    /// Compresses all of `src` into `dst` with pstore's settings (default
    /// level, raw deflate). Returns the compressed length, or `None` if it
    /// does not fit in `dst` or zlib fails. Never allocates or sleeps.
    pub fn compress(&mut self, src: &[u8], dst: &mut [u8]) -> Option<usize> {
        let mut z = stream(src, dst, &mut self.workspace);
        // SAFETY: `z` points at `src` (readable) and `dst` (writable) for
        // their lengths, and at a workspace of the size zlib asked for (type
        // invariant), all borrowed for this call; zlib allocates nothing.
        unsafe {
            if bindings::zlib_deflateInit2(
                &mut z,
                bindings::Z_DEFAULT_COMPRESSION,
                bindings::Z_DEFLATED as i32,
                -(bindings::MAX_WBITS as i32),
                bindings::DEF_MEM_LEVEL as i32,
                bindings::Z_DEFAULT_STRATEGY as i32,
            ) != bindings::Z_OK as i32
            {
                return None;
            }
            let done = bindings::zlib_deflate(&mut z, bindings::Z_FINISH as i32);
            bindings::zlib_deflateEnd(&mut z);
            if done != bindings::Z_STREAM_END as i32 {
                return None;
            }
        }
        // `uLong` is `usize` on the 64-bit kernels this runs on.
        Some(z.total_out).filter(|&n| n <= dst.len())
    }
}

/// Copies `src` into `dst`, both of one length (no panic path, which
/// `copy_from_slice()` has for unequal lengths).
fn copy(dst: &mut [u8], src: &[u8]) {
    for (d, s) in dst.iter_mut().zip(src.iter()) {
        *d = *s;
    }
}

/// zlib's memory level for [`PresetDeflate`]: 7 instead of the default 8
/// halves the hash table and the pending buffer (a workspace of about
/// 200 KiB instead of 270 KiB); on kernel log text of a part's size (at
/// most 32 KiB after a 32 KiB dictionary, at level 9) the output is the
/// same, byte for byte, in our measurements (`scripts/dict-build.py`'s
/// corpus), and 6 loses 0.1%.
const PRESET_MEM_LEVEL: i32 = 7;

/// How a [`PresetDeflate`] gets back to the state right after its
/// dictionary before each call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Prime {
    /// A copy of that state, taken at load, is put back: a second workspace
    /// of memory, a copy's time per call.
    Saved,
    /// The dictionary is compressed again: no second workspace, a level-9
    /// compression of the dictionary per call (for buffers rarely used).
    EachCall,
}

/// A raw-deflate compressor with a preset dictionary, each call a stream of
/// its own.
///
/// The dictionary is compressed and the stream flushed (`Z_SYNC_FLUSH`,
/// which ends on a byte boundary); then the text is compressed as the
/// continuation of that stream: what it emits after the flush refers back
/// into the dictionary, and an inflater that has been fed the dictionary
/// decodes it. With [`Prime::Saved`], that is done once at load and the whole
/// compressor state, the `z_stream` and its workspace, saved; each
/// [`PresetDeflate::compress`] puts it back (a copy of the workspace, no
/// allocation). With [`Prime::EachCall`], each call compresses the
/// dictionary again, into the caller's output buffer, before the text.
///
/// The state holds pointers into the workspace and to the `z_stream`, so
/// both stay where they were allocated (a box and a vmalloc area) and the
/// saved copy is only ever put back into the same place: it cannot be shared
/// by two compressors.
///
/// # Invariants
///
/// `workspace` (and `saved`, if any) hold
/// `zlib_deflate_workspacesize(MAX_WBITS, PRESET_MEM_LEVEL)` bytes; `saved`
/// and `saved_stream` are the state of `stream` and `workspace` right after
/// the dictionary was compressed and flushed, with no input or output
/// pending. `dict` is at most the window (32 KiB).
pub struct PresetDeflate {
    stream: KBox<bindings::z_stream_s>,
    workspace: VVec<u8>,
    saved: Option<(VVec<u8>, bindings::z_stream_s)>,
    dict: &'static [u8],
    level: i32,
}

// SAFETY: The raw pointers in the streams point into memory the compressor
// owns (its workspace, its boxed stream) or are reset by every call that
// uses them; the compressor may be used from any thread, one at a time
// (`&mut self`).
unsafe impl Send for PresetDeflate {}
// SAFETY: `&PresetDeflate` gives access to nothing (every method takes
// `&mut self` or no receiver).
unsafe impl Sync for PresetDeflate {}

impl PresetDeflate {
    /// Bytes of one workspace.
    fn workspace_size() -> i32 {
        // SAFETY: Pure computation on its arguments.
        unsafe {
            bindings::zlib_deflate_workspacesize(bindings::MAX_WBITS as i32, PRESET_MEM_LEVEL)
        }
    }

    /// The least output room [`PresetDeflate::compress`] needs with
    /// [`Prime::EachCall`], which compresses `dict` into the caller's
    /// output first: the dictionary, incompressible at worst (a few bytes
    /// per 16 KiB block more), and the flush.
    pub fn prime_room(dict: &[u8]) -> usize {
        dict.len().saturating_add(1024)
    }

    /// Whether `dict` can be a preset dictionary: not empty, at most the
    /// window (32 KiB).
    fn fits_window(dict: &[u8]) -> bool {
        !dict.is_empty() && dict.len() <= 1 << bindings::MAX_WBITS
    }

    /// Bytes a compressor primed with `prime` allocates (one workspace, or
    /// two).
    pub fn size(prime: Prime) -> usize {
        let ws = usize::try_from(Self::workspace_size()).unwrap_or(0);
        match prime {
            Prime::Saved => ws.saturating_mul(2),
            Prime::EachCall => ws,
        }
    }

    /// Compresses `dict` (at most the window) into `scratch` at the
    /// compressor's level and flushes: the stream is then right after the
    /// dictionary. Returns `None` if zlib fails or `scratch` is too small.
    fn prime(&mut self, dict: &'static [u8], scratch: &mut [u8]) -> Option<()> {
        let z = &mut *self.stream;
        *z = stream(dict, scratch, &mut self.workspace);
        // SAFETY: `z` points at the dictionary (readable, static) and
        // `scratch` (writable) for their lengths, and at a workspace of the
        // size zlib asked for (type invariant); `scratch` is not used by
        // zlib after this call (the caller resets `next_out`). zlib
        // allocates nothing.
        let ok = unsafe {
            bindings::zlib_deflateInit2(
                z,
                self.level,
                bindings::Z_DEFLATED as i32,
                -(bindings::MAX_WBITS as i32),
                PRESET_MEM_LEVEL,
                bindings::Z_DEFAULT_STRATEGY as i32,
            ) == bindings::Z_OK as i32
                && bindings::zlib_deflate(z, bindings::Z_SYNC_FLUSH as i32) == bindings::Z_OK as i32
        };
        // All of the dictionary taken, and room left: the flush is complete.
        if !ok || z.avail_in != 0 || z.avail_out == 0 {
            return None;
        }
        z.next_in = core::ptr::null();
        z.next_out = core::ptr::null_mut();
        z.avail_out = 0;
        Some(())
    }

    /// A compressor of `dict` (at most the window, 32 KiB) at `level`.
    /// Process context: allocates its workspace (about 200 KiB, vmalloc)
    /// and, with [`Prime::Saved`], compresses the dictionary and saves the
    /// state in a second one.
    pub fn new(dict: &'static [u8], level: i32, prime: Prime) -> Result<Self> {
        if !Self::fits_window(dict) {
            return Err(EINVAL);
        }
        let size = Self::workspace_size();
        let ws = workspace(size)?;
        let stream = KBox::new(bindings::z_stream_s::default(), GFP_KERNEL)?;
        let mut this = Self {
            stream,
            workspace: ws,
            saved: None,
            dict,
            level,
        };
        if prime == Prime::Saved {
            let mut saved = workspace(size)?;
            // Deflate output of incompressible text is at most 5 bytes per
            // 16 KiB block longer than the text.
            let mut scratch = VVec::from_elem(0u8, Self::prime_room(dict), GFP_KERNEL)?;
            this.prime(dict, &mut scratch).ok_or(EINVAL)?;
            copy(&mut saved, &this.workspace);
            this.saved = Some((saved, *this.stream));
        }
        // INVARIANT: the workspaces have the size zlib asked for; the saved
        // state, if any, was taken right after the flush.
        Ok(this)
    }

    /// Compresses all of `src` into `dst` after the dictionary. Returns the
    /// compressed length, or `None` if it does not fit in `dst` or zlib
    /// fails. Any context: never allocates or sleeps; first puts the saved
    /// state back (a copy of about 200 KiB) or compresses the dictionary
    /// again (into `dst`, which must have room for its compressed form).
    pub fn compress(&mut self, src: &[u8], dst: &mut [u8]) -> Option<usize> {
        match &self.saved {
            Some((saved, saved_stream)) => {
                copy(&mut self.workspace, saved);
                *self.stream = *saved_stream;
            }
            None => self.prime(self.dict, dst)?,
        }
        self.finish(src, dst)
    }

    /// Compresses all of `src` into `dst` after `dict` instead of the
    /// compressor's own dictionary (at most the window, 32 KiB): primes the
    /// workspace with `dict` (compressed into `dst`, which must have room
    /// for [`PresetDeflate::prime_room`] of it), as [`Prime::EachCall`]
    /// does. The next [`PresetDeflate::compress`] is not affected: it puts
    /// the saved state back or primes its own dictionary. Returns the
    /// compressed length, or `None` if it does not fit in `dst` or zlib
    /// fails. Any context: never allocates or sleeps.
    pub fn compress_with(
        &mut self,
        dict: &'static [u8],
        src: &[u8],
        dst: &mut [u8],
    ) -> Option<usize> {
        if !Self::fits_window(dict) {
            return None;
        }
        self.prime(dict, dst)?;
        self.finish(src, dst)
    }

    /// Compresses `src` into `dst` from the primed state (the stream right
    /// after a dictionary, nothing pending).
    fn finish(&mut self, src: &[u8], dst: &mut [u8]) -> Option<usize> {
        let z = &mut *self.stream;
        z.next_in = src.as_ptr();
        z.avail_in = src.len();
        z.next_out = dst.as_mut_ptr();
        z.avail_out = dst.len();
        // SAFETY: `z` and its workspace hold the state right after the
        // dictionary (put back, or just primed, in the same place); `src`
        // and `dst` are borrowed for this call. zlib allocates nothing.
        let done = unsafe { bindings::zlib_deflate(z, bindings::Z_FINISH as i32) };
        if done != bindings::Z_STREAM_END as i32 {
            return None;
        }
        let left = z.avail_out;
        dst.len().checked_sub(left)
    }
}

/// A raw-deflate decompressor, to check records before pstore inflates them.
///
/// # Examples
///
/// ```ignore
/// let mut inflate = Inflate::new()?;
/// let mut inflated = VVec::from_elem(0u8, 3 * record_size, GFP_KERNEL)?;
/// if inflate.decompress(data, &mut inflated).is_none() {
///     pr_warn!("compressed data does not inflate: skipped\n");
/// }
/// ```
///
/// # Invariants
///
/// `workspace` holds `zlib_inflate_workspacesize()` bytes.
pub struct Inflate {
    workspace: VVec<u8>,
}

impl Inflate {
    /// Allocates the workspace (about 40 KiB, from vmalloc).
    pub fn new() -> Result<Self> {
        // SAFETY: Pure computation.
        let size = unsafe { bindings::zlib_inflate_workspacesize() };
        // INVARIANT: allocated with the size zlib asked for.
        Ok(Self {
            workspace: workspace(size)?,
        })
    }

    /// Decompresses all of `src`, a raw deflate stream, into `dst`, as
    /// pstore's `decompress_record()` does (`Z_FINISH`, the stream must end
    /// within `dst`). Returns the decompressed length, or `None` for data
    /// that is not such a stream or does not fit. Never allocates or sleeps.
    pub fn decompress(&mut self, src: &[u8], dst: &mut [u8]) -> Option<usize> {
        let mut z = stream(src, dst, &mut self.workspace);
        // SAFETY: `z` points at `src` (readable) and `dst` (writable) for
        // their lengths, and at a workspace of the size zlib asked for (type
        // invariant), all borrowed for this call; zlib allocates nothing.
        unsafe {
            if bindings::zlib_inflateInit2(&mut z, -(bindings::MAX_WBITS as i32))
                != bindings::Z_OK as i32
            {
                return None;
            }
            let done = bindings::zlib_inflate(&mut z, bindings::Z_FINISH as i32);
            bindings::zlib_inflateEnd(&mut z);
            if done != bindings::Z_STREAM_END as i32 {
                return None;
            }
        }
        Some(z.total_out).filter(|&n| n <= dst.len())
    }

    /// Decompresses `src`, the output of [`PresetDeflate::compress`] with
    /// the same `dict`, into `dst`, which must have room for the dictionary
    /// and the text after it; returns the range of `dst` that holds the
    /// text, or `None` for data that is not such a stream or does not fit.
    /// The dictionary goes in first as stored blocks, as
    /// `inflateSetDictionary()` would put it in the window. Never allocates
    /// or sleeps.
    pub fn decompress_preset(
        &mut self,
        dict: &[u8],
        src: &[u8],
        dst: &mut [u8],
    ) -> Option<core::ops::Range<usize>> {
        let mut z = stream(&[], dst, &mut self.workspace);
        // SAFETY: `z` points at `dst` (writable) for its length, and at a
        // workspace of the size zlib asked for (type invariant); each input
        // it is given below is borrowed for the call. zlib allocates nothing.
        unsafe {
            if bindings::zlib_inflateInit2(&mut z, -(bindings::MAX_WBITS as i32))
                != bindings::Z_OK as i32
            {
                return None;
            }
        }
        let end = |z: &mut bindings::z_stream_s| {
            // SAFETY: `z` was initialised above.
            unsafe { bindings::zlib_inflateEnd(z) };
        };
        for chunk in dict.chunks(0xffff) {
            let len = u16::try_from(chunk.len()).ok()?;
            let [l0, l1] = len.to_le_bytes();
            let [n0, n1] = (!len).to_le_bytes();
            // A stored block, not the last: BFINAL 0, BTYPE 00, then LEN and
            // NLEN on the next byte boundary.
            let header = [0u8, l0, l1, n0, n1];
            for input in [&header[..], chunk] {
                z.next_in = input.as_ptr();
                z.avail_in = input.len();
                // SAFETY: As above; `input` lives through the call.
                let r = unsafe { bindings::zlib_inflate(&mut z, bindings::Z_SYNC_FLUSH as i32) };
                if r != bindings::Z_OK as i32 || z.avail_in != 0 {
                    end(&mut z);
                    return None;
                }
            }
        }
        let start = z.total_out;
        if start != dict.len() {
            end(&mut z);
            return None;
        }
        z.next_in = src.as_ptr();
        z.avail_in = src.len();
        // SAFETY: As above; `src` lives through the call.
        let done = unsafe { bindings::zlib_inflate(&mut z, bindings::Z_FINISH as i32) };
        end(&mut z);
        if done != bindings::Z_STREAM_END as i32 {
            return None;
        }
        let n = z.total_out;
        (n <= dst.len()).then_some(start..n)
    }
}
