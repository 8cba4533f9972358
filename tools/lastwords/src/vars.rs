// SPDX-License-Identifier: GPL-2.0

//! EFI variables as the tool sees them, wherever they come from: the live
//! firmware through efivarfs (`efivarfs.rs`), or a variable store image
//! read out of a VM or a dead machine (`varsfd.rs`, read-only).

use std::fmt;

/// An EFI vendor GUID, as the firmware stores it (mixed-endian fields).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Guid(pub [u8; 16]);

/// `LINUX_EFI_CRASH_GUID`: the vendor GUID of every pstore record, ours and
/// the C `efi_pstore`'s.
pub const CRASH_GUID: Guid = Guid([
    0x79, 0xfc, 0xc8, 0xcf, 0x2e, 0xbe, 0xdc, 0x4d, 0x97, 0xf0, 0x9f, 0x98, 0xbf, 0xe2, 0x98, 0xa0,
]);

impl Guid {
    /// Parses the text form (`cfc8fc79-be2e-4ddc-97f0-9f98bfe298a0`).
    pub fn parse(s: &str) -> Option<Guid> {
        let b = s.as_bytes();
        if b.len() != 36 || [8, 13, 18, 23].iter().any(|&i| b.get(i) != Some(&b'-')) {
            return None;
        }
        let hex: String = s.chars().filter(|&c| c != '-').collect();
        let mut raw = [0u8; 16];
        for (i, o) in raw.iter_mut().enumerate() {
            *o = u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok()?;
        }
        // The first three fields are little-endian in memory.
        raw[0..4].reverse();
        raw[4..6].reverse();
        raw[6..8].reverse();
        Some(Guid(raw))
    }
}

impl fmt::Display for Guid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let g = &self.0;
        write!(
            f,
            "{:02x}{:02x}{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-",
            g[3], g[2], g[1], g[0], g[5], g[4], g[7], g[6], g[8], g[9]
        )?;
        g[10..].iter().try_for_each(|b| write!(f, "{:02x}", b))
    }
}

impl fmt::Debug for Guid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// One variable: its name (UCS-2, without the terminating NUL), vendor GUID
/// and data. Untrusted: any name, any size, any bytes.
#[derive(Clone, Debug)]
pub struct Var {
    pub name: Vec<u16>,
    pub guid: Guid,
    pub data: Vec<u8>,
}

impl Var {
    /// The name for messages: printable ASCII as is, anything else as `?`,
    /// at most 80 characters (as the module prints it).
    pub fn shown_name(&self) -> String {
        let mut s: String = self
            .name
            .iter()
            .take(80)
            .map(|&c| match u8::try_from(c) {
                Ok(b) if b.is_ascii_graphic() || b == b' ' => char::from(b),
                _ => '?',
            })
            .collect();
        if self.name.len() > 80 {
            s.push_str("...");
        }
        s
    }
}

/// Where the variables are.
pub trait Store {
    /// Every variable under `guid`. An error if the store cannot be read at
    /// all; variables that cannot be read are left out with a line on
    /// stderr.
    fn vars(&self, guid: Guid) -> Result<Vec<Var>, String>;
    /// Deletes the variable `name` under `guid`. Not found is not an error.
    fn delete(&self, name: &[u16], guid: Guid) -> Result<(), String>;
    /// What it is, for messages.
    fn describe(&self) -> String;
}
