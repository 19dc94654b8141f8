//! What a project file names outside itself, checked on this machine: `env:` variables that
//! are not set, and programs (hooks, command sources, checks, notification commands) that do
//! not exist or cannot be executed.
//!
//! `check` may run on a machine other than the guard's, so these are warnings there. Before a
//! long-lived owner guards, a segment in cutover whose rollback hook cannot run here is refused
//! (see [`rollback_cannot_run`]): a guard that cannot roll back is not a guard.

use super::locate::{KeyPath, Part};
use super::validate::Found;
use super::{HookSpec, Segment, Severity};
use std::path::{Path, PathBuf};
use toml_edit::{Item, Value};

/// Why `env:NAME` cannot be read here, if it cannot.
pub fn unset_env(value: &str) -> Option<String> {
    let name = value.strip_prefix(crate::secret::PREFIX)?;
    match std::env::var_os(name) {
        Some(v) if !v.is_empty() => None,
        _ => Some(format!(
            "{value} is not set in this environment: set {name} where cutover runs (the guard's machine)"
        )),
    }
}

/// Why the program of `argv` cannot run from `dir`, if it cannot.
pub fn program_problem(argv: &[String], dir: &Path) -> Option<String> {
    let written = argv.first()?;
    let program = crate::procgroup::resolve(Path::new(written), dir);
    let found: Option<PathBuf> = if program.components().count() > 1 {
        program.exists().then(|| program.clone())
    } else {
        std::env::var_os("PATH").and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|p| p.join(&program))
                .find(|p| p.is_file())
        })
    };
    let Some(found) = found else {
        let dir = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
        return Some(if program.components().count() > 1 {
            format!(
                "program '{written}' not found in '{}': write it, or fix the path",
                dir.display()
            )
        } else {
            format!("program '{written}' not found on PATH: install it, or give its path")
        });
    };
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&found)
        .map(|m| m.permissions().mode())
        .unwrap_or(0);
    (found.is_dir() || mode & 0o111 == 0)
        .then(|| format!("program '{written}' is not executable: chmod +x {written}"))
}

/// Warnings for every `env:` value not set here and every `command` whose program cannot run
/// from `dir`, each at its key.
pub(super) fn warnings(doc: &toml_edit::DocumentMut, dir: &Path) -> Found {
    let mut found = Found::new();
    walk(doc.as_item(), &KeyPath::default(), dir, &mut found);
    found
}

fn walk(item: &Item, at: &KeyPath, dir: &Path, found: &mut Found) {
    match item {
        Item::Table(t) => {
            for (k, v) in t.iter() {
                walk(v, &at.clone().key(k), dir, found);
            }
        }
        Item::ArrayOfTables(a) => {
            for (i, t) in a.iter().enumerate() {
                for (k, v) in t.iter() {
                    walk(v, &at.clone().index(i).key(k), dir, found);
                }
            }
        }
        Item::Value(v) => value(v, at, dir, found),
        Item::None => {}
    }
}

fn value(v: &Value, at: &KeyPath, dir: &Path, found: &mut Found) {
    match v {
        Value::String(s) => {
            if let Some(why) = unset_env(s.value()) {
                found.push((Severity::Warning, at.clone(), why.into()));
            }
        }
        Value::Array(a) if at.0.last() == Some(&Part::Key("command".into())) => {
            let argv: Vec<String> = a
                .iter()
                .filter_map(|v| v.as_str().map(String::from))
                .collect();
            if let Some(why) = program_problem(&argv, dir) {
                found.push((Severity::Warning, at.clone(), why.into()));
            }
        }
        Value::Array(a) => {
            for (i, v) in a.iter().enumerate() {
                value(v, &at.clone().index(i), dir, found);
            }
        }
        Value::InlineTable(t) => {
            for (k, v) in t.iter() {
                value(v, &at.clone().key(k), dir, found);
            }
        }
        _ => {}
    }
}

/// Why a segment's rollback hook cannot run from `dir` on this machine, if it cannot.
pub fn rollback_cannot_run(seg: &Segment, dir: &Path) -> Option<String> {
    match seg.hooks.rollback.as_ref()? {
        HookSpec::Command { argv, .. } => program_problem(argv, dir),
        HookSpec::Webhook { headers, url, .. } => std::iter::once(url)
            .chain(headers.values())
            .find_map(|v| unset_env(v)),
    }
}
