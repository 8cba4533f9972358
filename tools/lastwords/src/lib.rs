// SPDX-License-Identifier: GPL-2.0

//! The `lastwords` command's parts, for the command (`main.rs`) and its
//! tests: where variables come from ([`vars`]: [`efivarfs`] live,
//! [`varsfd`] from an image), the records in them ([`records`], on
//! `rust/core`'s record code) and the archive layout ([`archive`]).

pub mod archive;
pub mod efivarfs;
pub mod records;
pub mod vars;
pub mod varsfd;
