// SPDX-License-Identifier: GPL-2.0

//! x86-64 (see [`crate::lastwords::arch`]).

pub mod nmi;
