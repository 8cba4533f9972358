// SPDX-License-Identifier: GPL-2.0

//! Module parameters for 6.12: what 7.x's `module!` generates from its
//! `params: { .. }` field, for `lastwords::module!` to generate on 6.12, so
//! that module code reads `module_parameters::NAME.value()` on both kernels.
//!
//! Like 7.x's (as of 7.3), the parameters are set at load time only and not
//! shown in sysfs (`perm` 0). Each is a `struct kernel_param` in the
//! `__param` section, with the C kernel's own `param_ops_*` parsing into the
//! parameter's storage, and its `parmtype=` and `parm=` lines in `.modinfo`
//! for `modinfo(8)` (the type named as in Rust, as 7.x does).

use core::cell::UnsafeCell;

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
/// `value` is written only by the kernel's `param_ops_*`, while loading the
/// module, before any Rust code of the module runs; afterwards it is only
/// read (there is no sysfs file through which to write it).
pub struct ModuleParamAccess<T> {
    value: UnsafeCell<T>,
}

// SAFETY: After load, the value is only read (type invariant).
unsafe impl<T: Sync> Sync for ModuleParamAccess<T> {}

impl<T: Copy> ModuleParamAccess<T> {
    #[doc(hidden)]
    pub const fn new(default: T) -> Self {
        Self {
            value: UnsafeCell::new(default),
        }
    }

    /// The value given at load time, or the default.
    #[inline]
    pub fn value(&self) -> T {
        // SAFETY: No writer once the module's code runs (type invariant).
        unsafe { *self.value.get() }
    }

    #[doc(hidden)]
    pub const fn as_void_ptr(&self) -> *mut kernel::ffi::c_void {
        self.value.get().cast()
    }
}

/// A `struct kernel_param` that may sit in a `static`.
///
/// # Invariants
///
/// It points at static data only: its NUL-terminated name, this module's
/// `struct module`, a C `param_ops_*` and the value of a
/// [`ModuleParamAccess`] static of the type those operations parse.
#[doc(hidden)]
#[repr(transparent)]
pub struct KernelParam(pub kernel::bindings::kernel_param);

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

/// The C `param_ops_*` of a Rust parameter type.
#[doc(hidden)]
#[macro_export]
macro_rules! lw_param_ops {
    (bool) => {
        &raw const ::kernel::bindings::param_ops_bool
    };
    (i32) => {
        &raw const ::kernel::bindings::param_ops_int
    };
    (u32) => {
        &raw const ::kernel::bindings::param_ops_uint
    };
    (i64) => {
        &raw const ::kernel::bindings::param_ops_long
    };
    (u64) => {
        &raw const ::kernel::bindings::param_ops_ullong
    };
    (isize) => {
        &raw const ::kernel::bindings::param_ops_long
    };
    (usize) => {
        &raw const ::kernel::bindings::param_ops_ulong
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
