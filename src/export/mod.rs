//! Reading user exports of the legacy system: CSV with a header, JSON lines (Auth0's user
//! export; FusionAuth users, one object per line), or FusionAuth's import file (one document
//! with a `users` array), one user per row, streamed with bounded memory ([`rows`]).
//!
//! Only the fields asked for are extracted (a JSON row is walked, not built). Their values go
//! to callers that reduce them to counts and times (`plan`, the audit): no name, email or hash
//! is kept past the row it came in, and no error message here quotes one.

mod csv_rows;
mod document;
pub mod drift;
mod entry;
pub mod ldap;
mod ldap_schema;
mod ldif;
mod live;
pub mod logins;
mod problems;
pub mod rows;
pub mod source;
pub mod sql;

pub use problems::{BadRow, ReadError};
pub use source::Source;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde::de::{DeserializeSeed, IgnoredAny, MapAccess, Visitor};
use std::borrow::Cow;
use std::fmt;

/// One scalar of a row, as written.
#[derive(Debug, Clone, PartialEq)]
pub enum Scalar {
    Null,
    Int(i64),
    Float(f64),
    Bool(bool),
    Text(String),
    /// An object or an array where one value was expected.
    Compound,
}

impl Scalar {
    /// What kind of value this is, for a message that must not quote it.
    pub fn kind(&self) -> &'static str {
        match self {
            Scalar::Null => "null",
            Scalar::Int(_) | Scalar::Float(_) => "a number",
            Scalar::Bool(_) => "true/false",
            Scalar::Text(_) => "a text",
            Scalar::Compound => "an object or a list",
        }
    }

    /// Null, or a text of nothing but whitespace: how exports write "no value".
    pub fn is_blank(&self) -> bool {
        match self {
            Scalar::Null => true,
            Scalar::Text(t) => t.trim().is_empty(),
            _ => false,
        }
    }
}

/// Walks a JSON value down several paths at once, ignoring everything else: each path
/// (by its index into the caller's list) still to be followed below this value.
pub(crate) struct Pick<'p, 'o> {
    pub(crate) paths: Vec<(usize, &'p [String])>,
    pub(crate) out: &'o mut [Option<Scalar>],
}

impl Pick<'_, '_> {
    fn found(&mut self, value: Scalar) {
        // Most values answer one path: moved there, copied only for the others.
        let mut hits = self
            .paths
            .iter()
            .filter(|(_, rest)| rest.is_empty())
            .map(|(i, _)| *i)
            .peekable();
        while let Some(i) = hits.next() {
            if hits.peek().is_none() {
                self.out[i] = Some(value);
                return;
            }
            self.out[i] = Some(value.clone());
        }
    }
}

impl<'de> DeserializeSeed<'de> for Pick<'_, '_> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Pick<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_map<M: MapAccess<'de>>(mut self, mut map: M) -> Result<(), M::Error> {
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            let below: Vec<(usize, &[String])> = self
                .paths
                .iter()
                .filter_map(|(i, p)| match p.split_first() {
                    Some((first, rest)) if *first == key => Some((*i, rest)),
                    _ => None,
                })
                .collect();
            if below.is_empty() {
                map.next_value::<IgnoredAny>()?;
            } else {
                map.next_value_seed(Pick {
                    paths: below,
                    out: self.out,
                })?;
            }
        }
        self.found(Scalar::Compound);
        Ok(())
    }

    fn visit_seq<S: serde::de::SeqAccess<'de>>(mut self, mut seq: S) -> Result<(), S::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        self.found(Scalar::Compound);
        Ok(())
    }

    fn visit_str<E>(mut self, v: &str) -> Result<(), E> {
        self.found(Scalar::Text(v.to_string()));
        Ok(())
    }

    fn visit_i64<E>(mut self, v: i64) -> Result<(), E> {
        self.found(Scalar::Int(v));
        Ok(())
    }

    fn visit_u64<E>(mut self, v: u64) -> Result<(), E> {
        self.found(Scalar::Int(v.min(i64::MAX as u64) as i64));
        Ok(())
    }

    fn visit_f64<E>(mut self, v: f64) -> Result<(), E> {
        self.found(Scalar::Float(v));
        Ok(())
    }

    fn visit_bool<E>(mut self, v: bool) -> Result<(), E> {
        self.found(Scalar::Bool(v));
        Ok(())
    }

    fn visit_unit<E>(mut self) -> Result<(), E> {
        self.found(Scalar::Null);
        Ok(())
    }
}

/// Fill `out` (one slot per path) with the values at each of `paths` (split on dots, e.g.
/// `user.lastLoginInstant`) in one JSON row, in one pass; `None` where a path is absent.
/// `line` is the row's first line in the file: errors name it, and what is wrong, never the
/// row's text.
pub fn pick(
    row: &str,
    line: u64,
    paths: &[Vec<String>],
    out: &mut [Option<Scalar>],
) -> Result<(), BadRow> {
    out.iter_mut().for_each(|v| *v = None);
    let mut de = serde_json::Deserializer::from_str(row);
    let seed = Pick {
        paths: paths
            .iter()
            .enumerate()
            .map(|(i, p)| (i, p.as_slice()))
            .collect(),
        out,
    };
    seed.deserialize(&mut de)
        .and_then(|()| de.end())
        .map_err(|e| BadRow::NotJson(describe_json_error(&e, line)))
}

/// A serde_json error without the value it quotes (an `invalid type: string "ana@…"` would
/// repeat a user's data): its category, and where, for a value that starts on `line`.
pub(crate) fn describe_json_error(e: &serde_json::Error, line: u64) -> String {
    let what = match e.classify() {
        serde_json::error::Category::Io => "the input could not be read",
        serde_json::error::Category::Syntax => "a syntax error",
        serde_json::error::Category::Data => "a value of the wrong type",
        serde_json::error::Category::Eof => "the text ends in the middle of a value",
    };
    if e.line() > 1 {
        format!(
            "{what} at line {}, column {}",
            line + e.line() as u64 - 1,
            e.column()
        )
    } else {
        format!("{what} at column {}", e.column())
    }
}

/// Why a value is not a time: its shape in words, never the value (a shifted column could
/// hold an email address).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct NotATime(pub String);

/// A time as exports write it: RFC 3339 / ISO 8601 (a date alone is midnight UTC; no zone is
/// UTC), LDAP generalized time (`20240131120000Z`, `20240131120000.0Z`), Active Directory
/// file time (100 ns since 1601, 18 digits), or epoch seconds or milliseconds (told apart by
/// size). `Ok(None)` for an empty value, null or 0 (how directories write "never").
///
/// Errors describe the value's shape, never the value: a shifted CSV column could hold an
/// email address, and a bad-row reason must not repeat it.
pub fn instant(value: &Scalar) -> Result<Option<DateTime<Utc>>, NotATime> {
    let epoch = |n: f64| -> Result<Option<DateTime<Utc>>, NotATime> {
        if n == 0.0 {
            return Ok(None);
        }
        // Beyond 10¹⁷ it is a file time; beyond 10¹¹ seconds (year 5138), milliseconds.
        let ms = if n.abs() >= 1e17 {
            n / 10_000.0 - 11_644_473_600_000.0
        } else if n.abs() >= 1e11 {
            n
        } else {
            n * 1000.0
        };
        if !ms.is_finite() {
            return Err(NotATime("a number that is not finite is not a time".into()));
        }
        DateTime::from_timestamp_millis(ms as i64)
            .map(Some)
            .ok_or_else(|| NotATime("a number outside the calendar is not a time".into()))
    };
    match value {
        Scalar::Null => Ok(None),
        Scalar::Int(n) => epoch(*n as f64),
        Scalar::Float(f) => epoch(*f),
        Scalar::Bool(_) | Scalar::Compound => {
            Err(NotATime(format!("{} is not a time", value.kind())))
        }
        Scalar::Text(t) => {
            let t = t.trim();
            if t.is_empty() || t.eq_ignore_ascii_case("null") {
                return Ok(None);
            }
            if t.bytes().all(|b| b.is_ascii_digit()) && t.len() != 14 {
                return epoch(t.parse::<f64>().map_err(|e| NotATime(e.to_string()))?);
            }
            text_instant(t).map(Some).ok_or_else(|| {
                NotATime(format!(
                    "a text of {} characters is not a time (RFC 3339, ISO 8601, LDAP generalized time, or epoch seconds or milliseconds)",
                    t.chars().count()
                ))
            })
        }
    }
}

fn text_instant(t: &str) -> Option<DateTime<Utc>> {
    if let Ok(d) = DateTime::parse_from_rfc3339(t) {
        return Some(d.with_timezone(&Utc));
    }
    for fmt in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(d) = NaiveDateTime::parse_from_str(t, fmt) {
            return Some(d.and_utc());
        }
    }
    for fmt in ["%Y-%m-%d %H:%M:%S%.f%#z", "%Y-%m-%dT%H:%M:%S%.f%#z"] {
        if let Ok(d) = DateTime::parse_from_str(t, fmt) {
            return Some(d.with_timezone(&Utc));
        }
    }
    if let Ok(d) = NaiveDate::parse_from_str(t, "%Y-%m-%d") {
        return d.and_hms_opt(0, 0, 0).map(|d| d.and_utc());
    }
    // LDAP generalized time: YYYYMMDDHHMMSS[.f](Z|±hhmm).
    let digits: String = t.chars().take_while(char::is_ascii_digit).collect();
    if digits.len() == 14 {
        let rest = t[14..].trim_start_matches(|c: char| c == '.' || c == ',' || c.is_ascii_digit());
        let base = NaiveDateTime::parse_from_str(&digits, "%Y%m%d%H%M%S").ok()?;
        return match rest {
            "" | "Z" => Some(base.and_utc()),
            zone => {
                let d =
                    DateTime::parse_from_str(&format!("{digits}{zone}"), "%Y%m%d%H%M%S%z").ok()?;
                Some(d.with_timezone(&Utc))
            }
        };
    }
    None
}

/// Whether a file looks like JSON lines (its first non-blank character is `{`).
pub fn looks_like_json_lines(head: &[u8]) -> bool {
    head.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> i64 {
        DateTime::parse_from_rfc3339(s)
            .expect("time")
            .timestamp_millis()
    }

    #[test]
    fn every_export_time_shape_reads() {
        let t = |s: Scalar| instant(&s).expect("time").expect("some").timestamp_millis();
        let noon = at("2024-01-31T12:00:00Z");
        assert_eq!(t(Scalar::Text("2024-01-31T12:00:00.000Z".into())), noon);
        assert_eq!(t(Scalar::Text("2024-01-31T14:00:00+02:00".into())), noon);
        assert_eq!(t(Scalar::Text("2024-01-31 12:00:00".into())), noon);
        assert_eq!(t(Scalar::Text("20240131120000Z".into())), noon);
        assert_eq!(t(Scalar::Text("20240131120000.0Z".into())), noon);
        assert_eq!(t(Scalar::Int(noon)), noon);
        assert_eq!(t(Scalar::Int(noon / 1000)), noon);
        assert_eq!(t(Scalar::Text((noon / 1000).to_string())), noon);
        assert_eq!(
            t(Scalar::Text("2024-01-31".into())),
            at("2024-01-31T00:00:00Z")
        );
        assert_eq!(instant(&Scalar::Null), Ok(None));
        assert_eq!(instant(&Scalar::Text(" ".into())), Ok(None));
        assert_eq!(instant(&Scalar::Int(0)), Ok(None), "0 is never");
        // Active Directory's lastLogon: 100 ns ticks since 1601.
        assert_eq!(t(Scalar::Text("133511760000000000".into())), noon);
        let err = instant(&Scalar::Text("ana@example.com".into())).expect_err("not a time");
        assert!(!err.0.contains("ana"), "{err}");
        assert!(instant(&Scalar::Text("last tuesday".into())).is_err());
        assert!(instant(&Scalar::Float(f64::NAN)).is_err());
    }

    #[test]
    fn pick_walks_every_path_in_one_pass_and_skips_the_rest() {
        let line = r#"{"email":"a@b.c","identities":[{"x":1}],"last_login":"2024-01-31T12:00:00Z","user":{"lastLoginInstant":1706702400000}}"#;
        let paths = vec![
            vec!["last_login".to_string()],
            vec!["user".into(), "lastLoginInstant".into()],
            vec!["missing".into()],
        ];
        let mut got = vec![None; paths.len()];
        pick(line, 1, &paths, &mut got).expect("parse");
        assert_eq!(got[0], Some(Scalar::Text("2024-01-31T12:00:00Z".into())));
        assert_eq!(got[1], Some(Scalar::Int(1_706_702_400_000)));
        assert_eq!(got[2], None);
        let err = pick(r#"{"email":"ana@x.org""#, 1, &paths, &mut got).expect_err("cut short");
        assert!(!err.to_string().contains("ana"), "{err}");
        let err =
            pick("{\n\"email\": \"ana@x.org\",\n  oops}", 7, &paths, &mut got).expect_err("syntax");
        assert_eq!(
            err.to_string(),
            "not JSON: a syntax error at line 9, column 3"
        );
    }
}
