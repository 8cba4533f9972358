// SPDX-License-Identifier: GPL-2.0

//! The module parameters, validated. Those set at load time are declared in
//! `lastwords::module!` (`main.rs`): `record_size`, `max_reason`,
//! `kmsg_bytes`, `quota_bytes`, `quota_records` and `dense`, read once at load
//! ([`Params::read`], process context; a value out of range keeps the module
//! from loading), and `test_hooks`, read by the test hook
//! (`lw_efi_pstore_rust_hold_dump_lock()`, in `writer.rs`). `module!`'s
//! parameters cannot change at run time, so `enabled`, which may, stays a C
//! `module_param` in `lw_efi_pstore_params.c`, read at every dump and pmsg
//! write ([`enabled`], any context: panic path safe).

use kernel::prelude::*;

use crate::lastwords::bindings;
use crate::lastwords::efivar;
use crate::lastwords::pstore;
use crate::module_parameters;

/// Record sizes accepted for `record_size`.
const RECORD_SIZE_MIN: u32 = 1024;
/// `record_size=0`: the size of dense parts, if the firmware takes
/// variables that large. Larger parts compress better (a dump's oops
/// traces repeat within a few KiB of text) and cost the firmware fewer
/// variables; smaller ones lose less to a cut.
const DENSE_RECORD_SIZE: u32 = 4096;
/// What a variable's name takes of the firmware's largest variable (a
/// dense name is at most 45 UCS-2 characters and its NUL), rounded up.
const NAME_ROOM: u64 = 128;
pub(crate) const RECORD_SIZE_MAX: u32 = 32768;
/// Most bytes one dump may use, for `kmsg_bytes`.
const KMSG_BYTES_MAX: u32 = 1 << 20;

/// The parameters read at load, each checked against its range.
pub(crate) struct Params {
    /// Bytes of each EFI variable, `RECORD_SIZE_MIN..=RECORD_SIZE_MAX`
    /// (`record_size=0`: see [`default_record_size`]).
    pub(crate) record_size: usize,
    /// Largest kmsg_dump reason stored, `1..=pstore::reason::MAX`.
    pub(crate) max_reason: u32,
    /// NVRAM bytes one dump may use, `record_size..=KMSG_BYTES_MAX`.
    pub(crate) kmsg_bytes: usize,
    /// `quota_bytes` (0, or at least `record_size`) and `quota_records`.
    pub(crate) quota: Quota,
    /// Whether dumps are written as dense records.
    pub(crate) dense: bool,
}

impl Params {
    /// Reads the parameters and checks them: one out of range is named in
    /// the log and fails with `EINVAL` (the module does not load). Module
    /// init only.
    pub(crate) fn read() -> Result<Self> {
        let dense = module_parameters::dense.value();
        let kmsg_bytes = module_parameters::kmsg_bytes.value();
        let record_size = match module_parameters::record_size.value() {
            // Not above what one dump may use.
            0 => default_record_size(dense).min(kmsg_bytes.max(RECORD_SIZE_MIN)),
            n => n,
        };
        let max_reason = module_parameters::max_reason.value();
        let quota_bytes = module_parameters::quota_bytes.value();
        let quota_records = module_parameters::quota_records.value();
        if !(RECORD_SIZE_MIN..=RECORD_SIZE_MAX).contains(&record_size) {
            pr_err!(
                "record_size={} is out of range {}..{}: not loading\n",
                record_size,
                RECORD_SIZE_MIN,
                RECORD_SIZE_MAX
            );
            return Err(EINVAL);
        }
        let max_reason = match u32::try_from(max_reason) {
            Ok(m @ 1..=pstore::reason::MAX) => m,
            _ => {
                pr_err!(
                    "max_reason={} is out of range 1..{}: not loading\n",
                    max_reason,
                    pstore::reason::MAX
                );
                return Err(EINVAL);
            }
        };
        if !(record_size..=KMSG_BYTES_MAX).contains(&kmsg_bytes) {
            pr_err!(
                "kmsg_bytes={} is out of range record_size..{} ({}..{}): not loading\n",
                kmsg_bytes,
                KMSG_BYTES_MAX,
                record_size,
                KMSG_BYTES_MAX
            );
            return Err(EINVAL);
        }
        if quota_bytes != 0 && quota_bytes < record_size {
            pr_err!(
                "quota_bytes={} is below record_size={}: not loading\n",
                quota_bytes,
                record_size
            );
            return Err(EINVAL);
        }
        let quota = Quota {
            bytes: quota_bytes as usize,
            records: quota_records as usize,
        };
        Ok(Self {
            record_size: record_size as usize,
            max_reason,
            kmsg_bytes: kmsg_bytes as usize,
            quota,
            dense,
        })
    }
}

/// `record_size=0`: 1024 for C-compatible records (the C backend's size);
/// for dense ones [`DENSE_RECORD_SIZE`], or less if the firmware's largest
/// variable (`QueryVariableInfo`), less the name, is smaller, and at least
/// 1024. Module init (the firmware query may sleep).
fn default_record_size(dense: bool) -> u32 {
    if !dense {
        return RECORD_SIZE_MIN;
    }
    match efivar::query_variable_info(efivar::ATTR_NV_BS_RT) {
        Ok(info) => {
            let fits = info.max_variable.saturating_sub(NAME_ROOM);
            let size =
                u32::try_from(fits.min(u64::from(DENSE_RECORD_SIZE))).unwrap_or(RECORD_SIZE_MIN);
            if size < DENSE_RECORD_SIZE {
                pr_info!(
                    "the firmware's largest variable is {} bytes: dense parts of {} bytes\n",
                    info.max_variable,
                    size.max(RECORD_SIZE_MIN)
                );
            }
            size.max(RECORD_SIZE_MIN)
        }
        // No answer (no EFI: the load fails later with a clear message).
        Err(_) => RECORD_SIZE_MIN,
    }
}

/// The `enabled` parameter: whether new records are stored (it may change
/// at run time). Any context.
pub(crate) fn enabled() -> bool {
    // SAFETY: Reads a module parameter with READ_ONCE(); callable anywhere.
    unsafe { bindings::lw_efi_pstore_enabled() }
}

/// How much of the variable store the backend may occupy (0: no limit).
#[derive(Clone, Copy)]
pub(crate) struct Quota {
    pub(crate) bytes: usize,
    pub(crate) records: usize,
}

impl Quota {
    pub(crate) fn enabled(&self) -> bool {
        self.bytes != 0 || self.records != 0
    }

    pub(crate) fn allows(&self, bytes: usize, records: usize) -> bool {
        (self.bytes == 0 || bytes <= self.bytes) && (self.records == 0 || records <= self.records)
    }
}
