// SPDX-License-Identifier: GPL-2.0
//! Host tests of lw_crash_test's case names: today's names parse to their
//! axes, nothing else parses, and every name that the selftests, scripts
//! and documentation write to the trigger file is a case or a command.

use lastwords_core::crash_case::{
    valid, Action, Axis, Case, Command, Context, LockState, Message, MESSAGE_MAX,
};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use Action::{Oops, Panic, Warn};
use Context::{Hardirq, Nmi, Softirq, Task};
use LockState::{Backend, Efivars, FirmwareLoop};

/// The cases there were when they were rows of a table, with their axes.
const TODAY: &[(&str, Action, Context, LockState)] = &[
    ("panic_task", Panic, Task, LockState::None),
    ("panic_softirq", Panic, Softirq, LockState::None),
    ("panic_hardirq", Panic, Hardirq, LockState::None),
    ("panic_nmi", Panic, Nmi, LockState::None),
    ("panic_task_efivars", Panic, Task, Efivars),
    ("panic_softirq_efivars", Panic, Softirq, Efivars),
    ("panic_hardirq_efivars", Panic, Hardirq, Efivars),
    ("panic_nmi_efivars", Panic, Nmi, Efivars),
    ("panic_task_backend", Panic, Task, Backend),
    ("panic_softirq_backend", Panic, Softirq, Backend),
    ("panic_hardirq_backend", Panic, Hardirq, Backend),
    ("panic_nmi_backend", Panic, Nmi, Backend),
    ("oops_task", Oops, Task, LockState::None),
    ("oops_softirq", Oops, Softirq, LockState::None),
    ("oops_hardirq", Oops, Hardirq, LockState::None),
    ("oops_nmi", Oops, Nmi, LockState::None),
    ("warn_task", Warn, Task, LockState::None),
    ("warn_softirq", Warn, Softirq, LockState::None),
    ("warn_hardirq", Warn, Hardirq, LockState::None),
    ("warn_nmi", Warn, Nmi, LockState::None),
    ("panic_task_fwloop", Panic, Task, FirmwareLoop),
];

#[test]
fn todays_names_parse_to_their_axes() {
    for &(name, action, context, lock) in TODAY {
        let case = Case::parse(name.as_bytes()).unwrap_or_else(|| panic!("{name}"));
        assert_eq!(
            (case.action(), case.context(), case.lock()),
            (action, context, lock),
            "{name}"
        );
        assert_eq!(case.to_string(), name);
        assert_eq!(Command::parse(name.as_bytes()), Some(Command::Run(case)));
    }
}

#[test]
fn the_valid_cases_are_exactly_todays() {
    let all: BTreeSet<String> = Case::all().map(|c| c.to_string()).collect();
    let today: BTreeSet<String> = TODAY.iter().map(|t| t.0.to_string()).collect();
    assert_eq!(all, today);
    assert_eq!(Case::all().count(), TODAY.len());
}

#[test]
fn valid_decides_alone() {
    for &a in Action::ALL {
        for &c in Context::ALL {
            for &l in LockState::ALL {
                assert_eq!(
                    Case::new(a, c, l).is_some(),
                    valid(a, c, l),
                    "{a:?} {c:?} {l:?}"
                );
                if let Some(case) = Case::new(a, c, l) {
                    assert_eq!(Case::parse(case.to_string().as_bytes()), Some(case));
                }
            }
        }
    }
}

#[test]
fn indices_are_unique_and_read_back() {
    let mut seen = BTreeSet::new();
    for case in Case::all() {
        let i = case.index();
        assert!(i < Case::COMBINATIONS, "{case}: {i}");
        assert!(seen.insert(i), "{case}: {i} twice");
        assert_eq!(Case::from_index(i), Some(case));
    }
    let invalid = (0..Case::COMBINATIONS).filter(|&i| Case::from_index(i).is_none());
    assert_eq!(invalid.count(), Case::COMBINATIONS - TODAY.len());
    for i in [
        Case::COMBINATIONS,
        Case::COMBINATIONS + 1,
        usize::MAX - 1,
        usize::MAX,
    ] {
        assert_eq!(Case::from_index(i), None, "{i}");
    }
}

#[test]
fn other_names_are_rejected() {
    for name in [
        "",
        "_",
        "panic",
        "panic_",
        "_task",
        "task_panic",
        "panic__task",
        "panic_task_",
        "panic_task__efivars",
        "panic_task_none",
        "panic_task_efivars_backend",
        "panic_task_efivars_",
        "panic_thread",
        "oops_thread",
        "Panic_task",
        "PANIC_TASK",
        "panic_task\n",
        " panic_task",
        "panic-task",
        "panic_task\0",
        "no_such_case",
        "bug_task",
        // Combinations that valid() refuses.
        "oops_task_efivars",
        "oops_softirq_backend",
        "warn_nmi_efivars",
        "warn_task_fwloop",
        "oops_task_fwloop",
        "panic_softirq_fwloop",
        "panic_hardirq_fwloop",
        "panic_nmi_fwloop",
        // Commands are not cases.
        "hold_efivars",
    ] {
        assert_eq!(Case::parse(name.as_bytes()), None, "{name:?}");
    }
    for name in [
        "hold_efivars_",
        "hold_efivars_onx",
        "hold",
        "hold_efivars_off ",
    ] {
        assert_eq!(Command::parse(name.as_bytes()), None, "{name:?}");
    }
    assert_eq!(Case::parse(&[0xff, b'_', b't']), None);
}

#[test]
fn commands_parse() {
    assert_eq!(Command::parse(b"hold_efivars"), Some(Command::HoldEfivars));
    assert_eq!(
        Command::parse(b"hold_efivars_on"),
        Some(Command::HoldEfivarsOn)
    );
    assert_eq!(
        Command::parse(b"hold_efivars_off"),
        Some(Command::HoldEfivarsOff)
    );
    assert_eq!(Command::parse(b"wait"), Some(Command::Wait));
    assert_eq!(Command::parse(b"wai"), None);
    assert_eq!(Command::parse(b"wait_"), None);
}

#[test]
fn messages_are_the_prefixed_name_and_a_nul() {
    for case in Case::all() {
        let m = Message::new("lw_crash_test: ", case);
        assert_eq!(
            m.as_bytes_with_nul(),
            format!("lw_crash_test: {case}\0").as_bytes()
        );
    }
}

#[test]
fn a_message_too_long_is_cut_short_and_ends_in_nul() {
    let Some(case) = Case::parse(b"panic_softirq_efivars") else {
        panic!("no case");
    };
    let prefix = "x".repeat(MESSAGE_MAX - 4);
    let m = Message::new(&prefix, case);
    let b = m.as_bytes_with_nul();
    assert_eq!(b.len(), MESSAGE_MAX);
    assert_eq!(b.last(), Some(&0));
    assert_eq!(&b[..MESSAGE_MAX - 1], format!("{prefix}pan").as_bytes());
    let m = Message::new(&"y".repeat(3 * MESSAGE_MAX), case);
    assert_eq!(m.as_bytes_with_nul().len(), MESSAGE_MAX);
    assert!(!m.as_bytes_with_nul()[..MESSAGE_MAX - 1].contains(&0));
}

// The names in use, as the shell scripts write them. The scan knows a few
// shapes of shell, and fails on a name it cannot resolve rather than skip
// it.

/// The repository's top directory.
fn top() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The files under `dir` (recursively) whose names end in `ext`.
fn files(dir: &Path, ext: &str, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        panic!("cannot read {}", dir.display());
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for p in paths {
        if p.is_dir() {
            files(&p, ext, out);
        } else if p.to_string_lossy().ends_with(ext) {
            out.push(p);
        }
    }
}

/// A shell word without its quotes and backslashes.
fn unquote(word: &str) -> String {
    word.chars()
        .filter(|c| !matches!(c, '"' | '\'' | '\\'))
        .collect()
}

/// What a template word expands to, given the lists of the `for` loops seen
/// so far (`$var` and `${var}` each take every value of var's list); `Err`
/// names a variable without a literal list.
fn expand(word: &str, lists: &BTreeMap<String, Vec<String>>) -> Result<Vec<String>, String> {
    let word = unquote(word);
    let mut out = vec![String::new()];
    let mut rest = word.as_str();
    while let Some(at) = rest.find('$') {
        let lit = &rest[..at];
        out.iter_mut().for_each(|o| o.push_str(lit));
        let after = &rest[at + 1..];
        let (var, tail) = if let Some(braced) = after.strip_prefix('{') {
            let end = braced.find('}').ok_or_else(|| word.clone())?;
            (&braced[..end], &braced[end + 1..])
        } else {
            let end = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            (&after[..end], &after[end..])
        };
        let values = lists.get(var).ok_or_else(|| format!("${var}"))?;
        out = out
            .iter()
            .flat_map(|o| values.iter().map(move |v| format!("{o}{v}")))
            .collect();
        rest = tail;
    }
    out.iter_mut().for_each(|o| o.push_str(rest));
    Ok(out)
}

/// The names `path` writes or lists: `echo NAME >.../lw_crash/run`
/// anywhere; in the crash matrix also the cell lists (`LW_MATRIX_CELLS`,
/// `LW_MATRIX_EXPECT_C`) and arrays (`extra=(...)`, `matrix+=(...)`).
/// Templates are expanded with the lists of earlier `for` loops; a
/// template that cannot be is returned in the second list.
fn names_in(path: &Path) -> (Vec<String>, Vec<String>) {
    let Ok(text) = std::fs::read_to_string(path) else {
        panic!("cannot read {}", path.display());
    };
    let matrix = path.parent().is_some_and(|d| d.ends_with("crash_matrix"));
    let mut lists: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let (mut names, mut unresolved) = (Vec::new(), Vec::new());
    for line in text.lines() {
        let line = line.trim();
        let mut words: Vec<String> = Vec::new();
        // for VAR in WORD...; do
        if let Some(rest) = line.strip_prefix("for ") {
            if let Some((var, list)) = rest.split_once(" in ") {
                let list = list.split(';').next().unwrap_or("");
                if list.contains('$') {
                    lists.remove(var);
                } else {
                    lists.insert(
                        var.to_string(),
                        list.split_whitespace().map(unquote).collect(),
                    );
                }
            }
        }
        // echo NAME >/sys/kernel/debug/lw_crash/run
        if let Some(at) = line.find("lw_crash/run") {
            let before = &line[..at];
            if let Some(e) = before.rfind("echo ") {
                let args = &before[e + 5..];
                if args.contains('>') {
                    if let Some(w) = args.split_whitespace().next() {
                        words.push(w.to_string());
                    }
                }
            }
        }
        if matrix {
            for var in ["LW_MATRIX_CELLS=", "LW_MATRIX_EXPECT_C="] {
                if let Some(v) = line.strip_prefix(var) {
                    words.extend(
                        unquote(v)
                            .split_whitespace()
                            .map(|w| w.split('=').next().unwrap_or("").to_string()),
                    );
                }
            }
            // NAME=(...) and NAME+=(...)
            if let Some((lhs, rhs)) = line.split_once("=(") {
                let lhs = lhs.trim_end_matches('+');
                if !lhs.is_empty() && lhs.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                    let inner = rhs.rsplit_once(')').map_or(rhs, |r| r.0);
                    words.extend(inner.split_whitespace().map(str::to_string));
                }
            }
        }
        for w in words {
            match expand(&w, &lists) {
                Ok(v) => names.extend(v),
                Err(var) => unresolved.push(format!("{}: {w} ({var})", path.display())),
            }
        }
    }
    (names, unresolved)
}

#[test]
fn every_name_in_use_is_a_case_or_a_command() {
    let top = top();
    let mut paths = Vec::new();
    files(&top.join("selftests"), ".sh", &mut paths);
    files(&top.join("scripts"), ".sh", &mut paths);
    files(&top.join("Documentation"), ".rst", &mut paths);
    let mut found = BTreeSet::new();
    let mut bad = Vec::new();
    let mut unresolved = Vec::new();
    for p in &paths {
        let (names, u) = names_in(p);
        unresolved.extend(u);
        for n in names {
            if Command::parse(n.as_bytes()).is_none() {
                bad.push(format!("{}: {n}", p.display()));
            }
            found.insert(n);
        }
    }
    assert!(bad.is_empty(), "not a case or command: {bad:#?}");
    // Templates fed by a variable without a literal list: only the matrix's
    // `$cell` (its cells come from the arrays above, checked themselves),
    // `"$@"`, and the kselftest crash step's `$lw_case` (its command-line
    // argument, default `panic_task`; the module refuses what is not a case).
    for u in &unresolved {
        assert!(
            u.ends_with("($cell)") || u.ends_with("($@)") || u.ends_with("($lw_case)"),
            "cannot resolve: {u}"
        );
    }
    // The scan saw every kind of place: the matrix product (a template over
    // two loops), the extra cells, a loop in test_nonfatal, the commands,
    // the demo and the documentation.
    for want in [
        "panic_task",
        "panic_nmi_backend",
        "panic_hardirq_efivars",
        "panic_task_fwloop",
        "oops_nmi",
        "oops_task",
        "warn_nmi",
        "hold_efivars_on",
        "hold_efivars_off",
        "panic_hardirq",
        "panic_softirq_efivars",
    ] {
        assert!(
            found.contains(want),
            "the scan missed {want}: found {found:?}"
        );
    }
}
