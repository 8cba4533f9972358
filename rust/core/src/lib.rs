// SPDX-License-Identifier: GPL-2.0

//! Kernel-independent logic of lastwords, tested on the host with `cargo test`.
//!
//! Every module here uses `core` only, allocates nothing and panics on no
//! input, so the kernel modules include the same source files with
//! `#[path = ...]` and run exactly the code that these tests cover.

#![no_std]

pub mod cper;
pub mod crash_case;
pub mod crash_lock;
pub mod dense;
pub mod efi_name;
pub mod efi_status;
pub mod estatus_cache;
pub mod fixed_buf;
pub mod line_codec;
pub mod log_window;
pub mod module_param;
pub mod packing;
pub mod read_session;
pub mod registry;
pub mod slot_pool;
pub mod var_walk;
