//! The domain: phases, the phase machine, projections, verdicts and the audit-log fold.
//!
//! Pure code. This module imports nothing from storage, the outside world or the UI, so every
//! rule here is testable without I/O.

pub mod approval;
pub mod audit;
pub mod bgnbd;
pub mod change_control;
pub mod change_window;
pub mod criteria;
pub mod decommission;
pub mod event;
pub mod forecast;
pub mod gate;
pub mod log_rules;
pub mod machine;
pub mod moved;
pub mod notice;
pub mod phase;
pub mod prefs;
pub mod projection;
pub mod reading;
pub mod recency;
pub mod reconciled;
pub mod rollup;
pub mod series;
pub mod streak;

pub use event::{Event, Hold, NewEvent, Outcome, PendingHook, SegmentState};
pub use gate::{Status, Verdict};
pub use machine::{Decision, Facts, HookSet, Refusal, decide};
pub use phase::{Action, HookAction, Phase, PhaseShown};
pub use projection::{Cohort, LoginModel, Plan};
