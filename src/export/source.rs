//! Where an export is read from: a file, a live LDAP directory named by its URL, or the legacy
//! database named `sql:`, each where a file path goes (`cutover audit`, `plan --logins`,
//! `[segments.move] export`). Every reader of exports streams through [`Source::stream`], so a
//! live source is read by the same rules as a file (bad rows, fields, no personal data kept),
//! and the same users give the same counts whether they come live or from an export of them.

use super::ReadError;
use super::ldap::{self, Directory};
use super::rows::Format;
use super::rows::{self, Field, RowResult, Streamed};
use super::sql::{self, Query};
use std::io::BufReader;
use std::path::{Path, PathBuf};

/// An export: a file, a directory searched live, or the legacy database's query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    File(PathBuf),
    Ldap(Directory),
    Sql(Query),
}

/// How live sources are reached (`[legacy]`): a directory's bind DN and the `env:` reference
/// of its password (None: anonymous), and the legacy database's query (`[legacy.sql]`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Access {
    pub bind: Option<(String, String)>,
    pub sql: Option<Query>,
}

/// What names the legacy database where an export goes.
pub const SQL: &str = "sql:";

/// Why a source could not be read.
#[derive(Debug, thiserror::Error)]
pub enum Failed {
    /// The file cannot be opened.
    #[error("{0}")]
    Open(std::io::Error),
    /// The file, directory or database could not be read as users.
    #[error("{0}")]
    Read(ReadError),
}

impl Source {
    /// An export as written on the command line or in `cutover.toml`: an `ldap://` or
    /// `ldaps://` URL names a directory, `sql:` the legacy database's query, both reached as
    /// `access` says; anything else is a file, relative to `dir`.
    pub fn named(text: &str, dir: &Path, access: &Access) -> Result<Source, String> {
        if ldap::is_url(text) {
            Directory::parse(text, access.bind.clone()).map(Source::Ldap)
        } else if text.trim() == SQL {
            access.sql.clone().map(Source::Sql).ok_or_else(|| {
                "'sql:' reads the legacy database, but cutover.toml has no [legacy.sql] (url = \"env:NAME\", query = \"SELECT …\")".to_string()
            })
        } else {
            Ok(Source::File(dir.join(text)))
        }
    }

    /// [`Source::named`] for a path given on the command line (relative to where it runs).
    pub fn from_arg(path: &Path, access: &Access) -> Result<Source, String> {
        match path.to_str() {
            Some(text) if ldap::is_url(text) || text.trim() == SQL => {
                Source::named(text, Path::new(""), access)
            }
            _ => Ok(Source::File(path.to_path_buf())),
        }
    }

    /// How messages name it: the path, the directory's URL (which never holds a password),
    /// or `sql:`.
    pub fn shown(&self) -> PathBuf {
        match self {
            Source::File(p) => p.clone(),
            Source::Ldap(d) => PathBuf::from(&d.url),
            Source::Sql(_) => PathBuf::from(SQL),
        }
    }

    /// The file, for what only a file has (its size, its bytes).
    pub fn file(&self) -> Option<&Path> {
        match self {
            Source::File(p) => Some(p),
            Source::Ldap(_) | Source::Sql(_) => None,
        }
    }

    /// Stream every row to `on_row(line, row)`: a file's rows by line, a directory's entries
    /// and a query's rows numbered from 1 in the order read. A live source's [`Streamed`]
    /// carries the digest of what was read.
    pub fn stream(
        &self,
        fields: &[Field],
        mut on_row: impl FnMut(u64, RowResult<'_>),
    ) -> Result<Streamed, Failed> {
        let (format, used, sha256) = match self {
            Source::File(path) => {
                let file = std::fs::File::open(path).map_err(Failed::Open)?;
                return rows::stream(BufReader::with_capacity(1 << 20, file), fields, on_row)
                    .map_err(Failed::Read);
            }
            Source::Ldap(dir) => {
                let read = ldap::entries(dir, fields, &mut on_row).map_err(Failed::Read)?;
                (Format::Ldap, read.used, read.sha256)
            }
            Source::Sql(query) => {
                let read = sql::rows(query, fields, &mut on_row).map_err(Failed::Read)?;
                (Format::Sql, read.used, read.sha256)
            }
        };
        Ok(Streamed {
            format,
            used,
            sha256: Some(sha256),
        })
    }
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.shown().display())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_names_a_directory_sql_the_database_and_anything_else_a_file() {
        let dir = Path::new("/proj");
        let none = Access::default();
        assert_eq!(
            Source::named("exports/u.ldif", dir, &none),
            Ok(Source::File(PathBuf::from("/proj/exports/u.ldif")))
        );
        let bind = ("cn=reader,dc=x".to_string(), "env:LDAP_PW".to_string());
        let access = Access {
            bind: Some(bind.clone()),
            sql: None,
        };
        let named = Source::named("ldap://127.0.0.1:1389/dc=x", dir, &access);
        assert!(
            matches!(&named, Ok(Source::Ldap(d)) if d.bind == Some(bind.clone())),
            "{named:?}"
        );
        assert_eq!(
            Source::from_arg(Path::new("ldap://h:1/dc=x"), &none).map(|s| s.shown()),
            Ok(PathBuf::from("ldap://h:1/dc=x"))
        );
        assert!(Source::named("ldap://h/dc=x??nowhere?", dir, &none).is_err());
        let err = Source::from_arg(Path::new("sql:"), &none).expect_err("no [legacy.sql]");
        assert!(err.contains("[legacy.sql]"), "{err}");
    }
}
