// SPDX-License-Identifier: GPL-2.0

//! arm64 (see [`crate::lastwords::arch`]).

pub mod nmi;
