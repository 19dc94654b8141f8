//! `cutover status` as a text table: what the command prints (painted; its stream decides
//! whether colour shows) and the demo's summary (plain).

use super::palette::{Palette, paint};
use crate::engine::status::ProjectStatus;
use crate::model::PhaseShown;
use std::fmt::Write;

fn pct(share: Option<f64>) -> String {
    share.map_or_else(|| "—".to_string(), |s| format!("{:.1} %", s * 100.0))
}

/// `cutover status` as a plain table.
pub fn status_table(s: &ProjectStatus) -> String {
    status_table_in(s, &Palette::plain())
}

/// `cutover status` as a table painted with `colors`: phases in their colours, a segment
/// behind its projection and failures in danger, warnings in warn.
pub fn status_table_in(s: &ProjectStatus, colors: &Palette) -> String {
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
    if let Some(team) = &s.team {
        let guard = team.guard.as_deref().map_or_else(
            || {
                paint(
                    colors.warn,
                    "⚠ no process guards it: start `cutover watch` on a machine that stays up",
                )
            },
            |g| format!("guarded by {g}"),
        );
        let _ = writeln!(out, "state: {} · {guard}", team.state);
    }
    if let Some(d) = &s.decommission {
        let tone = if d.ready { colors.ok } else { colors.warn };
        let _ = writeln!(out, "{}", paint(tone, &d.line()));
    }
    // Change control: the windows as they stand, then each request waiting for approval,
    // with the command that decides it.
    if !s.windows.is_empty() {
        let lines: Vec<String> = s.windows.iter().map(|w| w.line()).collect();
        let tone = if s.windows.iter().all(|w| w.open) {
            colors.ok
        } else {
            colors.warn
        };
        let _ = writeln!(
            out,
            "{}",
            paint(tone, &format!("windows: {}", lines.join("; ")))
        );
    }
    for a in &s.approvals {
        let line = format!(
            "⧗ request #{}: {} asks to run {} on {} ({} approved so far; expires {}): `cutover approve {}` or `cutover reject {} --reason …`",
            a.id,
            a.requested_by,
            a.action,
            a.segment,
            a.approved_by.len(),
            a.expires.format("%Y-%m-%d %H:%M UTC"),
            a.id,
            a.id
        );
        let _ = writeln!(out, "{}", paint(colors.warn, &line));
    }
    for f in &s.notify_failing {
        let line = format!(
            "⚠ notifications to '{}' fail since {} ({} waiting): {}; `cutover notify test {}` checks it",
            f.sink,
            f.since.format("%Y-%m-%d %H:%M:%S UTC"),
            f.pending,
            f.error,
            f.sink
        );
        let _ = writeln!(out, "{}", paint(colors.warn, &line));
    }
    if let Some(since) = s.state_unreachable_since {
        let line = format!(
            "⚠ state database unreachable since {}: shown as of then; actions are refused until it answers",
            since.format("%Y-%m-%d %H:%M:%S UTC")
        );
        let _ = writeln!(out, "{}", paint(colors.warn, &line));
    }
    let header = format!(
        "{:<16} {:<9} {:<16} {:>10} {:>9} {:>9} {:>7} {:<11} GATES",
        "SEGMENT", "STRATEGY", "PHASE", "SIZE", "MIGRATED", "PROJECTED", "Δ PTS", "FINISH"
    );
    let _ = writeln!(out, "{}", paint(colors.header, &header));
    for seg in &s.segments {
        let phase = match (&seg.pending_hook, &seg.hold) {
            (Some(h), _) => format!("{} ({h}…)", seg.phase),
            (None, Some(_)) => format!("{} (paused)", seg.phase),
            _ => seg.phase.to_string(),
        };
        let finish = seg.planned_finish().to_string();
        // Padded first, then painted: the escapes have no width.
        let phase = paint(colors.phase(seg.phase), &format!("{phase:<16}"));
        let deviation = format!(
            "{:>7}",
            seg.deviation_points
                .map_or_else(|| "—".to_string(), |d| format!("{d:+.1}"))
        );
        let deviation = if seg.behind {
            paint(colors.danger, &deviation)
        } else {
            deviation
        };
        // Gates decide in gate: green when they would let the segment through, else red.
        let gates = match (seg.phase, seg.gates_ok) {
            (PhaseShown::Gate, true) => paint(colors.ok, &seg.gates),
            (PhaseShown::Gate, false) => paint(colors.danger, &seg.gates),
            _ => seg.gates.clone(),
        };
        let _ = writeln!(
            out,
            "{:<16} {:<9} {phase} {:>10} {:>9} {:>9} {deviation} {:<11} {gates}",
            seg.id,
            seg.strategy,
            seg.size,
            pct(seg.migrated_share),
            pct(seg.projected_share),
            finish,
        );
        if let Some(h) = &seg.hold {
            let _ = writeln!(out, "{}", paint(colors.warn, &format!("  ‖ paused: {h}")));
        }
        if let Some(since) = seg.unguarded_since {
            let line = format!(
                "  ⚠ unguarded since {}: nothing polls or guards it; run `cutover watch` on a machine that stays up",
                since.format("%Y-%m-%d %H:%M:%S UTC")
            );
            let _ = writeln!(out, "{}", paint(colors.danger, &line));
        }
        if let Some(line) = move_line(seg) {
            let line = format!("  ⇢ {line}");
            if line.contains("incomplete") {
                let _ = writeln!(out, "{}", paint(colors.warn, &line));
            } else {
                let _ = writeln!(out, "{line}");
            }
        }
        // Said only where the data runs behind the plan: the lead has a reason to look.
        if let Some(c) = seg.forecast.as_ref().and_then(|f| f.churn)
            && c.behind(1.0)
        {
            let line = format!("  ↘ {}; {}", c.never_line(), c.day_line());
            let _ = writeln!(out, "{}", paint(colors.warn, &line));
        }
        if !seg.checks.is_empty() {
            let when = seg.checks_at.map_or_else(
                || "never run".to_string(),
                |t| format!("ran {}", t.format("%Y-%m-%d %H:%M")),
            );
            let _ = write!(
                out,
                "  checks {} ({when})",
                crate::model::gate::summary(&seg.checks)
            );
            match crate::model::gate::blockers(&seg.checks) {
                Some(why) => {
                    let _ = writeln!(out, ": {}", paint(colors.danger, &why));
                }
                None => out.push('\n'),
            }
        }
        if let Some(f) = &seg.last_failure {
            let _ = writeln!(out, "{}", paint(colors.danger, &format!("  ✗ {f}")));
        }
    }
    out
}

/// A segment's move in one line: incomplete (with why), done (its counts), or the real
/// move's prediction from the rehearsal.
pub fn move_line(seg: &crate::engine::status::SegmentStatus) -> Option<String> {
    if let Some(why) = seg
        .last_failure
        .as_deref()
        .filter(|f| f.contains("move incomplete") && seg.phase == PhaseShown::Gate)
    {
        return Some(format!("{why}; advance again to resume it"));
    }
    let m = seg.moving.as_ref()?;
    match (&m.real, &m.prediction) {
        (Some(r), _) => Some(format!(
            "move {}: {} created, {} already there, {} skipped, {} failed",
            r.state,
            r.created,
            r.already_present,
            r.skipped.values().sum::<u64>(),
            r.failed.values().sum::<u64>()
        )),
        (None, Some(p)) => Some(format!("move predicted from the rehearsal: {p}")),
        (None, None) => {
            Some("move not rehearsed yet: cutover move SEGMENT --rehearse (in test)".into())
        }
    }
}
