// SPDX-License-Identifier: GPL-2.0

//! The lastwords building blocks: thin, documented, safe wrappers over the C
//! kernel APIs that the crash path needs and that the 6.12 `kernel` crate does
//! not cover.
//!
//! Out-of-tree modules cannot depend on each other's Rust crates, so each
//! module includes this directory with `#[path = ".../rust/lastwords/mod.rs"]`
//! and links its own copy of `rust/helpers.c` (the C shims declared in
//! [`ffi`]).

pub mod ffi;
pub mod irq;
