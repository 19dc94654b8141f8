//! What render needs, computed from the snapshot and the view state: the overview rows, the
//! detail's chart data (downsampled to the chart's width) and side panels, the log lines.
//!
//! Called by `update` whenever its inputs change, never by render. Pure: no I/O, no clock (the
//! model's `now` is the time).

use super::app::{DetailView, Model, Row, Screen, Tone};
pub use super::format::group_digits;
use super::format::{age, event_line, number, pct, spark};
use crate::engine::status::SegmentStatus;
use crate::engine::view::days_between;
use crate::model::projection::{LoginModel, Plan};
use crate::model::{HookAction, PhaseShown, series};
use chrono::{DateTime, Utc};

const SPINNER: [&str; 4] = ["◐", "◓", "◑", "◒"];

/// Recompute everything render needs from the snapshot and the view state.
pub fn derive(m: &mut Model) {
    derive_rows(m);
    if m.screen == Screen::Overview {
        let with_chart = super::view::overview_has_chart_room(m.width, m.height);
        m.glance = super::glance::derive(m, with_chart);
    }
    if m.screen == Screen::Detail {
        derive_detail(m);
    } else {
        m.detail = None;
    }
    if m.screen == Screen::Log {
        super::log_lines::derive(m);
    }
}

pub(super) fn matches_filter(filter: &str, fields: &[&str]) -> bool {
    if filter.is_empty() {
        return true;
    }
    let f = filter.to_lowercase();
    fields.iter().any(|s| s.to_lowercase().contains(&f))
}

pub(super) fn derive_rows(m: &mut Model) {
    let filter = m.segment_filter.active().to_string();
    let spinner = SPINNER[m.spinner % SPINNER.len()];
    let mut shown: Vec<&SegmentStatus> = m
        .snapshot
        .status
        .segments
        .iter()
        .filter(|s| {
            matches_filter(
                &filter,
                &[&s.id, &s.name, s.phase.as_str(), s.strategy.as_str()],
            )
        })
        .collect();
    super::order::sort(&mut shown, m.prefs.sort, m.prefs.group, m.now);
    m.rows = shown
        .into_iter()
        .map(|s| {
            let finish = s.finish().to_string();
            let badge = if let Some(p) = m.moving.get(&s.id) {
                Some((format!("{spinner} {}", super::moving::badge(p)), Tone::Warn))
            } else if let Some(action) = m.running.get(&s.id) {
                Some((format!("{spinner} {action}…"), Tone::Warn))
            } else if s.phase == PhaseShown::Cutover && !s.gates_ok {
                let streak = if s.guard_streak > 0 {
                    format!(" ×{}", s.guard_streak)
                } else {
                    String::new()
                };
                Some((format!("⚠ guard failing{streak}"), Tone::Danger))
            } else if s.phase == PhaseShown::RollbackFailed {
                Some(("✗ rollback failed · R".to_string(), Tone::Danger))
            } else if let Some(h) = s.pending_hook {
                // With the key that finishes it: R re-fires a rollback, a the others.
                let key = if h == HookAction::Rollback { "R" } else { "a" };
                Some((format!("⚠ {h} pending · {key}"), Tone::Warn))
            } else if s.hold.is_some() {
                Some(("‖ paused".to_string(), Tone::Warn))
            } else if s.behind {
                Some(("▼ behind".to_string(), Tone::Danger))
            } else if s.plateau.is_some() {
                Some(("▬ plateau".to_string(), Tone::Warn))
            } else {
                None
            };
            Row {
                id: s.id.clone(),
                name: s.name.clone(),
                strategy: s.strategy,
                phase: s.phase,
                phase_label: format!("● {}", s.phase),
                size: group_digits(s.size),
                migrated: pct(s.migrated_share),
                projected: pct(s.projected_share),
                deviation: s.deviation_points.map_or_else(
                    || "—".to_string(),
                    |d| format!("{}{:.1}", if d < 0.0 { "−" } else { "+" }, d.abs()),
                ),
                behind: s.behind,
                finish,
                finish_late: s.phase == PhaseShown::Cutover
                    && s.forecast.as_ref().is_some_and(|f| f.late),
                gates: s.gates.clone(),
                gates_fail: !s.gates_ok,
                badge,
                spark: spark(m.snapshot.series.get(&s.id)),
                alert: alerts(s).into_iter().next(),
            }
        })
        .collect();
    m.selected = m.selected.min(m.rows.len().saturating_sub(1));
    m.table_widths = super::view::table_widths(&m.rows, m.theme());
    let all = m.snapshot.status.segments.iter().flat_map(|s| &s.sources);
    let (mut ok, mut failing) = (0, 0);
    for s in all {
        if s.error.is_some() {
            failing += 1;
        } else if s.value.is_some() {
            ok += 1;
        }
    }
    m.sources_health = (ok, failing);
    // Segments in cutover that nothing guards, for the header: "eu unguarded since 18:03".
    let unguarded: Vec<String> = m
        .snapshot
        .status
        .segments
        .iter()
        .filter_map(|s| {
            let since = s.unguarded_since?;
            Some(format!(
                "{} unguarded since {}",
                s.id,
                since.format("%H:%M")
            ))
        })
        .collect();
    m.unguarded = (!unguarded.is_empty()).then(|| unguarded.join(", "));
}

fn chart_width(m: &Model) -> usize {
    // The chart takes ~62 % of the width, minus borders and the y-axis labels.
    (usize::from(m.width) * 62 / 100).saturating_sub(9).max(10)
}

fn curve(model: &Plan, x_max: f64, n: usize) -> Vec<(f64, f64)> {
    (0..=n)
        .map(|i| {
            let x = x_max * i as f64 / n as f64;
            (x, model.share(x) * 100.0)
        })
        .collect()
}

pub(super) fn derive_detail(m: &mut Model) {
    let Some(seg) = m.selected_status().cloned() else {
        m.detail = None;
        return;
    };
    let plan = m.plan(&seg.id).cloned();
    let empty = Vec::new();
    // The full chart once the owner sent it; the daily closes of the snapshot until then.
    let points = (m.chart.points_of(&seg.id))
        .filter(|p| !p.is_empty())
        .or_else(|| m.snapshot.series.get(&seg.id))
        .unwrap_or(&empty);
    let days = seg.days_in_cutover.unwrap_or(0.0);
    let finish_days = seg.days_to_goal;
    let forecast_days = seg.forecast.as_ref().and_then(|f| {
        let at = seg.cutover_at?;
        Some(days_between(at, f.finish?))
    });
    let x_max = {
        let want = forecast_days
            .or(finish_days)
            .unwrap_or(days)
            .max(days)
            .max(1.0);
        want.min((days * 4.0).max(60.0)) * 1.08
    };
    let width = chart_width(m);
    let actual: Vec<(f64, f64)> = series::min_max(points, 0.0, x_max, width)
        .into_iter()
        .map(|(x, y)| (x, y * 100.0))
        .collect();
    // The projection starts from the share already migrated at cutover (a re-cutover).
    let projected = plan.as_ref().and_then(|p| p.projection());
    let login = projected.as_ref().map(|p| p.model.clone());
    let (projection, mix) = match &projected {
        Some(
            mix @ Plan {
                model: LoginModel::Mix(_),
                start,
            },
        ) => {
            let single = Plan::new(LoginModel::Single(mix.model.effective_p()), *start);
            (curve(&single, x_max, width), Some(curve(mix, x_max, width)))
        }
        Some(model) => (curve(model, x_max, width), None),
        None => (Vec::new(), None),
    };
    let goal = seg.goal * 100.0;
    let finish_marker = finish_days
        .filter(|d| *d <= x_max)
        .map(|d| [(d, 0.0), (d, 100.0)]);
    let planned_p = login.as_ref().map(LoginModel::effective_p);
    let fit_line = match (planned_p, &seg.forecast) {
        (Some(p), Some(f)) => {
            let late = if f.late {
                " — after the deadline"
            } else {
                ""
            };
            let adopted = if seg.adopted_plan.is_some() {
                " (adopted fit)"
            } else {
                ""
            };
            format!(
                "P planned {p:.3}{adopted}; forecast {}{late} · F adopts it",
                f.describe()
            )
        }
        (Some(p), None) => format!("P planned {p:.3}; forecast — (two days of data needed)"),
        (None, _) => "no login model (bulk strategy)".to_string(),
    };
    // The range consistent with the data, as two edges of a band.
    let band = seg.forecast.as_ref().map(|f| {
        let edge = |pick: fn(&(f64, f64, f64)) -> f64| -> Vec<(f64, f64)> {
            f.band
                .iter()
                .filter(|b| b.0 <= x_max)
                .map(|b| (b.0, pick(b) * 100.0))
                .collect()
        };
        (edge(|b| b.1), edge(|b| b.2))
    });
    let since = seg
        .cutover_at
        .map(|at| {
            format!(
                " · cutover since {} (day {:.0})",
                at.format("%Y-%m-%d"),
                days.floor()
            )
        })
        .unwrap_or_default();
    let x_labels = [0.0, x_max / 2.0, x_max]
        .iter()
        .map(|d| format!("{d:.0}"))
        .collect();
    let events: Vec<String> = m
        .snapshot
        .events
        .iter()
        .rev()
        .filter(|e| e.body.segment == seg.id)
        .take(12)
        .map(event_line)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    m.detail = Some(DetailView {
        id: seg.id.clone(),
        title: format!("{} · {} · {}{since}", seg.id, seg.strategy, seg.phase),
        subtitle: format!(
            "{} · migrated {} · projected {} · goal {:.0} %",
            fit_line,
            pct(seg.migrated_share),
            pct(seg.projected_share),
            goal
        ),
        actual,
        projection,
        mix,
        goal_line: [(0.0, goal), (x_max, goal)],
        finish_marker,
        band,
        x_max,
        x_labels,
        fit_line,
        // The plan against the data: who the data says will not return, and what that costs;
        // in the warning colour when the data runs behind the plan. Said where it says
        // something: someone is expected never to return, or the data runs behind.
        churn_line: seg
            .forecast
            .as_ref()
            .and_then(|f| f.churn)
            .filter(|c| c.speaks())
            .map(|c| {
                let tone = if c.behind(1.0) {
                    Tone::Warn
                } else {
                    Tone::Info
                };
                let (never, day) = (c.never_line(), c.day_line());
                (
                    tone,
                    vec![
                        format!("↘ {never} · {day}"),
                        format!("↘ {} · {day}", c.never_short()),
                        format!("↘ {}", c.never_short()),
                    ],
                )
            }),
        gates: seg.criteria.clone(),
        checks: seg.checks.clone(),
        checks_at: seg.checks_at.map(|t| t.format("%m-%d %H:%M").to_string()),
        sources: source_lines(&seg, m.now),
        alerts: {
            let mut lines = alerts(&seg);
            lines.extend(super::moving::detail_lines(&seg, m.moving.get(&seg.id)));
            lines.extend(super::moving::delta_line(m.deltas.get(&seg.id)));
            lines
        },
        events,
    });
}

/// One line per source: last value and age, or the last error and its age.
fn source_lines(seg: &SegmentStatus, now: DateTime<Utc>) -> Vec<(Tone, String)> {
    seg.sources
        .iter()
        .map(|s| match (&s.error, s.value, s.at) {
            (Some(e), _, _) => (
                Tone::Danger,
                format!(
                    "✗ {} ({}): {e}{}",
                    s.metric,
                    s.kind,
                    s.error_at
                        .map(|t| format!(" · {} ago", age(now, t)))
                        .unwrap_or_default()
                ),
            ),
            (None, Some(v), Some(t)) => (
                Tone::Info,
                format!(
                    "• {} ({}): {} · {} ago",
                    s.metric,
                    s.kind,
                    number(v),
                    age(now, t)
                ),
            ),
            _ => (
                Tone::Warn,
                format!("? {} ({}): no sample yet", s.metric, s.kind),
            ),
        })
        .collect()
}

/// On the tick only the ages move: refresh the detail's source lines, not its chart.
pub(super) fn refresh_ages(m: &mut Model) {
    let Some(seg) = m.selected_status() else {
        return;
    };
    let lines = source_lines(seg, m.now);
    if let Some(d) = &mut m.detail {
        d.sources = lines;
    }
}

/// "login failure rate ≤ 2 %: 0.024 > 0.02; ...": the criteria failing now.
pub(super) fn failing_criteria(seg: &SegmentStatus) -> String {
    seg.criteria
        .iter()
        .filter(|v| !v.passes())
        .map(|v| format!("{}: {}", v.name, v.reason))
        .collect::<Vec<_>>()
        .join("; ")
}

/// The alarms of a segment, most urgent first.
fn alerts(seg: &SegmentStatus) -> Vec<(Tone, String)> {
    let mut out = Vec::new();
    if seg.phase == PhaseShown::Cutover && !seg.gates_ok {
        out.push((Tone::Danger, format!("⚠ guard: {}", failing_criteria(seg))));
    }
    if let Some(f) = &seg.last_failure {
        out.push((Tone::Danger, format!("✗ {f}")));
    }
    if let Some(p) = &seg.plateau {
        out.push((Tone::Warn, format!("▬ {p}")));
    }
    if let Some(h) = &seg.hold {
        out.push((Tone::Warn, format!("‖ paused: {h}")));
    }
    out
}
