// SPDX-License-Identifier: GPL-2.0

//! The crash cases of `lw_crash_test`, composed from three axes as lkdtm
//! composes a crash point and a crash type: an [`Action`] (how the kernel
//! fails), a [`Context`] (where the failure is raised) and a [`LockState`]
//! (what another CPU holds when it comes). A case is any combination that
//! [`valid`] accepts; its name is `ACTION_CONTEXT[_LOCK]`, e.g.
//! `panic_softirq_efivars`, with no suffix for [`LockState::None`]. Each case
//! has exactly one name, and [`Case::parse`] takes nothing else.
//!
//! The trigger file also takes [`Command`]s that arm a lock state alone.
//! A case's panic or warning message, `lw_crash_test: NAME`, is formatted
//! into a fixed [`Message`] when the case is armed, so that raising it
//! formats and allocates nothing.

use core::fmt;

/// One axis of a case: a closed set of values, each with its part of the
/// case names.
pub trait Axis: Copy + PartialEq + 'static {
    /// Every value, in the order of [`Case::index`].
    const ALL: &'static [Self];

    /// The value's word in case names (for [`LockState::None`], which has
    /// none, `none`: it is never part of a name).
    fn name(self) -> &'static str;

    /// The value whose word is `word`.
    fn from_word(word: &[u8]) -> Option<Self> {
        Self::ALL
            .iter()
            .copied()
            .find(|v| v.name().as_bytes() == word)
    }

    /// The value's position in [`Axis::ALL`].
    fn position(self) -> usize {
        Self::ALL.iter().position(|&v| v == self).unwrap_or(0)
    }
}

/// How the kernel fails.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// `panic()`.
    Panic,
    /// `BUG()`: an oops. In a task the task dies and the kernel goes on
    /// (with `panic_on_oops=0`); in interrupt context, NMI included, x86
    /// panics after the oops dump ("Fatal exception in interrupt").
    Oops,
    /// `WARN()`: a backtrace, and the kernel goes on (`panic_on_warn=0`).
    Warn,
}

impl Axis for Action {
    const ALL: &'static [Self] = &[Action::Panic, Action::Oops, Action::Warn];

    fn name(self) -> &'static str {
        match self {
            Action::Panic => "panic",
            Action::Oops => "oops",
            Action::Warn => "warn",
        }
    }
}

/// Where the failure is raised.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Context {
    /// The writing task; an oops in a kernel thread instead, so that the
    /// writer survives and the module can be unloaded.
    Task,
    /// A tasklet.
    Softirq,
    /// A hard irq_work (a self-IPI).
    Hardirq,
    /// An NMI handler, the NMI sent to self.
    Nmi,
}

impl Axis for Context {
    const ALL: &'static [Self] = &[
        Context::Task,
        Context::Softirq,
        Context::Hardirq,
        Context::Nmi,
    ];

    fn name(self) -> &'static str {
        match self {
            Context::Task => "task",
            Context::Softirq => "softirq",
            Context::Hardirq => "hardirq",
            Context::Nmi => "nmi",
        }
    }
}

/// What a kernel thread on another CPU holds when the failure comes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LockState {
    /// Nothing: no suffix in the case name.
    None,
    /// The efivars lock, for good (`_efivars`).
    Efivars,
    /// lw_efi_pstore's dump lock, for good, through its test hook
    /// (`_backend`).
    Backend,
    /// The efivars lock and the firmware, looping over slow `SetVariable`
    /// calls; the failure comes while one lasts (`_fwloop`).
    FirmwareLoop,
}

impl Axis for LockState {
    const ALL: &'static [Self] = &[
        LockState::None,
        LockState::Efivars,
        LockState::Backend,
        LockState::FirmwareLoop,
    ];

    fn name(self) -> &'static str {
        match self {
            LockState::None => "none",
            LockState::Efivars => "efivars",
            LockState::Backend => "backend",
            LockState::FirmwareLoop => "fwloop",
        }
    }
}

impl LockState {
    /// The lock state's suffix in case names (none for [`LockState::None`]).
    pub fn suffix(self) -> Option<&'static str> {
        match self {
            LockState::None => None,
            lock => Some(lock.name()),
        }
    }
}

/// Whether `action` in `context` under `lock` is a case. This is the one
/// place that says which combinations are meaningful:
///
/// - With no lock held, every action in every context is a case.
/// - A lock state is held for good: the kernel thread that holds it never
///   lets go, and runs module code until the kernel goes down. Only the
///   action that surely takes the kernel down may follow it: `panic` (an
///   oops does only in interrupt context and on x86; a warning never).
/// - `fwloop` tests the CPU that the panic stops inside the firmware, not
///   the context the panic comes from: one context is enough, the task,
///   which raises it at once after finding the thread mid-call.
pub const fn valid(action: Action, context: Context, lock: LockState) -> bool {
    match lock {
        LockState::None => true,
        LockState::Efivars | LockState::Backend => matches!(action, Action::Panic),
        LockState::FirmwareLoop => {
            matches!(action, Action::Panic) && matches!(context, Context::Task)
        }
    }
}

/// One crash case: a valid combination of the three axes (see [`valid`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Case {
    action: Action,
    context: Context,
    lock: LockState,
}

impl Case {
    /// The number of combinations of the axes, valid or not: the bound of
    /// [`Case::index`].
    pub const COMBINATIONS: usize = Action::ALL.len() * Context::ALL.len() * LockState::ALL.len();

    /// The case of these axes, if [`valid`] says it is one.
    pub fn new(action: Action, context: Context, lock: LockState) -> Option<Case> {
        if valid(action, context, lock) {
            Some(Case {
                action,
                context,
                lock,
            })
        } else {
            None
        }
    }

    /// The action.
    pub fn action(self) -> Action {
        self.action
    }

    /// The context.
    pub fn context(self) -> Context {
        self.context
    }

    /// The lock state.
    pub fn lock(self) -> LockState {
        self.lock
    }

    /// Parses a case name, `ACTION_CONTEXT[_LOCK]`. Returns `None` for
    /// anything else: an unknown word, a missing or extra part, `_none`,
    /// or a combination that is not [`valid`].
    pub fn parse(name: &[u8]) -> Option<Case> {
        let mut words = name.split(|&b| b == b'_');
        let action = Action::from_word(words.next()?)?;
        let context = Context::from_word(words.next()?)?;
        let lock = match words.next() {
            None => LockState::None,
            // No lock state is spelled out: `_none` is not a name.
            Some(word) => match LockState::from_word(word)? {
                LockState::None => return None,
                lock => lock,
            },
        };
        if words.next().is_some() {
            return None;
        }
        Case::new(action, context, lock)
    }

    /// The case's number, below [`Case::COMBINATIONS`]: unique, and read
    /// back by [`Case::from_index`] (to keep an armed case in an atomic).
    pub fn index(self) -> usize {
        (self.action.position() * Context::ALL.len() + self.context.position())
            * LockState::ALL.len()
            + self.lock.position()
    }

    /// The case numbered `index` by [`Case::index`]; `None` for a number out
    /// of range or of a combination that is not [`valid`].
    pub fn from_index(index: usize) -> Option<Case> {
        let lock = *LockState::ALL.get(index % LockState::ALL.len())?;
        let rest = index / LockState::ALL.len();
        let context = *Context::ALL.get(rest % Context::ALL.len())?;
        let action = *Action::ALL.get(rest / Context::ALL.len())?;
        Case::new(action, context, lock)
    }

    /// Every case, in [`Case::index`] order.
    pub fn all() -> impl Iterator<Item = Case> {
        (0..Case::COMBINATIONS).filter_map(Case::from_index)
    }
}

/// The case's name.
impl fmt::Display for Case {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}_{}", self.action.name(), self.context.name())?;
        match self.lock.suffix() {
            Some(suffix) => write!(f, "_{suffix}"),
            None => Ok(()),
        }
    }
}

/// What a write to the trigger file asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Command {
    /// Arm the case's lock state, then raise its failure.
    Run(Case),
    /// `hold_efivars`: arm the `efivars` lock state alone, for good.
    HoldEfivars,
    /// `hold_efivars_on`: the writing task holds the efivars lock until
    /// `hold_efivars_off` (at most a minute).
    HoldEfivarsOn,
    /// `hold_efivars_off`: the `hold_efivars_on` writer lets go.
    HoldEfivarsOff,
    /// `wait`: returns once the last `oops_task` thread has exited (its
    /// oops dumped), so that a script can go on as after a synchronous
    /// oops.
    Wait,
}

impl Command {
    /// Parses what was written (trailing whitespace already stripped): a
    /// command name or a case name.
    pub fn parse(data: &[u8]) -> Option<Command> {
        match data {
            b"hold_efivars" => Some(Command::HoldEfivars),
            b"hold_efivars_on" => Some(Command::HoldEfivarsOn),
            b"hold_efivars_off" => Some(Command::HoldEfivarsOff),
            b"wait" => Some(Command::Wait),
            _ => Case::parse(data).map(Command::Run),
        }
    }
}

/// The capacity of a [`Message`], NUL included: room for a module name
/// prefix and the longest case name.
pub const MESSAGE_MAX: usize = 64;

/// `PREFIXNAME` as a NUL-terminated string in a fixed buffer, cut short
/// (never for the names and prefix in use) if longer than
/// [`MESSAGE_MAX`]` - 1` bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Message {
    buf: [u8; MESSAGE_MAX],
    /// Bytes before the NUL.
    len: usize,
}

impl Message {
    /// Formats `prefix` and `case`'s name.
    pub fn new(prefix: &str, case: Case) -> Message {
        let mut m = Message {
            buf: [0; MESSAGE_MAX],
            len: 0,
        };
        // `Message::write_str` cuts short instead of failing.
        let _ = fmt::Write::write_fmt(&mut m, format_args!("{prefix}{case}"));
        m
    }

    /// The text and its NUL.
    pub fn as_bytes_with_nul(&self) -> &[u8] {
        self.buf.get(..=self.len).unwrap_or(&[0])
    }
}

impl fmt::Write for Message {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for &b in s.as_bytes() {
            // The last byte stays NUL.
            if self.len + 1 >= MESSAGE_MAX {
                break;
            }
            if let Some(slot) = self.buf.get_mut(self.len) {
                *slot = b;
                self.len += 1;
            }
        }
        Ok(())
    }
}
