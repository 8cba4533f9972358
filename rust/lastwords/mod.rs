// SPDX-License-Identifier: GPL-2.0

//! The lastwords building blocks: thin, documented, safe wrappers over the C
//! kernel APIs that the crash path needs and that the kernel crate does not
//! cover (7.3's, and 6.12's with [`upstream::compat`]). Where the kernel
//! crate has the abstraction, modules use it ([`upstream`] names it).
//!
//! `unsafe` code lives here and in `compat/`. Outside, modules write
//! `unsafe` only to call their own C (a module's C anchors or parameter
//! accessor, whose signatures they vouch for) and to look up another
//! module's exported function by name ([`symbol::IntFn::get`]).
//!
//! Out-of-tree modules cannot depend on each other's Rust crates, so each
//! module includes this directory with `#[path = ".../rust/lastwords/mod.rs"]`
//! and links its own copy of `rust/helpers.c` (the C shims).
//!
//! | module             | what                                                  | context |
//! |--------------------|-------------------------------------------------------|---------|
//! | [`upstream`]       | the kernel crate's [`sync::SpinLockIrq`], [`interrupt`] token, [`module!`] parameters, per-CPU workqueue; 6.12's from [`upstream::compat`] | as upstream |
//! | [`context`]        | which context (task, softirq, hardirq, NMI) code runs in | any |
//! | [`crash_lock`]     | kexec-style NMI-safe trylock, and the `-EBUSY` hybrid | any (hybrid: process) |
//! | [`irq_work`]       | `irq_work`: hard (out of NMI) or threadable           | queue: any |
//! | [`nmi`]            | x86 NMI handler registration                          | register: process |
//! | [`workqueue`]      | cancel-on-drop owner of an `Arc` work item            | process |
//! | [`slot_pool`]      | lock-free preallocated slots, any context → process  | any |
//! | [`fixed_buf`]      | the one writer into a fixed buffer (no allocation)    | any |
//! | [`efivar`]         | efivars lock guard, variable services, panic bypass   | process; panic |
//! | [`pstore`]         | pstore backend registration                           | process |
//! | [`debugfs`]        | directories, counter files, write-to-trigger files (files hold their module) | process |
//! | [`kmsg_dump`]      | kernel log dumpers (panic, oops) and the log iterator | any |
//! | [`deflate`]        | raw deflate and inflate, preallocated workspaces      | any (new: process) |
//! | [`time`]           | msleep, monotonic and wall clocks                     | see primitives.rst |
//! | [`ratelimit`]      | rate limit for log lines about untrusted input        | any |
//! | [`tasklet`]        | tasklets (softirq context)                            | schedule: not NMI |
//! | [`kthread`]        | kernel threads running a function                     | process |
//! | [`symbol`]         | another module's exported function, by name          | process |
//! | [`fault`]          | panic, BUG and WARN on purpose (crash tests)          | any |
//! | [`registry`]       | refcounted registry, members come and go under a walk | not NMI |
//! | [`apei`]           | GHES-style error sources, the pipeline out of NMI     | notify: any |
//! | [`apei::queue`]    | NMI-safe error status queue (preallocated slots)      | any |
//! | [`apei::counters`] | the APEI pipeline's counters, as debugfs files        | any |
//!
//! `Documentation/primitives.rst` has the full context table.

pub mod apei;
pub mod arch;
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
