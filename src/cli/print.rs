//! Text and JSON renderings for the terminal and scripts: status, the audit log, polled
//! sources. Text is painted with the ANSI palette and must be printed through `anstream`,
//! which drops the colour when the stream is not a terminal or NO_COLOR is set; JSON is never
//! painted.

use crate::engine::status::ProjectStatus;
use crate::model::{Event, Outcome};
use crate::report::palette::{Palette, paint};
use crate::source::Polled;
use serde_json::{Value, json};
use std::fmt::Write;

/// The styles of the command line's text output.
pub const COLORS: Palette = Palette::ansi();

/// The acknowledgement line of one flushed event, painted by its outcome: a failed hook in danger, a refusal in warn.
pub fn ack_painted(event: &Event) -> String {
    let line = event.ack_line();
    match event.body.outcome {
        Outcome::Failed => paint(COLORS.danger, &line),
        Outcome::Refused => paint(COLORS.warn, &line),
        _ => line,
    }
}

/// `cutover status` as a painted table.
pub fn status(s: &ProjectStatus) -> String {
    crate::report::text::status_table_in(s, &COLORS)
}

/// One polled source as a line; a failure in danger.
pub fn polled(p: &Polled) -> String {
    match &p.result {
        Ok(v) => format!("{} {} = {v}", p.segment, p.metric),
        Err(e) => paint(
            COLORS.danger,
            &format!("{} {}: error: {e}", p.segment, p.metric),
        ),
    }
}

/// One polled source in the `poll --json` contract.
pub fn polled_json(p: &Polled) -> Value {
    json!({
        "segment": p.segment,
        "metric": p.metric,
        "at": p.at.to_rfc3339(),
        "ok": p.result.is_ok(),
        "value": p.result.as_ref().ok(),
        "error": p.result.as_ref().err().map(|e| &e.message),
        "kind": p.result.as_ref().err().map(|e| e.kind),
    })
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
                // Moves and reconciliations carry their counts (never an id or an email).
                if let Some(moved) = &e.moved {
                    line["moved"] = json!(moved);
                }
                if let Some(reconciled) = &e.reconciled {
                    line["reconciled"] = json!(reconciled);
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
            ack_painted(ev)
        );
        if let Some(r) = &e.reason {
            let _ = write!(out, " · reason: {r}");
        }
        out.push('\n');
    }
    out
}

/// Print `value` as indented JSON, streamed (a thousand segments in cutover make megabytes
/// of it). A reader that stops early (`| head`) is not an error.
pub fn json_streamed(value: &impl serde::Serialize) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    let written = serde_json::to_writer_pretty(&mut out, value)
        .map_err(std::io::Error::from)
        .and_then(|()| writeln!(out))
        .and_then(|()| out.flush());
    quiet_if_closed(written)
}

/// Print JSON text as it is, and a newline; a reader that stops early is not an error.
pub fn json_text(text: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    let written = out
        .write_all(text.as_bytes())
        .and_then(|()| out.write_all(b"\n"))
        .and_then(|()| out.flush());
    quiet_if_closed(written)
}

fn quiet_if_closed(written: std::io::Result<()>) -> std::io::Result<()> {
    match written {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e),
        _ => Ok(()),
    }
}
