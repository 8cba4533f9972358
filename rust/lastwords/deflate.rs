// SPDX-License-Identifier: GPL-2.0

//! Raw deflate (zlib, no header) into a caller's buffer, with a workspace
//! allocated up front: usable on the panic path, any context. The stream
//! format is the one pstore's core writes and decompresses (`-MAX_WBITS`).

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
}
