//! FusionAuth's import file, `{"users": [ {...}, ... ]}`: one JSON document, compact or
//! pretty-printed, read as a stream of users without holding the document.
//!
//! A byte scanner follows the document's structure (depth, strings, escapes) and cuts out
//! each element of the top-level `users` list; each is then read like a JSON line
//! ([`super::pick`]), so a broken user is one bad row with its line number. No element may be
//! longer than [`MAX_ROW`]: a longer one is skipped to its end. Other top-level keys are
//! skipped unread. A document that ends inside its structure is an error.

use super::rows::{Field, JsonRows, MAX_ROW, RowResult};
use super::{BadRow, ReadError};
use std::io::BufRead;

/// Where the scanner is in the document.
#[derive(Clone, Copy, PartialEq)]
enum Place {
    /// Outside the users list.
    Outside,
    /// Inside the users list, between elements.
    Between,
    /// Inside an element.
    Element,
}

struct Scanner {
    depth: u32,
    in_string: bool,
    escaped: bool,
    /// The last string closed at depth 1 (a top-level key), while short.
    key: Vec<u8>,
    key_len: usize,
    /// The last top-level key was `users` and its value has not started.
    users_next: bool,
    saw_users: bool,
    place: Place,
    element: Vec<u8>,
    /// The element outgrew [`MAX_ROW`]: its bytes are dropped until it ends.
    overlong: usize,
    line: u64,
    start_line: u64,
}

/// Stream the users of a FusionAuth import file.
pub(super) fn users(
    mut input: impl BufRead,
    fields: &[Field],
    on_row: &mut impl FnMut(u64, RowResult<'_>),
) -> Result<Vec<Option<String>>, ReadError> {
    let mut rows = JsonRows::new(fields);
    let mut s = Scanner {
        depth: 0,
        in_string: false,
        escaped: false,
        key: Vec::new(),
        key_len: 0,
        users_next: false,
        saw_users: false,
        place: Place::Outside,
        element: Vec::new(),
        overlong: 0,
        line: 1,
        start_line: 1,
    };
    let mut emit = |s: &mut Scanner| {
        let line = s.start_line;
        if s.overlong > 0 {
            let mib = (s.overlong >> 20).max(1);
            on_row(line, Err(BadRow::UserTooLong { mib }));
        } else if s.element.first() != Some(&b'{') {
            on_row(line, Err(BadRow::NotAnObject));
        } else {
            on_row(line, rows.row(&s.element, line));
        }
        s.element.clear();
        s.overlong = 0;
    };
    loop {
        let chunk = input.fill_buf().map_err(ReadError::io(Some(s.line)))?;
        if chunk.is_empty() {
            break;
        }
        let n = chunk.len();
        s.feed(chunk, &mut emit);
        input.consume(n);
    }
    if s.depth != 0 || s.in_string {
        return Err(ReadError::CutShort { line: s.line });
    }
    if !s.saw_users {
        return Err(ReadError::NoUsersList);
    }
    Ok(rows.used(fields))
}

impl Scanner {
    /// Scan one chunk, calling `emit` for each user it completes.
    fn feed(&mut self, chunk: &[u8], emit: &mut impl FnMut(&mut Scanner)) {
        let mut i = 0;
        while i < chunk.len() {
            if self.place == Place::Element {
                i = self.element_bytes(chunk, i, emit);
                continue;
            }
            let b = chunk[i];
            // A user starts at its first byte between users.
            if self.place == Place::Between
                && !b.is_ascii_whitespace()
                && b != b','
                && b != b']'
                && !self.in_string
            {
                self.place = Place::Element;
                self.start_line = self.line;
                continue;
            }
            self.outside(b);
            i += 1;
        }
    }

    /// Inside a user: run to its end (or the chunk's), keeping its bytes; returns where the
    /// scan stopped. Strings are skipped with `memchr`, since they hold most of the bytes.
    fn element_bytes(
        &mut self,
        chunk: &[u8],
        from: usize,
        emit: &mut impl FnMut(&mut Scanner),
    ) -> usize {
        let mut i = from;
        let mut done = false;
        while i < chunk.len() {
            if self.in_string {
                if self.escaped {
                    self.escaped = false;
                    i += 1;
                    continue;
                }
                match memchr::memchr2(b'"', b'\\', &chunk[i..]) {
                    None => i = chunk.len(),
                    Some(k) => {
                        i += k;
                        if chunk[i] == b'\\' {
                            self.escaped = true;
                        } else {
                            self.in_string = false;
                        }
                        i += 1;
                    }
                }
                continue;
            }
            match chunk[i] {
                b'"' => self.in_string = true,
                b'\n' => self.line += 1,
                b'{' | b'[' => self.depth += 1,
                // At the list's level: the end of a user that is not an object (or array).
                b',' | b'}' | b']' if self.depth == 2 => {
                    done = true;
                    break;
                }
                b'}' | b']' => {
                    self.depth -= 1;
                    if self.depth == 2 {
                        i += 1;
                        done = true;
                        break;
                    }
                }
                _ => {}
            }
            i += 1;
        }
        let piece = &chunk[from..i];
        if self.overlong > 0 || self.element.len() + piece.len() > MAX_ROW {
            self.overlong += self.element.len() + piece.len();
            self.element.clear();
        } else {
            self.element.extend_from_slice(piece);
        }
        if done {
            emit(self);
            self.place = Place::Between;
        }
        i
    }

    /// A byte outside any user: follow the document's structure to its `users` list.
    fn outside(&mut self, b: u8) {
        if b == b'\n' {
            self.line += 1;
        }
        let top = self.depth == 1 && self.place == Place::Outside;
        if self.in_string {
            if self.escaped {
                self.escaped = false;
            } else if b == b'\\' {
                self.escaped = true;
            } else if b == b'"' {
                self.in_string = false;
            } else if top {
                self.key_len += 1;
                if self.key.len() < 16 {
                    self.key.push(b);
                }
            }
            return;
        }
        match b {
            b'"' => {
                self.in_string = true;
                if top {
                    self.key.clear();
                    self.key_len = 0;
                }
            }
            b':' if top => self.users_next = self.key_len == 5 && self.key == b"users",
            b'{' | b'[' => {
                self.depth += 1;
                if b == b'[' && self.depth == 2 && self.users_next {
                    self.place = Place::Between;
                    self.saw_users = true;
                }
                self.users_next = false;
            }
            b'}' | b']' => {
                self.depth = self.depth.saturating_sub(1);
                if self.place == Place::Between && self.depth == 1 {
                    self.place = Place::Outside;
                }
            }
            b if !b.is_ascii_whitespace() => self.users_next = false,
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::rows::{Field, Format, stream};

    /// The format, the ids of the users read, and (line, reason) of the bad rows.
    type Read = (Format, Vec<String>, Vec<(u64, String)>);

    fn read(text: &[u8]) -> Result<Read, super::ReadError> {
        let (mut ids, mut bad) = (Vec::new(), Vec::new());
        let s = stream(text, &[Field::named("id")], |line, row| match row {
            Ok(v) => ids.push(match &v[0] {
                Some(super::super::Scalar::Text(t)) => t.clone(),
                other => format!("{other:?}"),
            }),
            Err(e) => bad.push((line, e.to_string())),
        })?;
        Ok((s.format, ids, bad))
    }

    #[test]
    fn compact_and_pretty_documents_read_alike() {
        let compact = br#"{"encryptionScheme":"salted-sha256","users":[{"id":"a","data":{"x":[1,{"y":"]}"}]}},{"id":"b"}],"validateDbConstraints":false}"#;
        let (f, ids, bad) = read(compact).expect("compact");
        assert_eq!(f, Format::FusionauthImport);
        assert_eq!(ids, ["a", "b"]);
        assert!(bad.is_empty());
        // Brackets, quotes and backslashes inside strings are text, not structure.
        let escaped = br#"{"users":[{"id":"a\"}],\\","note":"{["},{"id":"b"}]}"#;
        let (_, ids, bad) = read(escaped).expect("escaped");
        assert_eq!(ids, [r#"a"}],\"#, "b"]);
        assert!(bad.is_empty(), "{bad:?}");
        let pretty = b"{\n  \"users\": [\n    {\"id\": \"a\"},\n    \"oops\",\n    {\"id\": \"c\", \"email\": tru},\n    {\"id\": \"d\"}\n  ]\n}\n";
        let (f, ids, bad) = read(pretty).expect("pretty");
        assert_eq!(f, Format::FusionauthImport);
        assert_eq!(ids, ["a", "d"]);
        assert_eq!(bad[0], (4, "a user that is not a JSON object".to_string()));
        assert_eq!(bad[1].0, 5);
        assert!(bad[1].1.starts_with("not JSON"), "{bad:?}");
    }

    #[test]
    fn a_cut_document_or_one_without_users_is_an_error() {
        let err = read(b"{\n  \"users\": [\n    {\"id\": \"a\"},\n    {\"id\": ").expect_err("cut");
        assert!(
            matches!(err, super::ReadError::CutShort { line: 4 }),
            "{err}"
        );
        let err = err.to_string();
        assert!(err.contains("ends at line 4 inside its structure"), "{err}");
        // A users list that is not at the top.
        let err = read(b"{\n  \"data\": {\"users\": [{\"id\": \"a\"}]}\n}\n")
            .expect_err("nested")
            .to_string();
        assert!(err.contains("no top-level 'users' list"), "{err}");
    }

    #[test]
    fn an_overlong_user_is_skipped_as_one_bad_row() {
        let mut doc = b"{\"users\": [{\"id\": \"a\"}, {\"id\": \"".to_vec();
        doc.extend(std::iter::repeat_n(b'x', 3 << 20));
        doc.extend_from_slice(b"\"}, {\"id\": \"b\"}]}");
        let (_, ids, bad) = read(&doc).expect("read");
        assert_eq!(ids, ["a", "b"]);
        assert_eq!(bad.len(), 1);
        assert!(bad[0].1.contains("longer than the 1 MiB limit"), "{bad:?}");
    }

    #[test]
    fn json_lines_with_a_broken_first_line_stay_json_lines() {
        let (f, ids, bad) = read(b"{broken\n{\"id\": \"b\"}\n").expect("read");
        assert_eq!(f, Format::JsonLines);
        assert_eq!(ids, ["b"]);
        assert_eq!(bad[0].0, 1);
    }
}
