// SPDX-License-Identifier: GPL-2.0

//! `lastwords`: the crash records that `lw_efi_pstore` and the C
//! `efi_pstore` keep in EFI variables, read, archived and erased without
//! either module: on a rescue system, another kernel, after the package is
//! gone, or offline from a variable store image.
//!
//! The record code is the module's own (`rust/core`), so a record shown
//! here is the text the module hands pstore (`records.rs`).

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use lastwords::records::{self, Found, Record};
use lastwords::vars::{Store, CRASH_GUID};
use lastwords::{archive, efivarfs, varsfd};

/// Exit codes: what a script may test.
mod exit {
    /// Done (for `list`: whether or not there were records).
    pub const OK: u8 = 0;
    /// The variables could not be read, or an erase or a write failed.
    pub const FAILED: u8 = 1;
    /// Bad usage (clap's own code).
    pub const USAGE: u8 = 2;
    /// `show` or `erase ID`: no record with that id.
    pub const NO_SUCH_RECORD: u8 = 3;
}

#[derive(Parser)]
#[command(
    name = "lastwords",
    version,
    about = "Read, archive and erase the crash records kept in EFI variables by lw_efi_pstore and the C efi_pstore",
    long_about = "Reads the crash records that the lw_efi_pstore module (dense lw-dense2-* and lw-dense1-* \
parts and C-compatible dump-type* records) and the kernel's C efi_pstore keep in EFI \
variables under the crash GUID (cfc8fc79-be2e-4ddc-97f0-9f98bfe298a0), without either \
module: from the running firmware through efivarfs, or offline from a variable store \
image (an OVMF/edk2 VARS.fd, read-only).\n\n\
Every variable is untrusted input: a name that is not a canonical record name, or data \
that fails a check, is skipped with its reason (shown with --verbose and in --json) and \
never erased. A dense part ours by name and header that does not decode belongs to its \
dump, as in the module: erasing the dump erases it.",
    after_help = "EXIT STATUS:\n  0  done\n  1  the variables could not be read, or an erase or write failed\n  2  bad usage\n  3  no record with that id\n\n\
EXAMPLES:\n  lastwords list\n  lastwords show dmesg-176400000001101\n  lastwords archive /var/lib/systemd/pstore\n  lastwords erase --all\n  lastwords --image /var/lib/libvirt/qemu/nvram/vm_VARS.fd list --json"
)]
struct Cli {
    /// The efivarfs mount to read and erase.
    #[arg(
        long,
        value_name = "DIR",
        default_value = "/sys/firmware/efi/efivars",
        global = true
    )]
    efivars: PathBuf,
    /// Read an EFI variable store image instead (OVMF/edk2 VARS.fd): read-only.
    #[arg(long, value_name = "FILE", global = true, conflicts_with = "efivars")]
    image: Option<PathBuf>,
    /// Print JSON (one document on stdout) instead of text.
    #[arg(long, global = true)]
    json: bool,
    /// Also list the variables skipped, with why.
    #[arg(short, long, global = true)]
    verbose: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// List the records: id, time, format, parts, bytes.
    List,
    /// Print one record's text, as pstore would show it.
    Show {
        /// The record's id (as `list` prints it, e.g. dmesg-176400000001101).
        id: String,
    },
    /// Write every record under DIR as systemd-pstore (252, Debian 12)
    /// lays them out, then erase what was written.
    Archive {
        /// The archive directory (systemd-pstore's is /var/lib/systemd/pstore).
        dir: PathBuf,
        /// Write, but erase nothing.
        #[arg(long)]
        keep: bool,
    },
    /// Erase one record's variables, or every record's.
    Erase {
        /// The record's id.
        #[arg(required_unless_present = "all", conflicts_with = "all")]
        id: Option<String>,
        /// Every record (never a variable that is not one).
        #[arg(long)]
        all: bool,
    },
}

fn store(cli: &Cli) -> Box<dyn Store> {
    match &cli.image {
        Some(p) => Box::new(varsfd::VarsFd::new(p)),
        None => Box::new(efivarfs::Efivarfs::new(&cli.efivars)),
    }
}

fn time_text(t: i64) -> String {
    // Days and seconds since the epoch, as a UTC date (civil from days).
    let days = t.div_euclid(86_400);
    let secs = t.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02} UTC",
        y,
        m,
        d,
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

fn print_skipped(found: &Found) {
    for s in &found.skipped {
        eprintln!("lastwords: skipped '{}': {}", s.name, s.reason);
    }
}

fn find<'a>(found: &'a Found, id: &str) -> Option<&'a Record> {
    found.records.iter().find(|r| r.id == id)
}

fn erase(st: &dyn Store, r: &Record) -> Result<(), String> {
    let mut first_err = None;
    for n in &r.vars {
        if let Err(e) = st.delete(n, CRASH_GUID) {
            first_err.get_or_insert(e);
        }
    }
    first_err.map_or(Ok(()), Err)
}

fn run(cli: &Cli) -> Result<u8, String> {
    let st = store(cli);
    let vars = st.vars(CRASH_GUID)?;
    let found = records::read(&vars);
    if cli.verbose && !cli.json {
        print_skipped(&found);
    }
    let mut out = std::io::stdout().lock();
    let w = |out: &mut std::io::StdoutLock<'_>, s: &[u8]| -> Result<(), String> {
        out.write_all(s).map_err(|e| format!("stdout: {}", e))
    };
    match &cli.command {
        Command::List => {
            if cli.json {
                let doc = serde_json::json!({
                    "source": st.describe(),
                    "records": found.records,
                    "skipped": found.skipped,
                });
                w(&mut out, format!("{:#}\n", doc).as_bytes())?;
            } else {
                for r in &found.records {
                    let parts = if r.damaged_parts > 0 {
                        format!("{} parts, {} damaged", r.parts, r.damaged_parts)
                    } else {
                        format!("{} parts", r.parts)
                    };
                    let line = format!(
                        "{:<24} {}  {:<6} {:<15} {:>8} bytes\n",
                        r.id,
                        time_text(r.time),
                        match r.format {
                            records::Format::C => "c",
                            records::Format::Dense1 => "dense1",
                            records::Format::Dense2 => "dense2",
                        },
                        parts,
                        r.bytes
                    );
                    w(&mut out, line.as_bytes())?;
                }
                if found.records.is_empty() {
                    eprintln!("lastwords: no records in {}", st.describe());
                }
                if !found.skipped.is_empty() && !cli.verbose {
                    eprintln!(
                        "lastwords: {} variables under the crash GUID skipped (--verbose says why)",
                        found.skipped.len()
                    );
                }
            }
            Ok(exit::OK)
        }
        Command::Show { id } => {
            let Some(r) = find(&found, id) else {
                eprintln!("lastwords: no record {} in {}", id, st.describe());
                return Ok(exit::NO_SUCH_RECORD);
            };
            if cli.json {
                let doc = serde_json::json!({
                    "record": r,
                    "text": String::from_utf8_lossy(&r.text),
                });
                w(&mut out, format!("{:#}\n", doc).as_bytes())?;
            } else {
                w(&mut out, &r.text)?;
            }
            Ok(exit::OK)
        }
        Command::Erase { id, all } => {
            let chosen: Vec<&Record> = if *all {
                found.records.iter().collect()
            } else {
                let id = id.as_deref().unwrap_or("");
                match find(&found, id) {
                    Some(r) => vec![r],
                    None => {
                        eprintln!("lastwords: no record {} in {}", id, st.describe());
                        return Ok(exit::NO_SUCH_RECORD);
                    }
                }
            };
            let mut failed = false;
            let mut erased = Vec::new();
            for r in chosen {
                match erase(st.as_ref(), r) {
                    Ok(()) => erased.push(r.id.clone()),
                    Err(e) => {
                        eprintln!("lastwords: {}: not erased: {}", r.id, e);
                        failed = true;
                    }
                }
            }
            if cli.json {
                let doc = serde_json::json!({ "erased": erased });
                w(&mut out, format!("{:#}\n", doc).as_bytes())?;
            } else {
                for id in &erased {
                    w(&mut out, format!("erased {}\n", id).as_bytes())?;
                }
            }
            Ok(if failed { exit::FAILED } else { exit::OK })
        }
        Command::Archive { dir, keep } => {
            let mut failed = false;
            let mut done = Vec::new();
            for r in &found.records {
                let path = match archive::write(dir, r) {
                    Ok(p) => p,
                    Err(e) => {
                        eprintln!("lastwords: {}: not archived: {}", r.id, e);
                        failed = true;
                        continue;
                    }
                };
                if !keep {
                    if let Err(e) = erase(st.as_ref(), r) {
                        eprintln!("lastwords: {}: archived, not erased: {}", r.id, e);
                        failed = true;
                    }
                }
                done.push((r.id.clone(), path));
            }
            if cli.json {
                let doc = serde_json::json!({
                    "archived": done.iter().map(|(id, p)| serde_json::json!({
                        "id": id, "path": p.display().to_string()
                    })).collect::<Vec<_>>(),
                    "erased": !keep,
                });
                w(&mut out, format!("{:#}\n", doc).as_bytes())?;
            } else {
                for (id, p) in &done {
                    w(
                        &mut out,
                        format!("archived {} to {}\n", id, p.display()).as_bytes(),
                    )?;
                }
            }
            Ok(if failed { exit::FAILED } else { exit::OK })
        }
    }
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() {
                exit::USAGE
            } else {
                exit::OK
            };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    match run(&cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("lastwords: {}", e);
            ExitCode::from(exit::FAILED)
        }
    }
}
