//! Streaming the rows of a user export with bounded memory: CSV with a header, JSON lines
//! (Auth0's user export, one user per line), FusionAuth's import file (one JSON document,
//! `{"users": [ {...}, ... ]}`, compact or pretty-printed), or a directory's LDIF (one entry
//! per user, [`super::ldif`]).
//!
//! Each caller names the fields it wants, each as a list of candidate names (the first one a
//! row has wins), and gets one [`Scalar`] per field per row; everything else in the row is
//! skipped, never built. A row is held only while it is looked at, and no row may be longer
//! than [`MAX_ROW`]: a longer line (a 1 GB line, say) is skipped to its end and counted as a
//! bad row, and so is a line that is not UTF-8 or not JSON. Only the reasons reach callers,
//! never the row's text.

use super::{BadRow, ReadError, Scalar, pick};
use std::io::BufRead;

/// The longest row read, in bytes (and the longest JSON string in a FusionAuth document).
pub const MAX_ROW: usize = 1 << 20;

pub use crate::model::audit::Format;

/// One field a caller wants: its candidate names (CSV columns or dotted JSON paths).
#[derive(Debug, Clone)]
pub struct Field {
    pub candidates: Vec<String>,
    /// Named by the user (a flag or the project file): a CSV header without it is an error.
    pub explicit: bool,
}

impl Field {
    pub fn named(name: &str) -> Field {
        Field {
            candidates: vec![name.to_string()],
            explicit: true,
        }
    }

    pub fn any_of(names: &[&str]) -> Field {
        Field {
            candidates: names.iter().map(|s| s.to_string()).collect(),
            explicit: false,
        }
    }
}

/// One row as the caller sees it: its line number and either the values of the fields asked
/// for (`None`: the row has none of the candidates) or why it could not be read.
pub type RowResult<'a> = Result<&'a [Option<Scalar>], BadRow>;

/// What a stream found out about the export.
#[derive(Debug, Clone)]
pub struct Streamed {
    pub format: Format,
    /// The name each field was read from (the first candidate rows had; None: none had any).
    pub used: Vec<Option<String>>,
    /// A live directory's digest of what was read (a file's digest is of its bytes, taken by
    /// whoever reads them).
    pub sha256: Option<String>,
}

/// Stream every row of `input` to `on_row(line, row)`. Errors are for the export as a whole
/// (empty, no header, a column named by the user that is not there, a broken document).
pub fn stream(
    mut input: impl BufRead,
    fields: &[Field],
    mut on_row: impl FnMut(u64, RowResult<'_>),
) -> Result<Streamed, ReadError> {
    let head = input.fill_buf().map_err(ReadError::io(None))?;
    if head.is_empty() {
        return Err(ReadError::Empty);
    }
    let format = sniff(head);
    let used = match format {
        Format::Csv => super::csv_rows::rows(input, fields, &mut on_row)?,
        Format::Ldif => super::ldif::entries(input, fields, &mut on_row)?,
        Format::JsonLines => json_lines(input, fields, &mut on_row)?,
        Format::FusionauthImport => super::document::users(input, fields, &mut on_row)?,
        // Never sniffed from a file's bytes: a live directory is named by its URL.
        Format::Ldap | Format::Sql => {
            return Err(ReadError::Live(
                "a live directory or database is read by its ldap:// URL or sql:, not from a file"
                    .into(),
            ));
        }
    };
    Ok(Streamed {
        format,
        used,
        sha256: None,
    })
}

/// Stream the rows of a CSV file (header first) as [`stream`] does, without sniffing: for
/// inputs that are CSV by contract (`cutover import`).
pub fn csv(
    input: impl BufRead,
    fields: &[Field],
    on_row: &mut impl FnMut(u64, RowResult<'_>),
) -> Result<Vec<Option<String>>, ReadError> {
    super::csv_rows::rows(input, fields, on_row)
}

/// Tell the shapes apart from the start of the file: LDIF when it opens with `dn:` or
/// `version:` (comments aside); JSON when it starts with `{`; a
/// FusionAuth document when its first line is an object with a `users` list, or is not a
/// whole object and is a lone `{` (pretty-printed) or opens a `users` list (a long compact
/// document). Otherwise JSON lines, whose broken first line is then one bad row.
fn sniff(head: &[u8]) -> Format {
    if super::ldif::looks_like_ldif(head) {
        return Format::Ldif;
    }
    if !super::looks_like_json_lines(head) {
        return Format::Csv;
    }
    let end = memchr::memchr(b'\n', head);
    let first = &head[..end.unwrap_or(head.len())];
    if end.is_some()
        && let Ok(map) = serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(first)
    {
        return if map.get("users").is_some_and(|u| u.is_array()) {
            Format::FusionauthImport
        } else {
            Format::JsonLines
        };
    }
    if first.trim_ascii() == b"{" || opens_users_list(first) {
        Format::FusionauthImport
    } else {
        Format::JsonLines
    }
}

/// Whether `"users"`, a colon and `[` follow each other (whitespace between) somewhere in `head`.
fn opens_users_list(head: &[u8]) -> bool {
    memchr::memmem::find_iter(head, b"\"users\"").any(|at| {
        let mut rest = head[at + 7..].iter().filter(|b| !b.is_ascii_whitespace());
        rest.next() == Some(&b':') && rest.next() == Some(&b'[')
    })
}

/// Reads the fields asked for out of JSON rows (a line, or one user of a document): every
/// candidate path of every field in one pass, then per field the first candidate the row has,
/// noting which name was used.
pub(super) struct JsonRows {
    /// Every candidate of every field, split on dots, and the field each belongs to.
    paths: Vec<Vec<String>>,
    owner: Vec<usize>,
    /// Each field's first candidate's index in `paths`.
    first: Vec<usize>,
    used: Vec<Option<usize>>,
    all: Vec<Option<Scalar>>,
    values: Vec<Option<Scalar>>,
}

impl JsonRows {
    pub(super) fn new(fields: &[Field]) -> JsonRows {
        let mut paths = Vec::new();
        let mut owner = Vec::new();
        for (i, f) in fields.iter().enumerate() {
            for c in &f.candidates {
                paths.push(c.split('.').map(str::to_string).collect());
                owner.push(i);
            }
        }
        let first = (0..fields.len())
            .map(|f| owner.iter().position(|&o| o == f).unwrap_or(0))
            .collect();
        JsonRows {
            all: vec![None; paths.len()],
            paths,
            owner,
            first,
            used: vec![None; fields.len()],
            values: vec![None; fields.len()],
        }
    }

    /// The fields of one row whose text starts on `line`, or why it cannot be read.
    pub(super) fn row(&mut self, bytes: &[u8], line: u64) -> RowResult<'_> {
        let text = std::str::from_utf8(bytes).map_err(|e| BadRow::NotUtf8 {
            byte: e.valid_up_to() + 1,
        })?;
        pick(text, line, &self.paths, &mut self.all)?;
        self.values.iter_mut().for_each(|v| *v = None);
        for (i, v) in self.all.iter_mut().enumerate() {
            let f = self.owner[i];
            if self.values[f].is_none() && v.is_some() {
                self.values[f] = v.take();
                if self.used[f].is_none() {
                    self.used[f] = Some(i - self.first[f]);
                }
            }
            *v = None;
        }
        Ok(&self.values)
    }

    /// The name each field was read from (None: no row had any of its candidates).
    pub(super) fn used(&self, fields: &[Field]) -> Vec<Option<String>> {
        self.used
            .iter()
            .zip(fields)
            .map(|(u, f)| u.map(|i| f.candidates[i].clone()))
            .collect()
    }
}

/// How a bounded line read ended.
pub(super) enum Line {
    /// A whole line is in the buffer (without its newline).
    Read,
    /// The line was longer than [`MAX_ROW`]; it was skipped to its end.
    TooLong(usize),
    End,
}

pub(super) fn read_line(input: &mut impl BufRead, buf: &mut Vec<u8>) -> std::io::Result<Line> {
    buf.clear();
    let mut skipped = 0usize;
    let mut any = false;
    loop {
        let chunk = input.fill_buf()?;
        if chunk.is_empty() {
            return Ok(match (any, skipped) {
                (false, _) => Line::End,
                (true, 0) => Line::Read,
                (true, n) => Line::TooLong(n),
            });
        }
        any = true;
        let (take, done) = match memchr::memchr(b'\n', chunk) {
            Some(i) => (i, true),
            None => (chunk.len(), false),
        };
        if skipped > 0 || buf.len() + take > MAX_ROW {
            skipped += buf.len() + take;
            buf.clear();
        } else {
            buf.extend_from_slice(&chunk[..take]);
        }
        input.consume(take + usize::from(done));
        if done {
            return Ok(if skipped > 0 {
                Line::TooLong(skipped)
            } else {
                Line::Read
            });
        }
    }
}

fn json_lines(
    mut input: impl BufRead,
    fields: &[Field],
    on_row: &mut impl FnMut(u64, RowResult<'_>),
) -> Result<Vec<Option<String>>, ReadError> {
    let mut rows = JsonRows::new(fields);
    let mut buf = Vec::new();
    let mut line = 0u64;
    loop {
        line += 1;
        match read_line(&mut input, &mut buf) {
            Ok(Line::End) => break,
            Ok(Line::TooLong(bytes)) => on_row(line, Err(BadRow::TooLong { bytes })),
            Ok(Line::Read) if buf.iter().all(u8::is_ascii_whitespace) => {}
            Ok(Line::Read) => on_row(line, rows.row(&buf, line)),
            Err(e) => return Err(ReadError::io(Some(line))(e)),
        }
    }
    Ok(rows.used(fields))
}
