//! Plain-text and JSON renderings of status and the audit log for the terminal and scripts.

use crate::engine::status::ProjectStatus;
use crate::model::{Event, Shown};
use serde_json::{Value, json};
use std::fmt::Write;

fn pct(share: Option<f64>) -> String {
    share.map_or_else(|| "—".to_string(), |s| format!("{:.1} %", s * 100.0))
}

/// The acknowledgement line of one flushed event.
pub fn ack(event: &Event) -> String {
    event.ack_line()
}

/// `cutover status` as a table.
pub fn status(s: &ProjectStatus) -> String {
    let mut out = String::new();
    let route = match (&s.legacy, &s.target) {
        (Some(l), Some(t)) => format!(" · {l} → {t}"),
        _ => String::new(),
    };
    let _ = writeln!(
        out,
        "{}{route} · {} migrated",
        s.project,
        pct(s.migrated_share)
    );
    let _ = writeln!(
        out,
        "{:<16} {:<9} {:<16} {:>10} {:>9} {:>9} {:>7} {:<11} GATES",
        "SEGMENT", "STRATEGY", "PHASE", "SIZE", "MIGRATED", "PROJECTED", "Δ PTS", "FINISH"
    );
    for seg in &s.segments {
        let phase = match (&seg.pending_hook, &seg.hold) {
            (Some(h), _) => format!("{} ({h}…)", seg.phase),
            (None, Some(_)) => format!("{} (paused)", seg.phase),
            _ => seg.phase.to_string(),
        };
        let finish = match seg.phase {
            Shown::Done => Some("reached".to_string()),
            Shown::RolledBack | Shown::RollbackFailed => Some("—".to_string()),
            _ => None,
        };
        let finish = finish
            .or_else(|| {
                seg.projected_finish
                    .map(|f| f.format("%Y-%m-%d").to_string())
            })
            .or_else(|| seg.days_to_goal.map(|d| format!("~{d:.0} days")))
            .unwrap_or_else(|| {
                if seg.migrated_share.is_some() {
                    "never".into()
                } else {
                    "—".into()
                }
            });
        let _ = writeln!(
            out,
            "{:<16} {:<9} {:<16} {:>10} {:>9} {:>9} {:>7} {:<11} {}",
            seg.id,
            seg.strategy,
            phase,
            seg.size,
            pct(seg.migrated_share),
            pct(seg.projected_share),
            seg.deviation_points
                .map_or_else(|| "—".to_string(), |d| format!("{d:+.1}")),
            finish,
            seg.gates
        );
        if let Some(h) = &seg.hold {
            let _ = writeln!(out, "  ‖ paused: {h}");
        }
        if let Some(f) = &seg.last_failure {
            let _ = writeln!(out, "  ✗ {f}");
        }
    }
    out
}

/// One JSON object per event, in the `log --json` contract.
pub fn log_json(events: &[&Event]) -> Value {
    Value::Array(
        events
            .iter()
            .map(|ev| {
                let e = &ev.body;
                json!({
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
                })
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
