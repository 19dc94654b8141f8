//! What validating a project file finds: each problem with its key path, and what is said of
//! it, with whether the value may be echoed beside it (a value that may be a secret never is).

use super::{KeyPath, Severity};

/// What validation found: (severity, where, what).
pub(super) type Found = Vec<(Severity, KeyPath, Said)>;

/// What is said of a key, and whether its value may be shown beside it: a value that may be
/// a secret (a key written in the file, a URL with a password) is never echoed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Said {
    pub text: String,
    pub hide_value: bool,
}

impl Said {
    /// Said of a value that must not be shown.
    pub fn hiding_value(text: impl Into<String>) -> Said {
        Said {
            text: text.into(),
            hide_value: true,
        }
    }
}

impl From<String> for Said {
    fn from(text: String) -> Said {
        Said {
            text,
            hide_value: false,
        }
    }
}

impl From<&str> for Said {
    fn from(text: &str) -> Said {
        Said::from(text.to_string())
    }
}
