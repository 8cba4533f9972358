// SPDX-License-Identifier: GPL-2.0

//! Module parameter values, parsed and set as Linux 7.3's kernel crate does
//! for `module!`'s `params` (`rust/kernel/module_param.rs`), so that the
//! 6.12 stand-in (`rust/lastwords/compat/module_param.rs`) accepts and
//! refuses exactly what 7.3 does:
//!
//! - a parameter without a value (a bare `dense`) is refused (`EINVAL`), a
//!   `bool` included: 7.3's `kernel_param_ops` have no `KERNEL_PARAM_OPS_FL_NOARG`;
//! - a value that does not parse is refused (`EINVAL`), one out of the
//!   type's range too (C's `kstrto*()` say `ERANGE`);
//! - a parameter given a second time is refused (`EEXIST`), where C
//!   parameters keep the last value;
//! - integers: an optional sign, then `0x`/`0X` (hex), `0o`/`0O` (octal),
//!   `0b`/`0B` (binary), `0` (octal) or decimal digits; nothing else, not
//!   even the one trailing newline that C's `kstrto*()` allow;
//! - `bool`: the first byte (two for `on`/`off`), as 7.3's `kstrtobool()`.

/// Why a value is refused; the kernel error that the load fails with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SetError {
    /// No value, or one that does not parse as the type: `EINVAL`.
    Invalid,
    /// The parameter already has a value: `EEXIST`.
    AlreadySet,
}

/// The types a module parameter may have: those of 7.3's `module!`.
pub trait ParamValue: Sized + Copy {
    /// The value that `arg` (what follows `name=`) spells, or `None`.
    fn parse(arg: &[u8]) -> Option<Self>;
}

/// Sets a parameter from its argument, as 7.3's `set_param()`: `arg` is
/// `None` for a bare `name`; `slot` is `None` until a value is set, and
/// the parameter's value is the default while it is. A value that does not
/// parse leaves `slot` as it is.
pub fn set<T: ParamValue>(slot: &mut Option<T>, arg: Option<&[u8]>) -> Result<(), SetError> {
    let value = arg.and_then(T::parse).ok_or(SetError::Invalid)?;
    if slot.is_some() {
        return Err(SetError::AlreadySet);
    }
    *slot = Some(value);
    Ok(())
}

impl ParamValue for bool {
    /// 7.3's `kstrtobool()` (`lib/kstrtox.c`), which 7.3's `bool` parameters
    /// call: `e`, `y`, `t`, `1`, `on` (either case) are true; `d`, `n`, `f`,
    /// `0`, `off` false; only the first two bytes count (`yes`, `true`,
    /// `disable`). 6.12's `kstrtobool()` lacks `e` and `d`.
    fn parse(arg: &[u8]) -> Option<Self> {
        match arg {
            [b'e' | b'E' | b'y' | b'Y' | b't' | b'T' | b'1', ..] => Some(true),
            [b'd' | b'D' | b'n' | b'N' | b'f' | b'F' | b'0', ..] => Some(false),
            [b'o' | b'O', b'n' | b'N', ..] => Some(true),
            [b'o' | b'O', b'f' | b'F', ..] => Some(false),
            _ => None,
        }
    }
}

/// The radix an integer's prefix names, and the rest: 7.3's
/// `strip_radix()` (`rust/kernel/str/parse_int.rs`). A leading `0` stays,
/// so that `0` parses.
fn strip_radix(arg: &[u8]) -> (u32, &[u8]) {
    match arg {
        [b'0', b'x' | b'X', rest @ ..] => (16, rest),
        [b'0', b'o' | b'O', rest @ ..] => (8, rest),
        [b'0', b'b' | b'B', rest @ ..] => (2, rest),
        [b'0', ..] => (8, arg),
        _ => (10, arg),
    }
}

/// 7.3's `ParseInt::from_str()` (`rust/kernel/str/parse_int.rs`), quirks
/// included, since modules see them: after a `-`, the prefix and digits
/// are parsed as a `u64` and negated; otherwise the prefix is taken off and
/// the rest goes to the type's `from_str_radix()`, which takes a sign of
/// its own (so `+12` is decimal 12, `+012` decimal 12, not octal, `+0x1`
/// is refused, and `0x-1` is -1 for a signed type).
macro_rules! impl_param_int {
    ($($t:ty),*) => {$(
        impl ParamValue for $t {
            fn parse(arg: &[u8]) -> Option<Self> {
                if let [b'-', rest @ ..] = arg {
                    let (radix, digits) = strip_radix(rest);
                    let abs = u64::from_str_radix(core::str::from_utf8(digits).ok()?, radix).ok()?;
                    // The magnitude of the type's minimum: 0 if unsigned.
                    const ABS_MIN: u64 = if <$t>::MIN == 0 { 0 } else { 1 << (<$t>::BITS - 1) };
                    if abs > ABS_MIN {
                        None
                    } else if abs == ABS_MIN {
                        Some(<$t>::MIN)
                    } else {
                        <$t>::try_from(abs).ok().map(<$t>::wrapping_neg)
                    }
                } else {
                    let (radix, digits) = strip_radix(arg);
                    <$t>::from_str_radix(core::str::from_utf8(digits).ok()?, radix).ok()
                }
            }
        }
    )*};
}

impl_param_int!(i32, u32, i64, u64, isize, usize);
