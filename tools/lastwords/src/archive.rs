// SPDX-License-Identifier: GPL-2.0

//! `archive`: records written as systemd-pstore 252 (Debian 12) writes what
//! it finds in `/sys/fs/pstore`, so that tools that read its archive keep
//! working: a dmesg record `dmesg-BACKEND-ID` (BACKEND: `lw_efi_pstore` for
//! a dense dump, `efi_pstore` for a C-compatible record, as the module that
//! reads that format names its files) goes into the
//! directory named by ID less its last six digits, and is appended to that
//! directory's `dmesg.txt` as `NAME:` and its text; other records (pmsg)
//! go into the archive directory itself. A file already there with the same
//! text counts as written (an archive run again after a failed erase); one
//! with other text is an error, never overwritten.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::records::{Format, Record};

fn write_new(path: &Path, text: &[u8]) -> Result<(), String> {
    match OpenOptions::new().write(true).create_new(true).open(path) {
        Ok(mut f) => f
            .write_all(text)
            .and_then(|()| f.sync_all())
            .map_err(|e| format!("{}: {}", path.display(), e)),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => match fs::read(path) {
            Ok(old) if old == text => Ok(()),
            _ => Err(format!("{}: exists, with other contents", path.display())),
        },
        Err(e) => Err(format!("{}: {}", path.display(), e)),
    }
}

/// Writes `r` under `dir`; the path of its file.
pub fn write(dir: &Path, r: &Record) -> Result<PathBuf, String> {
    let num = r.id.rsplit('-').next().unwrap_or("");
    let backend = match r.format {
        Format::Dense1 | Format::Dense2 => "lw_efi_pstore",
        Format::C => "efi_pstore",
    };
    let name = format!("{}-{}-{}", r.type_name, backend, num);
    if r.type_name != "dmesg" {
        fs::create_dir_all(dir).map_err(|e| format!("{}: {}", dir.display(), e))?;
        let path = dir.join(&name);
        write_new(&path, &r.text)?;
        return Ok(path);
    }
    let sub = dir.join(num.get(..num.len().saturating_sub(6)).unwrap_or(""));
    fs::create_dir_all(&sub).map_err(|e| format!("{}: {}", sub.display(), e))?;
    let path = sub.join(&name);
    let fresh = !path.exists();
    write_new(&path, &r.text)?;
    if fresh {
        let txt = sub.join("dmesg.txt");
        let mut f = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&txt)
            .map_err(|e| format!("{}: {}", txt.display(), e))?;
        f.write_all(format!("{}:\n", name).as_bytes())
            .and_then(|()| f.write_all(&r.text))
            .and_then(|()| f.sync_all())
            .map_err(|e| format!("{}: {}", txt.display(), e))?;
    }
    Ok(path)
}
