//! Reading a project file past its mistakes, so `check` lists every problem in one run.
//!
//! serde stops at the first unknown key or wrong type. Here each such stop becomes a
//! [`Found`] problem in the user's words (with "did you mean" for a typo), the offending key is
//! taken out of a copy of the document (or its value replaced by a neutral one of the right
//! type), and the copy is read again, until it reads. The value checks of `validate` then run
//! on what was read, except on the keys already reported here (their values are stand-ins).
//!
//! Lines are found in the original text by key path, so edits to the copy never move them.

use super::locate::{KeyPath, Located, Part};
use super::validate::Found;
use super::{ProjectFile, Severity};
use toml_edit::{DocumentMut, Item, Value};

/// At most this many mistakes are read past (each costs one more parse of the file).
const MAX_MISTAKES: usize = 500;

/// What reading past the mistakes gave: the file as read (None when a mistake could not be
/// read past), the problems found on the way, and the key paths whose values are stand-ins.
pub(super) struct Read {
    pub raw: Option<ProjectFile>,
    pub found: Found,
    pub stand_ins: Vec<KeyPath>,
}

/// Read `doc` (already known to be TOML) into a [`ProjectFile`], collecting every serde stop.
pub(super) fn read(mut doc: DocumentMut) -> Read {
    let mut found: Found = Vec::new();
    let mut stand_ins = Vec::new();
    // Keys a "did you mean" named (their absence is the typo, not a second mistake).
    let mut suggested: Vec<KeyPath> = Vec::new();
    for _ in 0..MAX_MISTAKES {
        let text = doc.to_string();
        let e = match toml::from_str::<ProjectFile>(&text) {
            Ok(raw) => {
                return Read {
                    raw: Some(raw),
                    found,
                    stand_ins,
                };
            }
            Err(e) => e,
        };
        let located = Located::new(&text);
        let at = e
            .span()
            .map(|s| located.path_at(s.start))
            .unwrap_or_default();
        let message = e.message().trim().replace('\n', " ");
        let Some((path, words, fix)) = understand(&at, &message) else {
            found.push((Severity::Error, at, message.into()));
            break;
        };
        let mended = match &fix {
            Fix::Remove => remove(&mut doc, &path),
            Fix::Replace(v) => replace(&mut doc, &path, v.clone()),
        };
        // A typo's suggestion that then turns up missing is the same mistake: said once.
        // A value this reading put in (a missing key's stand-in of the wrong type) is not the
        // user's mistake either.
        let said = (words.contains("' is missing here") && suggested.contains(&path))
            || stand_ins.contains(&path);
        if !said {
            found.push((Severity::Error, path.clone(), words.clone().into()));
        }
        if let Some(near) = suggestion(&words) {
            let mut table = path.clone();
            table.0.pop();
            suggested.push(table.key(near));
        }
        stand_ins.push(path);
        if !mended {
            break;
        }
    }
    Read {
        raw: None,
        found,
        stand_ins,
    }
}

/// The key a "did you mean 'x'?" names.
fn suggestion(words: &str) -> Option<&str> {
    let (_, rest) = words.split_once("did you mean '")?;
    rest.split_once('\'').map(|(k, _)| k)
}

enum Fix {
    Remove,
    Replace(Value),
}

/// What a serde message means, in the user's words, and how to read past it.
fn understand(at: &KeyPath, message: &str) -> Option<(KeyPath, String, Fix)> {
    if let Some(rest) = message.strip_prefix("unknown field `") {
        let (key, expected) = rest.split_once('`')?;
        let valid = names(expected);
        // The span is the key itself: `at` ends with it (else it names the table).
        let path = if at.0.last() == Some(&Part::Key(key.to_string())) {
            at.clone()
        } else {
            at.clone().key(key)
        };
        return Some((path, unknown(key, &valid, "key"), Fix::Remove));
    }
    if let Some(rest) = message.strip_prefix("unknown variant `") {
        let (value, expected) = rest.split_once('`')?;
        let valid = names(expected);
        let first = valid.first()?.clone();
        return Some((
            at.clone(),
            unknown(value, &valid, "value"),
            Fix::Replace(Value::from(first)),
        ));
    }
    if let Some(rest) = message.strip_prefix("missing field `") {
        let (key, _) = rest.split_once('`')?;
        let stand_in = match key {
            "strategy" => Value::from("slow"),
            "kind" => return None,
            _ => Value::from(""),
        };
        let path = at.clone().key(key);
        return Some((
            path,
            format!("'{key}' is missing here: add it (`cutover init` writes an example)"),
            Fix::Replace(stand_in),
        ));
    }
    if let Some(rest) = message.strip_prefix("invalid value: integer `") {
        let (value, expected) = rest.split_once('`')?;
        let words = if value.starts_with('-') {
            format!("'{value}' is negative: write a whole number, 0 or more")
        } else {
            format!(
                "'{value}' does not fit: write a whole number{}",
                expected_words(expected)
            )
        };
        return Some((at.clone(), words, Fix::Replace(Value::from(0))));
    }
    if let Some(rest) = message.strip_prefix("invalid type: ") {
        let (got, expected) = rest.split_once(", expected ")?;
        let key = match at.0.last() {
            Some(Part::Key(k)) => k.as_str(),
            _ => "",
        };
        let (words, stand_in) = type_words(key, got, expected);
        return Some((at.clone(), words, Fix::Replace(stand_in)));
    }
    None
}

/// `a`, `b` or `c` → [a, b, c] (serde's "expected one of `a`, `b`" and "expected `a` or `b`").
fn names(expected: &str) -> Vec<String> {
    expected
        .split('`')
        .enumerate()
        .filter(|(i, _)| i % 2 == 1)
        .map(|(_, s)| s.to_string())
        .collect()
}

fn unknown(word: &str, valid: &[String], what: &str) -> String {
    let near = valid
        .iter()
        .map(|v| (strsim::damerau_levenshtein(word, v), v))
        .filter(|(d, v)| *d <= 2.max(v.len() / 3))
        .min_by_key(|(d, _)| *d)
        .map(|(_, v)| v);
    match near {
        Some(v) => format!("unknown {what} '{word}': did you mean '{v}'?"),
        None if valid.is_empty() => format!("unknown {what} '{word}': remove it"),
        None => format!(
            "unknown {what} '{word}': valid here are {}",
            valid.join(", ")
        ),
    }
}

fn expected_words(expected: &str) -> &'static str {
    if expected.contains("u64") || expected.contains("u32") {
        " (0 or more, that fits in 64 bits)"
    } else {
        ""
    }
}

/// The user's words for a wrong type, and a neutral value of the right one.
fn type_words(key: &str, got: &str, expected: &str) -> (String, Value) {
    let got = got.split(' ').next().unwrap_or(got);
    if expected.contains("sequence") {
        let example = match key {
            "command" => {
                " of the program and its arguments, e.g. command = [\"./route.sh\", \"eu\"]"
            }
            "cohorts" => " of {share, p} tables, e.g. cohorts = [{share = 0.6, p = 0.1}]",
            _ => ", e.g. [\"a\", \"b\"]",
        };
        return (
            format!("'{key}' is a list{example}; a {got} is written here"),
            Value::Array(toml_edit::Array::new()),
        );
    }
    if expected.contains("string") || expected.contains("date") {
        return (
            format!("'{key}' is text in quotes; a {got} is written here"),
            Value::from(""),
        );
    }
    if expected.contains("bool") {
        return (
            format!("'{key}' is true or false; a {got} is written here"),
            Value::from(false),
        );
    }
    if expected.contains("f64") || expected.contains("f32") {
        return (
            format!("'{key}' is a number; a {got} is written here"),
            Value::from(0.0),
        );
    }
    if expected.contains("u64") || expected.contains("u32") || expected.contains("integer") {
        return (
            format!("'{key}' is a whole number, 0 or more; a {got} is written here"),
            Value::from(0),
        );
    }
    (
        format!("'{key}' is a table of keys; a {got} is written here"),
        Value::InlineTable(toml_edit::InlineTable::new()),
    )
}

/// Where a key or an element lives in the document, to change.
enum Container<'d> {
    Table(&'d mut toml_edit::Table),
    Tables(&'d mut toml_edit::ArrayOfTables),
    Inline(&'d mut toml_edit::InlineTable),
    Array(&'d mut toml_edit::Array),
}

fn of_value(v: &mut Value) -> Option<Container<'_>> {
    match v {
        Value::InlineTable(t) => Some(Container::Inline(t)),
        Value::Array(a) => Some(Container::Array(a)),
        _ => None,
    }
}

fn step<'d>(c: Container<'d>, part: &Part) -> Option<Container<'d>> {
    match (c, part) {
        (Container::Table(t), Part::Key(k)) => match t.get_mut(k)? {
            Item::Table(t) => Some(Container::Table(t)),
            Item::ArrayOfTables(a) => Some(Container::Tables(a)),
            Item::Value(v) => of_value(v),
            Item::None => None,
        },
        (Container::Tables(a), Part::Index(i)) => a.get_mut(*i).map(Container::Table),
        (Container::Inline(t), Part::Key(k)) => of_value(t.get_mut(k)?),
        (Container::Array(a), Part::Index(i)) => of_value(a.get_mut(*i)?),
        _ => None,
    }
}

/// The container at `path`.
fn container<'d>(doc: &'d mut DocumentMut, path: &[Part]) -> Option<Container<'d>> {
    let mut c = Container::Table(doc.as_table_mut());
    for part in path {
        c = step(c, part)?;
    }
    Some(c)
}

/// Take the key at `path` out of the document.
fn remove(doc: &mut DocumentMut, path: &KeyPath) -> bool {
    let Some((Part::Key(key), parent)) = path.0.split_last() else {
        return false;
    };
    match container(doc, parent) {
        Some(Container::Table(t)) => t.remove(key).is_some(),
        Some(Container::Inline(t)) => t.remove(key).is_some(),
        _ => false,
    }
}

/// Put `value` at `path` (the key's value, or a missing key added).
fn replace(doc: &mut DocumentMut, path: &KeyPath, value: Value) -> bool {
    let Some((last, parent)) = path.0.split_last() else {
        return false;
    };
    match (last, container(doc, parent)) {
        (Part::Key(k), Some(Container::Table(t))) => {
            t.insert(k, Item::Value(value));
            true
        }
        (Part::Key(k), Some(Container::Inline(t))) => {
            t.insert(k, value);
            true
        }
        (Part::Index(i), Some(Container::Array(a))) if *i < a.len() => {
            a.replace(*i, value);
            true
        }
        _ => false,
    }
}
