//! Why an action or a sample did not take effect, in words an operator can act on; the owner
//! turns each kind into a failed reply of its kind.

use crate::model::{Action, HookAction};
use crate::store::StoreError;

/// Why an action did not take effect.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("unknown segment '{}'; `cutover status` lists the segments of this project", crate::model::reading::shown(.0))]
    UnknownSegment(String),
    #[error("{action} {segment} refused: {reason}")]
    Refused {
        segment: String,
        action: Action,
        reason: String,
    },
    #[error("{segment}: {hook} hook failed (event {seq}): {detail}")]
    HookFailed {
        segment: String,
        hook: HookAction,
        seq: u64,
        detail: String,
    },
    /// Input a rule refuses before anything is recorded: a sample (`model::reading`), a
    /// reason or an actor (`model::log_rules`).
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<crate::model::reading::Broken> for EngineError {
    fn from(b: crate::model::reading::Broken) -> EngineError {
        EngineError::Invalid(b.0)
    }
}
