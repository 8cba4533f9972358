// SPDX-License-Identifier: GPL-2.0

//! Calling a function another module exports, found by name at run time
//! (`symbol_get()`), without a link-time dependency on that module.

use super::bindings;
use kernel::prelude::*;

/// A reference to an exported `int name(void)` of a loaded module, which
/// the reference keeps loaded (`symbol_get()`) until it is dropped
/// (`symbol_put()`).
///
/// # Examples
///
/// Calling a test hook of another module, if that module is loaded:
///
/// ```ignore
/// use crate::lastwords::symbol::IntFn;
///
/// // SAFETY: lw_efi_pstore exports `int lw_efi_pstore_hold_dump_lock(void)`.
/// let Some(hook) = (unsafe { IntFn::get(c_str!("lw_efi_pstore_hold_dump_lock")) }) else {
///     return Err(ENODEV);
/// };
/// let ret = hook.call();
/// // The exporting module may be unloaded again once `hook` is dropped.
/// drop(hook);
/// kernel::error::to_result(ret)?;
/// ```
///
/// # Invariants
///
/// `f` is the address `symbol_get()` returned for `name`, an exported
/// function with the C signature `int (void)`, and the reference it took on
/// its module is held.
pub struct IntFn {
    name: &'static CStr,
    f: unsafe extern "C" fn() -> kernel::ffi::c_int,
}

impl IntFn {
    /// Looks up `name`, exported with the C signature `int name(void)` (the
    /// caller vouches for the signature, as C's `symbol_get()` users do).
    /// `None` if no loaded module exports it. Process context.
    ///
    /// # Safety
    ///
    /// The symbol `name`, where exported, is a function `int name(void)`
    /// that may be called at any time from process context with no other
    /// precondition ([`IntFn::call`] is safe).
    pub unsafe fn get(name: &'static CStr) -> Option<Self> {
        // SAFETY: A valid C string; the symbol is looked up among loaded
        // modules, and a reference on its module is taken.
        let p = unsafe { bindings::__symbol_get(name.as_char_ptr()) };
        if p.is_null() {
            return None;
        }
        // SAFETY: `p` is the non-null address of the function `name`, whose
        // signature is `int (void)` (the function's safety requirement).
        let f = unsafe {
            core::mem::transmute::<
                *mut core::ffi::c_void,
                unsafe extern "C" fn() -> kernel::ffi::c_int,
            >(p)
        };
        // INVARIANT: as just established.
        Some(Self { name, f })
    }

    /// Calls the function.
    pub fn call(&self) -> kernel::ffi::c_int {
        // SAFETY: The function has this signature and its module is held
        // (type invariant).
        unsafe { (self.f)() }
    }

    /// Keeps the reference on the module for good (e.g. the function left
    /// state behind that the module must keep until the kernel goes down).
    pub fn keep(self) {
        core::mem::forget(self);
    }
}

impl Drop for IntFn {
    fn drop(&mut self) {
        // SAFETY: The reference taken by `symbol_get()` for this name is held
        // (type invariant) and given back once, here.
        unsafe { bindings::__symbol_put(self.name.as_char_ptr()) };
    }
}
