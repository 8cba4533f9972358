// SPDX-License-Identifier: GPL-2.0

//! pmsg writes (`/dev/pmsg0`), the writer's process-context side: pstore
//! hands the backend each write ([`crate::store`]'s `write`), and it is
//! stored as chunks of `record_size` bytes under C-compatible names, the
//! quota enforced after it. The writer's dump path is in `writer.rs`.
//!
//! Context: process only (pstore's pmsg mutex is held): it sleeps for the
//! efivars lock and the firmware.

use kernel::prelude::*;

use crate::format::{self, PMSG_SEQ_WRAP};
use crate::lastwords::debugfs::bump;
use crate::lastwords::efivar::{EfivarsGuard, ATTR_NV_BS_RT, LINUX_EFI_CRASH_GUID};
use crate::lastwords::pstore::WriteRecord;
use crate::writer::Writer;
use crate::{PMSG_TOO_BIG, WRITTEN};

/// pmsg writes, the writer's process-context side (its dump path is in
/// `writer.rs`).
impl Writer {
    /// The largest pmsg write stored: what one dump may use
    /// (`kmsg_bytes`), at most the byte quota, and fewer chunks than the
    /// name's count field keeps apart within a second.
    fn pmsg_max(&self) -> usize {
        let quota = self.flusher.item().quota.bytes;
        let chunks = self.record_size.saturating_mul(PMSG_SEQ_WRAP as usize);
        let max = self.kmsg_bytes.min(chunks);
        if quota == 0 {
            max
        } else {
            max.min(quota)
        }
    }

    /// pmsg: process context (pstore's pmsg mutex is held), so it may sleep
    /// for the lock and the firmware. A write is stored as chunks of at most
    /// `record_size` bytes, one variable each, numbered by a per-boot
    /// sequence in the name's count field so that writes within the same
    /// second do not overwrite each other and read back in order.
    ///
    /// Bounded: a write larger than [`Writer::pmsg_max`] fails with `EFBIG`
    /// and stores nothing, and with a quota set, the quota is enforced after
    /// every write, so that a `/dev/pmsg0` writer cannot take more of the
    /// variable store than the quota allows.
    pub(crate) fn store_pmsg(&self, r: &WriteRecord<'_>) -> Result<u64> {
        if r.data.len() > self.pmsg_max() {
            bump(&PMSG_TOO_BIG);
            return Err(EFBIG);
        }
        let g = EfivarsGuard::lock()?;
        let mut first = None;
        for chunk in r.data.chunks(self.record_size) {
            let dn = format::next_pmsg_name(r.record_type, r.time);
            let name = format::ucs2_name(&dn);
            g.set_variable(&name, &LINUX_EFI_CRASH_GUID, ATTR_NV_BS_RT, chunk, false)
                .map_err(|(_, e)| e)?;
            bump(&WRITTEN);
            first.get_or_insert(dn.generic_id());
        }
        if self.flusher.item().quota.enabled() {
            self.flusher.item().enforce_quota_or_say(&g);
        }
        first.ok_or(EINVAL)
    }
}
