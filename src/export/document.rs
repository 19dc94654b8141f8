//! FusionAuth's import file, `{"users": [ {...}, ... ]}`: one JSON document, compact or
//! pretty-printed, read as a stream of users without holding the document.
//!
//! serde_json reads it from a [`Guarded`] reader that counts lines (for row numbers) and
//! refuses any JSON string longer than [`MAX_ROW`], so memory stays bounded whatever the file
//! holds. A syntax error ends the read: past it, nothing in a document can be trusted.

use super::rows::{Chooser, Field, MAX_ROW, RowResult, flatten};
use super::{Pick, Scalar};
use serde::de::{DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use std::borrow::Cow;
use std::cell::Cell;
use std::fmt;
use std::io::{BufRead, Read};

/// Counts lines and bounds strings of the JSON passing through.
struct Guarded<'c, R> {
    inner: R,
    line: &'c Cell<u64>,
    next_line: u64,
    in_string: bool,
    escaped: bool,
    string_len: usize,
}

impl<R: Read> Read for Guarded<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        for &b in &buf[..n] {
            // The line of the last byte read: serde_json reads one byte past a number, so a
            // newline after it still belongs to the number's line.
            self.line.set(self.next_line);
            if b == b'\n' {
                self.next_line += 1;
            }
            if self.in_string {
                self.string_len += 1;
                if self.escaped {
                    self.escaped = false;
                } else if b == b'\\' {
                    self.escaped = true;
                } else if b == b'"' {
                    self.in_string = false;
                }
                if self.string_len > MAX_ROW {
                    return Err(std::io::Error::other(format!(
                        "a JSON string at line {} is longer than {} MiB",
                        self.next_line,
                        MAX_ROW >> 20
                    )));
                }
            } else if b == b'"' {
                self.in_string = true;
                self.string_len = 0;
            }
        }
        Ok(n)
    }
}

type OnRow<'a> = &'a mut dyn FnMut(u64, RowResult<'_>);

struct State<'a> {
    paths: Vec<Vec<String>>,
    chooser: Chooser,
    all: Vec<Option<Scalar>>,
    line: &'a Cell<u64>,
    on_row: OnRow<'a>,
    saw_users: bool,
}

/// Stream the users of a FusionAuth import file.
pub(super) fn users(
    input: impl BufRead,
    fields: &[Field],
    on_row: &mut impl FnMut(u64, RowResult<'_>),
) -> Result<Vec<Option<String>>, String> {
    let line = Cell::new(1);
    let (paths, owner) = flatten(fields);
    let mut state = State {
        all: vec![None; paths.len()],
        paths,
        chooser: Chooser::new(fields, owner),
        line: &line,
        on_row,
        saw_users: false,
    };
    let reader = Guarded {
        inner: input,
        line: &line,
        next_line: 1,
        in_string: false,
        escaped: false,
        string_len: 0,
    };
    let mut de = serde_json::Deserializer::from_reader(reader);
    let done = Top(&mut state).deserialize(&mut de).and_then(|()| de.end());
    if let Err(e) = done {
        return Err(match e.classify() {
            serde_json::error::Category::Io => format!("reading the export failed: {e}"),
            _ => format!(
                "the FusionAuth import file stops being JSON at line {}: {}",
                e.line(),
                super::describe_json_error(&e)
            ),
        });
    }
    if !state.saw_users {
        return Err(
            "the JSON document has no top-level 'users' list (FusionAuth's import file shape); for one user per line, write JSON lines"
                .into(),
        );
    }
    Ok(state.chooser.used(fields))
}

/// The top-level object: only `users` is read.
struct Top<'s, 'a>(&'s mut State<'a>);

impl<'de> DeserializeSeed<'de> for Top<'_, '_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Top<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object with a 'users' list")
    }

    fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<(), M::Error> {
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            if key == "users" {
                self.0.saw_users = true;
                map.next_value_seed(Users(&mut *self.0))?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }
}

struct Users<'s, 'a>(&'s mut State<'a>);

impl<'de> DeserializeSeed<'de> for Users<'_, '_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Users<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of users")
    }

    fn visit_seq<S: SeqAccess<'de>>(self, mut seq: S) -> Result<(), S::Error> {
        let s = self.0;
        loop {
            let mut start = s.line.get();
            let mut not_object = None;
            let element = Element {
                pick: Pick {
                    paths: s
                        .paths
                        .iter()
                        .enumerate()
                        .map(|(i, p)| (i, p.as_slice()))
                        .collect(),
                    out: &mut s.all,
                },
                line: s.line,
                start: &mut start,
                not_object: &mut not_object,
            };
            if seq.next_element_seed(element)?.is_none() {
                return Ok(());
            }
            match not_object {
                Some(kind) => (s.on_row)(start, Err(format!("a user is {kind}, not an object"))),
                None => (s.on_row)(start, Ok(s.chooser.choose(&mut s.all))),
            }
        }
    }
}

/// One element of `users`: an object is picked from; anything else is noted.
struct Element<'p, 'o, 'x> {
    pick: Pick<'p, 'o>,
    line: &'x Cell<u64>,
    start: &'x mut u64,
    not_object: &'x mut Option<&'static str>,
}

impl<'de> DeserializeSeed<'de> for Element<'_, '_, '_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl Element<'_, '_, '_> {
    fn other<E>(self, kind: &'static str) -> Result<(), E> {
        *self.start = self.line.get();
        *self.not_object = Some(kind);
        Ok(())
    }
}

impl<'de> Visitor<'de> for Element<'_, '_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a user object")
    }

    fn visit_map<M: MapAccess<'de>>(self, map: M) -> Result<(), M::Error> {
        *self.start = self.line.get();
        self.pick.visit_map(map)
    }

    fn visit_seq<S: SeqAccess<'de>>(self, mut seq: S) -> Result<(), S::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        self.other("a list")
    }

    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        self.other("a text")
    }

    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        self.other("a number")
    }

    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        self.other("a number")
    }

    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        self.other("a number")
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        self.other("true/false")
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        self.other("null")
    }
}
