//! Streaming the rows of a user export with bounded memory: CSV with a header, JSON lines
//! (Auth0's user export, one user per line), or FusionAuth's import file (one JSON document,
//! `{"users": [ {...}, ... ]}`, compact or pretty-printed).
//!
//! Each caller names the fields it wants, each as a list of candidate names (the first one a
//! row has wins), and gets one [`Scalar`] per field per row; everything else in the row is
//! skipped, never built. A row is held only while it is looked at, and no row may be longer
//! than [`MAX_ROW`]: a longer line (a 1 GB line, say) is skipped to its end and counted as a
//! bad row, and so is a line that is not UTF-8 or not JSON. Only the reasons reach callers,
//! never the row's text.

use super::{Scalar, pick};
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
pub type RowResult<'a> = Result<&'a [Option<Scalar>], String>;

/// What a stream found out about the export.
#[derive(Debug, Clone)]
pub struct Streamed {
    pub format: Format,
    /// The name each field was read from (the first candidate rows had; None: none had any).
    pub used: Vec<Option<String>>,
}

/// Stream every row of `input` to `on_row(line, row)`. Errors are for the export as a whole
/// (empty, no header, a column named by the user that is not there, a broken document).
pub fn stream(
    mut input: impl BufRead,
    fields: &[Field],
    mut on_row: impl FnMut(u64, RowResult<'_>),
) -> Result<Streamed, String> {
    let head = input.fill_buf().map_err(|e| e.to_string())?;
    if head.is_empty() {
        return Err("the export is empty: no header and no rows".into());
    }
    let format = sniff(head);
    let used = match format {
        Format::Csv => csv(input, fields, &mut on_row)?,
        Format::JsonLines => json_lines(input, fields, &mut on_row)?,
        Format::FusionauthImport => super::document::users(input, fields, &mut on_row)?,
    };
    Ok(Streamed { format, used })
}

/// Tell the three shapes apart from the start of the file: JSON when it starts with `{`; a
/// FusionAuth document when its first line is an object with a `users` list, or when it is not
/// a whole object and a `users` list opens in what is buffered (a pretty-printed or a long
/// compact document). Otherwise JSON lines, whose broken first line is then one bad row.
fn sniff(head: &[u8]) -> Format {
    if !super::looks_like_json_lines(head) {
        return Format::Csv;
    }
    if let Some(end) = memchr::memchr(b'\n', head)
        && let Ok(map) =
            serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(&head[..end])
    {
        return if map.get("users").is_some_and(|u| u.is_array()) {
            Format::FusionauthImport
        } else {
            Format::JsonLines
        };
    }
    if opens_users_list(head) {
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

/// Paths of every candidate of every field, flattened, with each one's field.
pub(super) fn flatten(fields: &[Field]) -> (Vec<Vec<String>>, Vec<usize>) {
    let mut paths = Vec::new();
    let mut owner = Vec::new();
    for (i, f) in fields.iter().enumerate() {
        for c in &f.candidates {
            paths.push(c.split('.').map(str::to_string).collect());
            owner.push(i);
        }
    }
    (paths, owner)
}

/// Per field, the first candidate a row has; counts which name was used.
pub(super) struct Chooser {
    owner: Vec<usize>,
    first: Vec<usize>,
    used: Vec<Option<usize>>,
    pub values: Vec<Option<Scalar>>,
}

impl Chooser {
    pub(super) fn new(fields: &[Field], owner: Vec<usize>) -> Chooser {
        let first = (0..fields.len())
            .map(|f| owner.iter().position(|&o| o == f).unwrap_or(0))
            .collect();
        Chooser {
            owner,
            first,
            used: vec![None; fields.len()],
            values: vec![None; fields.len()],
        }
    }

    pub(super) fn choose(&mut self, all: &mut [Option<Scalar>]) -> &[Option<Scalar>] {
        self.values.iter_mut().for_each(|v| *v = None);
        for (i, v) in all.iter_mut().enumerate() {
            let f = self.owner[i];
            if self.values[f].is_none() && v.is_some() {
                self.values[f] = v.take();
                if self.used[f].is_none() {
                    self.used[f] = Some(i - self.first[f]);
                }
            }
            *v = None;
        }
        &self.values
    }

    pub(super) fn used(&self, fields: &[Field]) -> Vec<Option<String>> {
        self.used
            .iter()
            .zip(fields)
            .map(|(u, f)| u.map(|i| f.candidates[i].clone()))
            .collect()
    }
}

/// How a bounded line read ended.
enum Line {
    /// A whole line is in the buffer (without its newline).
    Read,
    /// The line was longer than [`MAX_ROW`]; it was skipped to its end.
    TooLong(usize),
    End,
}

fn read_line(input: &mut impl BufRead, buf: &mut Vec<u8>) -> std::io::Result<Line> {
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

fn too_long(n: usize) -> String {
    format!(
        "a row of {} MiB is longer than the {} MiB limit; skipped",
        n >> 20,
        MAX_ROW >> 20
    )
}

fn json_lines(
    mut input: impl BufRead,
    fields: &[Field],
    on_row: &mut impl FnMut(u64, RowResult<'_>),
) -> Result<Vec<Option<String>>, String> {
    let (paths, owner) = flatten(fields);
    let mut chooser = Chooser::new(fields, owner);
    let mut all = vec![None; paths.len()];
    let mut buf = Vec::new();
    let mut line = 0u64;
    loop {
        line += 1;
        match read_line(&mut input, &mut buf) {
            Ok(Line::End) => break,
            Ok(Line::TooLong(n)) => on_row(line, Err(too_long(n))),
            Ok(Line::Read) => {
                let text = match std::str::from_utf8(&buf) {
                    Ok(t) => t,
                    Err(e) => {
                        on_row(
                            line,
                            Err(format!("not UTF-8 text (byte {})", e.valid_up_to() + 1)),
                        );
                        continue;
                    }
                };
                if text.trim().is_empty() {
                    continue;
                }
                match pick(text, &paths, &mut all) {
                    Ok(()) => on_row(line, Ok(chooser.choose(&mut all))),
                    Err(e) => on_row(line, Err(e)),
                }
            }
            Err(e) => return Err(format!("reading the export failed at line {line}: {e}")),
        }
    }
    Ok(chooser.used(fields))
}

fn csv(
    mut input: impl BufRead,
    fields: &[Field],
    on_row: &mut impl FnMut(u64, RowResult<'_>),
) -> Result<Vec<Option<String>>, String> {
    let mut reader = csv_core::ReaderBuilder::new().build();
    let mut out = vec![0u8; MAX_ROW];
    let mut ends = vec![0usize; 1024];
    let (mut n_out, mut n_ends) = (0usize, 0usize);
    let mut overlong = false;
    let mut start = 1u64;
    let mut columns: Option<Vec<Option<usize>>> = None;
    let mut used = vec![None; fields.len()];
    let mut values: Vec<Option<Scalar>> = vec![None; fields.len()];
    loop {
        let chunk = input
            .fill_buf()
            .map_err(|e| format!("reading the export failed near line {start}: {e}"))?;
        let (res, n_in, o, e) = reader.read_record(chunk, &mut out[n_out..], &mut ends[n_ends..]);
        input.consume(n_in);
        n_out += o;
        n_ends += e;
        match res {
            csv_core::ReadRecordResult::InputEmpty => {}
            csv_core::ReadRecordResult::OutputFull | csv_core::ReadRecordResult::OutputEndsFull => {
                // Keep reading to the record's end, dropping what it holds.
                overlong = true;
                n_out = 0;
                n_ends = 0;
            }
            csv_core::ReadRecordResult::Record => {
                let line = start;
                start = reader.line();
                let record = Record {
                    out: &out[..n_out],
                    ends: &ends[..n_ends],
                };
                let (was_long, kept) = (overlong, n_ends);
                n_out = 0;
                n_ends = 0;
                overlong = false;
                match &columns {
                    None if was_long => {
                        return Err(
                            "the CSV header is longer than 1 MiB or has more than 1024 columns"
                                .into(),
                        );
                    }
                    None => columns = Some(header(&record, fields, &mut used)?),
                    Some(_) if was_long => on_row(line, Err(too_long(MAX_ROW))),
                    Some(_) if kept == 1 && record.get(0).is_some_and(<[u8]>::is_empty) => {}
                    Some(cols) => match record.values(cols, fields, &mut values) {
                        Ok(()) => on_row(line, Ok(&values)),
                        Err(e) => on_row(line, Err(e)),
                    },
                }
            }
            csv_core::ReadRecordResult::End => break,
        }
    }
    if columns.is_none() {
        return Err("the export is empty: no header and no rows".into());
    }
    Ok(used)
}

struct Record<'a> {
    out: &'a [u8],
    ends: &'a [usize],
}

impl Record<'_> {
    fn get(&self, i: usize) -> Option<&[u8]> {
        let end = *self.ends.get(i)?;
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        Some(&self.out[start..end])
    }

    fn values(
        &self,
        columns: &[Option<usize>],
        fields: &[Field],
        values: &mut [Option<Scalar>],
    ) -> Result<(), String> {
        for (i, col) in columns.iter().enumerate() {
            values[i] = match col.and_then(|c| self.get(c)) {
                None => None,
                Some(bytes) => match std::str::from_utf8(bytes) {
                    Ok(t) => Some(Scalar::Text(t.to_string())),
                    Err(_) => {
                        return Err(format!(
                            "column '{}' is not UTF-8 text",
                            fields[i].candidates[0]
                        ));
                    }
                },
            };
        }
        Ok(())
    }
}

/// Resolve each field to a column of the header.
fn header(
    record: &Record<'_>,
    fields: &[Field],
    used: &mut [Option<String>],
) -> Result<Vec<Option<usize>>, String> {
    let names: Vec<String> = (0..record.ends.len())
        .map(|i| {
            String::from_utf8_lossy(record.get(i).unwrap_or_default())
                .trim()
                .trim_start_matches('\u{feff}')
                .to_string()
        })
        .collect();
    let mut columns = Vec::with_capacity(fields.len());
    for (i, f) in fields.iter().enumerate() {
        let found = f
            .candidates
            .iter()
            .find_map(|c| Some((names.iter().position(|n| n == c)?, c)));
        if found.is_none() && f.explicit {
            return Err(format!(
                "the header has no column '{}' (the CSV has {} columns)",
                f.candidates[0],
                names.len()
            ));
        }
        used[i] = found.map(|(_, c)| c.clone());
        columns.push(found.map(|(col, _)| col));
    }
    Ok(columns)
}
