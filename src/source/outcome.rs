//! What one poll of one source gives: the number, or why there is none. [`SourceError`] is
//! what went wrong, as the fetch saw it; [`PollError`] is what travels on (to the guard, the
//! log, `watch` and the protocol): its kind and the message, scrubbed of secrets.

use crate::secret;

/// The result of one poll of one source.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Polled {
    pub segment: String,
    pub metric: String,
    pub at: chrono::DateTime<chrono::Utc>,
    /// The number, or why there is none (secrets scrubbed).
    pub result: Result<f64, PollError>,
}

/// Why a poll gave no number: its kind (what a program reading `watch` or the protocol may
/// act on) and the message for the lead, scrubbed of the project's secrets.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, thiserror::Error)]
#[error("{message}")]
pub struct PollError {
    pub kind: PollFailure,
    pub message: String,
}

/// The kinds of [`PollError`]: one per [`SourceError`], and three the poller adds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PollFailure {
    Http,
    Connect,
    Timeout,
    TooLarge,
    Malformed,
    WrongType,
    Shards,
    Prometheus,
    Secret,
    Command,
    Request,
    Redirect,
    NotFinite,
    /// A number outside what the metric can be (a `migrated` count above the segment's size).
    OutOfRange,
    /// No HTTP client could be built on this machine.
    NoClient,
    /// The poll's task ended without a result.
    Crashed,
}

impl PollError {
    pub fn new(kind: PollFailure, message: impl Into<String>) -> PollError {
        PollError {
            kind,
            message: message.into(),
        }
    }
}

impl SourceError {
    /// Which kind of failure this is.
    pub fn kind(&self) -> PollFailure {
        match self {
            SourceError::Http { .. } => PollFailure::Http,
            SourceError::Connect(_) => PollFailure::Connect,
            SourceError::Timeout(_) => PollFailure::Timeout,
            SourceError::TooLarge(_) => PollFailure::TooLarge,
            SourceError::Malformed(_) => PollFailure::Malformed,
            SourceError::WrongType { .. } => PollFailure::WrongType,
            SourceError::Shards { .. } => PollFailure::Shards,
            SourceError::Prometheus(_) => PollFailure::Prometheus,
            SourceError::Secret(_) => PollFailure::Secret,
            SourceError::Command(_) => PollFailure::Command,
            SourceError::Request(_) => PollFailure::Request,
            SourceError::Redirect { .. } => PollFailure::Redirect,
            SourceError::NotFinite(_) => PollFailure::NotFinite,
        }
    }
}

/// Why a source gave no number.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SourceError {
    #[error("HTTP {status} from {url}: {snippet}")]
    Http {
        status: u16,
        url: String,
        snippet: String,
    },
    #[error("cannot connect to {0}")]
    Connect(String),
    #[error("no answer within {0}")]
    Timeout(String),
    #[error("response body over 1 MiB ({0} bytes) rejected")]
    TooLarge(u64),
    #[error("malformed response: {0}")]
    Malformed(String),
    #[error("wrong type: expected a number at {what}, got {got}")]
    WrongType { what: String, got: String },
    #[error("{failed} of {total} shards failed: the count would be short")]
    Shards { failed: u64, total: u64 },
    #[error("prometheus error {0}")]
    Prometheus(String),
    #[error("{0}")]
    Secret(#[from] secret::Unresolved),
    #[error("command failed: {0}")]
    Command(String),
    #[error("request failed: {0}")]
    Request(String),
    #[error(
        "{url} answered HTTP {status}, a redirect to '{location}': cutover follows no redirects (one could carry the key to another host, or to plain http); set url to the final address"
    )]
    Redirect {
        status: u16,
        url: String,
        location: String,
    },
    #[error("not a number: {0} (NaN and infinities are never readings)")]
    NotFinite(String),
}
