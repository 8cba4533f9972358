// SPDX-License-Identifier: GPL-2.0

//! One writer into a fixed byte buffer, for code that must not allocate (the
//! panic path's record headers, EFI variable names, debugfs text). The code
//! lives in `rust/core/src/fixed_buf.rs`, tested on the host with `cargo
//! test`.

#[path = "../core/src/fixed_buf.rs"]
mod algorithm;

pub use algorithm::FixedBuf;
