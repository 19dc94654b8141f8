//! The source kinds as types: one variant per kind of `[segments.sources.NAME]`, each holding
//! exactly the keys that kind is asked with, present and not blank once validated. Adding a
//! kind is one variant here (and its name in `file.rs`'s `SourceKind`): every `match` over
//! [`SourceRequest`] then fails to compile until it learns the new kind (the request in
//! `source/mod.rs`, how its key travels, where its number is).

use super::SourceFile;
pub use super::file::SourceKind;

/// How a source is asked for its number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceRequest {
    /// `GET {url}/api/user/search?queryString=…`, `total`.
    FusionAuth { url: String, query: String },
    /// `GET {url}/{index}/_count?q=…`, `count` (every shard answered).
    Elasticsearch {
        url: String,
        index: String,
        query: String,
    },
    /// As Elasticsearch.
    OpenSearch {
        url: String,
        index: String,
        query: String,
    },
    /// `GET {url}/admin/realms/{realm}/users/count?q=…`, a bare number.
    Keycloak {
        url: String,
        realm: String,
        query: String,
    },
    /// `GET {url}/api/v2/users?q=…&include_totals=true&per_page=0`, `total`.
    Auth0 { url: String, query: String },
    /// `GET {url}/api/v1/query?query=…`, one vector sample or a scalar.
    Prometheus { url: String, query: String },
    /// `GET {url}`, the number at a JSON pointer.
    Json { url: String, pointer: String },
    /// A program (argv, no shell): the number it prints.
    Command { argv: Vec<String> },
    /// `GET {url}/users/count` of a SuperTokens core (a tenant's: `url` ending in its path),
    /// `count` of `{"status": "OK", "count": …}`.
    SuperTokens { url: String },
    /// The segment's canaries logging in on its move's target (`probe`, filled once the
    /// segment is validated: see `config::canaries`).
    Canary {
        measure: super::canaries::Measure,
        probe: Option<Box<super::canaries::CanaryProbe>>,
    },
    /// Legacy users of the segment's live export created or changed since `since`: the
    /// export is filled once the project is validated (`config::drift`), the moment as the
    /// segment's log folds in.
    Drift {
        since: crate::export::drift::Since,
        modified: Option<String>,
        export: Option<Box<crate::export::Source>>,
        moment: crate::export::drift::Moment,
    },
}

/// How a kind's `api_key` goes with its request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyStyle {
    /// `Authorization: <key>` (FusionAuth).
    Raw,
    /// `Authorization: ApiKey <key>` (Elasticsearch, OpenSearch).
    ApiKey,
    /// `Authorization: Bearer <key>`.
    Bearer,
    /// A header of its own: `<name>: <key>` (SuperTokens' `api-key`).
    Header(&'static str),
    /// No HTTP request: the key, if any, is the program's business.
    None,
}

impl SourceRequest {
    /// The kind's name, as the project file writes it.
    pub fn kind(&self) -> SourceKind {
        match self {
            SourceRequest::FusionAuth { .. } => SourceKind::FusionAuth,
            SourceRequest::Elasticsearch { .. } => SourceKind::Elasticsearch,
            SourceRequest::OpenSearch { .. } => SourceKind::OpenSearch,
            SourceRequest::Keycloak { .. } => SourceKind::Keycloak,
            SourceRequest::Auth0 { .. } => SourceKind::Auth0,
            SourceRequest::Prometheus { .. } => SourceKind::Prometheus,
            SourceRequest::Json { .. } => SourceKind::Json,
            SourceRequest::Command { .. } => SourceKind::Command,
            SourceRequest::SuperTokens { .. } => SourceKind::SuperTokens,
            SourceRequest::Canary { .. } => SourceKind::Canary,
            SourceRequest::Drift { .. } => SourceKind::Drift,
        }
    }

    /// How its `api_key` is sent.
    pub fn key_style(&self) -> KeyStyle {
        match self {
            SourceRequest::FusionAuth { .. } => KeyStyle::Raw,
            SourceRequest::Elasticsearch { .. } | SourceRequest::OpenSearch { .. } => {
                KeyStyle::ApiKey
            }
            SourceRequest::Keycloak { .. }
            | SourceRequest::Auth0 { .. }
            | SourceRequest::Prometheus { .. }
            | SourceRequest::Json { .. } => KeyStyle::Bearer,
            SourceRequest::SuperTokens { .. } => KeyStyle::Header("api-key"),
            SourceRequest::Command { .. }
            | SourceRequest::Canary { .. }
            | SourceRequest::Drift { .. } => KeyStyle::None,
        }
    }

    /// The kind's request from the file's table, or each key it misses (blank counts as
    /// missing), by name.
    pub(super) fn from_file(s: &SourceFile) -> Result<SourceRequest, Vec<&'static str>> {
        let mut missing = Vec::new();
        let mut need = |field: &'static str, value: &Option<String>| -> String {
            match value.as_deref().map(str::trim) {
                Some(v) if !v.is_empty() => value.clone().unwrap_or_default(),
                _ => {
                    missing.push(field);
                    String::new()
                }
            }
        };
        let request = match s.kind {
            SourceKind::FusionAuth => SourceRequest::FusionAuth {
                url: need("url", &s.url),
                query: need("query", &s.query),
            },
            SourceKind::Elasticsearch => SourceRequest::Elasticsearch {
                url: need("url", &s.url),
                index: need("index", &s.index),
                query: need("query", &s.query),
            },
            SourceKind::OpenSearch => SourceRequest::OpenSearch {
                url: need("url", &s.url),
                index: need("index", &s.index),
                query: need("query", &s.query),
            },
            SourceKind::Keycloak => SourceRequest::Keycloak {
                url: need("url", &s.url),
                realm: need("realm", &s.realm),
                query: need("query", &s.query),
            },
            SourceKind::Auth0 => SourceRequest::Auth0 {
                url: need("url", &s.url),
                query: need("query", &s.query),
            },
            SourceKind::Prometheus => SourceRequest::Prometheus {
                url: need("url", &s.url),
                query: need("query", &s.query),
            },
            SourceKind::Json => SourceRequest::Json {
                url: need("url", &s.url),
                pointer: need("pointer", &s.pointer),
            },
            SourceKind::Command => SourceRequest::Command {
                argv: s.command.clone().unwrap_or_default(),
            },
            SourceKind::SuperTokens => SourceRequest::SuperTokens {
                url: need("url", &s.url),
            },
            // A `since` that does not parse is reported by `validate_outside::source`.
            SourceKind::Drift => SourceRequest::Drift {
                since: s
                    .since
                    .as_deref()
                    .map_or(
                        Ok(crate::export::drift::Since::Move),
                        crate::export::drift::Since::parse,
                    )
                    .unwrap_or(crate::export::drift::Since::Move),
                modified: s.modified.clone(),
                export: None,
                moment: Default::default(),
            },
            SourceKind::Canary => SourceRequest::Canary {
                measure: match s.measure.as_deref() {
                    Some("latency") => super::canaries::Measure::Latency,
                    _ => super::canaries::Measure::Success,
                },
                probe: None,
            },
        };
        if missing.is_empty() {
            Ok(request)
        } else {
            Err(missing)
        }
    }
}
