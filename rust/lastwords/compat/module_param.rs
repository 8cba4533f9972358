// SPDX-License-Identifier: GPL-2.0

//! Module parameters for 6.12: what 7.x's `module!` generates from its
//! `params: { .. }` field, for `lastwords::module!` to generate on 6.12, so
//! that module code reads `module_parameters::NAME.value()` on both kernels.
//!
//! As 7.x's (as of 7.3, `rust/kernel/module_param.rs`), the parameters are
//! set at load time only and not shown in sysfs (`perm` 0), and they parse
//! as 7.3's do, not as C parameters (`param_ops_*`) do: a parameter without
//! a value (a bare `dense`, even for a `bool`) or a value out of the type's
//! range is refused with `EINVAL`, one given twice with `EEXIST`; the
//! accepted spellings are 7.3's (`rust/core/src/module_param.rs`, shared
//! with the host tests, has them). Each is a `struct kernel_param` in the
//! `__param` section with this file's `kernel_param_ops` for its type (no
//! `KERNEL_PARAM_OPS_FL_NOARG`, as 7.3's), and its `parmtype=` and `parm=`
//! lines in `.modinfo` for `modinfo(8)` (the type named as in Rust, as 7.x
//! does).

use core::cell::UnsafeCell;
use kernel::bindings;
use kernel::ffi::{c_char, c_int, c_void};
use kernel::prelude::*;

#[path = "../../core/src/module_param.rs"]
pub mod parse;

use parse::{ParamValue, SetError};

/// A parameter's value: its default until the kernel parses one from the
/// module's arguments at load time, before `init` runs.
///
/// # Examples
///
/// The same module code on 6.12 and 7.x: `lastwords::module!` with
/// `params`, read through `module_parameters`.
///
/// ```ignore
/// lastwords::module! {
///     type: LwHello,
///     name: "lw_hello",
///     authors: ["lastwords developers"],
///     description: "lastwords minimal Rust + C shim module",
///     license: "GPL",
///     params: {
///         tag: u32 {
///             default: 0,
///             description: "a number the load message prints",
///         },
///     },
/// }
///
/// impl kernel::Module for LwHello {
///     fn init(_module: &'static ThisModule) -> Result<Self> {
///         // `insmod lw_hello.ko tag=7`: 7; without it, the default, 0.
///         pr_info!("tag {}\n", module_parameters::tag.value());
///         Ok(LwHello)
///     }
/// }
/// ```
///
/// # Invariants
///
/// `value` is `None` until the module's arguments set it; it is written
/// only by `set_param()`, which the kernel calls while loading the module,
/// under the module's `kernel_param_lock`, before any Rust code of the
/// module runs; afterwards it is only read (there is no sysfs file through
/// which to write it).
pub struct ModuleParamAccess<T> {
    value: UnsafeCell<Option<T>>,
    default: T,
}

// SAFETY: After load, the value is only read (type invariant).
unsafe impl<T: Sync> Sync for ModuleParamAccess<T> {}

impl<T: Copy> ModuleParamAccess<T> {
    #[doc(hidden)]
    pub const fn new(default: T) -> Self {
        Self {
            value: UnsafeCell::new(None),
            default,
        }
    }

    /// The value given at load time, or the default.
    #[inline]
    pub fn value(&self) -> T {
        // SAFETY: No writer once the module's code runs (type invariant).
        unsafe { *self.value.get() }.unwrap_or(self.default)
    }

    #[doc(hidden)]
    pub const fn as_void_ptr(&self) -> *mut c_void {
        core::ptr::from_ref(self).cast_mut().cast()
    }
}

/// `kernel_param_ops.set` of a parameter of type `T`, as 7.3's
/// `set_param()`: a value that does not parse as `T` gets `EINVAL`, a
/// second value `EEXIST`. (The kernel refuses a bare `name` with `EINVAL`
/// before calling it, as these operations lack `KERNEL_PARAM_OPS_FL_NOARG`;
/// a NULL `val` gets `EINVAL` here too.)
///
/// # Safety
///
/// `val` is NULL or a NUL-terminated string valid for reads for the call;
/// `param` is valid for reads for the call and its `arg` points at a
/// [`ModuleParamAccess<T>`] static; the caller is the kernel loading the
/// module that owns both, under its `kernel_param_lock` (the one time the
/// kernel calls `set` for a parameter with `perm` 0: see
/// [`ModuleParamAccess`]'s invariants).
unsafe extern "C" fn set_param<T: ParamValue>(
    val: *const c_char,
    param: *const bindings::kernel_param,
) -> c_int {
    let arg = if val.is_null() {
        None
    } else {
        // SAFETY: `val` is a NUL-terminated string, valid for reads for the
        // call (function safety), longer than the returned reference lives.
        Some(unsafe { CStr::from_char_ptr(val) }.as_bytes())
    };
    // SAFETY: `param` is valid for reads and its `arg` points at a
    // `ModuleParamAccess<T>` static (function safety).
    let access = unsafe { &*(*param).__bindgen_anon_1.arg.cast::<ModuleParamAccess<T>>() };
    // SAFETY: The kernel is loading the module, under its
    // `kernel_param_lock`, before any of the module's code runs (function
    // safety): no other reference to the value exists (type invariant).
    let slot = unsafe { &mut *access.value.get() };
    match parse::set(slot, arg) {
        Ok(()) => 0,
        Err(SetError::Invalid) => EINVAL.to_errno(),
        Err(SetError::AlreadySet) => EEXIST.to_errno(),
    }
}

macro_rules! param_ops {
    ($($ops:ident: $t:ty),* $(,)?) => {$(
        #[doc(hidden)]
        pub static $ops: bindings::kernel_param_ops = bindings::kernel_param_ops {
            // No `KERNEL_PARAM_OPS_FL_NOARG`: a bare `name` is `EINVAL`.
            flags: 0,
            set: Some(set_param::<$t>),
            get: None,
            free: None,
        };
    )*};
}

// 7.3's names (`kernel::module_param::PARAM_OPS_*`).
param_ops!(
    PARAM_OPS_BOOL: bool,
    PARAM_OPS_I32: i32,
    PARAM_OPS_U32: u32,
    PARAM_OPS_I64: i64,
    PARAM_OPS_U64: u64,
    PARAM_OPS_ISIZE: isize,
    PARAM_OPS_USIZE: usize,
);

/// A `struct kernel_param` that may sit in a `static`.
///
/// # Invariants
///
/// It points at static data only: its NUL-terminated name, this module's
/// `struct module`, the `PARAM_OPS_*` of a type `T` and a
/// [`ModuleParamAccess<T>`] static.
#[doc(hidden)]
#[repr(transparent)]
pub struct KernelParam(pub bindings::kernel_param);

// SAFETY: The kernel reads it at load time only; it points at static data.
unsafe impl Sync for KernelParam {}

/// Copies a string into an array of its length, for `.modinfo` entries.
#[doc(hidden)]
pub const fn modinfo_bytes<const N: usize>(s: &str) -> [u8; N] {
    let b = s.as_bytes();
    let mut a = [0u8; N];
    let mut i = 0;
    while i < N && i < b.len() {
        a[i] = b[i];
        i += 1;
    }
    a
}

/// The `kernel_param_ops` of a Rust parameter type (7.3's `param_ops_path()`).
#[doc(hidden)]
#[macro_export]
macro_rules! lw_param_ops {
    (bool) => {
        &raw const $crate::lastwords::upstream::compat::module_param::PARAM_OPS_BOOL
    };
    (i32) => {
        &raw const $crate::lastwords::upstream::compat::module_param::PARAM_OPS_I32
    };
    (u32) => {
        &raw const $crate::lastwords::upstream::compat::module_param::PARAM_OPS_U32
    };
    (i64) => {
        &raw const $crate::lastwords::upstream::compat::module_param::PARAM_OPS_I64
    };
    (u64) => {
        &raw const $crate::lastwords::upstream::compat::module_param::PARAM_OPS_U64
    };
    (isize) => {
        &raw const $crate::lastwords::upstream::compat::module_param::PARAM_OPS_ISIZE
    };
    (usize) => {
        &raw const $crate::lastwords::upstream::compat::module_param::PARAM_OPS_USIZE
    };
}

/// `.modinfo` entries and a `__param` entry for each parameter, and the
/// `module_parameters` module holding their values, as 7.x's `module!` makes.
#[doc(hidden)]
#[macro_export]
macro_rules! lw_module_params {
    ($($name:ident: $ptype:ident { default: $default:expr, description: $desc:literal $(,)? }),* $(,)?) => {
        /// The module's parameters (`lastwords::module!`'s `params`).
        mod module_parameters {
            $(
                #[allow(non_upper_case_globals)]
                pub(crate) static $name: $crate::lastwords::upstream::compat::module_param::ModuleParamAccess<$ptype> =
                    $crate::lastwords::upstream::compat::module_param::ModuleParamAccess::new($default);
            )*
        }
        $(
            const _: () = {
                use $crate::lastwords::upstream::compat::module_param::{modinfo_bytes, KernelParam};
                const TYPE: &str = concat!("parmtype=", stringify!($name), ":",
                    stringify!($ptype), "\0");
                const DESC: &str = concat!("parm=", stringify!($name), ":", $desc, "\0");
                #[link_section = ".modinfo"]
                #[used(compiler)]
                static PARMTYPE: [u8; TYPE.len()] = modinfo_bytes(TYPE);
                #[link_section = ".modinfo"]
                #[used(compiler)]
                static PARM: [u8; DESC.len()] = modinfo_bytes(DESC);

                extern "C" {
                    static __this_module: ::kernel::types::Opaque<::kernel::bindings::module>;
                }
                #[link_section = "__param"]
                #[used(compiler)]
                static PARAM: KernelParam = KernelParam(::kernel::bindings::kernel_param {
                    name: concat!(stringify!($name), "\0").as_ptr().cast(),
                    // Taking the address of an extern static reads nothing.
                    mod_: (&raw const __this_module).cast_mut().cast(),
                    ops: $crate::lw_param_ops!($ptype),
                    perm: 0,
                    level: -1,
                    flags: 0,
                    __bindgen_anon_1: ::kernel::bindings::kernel_param__bindgen_ty_1 {
                        arg: module_parameters::$name.as_void_ptr(),
                    },
                });
            };
        )*
    };
}
