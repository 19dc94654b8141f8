//! Plain-text and JSON renderings of status and the audit log for the terminal and scripts.

use crate::engine::status::ProjectStatus;
use crate::model::Event;
use serde_json::{Value, json};
use std::fmt::Write;

/// The acknowledgement line of one flushed event.
pub fn ack(event: &Event) -> String {
    event.ack_line()
}

/// `cutover status` as a table.
pub fn status(s: &ProjectStatus) -> String {
    crate::report::text::status_table(s)
}

/// One JSON object per event, in the `log --json` contract.
pub fn log_json(events: &[&Event]) -> Value {
    Value::Array(
        events
            .iter()
            .map(|ev| {
                let e = &ev.body;
                let mut line = json!({
                    "seq": ev.seq,
                    "at": e.at.to_rfc3339(),
                    "segment": e.segment,
                    "kind": e.kind.as_str(),
                    "from": e.from.map(|p| p.as_str()),
                    "to": e.to.map(|p| p.as_str()),
                    "actor": e.actor,
                    "reason": e.reason,
                    "outcome": e.outcome.as_str(),
                    "hook": e.hook.map(|h| h.as_str()),
                    "key": e.hook.map(|_| ev.hook_key()),
                    "detail": e.detail,
                });
                // Only adopt-fit events carry a plan: the mix that became the plan.
                if let Some(plan) = &e.plan {
                    line["plan"] = json!(plan);
                }
                // Check runs and advances from test carry each check's verdict; audits their
                // counts (no personal data: the audit holds none).
                if let Some(checks) = &e.checks {
                    line["checks"] = json!(checks);
                }
                if let Some(audit) = &e.audit {
                    line["audit"] = json!(audit);
                }
                line
            })
            .collect(),
    )
}

/// The audit log as text, oldest first.
pub fn log(events: &[&Event]) -> String {
    let mut out = String::new();
    for ev in events {
        let e = &ev.body;
        let _ = write!(
            out,
            "{:>5} {} {:<10} {}",
            ev.seq,
            e.at.format("%Y-%m-%d %H:%M:%S"),
            e.actor,
            ack(ev)
        );
        if let Some(r) = &e.reason {
            let _ = write!(out, " · reason: {r}");
        }
        out.push('\n');
    }
    out
}
