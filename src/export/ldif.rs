//! The LDIF side of [`super::rows`] (RFC 2849): a directory's entries as `ldapsearch` or
//! `slapcat` write them, streamed one entry at a time. Folded lines (a line starting with one
//! space continues the one before), `name:: base64` values, comments and a `version: 1` line
//! are read; each entry is numbered by the line of its `dn:`, so a report's line is where the
//! entry starts in the file. A change record (`changetype:`), a value by URL (`name:< …`) in a
//! field read, a line without a name, or an entry longer than [`MAX_ROW`] is one bad row.

use super::entry::EntryFields;
use super::rows::{Field, Line, MAX_ROW, RowResult, read_line};
use super::{BadRow, ReadError, Scalar};
use base64::Engine as _;
use std::io::BufRead;

/// Whether the start of a file is LDIF: its first line that is neither blank nor a comment
/// starts with `dn:` or `version:`.
pub(super) fn looks_like_ldif(head: &[u8]) -> bool {
    head.split(|&b| b == b'\n')
        .map(|l| l.trim_ascii())
        .find(|l| !l.is_empty() && !l.starts_with(b"#"))
        .is_some_and(|l| {
            let l = l.to_ascii_lowercase();
            l.starts_with(b"dn:") || l.starts_with(b"version:")
        })
}

/// The entry being read.
struct Entry {
    /// The line of its `dn:` (None: a record that did not start with one).
    line: Option<u64>,
    /// The record's first line, for a record without a dn.
    first: u64,
    bytes: usize,
    bad: Option<BadRow>,
}

pub(super) fn entries(
    mut input: impl BufRead,
    fields: &[Field],
    on_row: &mut impl FnMut(u64, RowResult<'_>),
) -> Result<Vec<Option<String>>, ReadError> {
    let mut values = EntryFields::new(fields);
    let mut buf = Vec::new();
    // The logical line being unfolded, and the physical line it started on.
    let mut logical: Vec<u8> = Vec::new();
    let mut logical_at = 0u64;
    let mut entry: Option<Entry> = None;
    let mut line = 0u64;
    loop {
        line += 1;
        let read = read_line(&mut input, &mut buf).map_err(ReadError::io(Some(line)))?;
        if let Line::Read = read
            && buf.last() == Some(&b'\r')
        {
            buf.pop();
        }
        let folded = matches!(read, Line::Read) && buf.first() == Some(&b' ');
        if folded && !logical.is_empty() {
            logical.extend_from_slice(&buf[1..]);
            if logical.len() > MAX_ROW {
                let e = entry.get_or_insert_with(|| unnamed(logical_at));
                e.bad.get_or_insert(BadRow::UserTooLong {
                    mib: logical.len() >> 20,
                });
                logical.clear();
            }
            continue;
        }
        if !logical.is_empty() {
            take_line(&logical, logical_at, &mut entry, &mut values);
            logical.clear();
        }
        match read {
            Line::End => break,
            Line::TooLong(bytes) => {
                let e = entry.get_or_insert_with(|| unnamed(line));
                e.bad.get_or_insert(BadRow::TooLong { bytes });
            }
            Line::Read if buf.trim_ascii().is_empty() => {
                if let Some(e) = entry.take() {
                    end_entry(e, &mut values, on_row);
                }
            }
            Line::Read => {
                logical.extend_from_slice(&buf);
                logical_at = line;
            }
        }
    }
    if let Some(e) = entry.take() {
        end_entry(e, &mut values, on_row);
    }
    Ok(values.used(fields))
}

fn unnamed(first: u64) -> Entry {
    Entry {
        line: None,
        first,
        bytes: 0,
        bad: None,
    }
}

fn end_entry(e: Entry, values: &mut EntryFields, on_row: &mut impl FnMut(u64, RowResult<'_>)) {
    let at = e.line.unwrap_or(e.first);
    match (e.bad, e.line) {
        (Some(bad), _) => on_row(at, Err(bad)),
        (None, None) => on_row(
            at,
            Err(BadRow::NotLdif(
                "a record that does not start with a 'dn:' line".into(),
            )),
        ),
        (None, Some(_)) => on_row(at, Ok(values.finish())),
    }
}

/// One unfolded line of a record.
fn take_line(text: &[u8], at: u64, entry: &mut Option<Entry>, values: &mut EntryFields) {
    if text.starts_with(b"#") {
        return;
    }
    let Some(colon) = memchr::memchr(b':', text) else {
        if text == b"-" {
            return; // a change record's separator: the record is already bad
        }
        let e = entry.get_or_insert_with(|| unnamed(at));
        e.bad.get_or_insert(BadRow::NotLdif(format!(
            "line {at} has no 'name:' (a line that continues the one before starts with one space)"
        )));
        return;
    };
    let name = String::from_utf8_lossy(&text[..colon]);
    let rest = &text[colon + 1..];
    if entry.is_none() {
        if name.eq_ignore_ascii_case("version") {
            return;
        }
        *entry = Some(unnamed(at));
    }
    let Some(e) = entry.as_mut() else { return };
    e.bytes += text.len();
    if e.bytes > MAX_ROW {
        e.bad
            .get_or_insert(BadRow::UserTooLong { mib: e.bytes >> 20 });
        return;
    }
    if name.eq_ignore_ascii_case("dn") {
        if e.line.is_none() && e.bytes == text.len() {
            e.line = Some(at);
            values.begin();
        } else {
            // Two entries with no blank line between: one would take the other's values.
            e.bad.get_or_insert(BadRow::NotLdif(format!(
                "a second 'dn:' at line {at} in one entry; separate entries by a blank line"
            )));
        }
        return;
    }
    if name.eq_ignore_ascii_case("changetype") {
        e.bad.get_or_insert(BadRow::NotLdif(
            "a change record (changetype), not an entry: export entries (ldapsearch -LLL or slapcat)"
                .into(),
        ));
        return;
    }
    if e.bad.is_some() || e.line.is_none() || !values.wants(&name) {
        return;
    }
    let value = match rest.first() {
        Some(b':') => {
            match base64::engine::general_purpose::STANDARD.decode(rest[1..].trim_ascii()) {
                Ok(bytes) => bytes,
                Err(_) => {
                    e.bad = Some(BadRow::NotLdif(format!(
                        "attribute '{name}' is not valid base64 after '::'"
                    )));
                    return;
                }
            }
        }
        Some(b'<') => {
            e.bad = Some(BadRow::NotLdif(format!(
                "attribute '{name}' is given by URL (':<'); write its value into the file"
            )));
            return;
        }
        _ => rest.trim_ascii_start().to_vec(),
    };
    match String::from_utf8(value) {
        Ok(text) => values.offer(&name, || Scalar::Text(text.clone())),
        Err(_) => {
            e.bad = Some(BadRow::ColumnNotUtf8 {
                column: name.into_owned(),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Rows = Vec<(u64, Result<Vec<Option<Scalar>>, String>)>;

    fn read(text: &str, fields: &[Field]) -> (Rows, Vec<Option<String>>) {
        let mut rows = Vec::new();
        let used = entries(text.as_bytes(), fields, &mut |line, row: RowResult<'_>| {
            rows.push((line, row.map(<[_]>::to_vec).map_err(|e| e.to_string())))
        })
        .expect("read");
        (rows, used)
    }

    fn text(s: &str) -> Option<Scalar> {
        Some(Scalar::Text(s.into()))
    }

    #[test]
    fn entries_read_with_folding_base64_and_comments() {
        let ldif = "version: 1\n\n# a comment\ndn: uid=ana,ou=people,dc=example,dc=org\nobjectClass: inetOrgPerson\nuid: ana\nMail: ana@exa\n mple.org\nuserPassword:: e1NTSEF9YWJj\r\n\n\n\ndn: uid=bo,dc=example,dc=org\nuid: bo\n";
        let fields = [
            Field::any_of(&["uid"]),
            Field::any_of(&["mail"]),
            Field::any_of(&["userPassword"]),
        ];
        let (rows, used) = read(ldif, &fields);
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].0, 4, "numbered by the dn line");
        assert_eq!(
            rows[0].1,
            Ok(vec![
                text("ana"),
                text("ana@example.org"),
                text("{SSHA}abc")
            ])
        );
        assert_eq!(rows[1], (13, Ok(vec![text("bo"), None, None])));
        assert_eq!(used[1].as_deref(), Some("mail"));
        assert!(looks_like_ldif(b"# export\nversion: 1\n"));
        assert!(looks_like_ldif(b"\ndn: dc=x\n"));
        assert!(!looks_like_ldif(b"dnx,mail\n"));
    }

    #[test]
    fn bad_records_are_counted_by_line_and_never_quote_a_value() {
        let ldif = "dn: uid=a,dc=x\nchangetype: modify\nreplace: mail\nmail: ana@x.org\n-\n\nuid: orphan\n\ndn: uid=c,dc=x\nmail:: not*base64\n\ndn: uid=d,dc=x\nmail:< file:///etc/passwd\n\ndn: uid=e,dc=x\nthis line has no colon\n\ndn: uid=f,dc=x\nmail: f@x.org\ndn: uid=g,dc=x\nmail: g@x.org\n";
        let (rows, _) = read(ldif, &[Field::any_of(&["mail"])]);
        let lines: Vec<u64> = rows.iter().map(|r| r.0).collect();
        assert_eq!(lines, vec![1, 7, 9, 12, 15, 18]);
        for (_, r) in &rows {
            let e = r.as_ref().expect_err("every record here is bad");
            assert!(!e.contains("ana@x.org") && !e.contains("passwd"), "{e}");
        }
        assert!(
            rows[0]
                .1
                .as_ref()
                .is_err_and(|e| e.contains("change record"))
        );
    }
}
