// SPDX-License-Identifier: GPL-2.0

//! The lastwords building blocks: thin, documented, safe wrappers over the C
//! kernel APIs that the crash path needs and that the 6.12 `kernel` crate does
//! not cover. All `unsafe` code of the project lives here.
//!
//! Out-of-tree modules cannot depend on each other's Rust crates, so each
//! module includes this directory with `#[path = ".../rust/lastwords/mod.rs"]`
//! and links its own copy of `rust/helpers.c` (the C shims).
//!
//! | module            | what                                                   |
//! |-------------------|--------------------------------------------------------|
//! | [`upstream`]      | the kernel crate's [`sync::SpinLockIrq`], [`interrupt`] token and [`module!`], from 6.12's [`upstream::compat`] where it lacks them |
//! | [`context`]       | which context (task, softirq, hardirq, NMI) code runs in |
//! | [`crash_lock`]    | kexec-style NMI-safe trylock, and the `-EBUSY` hybrid    |
//! | [`irq_work`]      | hard `irq_work`, to leave NMI context                    |
//! | [`nmi`]           | x86 NMI handler registration                             |
//! | [`workqueue`]     | cancelling `kernel::workqueue` items on teardown         |
//! | [`slot_pool`]     | lock-free preallocated slots, any context → process      |
//! | [`efivar`]        | efivars lock guard, variable services, panic bypass      |
//! | [`pstore`]        | pstore backend registration                              |
//! | [`debugfs`]       | directories, counter files, write-to-trigger files       |
//! | [`kmsg_dump`]     | kernel log dumpers (panic, oops) and the log iterator    |
//! | [`deflate`]       | raw deflate and inflate, preallocated workspaces        |
//! | [`time`]          | msleep, monotonic and wall clocks                        |
//! | [`ratelimit`]     | rate limit for log lines about untrusted input          |
//! | [`tasklet`]       | tasklets (softirq context)                               |
//! | [`kthread`]       | kernel threads running a function                        |
//! | [`fault`]         | panic, BUG and WARN on purpose (crash tests)             |
//! | [`registry`]      | refcounted registry, members come and go under a walk    |
//! | [`apei`]          | GHES-style error sources, the pipeline out of NMI        |
//! | [`apei::queue`]   | NMI-safe error status queue (preallocated slots)         |
//! | [`apei::counters`] | the APEI pipeline's counters, as debugfs files           |

pub mod apei;
pub mod bindings;
pub mod context;
pub mod crash_lock;
pub mod debugfs;
pub mod deflate;
pub mod efivar;
pub mod fault;
pub mod fixed_buf;
pub mod irq_work;
pub mod kmsg_dump;
pub mod kthread;
pub mod nmi;
pub mod pstore;
pub mod ratelimit;
pub mod registry;
pub mod slot_pool;
pub mod symbol;
pub mod tasklet;
pub mod time;
pub mod upstream;
pub mod workqueue;

pub use crate::lw_module as module;
pub use upstream::{fmt, interrupt, sync, uaccess};
