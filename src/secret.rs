//! Secrets referenced from the environment (`env:NAME`), resolved only at the moment of use.
//!
//! Nothing here stores a resolved value: callers use it for one request and drop it. The
//! [`Redactor`] scrubs resolved values out of any text (hook output, error messages) before it
//! reaches the audit log, a log file or the screen.

/// The prefix that marks a value as a reference to an environment variable.
pub const PREFIX: &str = "env:";

/// A reference that could not be resolved.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "environment variable {var} (referenced as 'env:{var}') is not set; export it before running cutover"
)]
pub struct Unresolved {
    pub var: String,
}

/// Resolve `env:NAME` from the environment; any other value is returned as written.
pub fn resolve(value: &str) -> Result<String, Unresolved> {
    match value.strip_prefix(PREFIX) {
        Some(var) => std::env::var(var).map_err(|_| Unresolved {
            var: var.to_string(),
        }),
        None => Ok(value.to_string()),
    }
}

/// Replaces the current values of referenced environment variables with `***`.
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    values: Vec<String>,
}

impl Redactor {
    /// A redactor for these references (`env:NAME`; other entries are ignored).
    pub fn new<'a>(refs: impl IntoIterator<Item = &'a String>) -> Self {
        let mut values: Vec<String> = refs
            .into_iter()
            .filter_map(|r| r.strip_prefix(PREFIX))
            .filter_map(|var| std::env::var(var).ok())
            .filter(|v| v.len() >= 4)
            .collect();
        // Longest first, so a value containing another is replaced whole.
        values.sort_by_key(|v| std::cmp::Reverse(v.len()));
        values.dedup();
        Redactor { values }
    }

    /// Whether there is nothing to mask.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// The first `max_chars` characters of `text`, masked first and cut after, so a secret
    /// that straddles the cut cannot leave its beginning behind.
    pub fn clip(&self, text: &str, max_chars: usize) -> String {
        let margin = self.values.first().map_or(0, |v| v.chars().count());
        let window: String = text.chars().take(max_chars + margin).collect();
        self.scrub(&window).chars().take(max_chars).collect()
    }

    pub fn scrub(&self, text: &str) -> String {
        let mut out = text.to_string();
        for v in &self.values {
            out = out.replace(v.as_str(), "***");
        }
        out
    }
}
