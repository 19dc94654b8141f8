//! `[state]`: where a project's state lives. sled in the project folder is the default (one
//! machine); PostgreSQL is the team backend (several leads and a guard on several machines).
//!
//! ```toml
//! [state]
//! backend = "postgres"              # default "sled"
//! url = "env:CUTOVER_DATABASE_URL"  # only from the environment: it may hold a password
//! ```

use super::Severity;
use super::locate::KeyPath;
use super::validate::{Found, Said};
use serde::Deserialize;

/// `[state]` as written.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StateFile {
    pub backend: Option<String>,
    pub url: Option<String>,
}

/// Where the state lives, validated.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum StateBackend {
    /// The sled database in the local state folder.
    #[default]
    Sled,
    /// A PostgreSQL database; `url` is the `env:NAME` that holds its connection string.
    Postgres { url: String },
}

/// `[state] url` names an environment variable that is not set here.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "[state] url reads the environment variable {var}, which is not set; export it with the database's connection string (e.g. postgres://cutover@db.internal/cutover?sslmode=require)"
)]
pub struct UrlUnset {
    pub var: String,
}

impl StateBackend {
    /// The connection string, read from the environment now. `Err` names the variable and
    /// the fix.
    pub fn database_url(&self) -> Result<Option<String>, UrlUnset> {
        match self {
            StateBackend::Sled => Ok(None),
            StateBackend::Postgres { url } => crate::secret::resolve(url)
                .map(Some)
                .map_err(|u| UrlUnset { var: u.var }),
        }
    }
}

pub(super) fn validate(raw: &StateFile, root: &KeyPath, found: &mut Found) -> StateBackend {
    let at = root.clone().key("state");
    let mut err = |key: &str, msg: Said| {
        found.push((Severity::Error, at.clone().key(key), msg));
    };
    match raw.backend.as_deref().unwrap_or("sled") {
        "sled" => {
            if raw.url.is_some() {
                err(
                    "url",
                    "is only used with backend = \"postgres\"; remove it, or set the backend"
                        .into(),
                );
            }
            StateBackend::Sled
        }
        "postgres" => match raw.url.as_deref() {
            Some(url) if url.starts_with(crate::secret::PREFIX) && url.len() > 4 => {
                StateBackend::Postgres { url: url.into() }
            }
            Some(_) => {
                err(
                    "url",
                    Said::hiding_value(
                        "must reference the environment, e.g. \"env:CUTOVER_DATABASE_URL\"; a connection string holds a password, never write it in the file",
                    ),
                );
                StateBackend::Sled
            }
            None => {
                err(
                    "url",
                    "is required with backend = \"postgres\": url = \"env:CUTOVER_DATABASE_URL\""
                        .into(),
                );
                StateBackend::Sled
            }
        },
        other => {
            err(
                "backend",
                format!("'{other}' is not a backend: use \"sled\" (the default) or \"postgres\"")
                    .into(),
            );
            StateBackend::Sled
        }
    }
}
