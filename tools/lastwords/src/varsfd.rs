// SPDX-License-Identifier: GPL-2.0

//! An EFI variable store image, read-only: an OVMF/edk2 `VARS.fd` (a VM's
//! NVRAM file) or a flash image read out of a machine with edk2-based
//! firmware. The layout is edk2's (`MdeModulePkg/Include/Guid/
//! VariableFormat.h`, `MdePkg/Include/Pi/PiFirmwareVolume.h`):
//!
//! - a firmware volume header: signature `_FVH` at offset 40, its length
//!   (`HeaderLength`, u16) at offset 48;
//! - at `HeaderLength`, the variable store header (28 bytes): the format's
//!   GUID (authenticated variables, or plain ones), the store's size (u32),
//!   format 0x5a, state 0xfe;
//! - then the variables, each 4-byte aligned: start id 0x55aa, state, the
//!   attributes, (authenticated: monotonic count, time stamp, key index),
//!   name size, data size, vendor GUID, then the name (UCS-2, NUL-ended)
//!   and the data. Erased flash (start id 0xffff) ends the list.
//!
//! A variable is live in state `VAR_ADDED` (0x3f), or in
//! `VAR_ADDED & VAR_IN_DELETED_TRANSITION` (0x3e) when no live copy of the
//! same name follows (edk2 was cut while replacing it). Every field is
//! untrusted: sizes are checked against the store, and a header that does
//! not parse ends the walk with a line.

use std::path::{Path, PathBuf};

use crate::vars::{Guid, Store, Var};

const FVH_SIGNATURE: &[u8; 4] = b"_FVH";
/// `gEfiAuthenticatedVariableGuid`, `gEfiVariableGuid`.
const AUTH_STORE: &str = "aaf32c78-947b-439a-a180-2e144ec37792";
const PLAIN_STORE: &str = "ddcf3616-3275-4164-98b6-fe85707ffe7d";
const STORE_HEADER_LEN: usize = 28;
const START_ID: u16 = 0x55aa;
const VAR_ADDED: u8 = 0x3f;
const VAR_ADDED_IN_TRANSITION: u8 = 0x3e;
const AUTH_HEADER_LEN: usize = 60;
const PLAIN_HEADER_LEN: usize = 32;

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(
        b.get(at..at.checked_add(2)?)?.try_into().ok()?,
    ))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(
        b.get(at..at.checked_add(4)?)?.try_into().ok()?,
    ))
}

fn guid_at(b: &[u8], at: usize) -> Option<Guid> {
    Some(Guid(b.get(at..at.checked_add(16)?)?.try_into().ok()?))
}

/// One variable of the image, with its state.
struct Found {
    state: u8,
    var: Var,
}

/// Every variable of the store in `img`, live ones only; errors name what
/// did not parse.
pub fn parse(img: &[u8]) -> Result<Vec<Var>, String> {
    if img.get(40..44) != Some(&FVH_SIGNATURE[..]) {
        return Err("not a firmware volume (no _FVH signature at offset 40)".into());
    }
    let store = usize::from(u16_at(img, 48).ok_or("firmware volume header cut short")?);
    let kind = guid_at(img, store).ok_or("variable store header cut short")?;
    let auth = if Some(kind) == Guid::parse(AUTH_STORE) {
        true
    } else if Some(kind) == Guid::parse(PLAIN_STORE) {
        false
    } else {
        return Err(format!("not an edk2 variable store (format GUID {})", kind));
    };
    let size = u32_at(img, store + 16).ok_or("variable store header cut short")? as usize;
    let end = store
        .checked_add(size)
        .filter(|&e| e <= img.len())
        .ok_or_else(|| format!("variable store of {} bytes past the image's end", size))?;
    let hlen = if auth {
        AUTH_HEADER_LEN
    } else {
        PLAIN_HEADER_LEN
    };
    // Name size, data size and GUID: after the time fields if authenticated.
    let sizes_at = if auth { 36 } else { 8 };
    let mut at = store + STORE_HEADER_LEN;
    let mut found: Vec<Found> = Vec::new();
    while at.checked_add(hlen).is_some_and(|h| h <= end) {
        match u16_at(img, at) {
            Some(START_ID) => {}
            Some(0xffff) => break,
            _ => {
                eprintln!(
                    "lastwords: variable store: no variable header at {:#x}; stopping",
                    at
                );
                break;
            }
        }
        let state = img[at + 2];
        let name_size = u32_at(img, at + sizes_at).unwrap_or(u32::MAX) as usize;
        let data_size = u32_at(img, at + sizes_at + 4).unwrap_or(u32::MAX) as usize;
        let guid = guid_at(img, at + sizes_at + 8);
        let name_at = at + hlen;
        let data_at = name_at.checked_add(name_size);
        let next = data_at.and_then(|d| d.checked_add(data_size));
        let (Some(guid), Some(data_at), Some(next)) = (guid, data_at, next) else {
            eprintln!(
                "lastwords: variable store: sizes overflow at {:#x}; stopping",
                at
            );
            break;
        };
        if next > end || name_size % 2 != 0 {
            eprintln!(
                "lastwords: variable store: variable at {:#x} runs past the store; stopping",
                at
            );
            break;
        }
        let mut name: Vec<u16> = img[name_at..data_at]
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect();
        if let Some(nul) = name.iter().position(|&c| c == 0) {
            name.truncate(nul);
        }
        found.push(Found {
            state,
            var: Var {
                name,
                guid,
                data: img[data_at..next].to_vec(),
            },
        });
        // The next header is 4-byte aligned.
        at = next.checked_add(3).map(|n| n & !3).unwrap_or(usize::MAX);
    }
    let mut live = Vec::new();
    for (i, f) in found.iter().enumerate() {
        let keep = match f.state {
            VAR_ADDED => true,
            VAR_ADDED_IN_TRANSITION => !found[i + 1..].iter().any(|g| {
                g.state == VAR_ADDED && g.var.guid == f.var.guid && g.var.name == f.var.name
            }),
            _ => false,
        };
        if keep {
            live.push(f.var.clone());
        }
    }
    Ok(live)
}

/// A variable store image file, read-only.
pub struct VarsFd {
    path: PathBuf,
}

impl VarsFd {
    pub fn new(path: &Path) -> Self {
        Self {
            path: path.to_path_buf(),
        }
    }
}

impl Store for VarsFd {
    fn vars(&self, guid: Guid) -> Result<Vec<Var>, String> {
        let img =
            std::fs::read(&self.path).map_err(|e| format!("{}: {}", self.path.display(), e))?;
        let all = parse(&img).map_err(|e| format!("{}: {}", self.path.display(), e))?;
        Ok(all.into_iter().filter(|v| v.guid == guid).collect())
    }

    fn delete(&self, _name: &[u16], _guid: Guid) -> Result<(), String> {
        Err(format!(
            "{}: a variable store image is read-only here; erase on the machine (or VM) itself",
            self.path.display()
        ))
    }

    fn describe(&self) -> String {
        format!("variable store image {}", self.path.display())
    }
}
