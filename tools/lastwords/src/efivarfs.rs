// SPDX-License-Identifier: GPL-2.0

//! The live firmware's variables through efivarfs
//! (`/sys/firmware/efi/efivars`): one file per variable, named
//! `Name-GUID` (the name in UTF-8), holding the 4-byte attributes and then
//! the data. Deleting one clears its immutable flag (efivarfs sets it on
//! variables it does not know to be safe to delete) and unlinks it.

use std::fs;
use std::io::Read;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};

use crate::vars::{Guid, Store, Var};

/// Largest variable read: more than any firmware's largest variable.
const VAR_READ_MAX: u64 = 1 << 20;

/// efivarfs mounted at a directory.
pub struct Efivarfs {
    dir: PathBuf,
}

impl Efivarfs {
    pub fn new(dir: &Path) -> Self {
        Self {
            dir: dir.to_path_buf(),
        }
    }

    fn file_name(name: &[u16], guid: Guid) -> Option<String> {
        let name = String::from_utf16(name).ok()?;
        Some(format!("{}-{}", name, guid))
    }
}

/// `FS_IMMUTABLE_FL` (`include/uapi/linux/fs.h`), which efivarfs sets on
/// variables it does not know to be safe to delete; libc has the ioctls
/// (`FS_IOC_GETFLAGS`, `FS_IOC_SETFLAGS`), not the flag.
const FS_IMMUTABLE_FL: libc::c_long = 0x10;

fn clear_immutable(path: &Path) -> std::io::Result<()> {
    let f = fs::File::open(path)?;
    let mut flags: libc::c_long = 0;
    // SAFETY: `f` is an open file; the ioctl writes one `long` to `flags`.
    if unsafe { libc::ioctl(f.as_raw_fd(), libc::FS_IOC_GETFLAGS, &mut flags) } != 0 {
        let e = std::io::Error::last_os_error();
        // A file system without inode flags (a copy of the variables in a
        // plain directory) has nothing to clear.
        return match e.raw_os_error() {
            Some(libc::ENOTTY | libc::EINVAL | libc::EOPNOTSUPP) => Ok(()),
            _ => Err(e),
        };
    }
    if flags & FS_IMMUTABLE_FL == 0 {
        return Ok(());
    }
    flags &= !FS_IMMUTABLE_FL;
    // SAFETY: As above; the ioctl reads one `long` from `flags`.
    if unsafe { libc::ioctl(f.as_raw_fd(), libc::FS_IOC_SETFLAGS, &flags) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

impl Store for Efivarfs {
    fn vars(&self, guid: Guid) -> Result<Vec<Var>, String> {
        let rd = fs::read_dir(&self.dir).map_err(|e| {
            format!(
                "{}: {} (is efivarfs mounted? mount -t efivarfs none {})",
                self.dir.display(),
                e,
                self.dir.display()
            )
        })?;
        let suffix = format!("-{}", guid);
        let mut out = Vec::new();
        for ent in rd {
            let ent = ent.map_err(|e| format!("{}: {}", self.dir.display(), e))?;
            let fname = ent.file_name();
            let Some(fname) = fname.to_str() else {
                continue;
            };
            let Some(name) = fname.strip_suffix(&suffix) else {
                continue;
            };
            let path = ent.path();
            let mut data = Vec::new();
            let read =
                fs::File::open(&path).and_then(|f| f.take(VAR_READ_MAX + 1).read_to_end(&mut data));
            match read {
                Ok(_) if data.len() as u64 > VAR_READ_MAX => {
                    eprintln!("lastwords: skipped {}: larger than any record", fname);
                    continue;
                }
                Ok(_) => {}
                Err(e) => {
                    eprintln!("lastwords: skipped {}: {}", fname, e);
                    continue;
                }
            }
            // The attributes come first; an empty file is a variable that
            // vanished since the listing.
            if data.len() < 4 {
                continue;
            }
            data.drain(..4);
            out.push(Var {
                name: name.encode_utf16().collect(),
                guid,
                data,
            });
        }
        Ok(out)
    }

    fn delete(&self, name: &[u16], guid: Guid) -> Result<(), String> {
        let fname = Self::file_name(name, guid)
            .ok_or_else(|| "the name is not valid UTF-16".to_string())?;
        let path = self.dir.join(&fname);
        match clear_immutable(&path).and_then(|()| fs::remove_file(&path)) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(format!("{}: {}", fname, e)),
        }
    }

    fn describe(&self) -> String {
        format!("efivarfs at {}", self.dir.display())
    }
}
