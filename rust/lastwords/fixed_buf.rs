// SPDX-License-Identifier: GPL-2.0

//! One writer into a fixed byte buffer, for code that must not allocate (the
//! panic path's record headers, EFI variable names, debugfs text). The code
//! lives in `rust/core/src/fixed_buf.rs`, tested on the host with `cargo
//! test`.
//!
//! # Examples
//!
//! A [`FixedBuf`] writing a record header on the panic path, into a buffer
//! allocated at load:
//!
//! ```ignore
//! use core::fmt::Write;
//! use crate::lastwords::fixed_buf::FixedBuf;
//!
//! let mut w = FixedBuf::new(&mut text[..]);
//! // `Err` if it does not fit: what fits is kept, as with `snprintf()`.
//! writeln!(w, "{}#{} Part{}", "Panic", count, part).map_err(|_| ENOSPC)?;
//! let header_len = w.len();
//! // Without the formatting machinery: `false` if it did not all fit.
//! let fit = w.push_bytes(b"seq ") && w.push_u64(seq);
//! let written: &[u8] = w.as_bytes();
//! ```

#[path = "../core/src/fixed_buf.rs"]
mod algorithm;

pub use algorithm::FixedBuf;
