// SPDX-License-Identifier: GPL-2.0

//! The decisions of a walk over the firmware's variable names
//! (`GetNextVariableName`), which trusts nothing the firmware answers.
//!
//! The walk holds the efivars lock, so a firmware that never says "not
//! found" would hold it for ever: a walk visits at most [`ENUM_MAX`]
//! variables, and the same name handed out twice in a row (the firmware did
//! not move) ends it at once (efivarfs guards against repeated names the same
//! way, `dup_variable_bug()`). A name buffer that lacks its NUL cannot be
//! passed back to go on; a name that needs a larger buffer gets one, up to
//! [`NAME_CHARS_MAX`] characters (efivarfs' limit).

/// Longest variable name a walk takes, in UCS-2 characters with the NUL
/// (efivarfs' `EFI_VAR_NAME_LEN`).
pub const NAME_CHARS_MAX: usize = 1024;

/// Most variables one walk visits.
pub const ENUM_MAX: usize = 4096;

/// Why a walk ended before the firmware said "not found".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stop {
    /// More than [`ENUM_MAX`] variables.
    TooMany,
    /// The name buffer has no NUL.
    NoNul,
    /// A name needs more than [`NAME_CHARS_MAX`] characters, or the
    /// firmware asks for a buffer no larger than the one it got.
    TooLong,
    /// The firmware handed out the previous name again.
    Repeated,
}

/// `name` up to and including its first NUL (all of it if it has none).
pub fn until_nul(name: &[u16]) -> &[u16] {
    match name.iter().position(|&c| c == 0) {
        Some(i) => name.get(..=i).unwrap_or(name),
        None => name,
    }
}

/// The state of a walk between two answers of the firmware.
#[derive(Debug, Default)]
pub struct WalkGuard {
    visited: usize,
}

impl WalkGuard {
    /// A walk from the first variable.
    pub const fn new() -> Self {
        Self { visited: 0 }
    }

    /// Before asking for the next variable: `Err` once [`ENUM_MAX`] were
    /// visited.
    pub fn before_next(&self) -> Result<(), Stop> {
        if self.visited >= ENUM_MAX {
            Err(Stop::TooMany)
        } else {
            Ok(())
        }
    }

    /// The firmware answered "buffer too small, `needed_bytes` needed" for a
    /// buffer of `have_chars` characters: the characters to grow it to.
    pub fn grow_to(needed_bytes: usize, have_chars: usize) -> Result<usize, Stop> {
        let want = needed_bytes.div_ceil(2);
        if want <= have_chars || want > NAME_CHARS_MAX {
            Err(Stop::TooLong)
        } else {
            Ok(want)
        }
    }

    /// The firmware answered with a variable: `name` is the whole buffer
    /// it wrote into (the size it reports is not trusted, as in efivarfs),
    /// `prev` the name it was given. `G` is the GUID type.
    pub fn after_next<G: PartialEq>(
        &mut self,
        name: &[u16],
        guid: &G,
        prev: &[u16],
        prev_guid: &G,
    ) -> Result<(), Stop> {
        if !name.contains(&0) {
            return Err(Stop::NoNul);
        }
        self.visited = self.visited.saturating_add(1);
        if guid == prev_guid && until_nul(name) == until_nul(prev) {
            return Err(Stop::Repeated);
        }
        Ok(())
    }
}
