//! FusionAuth's import file, `{"users": [ {...}, ... ]}`: one JSON document, compact or
//! pretty-printed, read as a stream of users without holding the document.
//!
//! A byte scanner follows the document's structure (depth, strings, escapes) and cuts out
//! each element of the top-level `users` list; each is then read like a JSON line
//! ([`super::pick`]), so a broken user is one bad row with its line number. No element may be
//! longer than [`MAX_ROW`]: a longer one is skipped to its end. Other top-level keys are
//! skipped unread. A document that ends inside its structure is an error.

use super::pick;
use super::rows::{Chooser, Field, MAX_ROW, RowResult, flatten};
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
) -> Result<Vec<Option<String>>, String> {
    let (paths, owner) = flatten(fields);
    let mut chooser = Chooser::new(fields, owner);
    let mut all = vec![None; paths.len()];
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
            on_row(
                line,
                Err(format!(
                    "a user of {mib} MiB is longer than the {} MiB limit; skipped",
                    MAX_ROW >> 20
                )),
            );
        } else if s.element.first() != Some(&b'{') {
            on_row(line, Err("a user that is not a JSON object".into()));
        } else {
            match std::str::from_utf8(&s.element) {
                Err(e) => on_row(
                    line,
                    Err(format!("not UTF-8 text (byte {})", e.valid_up_to() + 1)),
                ),
                Ok(text) => match pick(text, &paths, &mut all) {
                    Ok(()) => on_row(line, Ok(chooser.choose(&mut all))),
                    Err(e) => on_row(line, Err(e)),
                },
            }
        }
        s.element.clear();
        s.overlong = 0;
    };
    loop {
        let chunk = input
            .fill_buf()
            .map_err(|e| format!("reading the export failed near line {}: {e}", s.line))?;
        if chunk.is_empty() {
            break;
        }
        let n = chunk.len();
        for &b in chunk {
            s.byte(b, &mut emit);
        }
        input.consume(n);
    }
    if s.depth != 0 || s.in_string {
        return Err(format!(
            "the FusionAuth import file ends at line {} inside its structure (cut short?)",
            s.line
        ));
    }
    if !s.saw_users {
        return Err(
            "the JSON document has no top-level 'users' list (FusionAuth's import file shape); for one user per line, write JSON lines"
                .into(),
        );
    }
    Ok(chooser.used(fields))
}

impl Scanner {
    fn keep(&mut self, b: u8) {
        if self.place != Place::Element {
            return;
        }
        if self.overlong > 0 || self.element.len() >= MAX_ROW {
            self.overlong += self.element.len() + 1;
            self.element.clear();
        } else {
            self.element.push(b);
        }
    }

    fn byte(&mut self, b: u8, emit: &mut impl FnMut(&mut Scanner)) {
        if b == b'\n' {
            self.line += 1;
        }
        if self.in_string {
            self.keep(b);
            if self.escaped {
                self.escaped = false;
            } else if b == b'\\' {
                self.escaped = true;
            } else if b == b'"' {
                self.in_string = false;
                if self.depth == 1 && self.place == Place::Outside {
                    self.users_next = false;
                }
            } else if self.depth == 1 && self.place == Place::Outside {
                self.key_len += 1;
                if self.key.len() < 16 {
                    self.key.push(b);
                }
            }
            return;
        }
        if b.is_ascii_whitespace() {
            self.keep(b);
            return;
        }
        // An element starts at its first byte between elements.
        if self.place == Place::Between && b != b',' && b != b']' {
            self.place = Place::Element;
            self.start_line = self.line;
        }
        // A scalar element ends at the comma or bracket after it.
        if self.place == Place::Element && self.depth == 2 && (b == b',' || b == b']') {
            emit(self);
            self.place = Place::Between;
        }
        self.keep(b);
        match b {
            b'"' => {
                self.in_string = true;
                if self.depth == 1 && self.place == Place::Outside {
                    self.key.clear();
                    self.key_len = 0;
                }
            }
            b':' if self.depth == 1 && self.place == Place::Outside => {
                self.users_next = self.key_len == 5 && self.key == b"users";
            }
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
                if self.place == Place::Element && self.depth == 2 {
                    emit(self);
                    self.place = Place::Between;
                } else if self.place == Place::Between && self.depth == 1 {
                    self.place = Place::Outside;
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::rows::{Field, Format, stream};

    /// (format, ids of the users read, (line, reason) of the bad rows) or the error.
    fn read(text: &[u8]) -> Result<(Format, Vec<String>, Vec<(u64, String)>), String> {
        let (mut ids, mut bad) = (Vec::new(), Vec::new());
        let s = stream(text, &[Field::named("id")], |line, row| match row {
            Ok(v) => ids.push(match &v[0] {
                Some(super::super::Scalar::Text(t)) => t.clone(),
                other => format!("{other:?}"),
            }),
            Err(e) => bad.push((line, e)),
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
        assert!(err.contains("ends at line 4 inside its structure"), "{err}");
        // A users list that is not at the top.
        let err = read(b"{\n  \"data\": {\"users\": [{\"id\": \"a\"}]}\n}\n").expect_err("nested");
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
