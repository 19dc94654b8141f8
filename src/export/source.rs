//! Where an export is read from: a file, or a live LDAP directory named by its URL where a
//! file path goes (`cutover audit`, `plan --logins`, `[segments.move] export`). Every reader
//! of exports streams through [`Source::stream`], so a directory is read by the same rules as
//! a file (bad rows, fields, no personal data kept), and the same users give the same counts
//! whether they come from the directory or from its LDIF export.

use super::ReadError;
use super::ldap::{self, Directory};
use super::rows::Format;
use super::rows::{self, Field, RowResult, Streamed};
use std::io::BufReader;
use std::path::{Path, PathBuf};

/// An export: a file, or a directory searched live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    File(PathBuf),
    Ldap(Directory),
}

/// Why a source could not be read.
#[derive(Debug, thiserror::Error)]
pub enum Failed {
    /// The file cannot be opened.
    #[error("{0}")]
    Open(std::io::Error),
    /// The file or directory could not be read as users.
    #[error("{0}")]
    Read(ReadError),
}

impl Source {
    /// An export as written on the command line or in `cutover.toml`: an `ldap://` or
    /// `ldaps://` URL names a directory (bound as `bind`, the DN and the `env:` reference of
    /// its password); anything else is a file, relative to `dir`.
    pub fn named(
        text: &str,
        dir: &Path,
        bind: Option<&(String, String)>,
    ) -> Result<Source, String> {
        if ldap::is_url(text) {
            Directory::parse(text, bind.cloned()).map(Source::Ldap)
        } else {
            Ok(Source::File(dir.join(text)))
        }
    }

    /// [`Source::named`] for a path given on the command line (relative to where it runs).
    pub fn from_arg(path: &Path, bind: Option<&(String, String)>) -> Result<Source, String> {
        match path.to_str() {
            Some(text) if ldap::is_url(text) => Source::named(text, Path::new(""), bind),
            _ => Ok(Source::File(path.to_path_buf())),
        }
    }

    /// How messages name it: the path, or the URL (which never holds a password).
    pub fn shown(&self) -> PathBuf {
        match self {
            Source::File(p) => p.clone(),
            Source::Ldap(d) => PathBuf::from(&d.url),
        }
    }

    /// The file, for what only a file has (its size, its bytes).
    pub fn file(&self) -> Option<&Path> {
        match self {
            Source::File(p) => Some(p),
            Source::Ldap(_) => None,
        }
    }

    /// Stream every row to `on_row(line, row)`: a file's rows by line, a directory's entries
    /// numbered from 1 in the order read. A directory's [`Streamed`] carries the digest of
    /// what was read.
    pub fn stream(
        &self,
        fields: &[Field],
        mut on_row: impl FnMut(u64, RowResult<'_>),
    ) -> Result<Streamed, Failed> {
        match self {
            Source::File(path) => {
                let file = std::fs::File::open(path).map_err(Failed::Open)?;
                rows::stream(BufReader::with_capacity(1 << 20, file), fields, on_row)
                    .map_err(Failed::Read)
            }
            Source::Ldap(dir) => {
                let read = ldap::entries(dir, fields, &mut on_row).map_err(Failed::Read)?;
                Ok(Streamed {
                    format: Format::Ldap,
                    used: read.used,
                    sha256: Some(read.sha256),
                })
            }
        }
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
    fn a_url_names_a_directory_and_anything_else_a_file() {
        let dir = Path::new("/proj");
        assert_eq!(
            Source::named("exports/u.ldif", dir, None),
            Ok(Source::File(PathBuf::from("/proj/exports/u.ldif")))
        );
        let bind = ("cn=reader,dc=x".to_string(), "env:LDAP_PW".to_string());
        let Ok(Source::Ldap(d)) = Source::named("ldap://127.0.0.1:1389/dc=x", dir, Some(&bind))
        else {
            panic!("a directory");
        };
        assert_eq!(d.bind, Some(bind));
        assert_eq!(
            Source::from_arg(Path::new("ldap://h:1/dc=x"), None).map(|s| s.shown()),
            Ok(PathBuf::from("ldap://h:1/dc=x"))
        );
        assert!(Source::named("ldap://h/dc=x??nowhere?", dir, None).is_err());
    }
}
