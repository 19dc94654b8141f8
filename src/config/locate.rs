//! Finding where a key lives in the project file, so every error can name its line.
//!
//! Validation works on typed structs and reports problems by key path (`segments[1].goal`);
//! this module maps such a path, or the byte offset of a parse error, back to a line number and
//! the source text of the value.

use std::fmt;
use toml_edit::{Item, Value};

/// One step of a key path: a table key or an array index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    Key(String),
    Index(usize),
}

/// A dotted key path such as `segments[1].hooks.rollback.command`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyPath(pub Vec<Part>);

impl KeyPath {
    pub fn key(mut self, k: &str) -> Self {
        self.0.push(Part::Key(k.to_string()));
        self
    }
    pub fn index(mut self, i: usize) -> Self {
        self.0.push(Part::Index(i));
        self
    }
}

impl fmt::Display for KeyPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for part in &self.0 {
            match part {
                Part::Key(k) if first => write!(f, "{k}")?,
                Part::Key(k) => write!(f, ".{k}")?,
                Part::Index(i) => write!(f, "[{i}]")?,
            }
            first = false;
        }
        Ok(())
    }
}

/// The parsed document with spans, and its source. The spans are parsed at the first
/// question only: a file without a problem (every run of every command) never pays for
/// them (a second parse of a thousand segments' file).
pub struct Located<'a> {
    src: &'a str,
    doc: std::cell::OnceCell<Option<toml_edit::Document<&'a str>>>,
    /// Byte offsets of every newline, so a line number costs a binary search, not a scan of
    /// the file (`check` on 50,000 bad segments stays linear).
    newlines: Vec<usize>,
}

fn value_span(v: &Value) -> Option<std::ops::Range<usize>> {
    v.span()
}

impl<'a> Located<'a> {
    pub fn new(src: &'a str) -> Self {
        Located {
            src,
            doc: std::cell::OnceCell::new(),
            newlines: src
                .bytes()
                .enumerate()
                .filter(|(_, b)| *b == b'\n')
                .map(|(i, _)| i)
                .collect(),
        }
    }

    fn doc(&self) -> &Option<toml_edit::Document<&'a str>> {
        self.doc
            .get_or_init(|| toml_edit::Document::parse(self.src).ok())
    }

    /// 1-based line of a byte offset.
    pub fn line_of(&self, offset: usize) -> usize {
        let end = offset.min(self.src.len());
        self.newlines.partition_point(|n| *n < end) + 1
    }

    /// The text of a 1-based line.
    pub fn line_text(&self, line: usize) -> &str {
        self.src
            .lines()
            .nth(line.saturating_sub(1))
            .unwrap_or_default()
    }

    fn item(&self, path: &KeyPath) -> Option<(Option<std::ops::Range<usize>>, &Item)> {
        let doc = self.doc().as_ref()?;
        let mut item = doc.as_item();
        let mut key_span = None;
        for part in &path.0 {
            match part {
                Part::Key(k) => {
                    let (key, next) = match item {
                        Item::Table(t) => t.get_key_value(k)?,
                        Item::Value(Value::InlineTable(t)) => t.get_key_value(k)?,
                        _ => return None,
                    };
                    key_span = key.span();
                    item = next;
                }
                Part::Index(i) => {
                    // An element has no key of its own: its line is its own (a table's header),
                    // never the array's first.
                    key_span = None;
                    item = item.get(*i)?;
                }
            }
        }
        Some((key_span, item))
    }

    /// The line where the key (or, failing that, its value) at `path` is written. Falls back
    /// to the nearest enclosing key that exists.
    pub fn line(&self, path: &KeyPath) -> Option<usize> {
        let mut path = path.clone();
        loop {
            if let Some((key_span, item)) = self.item(&path) {
                let span = key_span.or_else(|| item_span(item))?;
                return Some(self.line_of(span.start));
            }
            path.0.pop()?;
        }
    }

    /// The source text of the value at `path`, trimmed to one line.
    pub fn value_text(&self, path: &KeyPath) -> Option<String> {
        let (_, item) = self.item(path)?;
        let span = item_span(item)?;
        let text = self.src.get(span)?.trim();
        let first = text.lines().next().unwrap_or_default();
        Some(if first.len() < text.len() {
            format!("{first} …")
        } else {
            first.to_string()
        })
    }

    /// The deepest key path whose key or value contains `offset` (for parse errors).
    pub fn path_at(&self, offset: usize) -> KeyPath {
        let mut path = KeyPath::default();
        if let Some(doc) = self.doc() {
            descend(doc.as_item(), offset, &mut path);
        }
        path
    }
}

fn item_span(item: &Item) -> Option<std::ops::Range<usize>> {
    match item {
        Item::Value(v) => value_span(v),
        Item::Table(t) => t.span(),
        Item::ArrayOfTables(a) => a.span(),
        Item::None => None,
    }
}

fn contains(span: Option<std::ops::Range<usize>>, offset: usize) -> bool {
    span.is_some_and(|s| s.start <= offset && offset < s.end.max(s.start + 1))
}

fn descend(item: &Item, offset: usize, path: &mut KeyPath) {
    match item {
        Item::Table(t) => {
            for (k, _) in t.iter() {
                if let Some((key, child)) = t.get_key_value(k) {
                    if contains(key.span(), offset) {
                        path.0.push(Part::Key(k.to_string()));
                        return;
                    }
                    if contains(item_span(child), offset) || child_contains(child, offset) {
                        path.0.push(Part::Key(k.to_string()));
                        descend(child, offset, path);
                        return;
                    }
                }
            }
        }
        Item::ArrayOfTables(a) => {
            // A table of an array spans its header; its keys follow. Pick the last table that
            // starts before the offset.
            let mut chosen = None;
            for (i, t) in a.iter().enumerate() {
                if t.span().is_some_and(|s| s.start <= offset) {
                    chosen = Some((i, t));
                }
            }
            if let Some((i, t)) = chosen {
                path.0.push(Part::Index(i));
                descend(&Item::Table(t.clone()), offset, path);
            }
        }
        Item::Value(Value::InlineTable(t)) => {
            for (k, _) in t.iter() {
                if let Some((key, child)) = t.get_key_value(k)
                    && (contains(key.span(), offset) || contains(item_span(child), offset))
                {
                    path.0.push(Part::Key(k.to_string()));
                    descend(child, offset, path);
                    return;
                }
            }
        }
        Item::Value(Value::Array(arr)) => {
            for (i, v) in arr.iter().enumerate() {
                if contains(v.span(), offset) {
                    path.0.push(Part::Index(i));
                    descend(&Item::Value(v.clone()), offset, path);
                    return;
                }
            }
        }
        _ => {}
    }
}

/// Whether any key below a table contains the offset (a `[table]`'s own span is its header).
fn child_contains(item: &Item, offset: usize) -> bool {
    match item {
        Item::Table(t) => t.iter().any(|(k, child)| {
            t.get_key_value(k)
                .is_some_and(|(key, _)| contains(key.span(), offset))
                || contains(item_span(child), offset)
                || child_contains(child, offset)
        }),
        Item::ArrayOfTables(a) => a
            .iter()
            .any(|t| t.span().is_some_and(|s| s.start <= offset)),
        _ => false,
    }
}
