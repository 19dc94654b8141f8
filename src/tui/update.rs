//! The cockpit's state changes: `update(&mut Model, Input) -> Vec<Effect>`, pure.
//!
//! No I/O, no clock, no terminal: keys arrive as [`Input::Key`], engine results as messages,
//! and everything the world must do comes back as an [`Effect`] for the driver. `derive`
//! recomputes what render needs (rows, chart data, log lines) whenever the inputs change.

use super::app::{DetailView, Dialog, Model, Row, Screen, Snapshot, Tone};
use super::keys::{Mode, UiAction, action_for};
use crate::engine::status::SegmentStatus;
use crate::model::projection::{self, LoginModel};
use crate::model::{Action, Event, HookAction, Outcome, Phase, series};
use chrono::{DateTime, Duration, Utc};
use crossterm::event::KeyEvent;

/// Something that happened.
#[derive(Debug, Clone)]
pub enum Input {
    Key(KeyEvent),
    /// The slow tick: relative times and the spinner move on.
    Tick(DateTime<Utc>),
    Resize(u16, u16),
    Refreshed(Box<Snapshot>),
    HookStarted {
        segment: String,
        action: HookAction,
    },
    HookFinished {
        segment: String,
        action: HookAction,
        ok: bool,
        detail: String,
    },
    /// Fresh status (and series) of some segments, after polled samples.
    SegmentsUpdated {
        statuses: Vec<crate::engine::status::SegmentStatus>,
        series: Vec<(String, Vec<(f64, f64)>)>,
    },
    /// A message for the status line (an outcome, a refusal, an error).
    Notice(Tone, String),
}

/// Something the driver must do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Run an action through the engine (the same path as the headless commands).
    Apply {
        segment: String,
        action: Action,
        reason: Option<String>,
    },
    Quit,
}

const SPINNER: [&str; 4] = ["◐", "◓", "◑", "◒"];
const SPARK: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// The input mode the model is in.
pub fn mode(m: &Model) -> Mode {
    if let Some(d) = &m.dialog {
        Mode::Dialog {
            text: d.takes_text(),
        }
    } else if m.help {
        Mode::Help
    } else if m.filter_input.is_some() {
        Mode::Filter
    } else {
        Mode::Normal(m.screen)
    }
}

/// Apply one input to the model.
pub fn update(m: &mut Model, input: Input) -> Vec<Effect> {
    match input {
        Input::Key(key) => {
            m.keys_seen += 1;
            match action_for(mode(m), key) {
                Some(action) => on_action(m, action),
                None => Vec::new(),
            }
        }
        Input::Tick(now) => {
            m.now = now;
            m.spinner = m.spinner.wrapping_add(1);
            if !m.running.is_empty() {
                derive_rows(m);
            }
            if m.screen == Screen::Detail {
                derive_detail(m);
            }
            Vec::new()
        }
        Input::Resize(w, h) => {
            m.width = w;
            m.height = h;
            derive(m);
            Vec::new()
        }
        Input::Refreshed(snapshot) => {
            let keep = m.rows.get(m.selected).map(|r| r.id.clone());
            m.snapshot = *snapshot;
            derive(m);
            if let Some(id) = keep
                && let Some(i) = m.rows.iter().position(|r| r.id == id)
            {
                m.selected = i;
                derive(m);
            }
            Vec::new()
        }
        Input::HookStarted { segment, action } => {
            m.status_line = Some((Tone::Warn, format!("{segment}: {action} hook running…")));
            m.running.insert(segment, action);
            derive_rows(m);
            Vec::new()
        }
        Input::HookFinished {
            segment,
            action,
            ok,
            detail,
        } => {
            m.running.remove(&segment);
            m.status_line = Some(if ok {
                (
                    Tone::Ok,
                    format!("{segment}: {action} hook succeeded — {detail}"),
                )
            } else {
                (
                    Tone::Danger,
                    format!("{segment}: {action} hook FAILED — {detail}"),
                )
            });
            derive_rows(m);
            Vec::new()
        }
        Input::SegmentsUpdated { statuses, series } => {
            for s in statuses {
                if let Some(slot) = m.snapshot.status.segments.iter_mut().find(|x| x.id == s.id) {
                    *slot = s;
                }
            }
            for (id, points) in series {
                m.snapshot.series.insert(id, points);
            }
            m.snapshot.status.migrated_share =
                crate::engine::status::weighted_share(&m.snapshot.status.segments);
            derive(m);
            Vec::new()
        }
        Input::Notice(tone, text) => {
            m.status_line = Some((tone, text));
            Vec::new()
        }
    }
}

fn selected_id(m: &Model) -> Option<String> {
    m.rows.get(m.selected).map(|r| r.id.clone())
}

fn on_action(m: &mut Model, action: UiAction) -> Vec<Effect> {
    if m.dialog.is_some() {
        return on_dialog(m, action);
    }
    if m.help {
        if action == UiAction::Back {
            m.help = false;
        } else if action == UiAction::Quit {
            return quit(m);
        }
        return Vec::new();
    }
    if let Some(input) = &mut m.filter_input {
        match action {
            UiAction::Char(c) => input.push(c),
            UiAction::Backspace => {
                input.pop();
            }
            UiAction::Confirm => {
                m.filter = m.filter_input.take().unwrap_or_default();
            }
            UiAction::Cancel => {
                m.filter_input = None;
                m.filter.clear();
            }
            UiAction::Quit => return quit(m),
            _ => {}
        }
        m.selected = 0;
        derive(m);
        return Vec::new();
    }
    match action {
        UiAction::Up
        | UiAction::Down
        | UiAction::PageUp
        | UiAction::PageDown
        | UiAction::Top
        | UiAction::Bottom => {
            navigate(m, action);
        }
        UiAction::Open => {
            if !m.rows.is_empty() {
                m.screen = Screen::Detail;
                derive(m);
            }
        }
        UiAction::Back => {
            if m.screen == Screen::Overview {
                if !m.filter.is_empty() {
                    m.filter.clear();
                    derive(m);
                }
            } else {
                m.screen = Screen::Overview;
                derive(m);
            }
        }
        UiAction::NextScreen => {
            m.screen = m.screen.next();
            if m.screen == Screen::Detail && m.rows.is_empty() {
                m.screen = Screen::Log;
            }
            m.log_scroll_from_bottom = 0;
            derive(m);
        }
        UiAction::StartFilter => m.filter_input = Some(m.filter.clone()),
        UiAction::NextTheme => {
            m.theme = (m.theme + 1) % m.themes.len();
            m.status_line = Some((Tone::Info, format!("theme: {}", m.theme().name)));
        }
        UiAction::Help => m.help = true,
        UiAction::Quit => return quit(m),
        UiAction::Advance => return advance(m),
        UiAction::RollBack => return roll_back(m),
        UiAction::RetryRollBack => return retry(m),
        UiAction::PauseOrResume => return pause_or_resume(m),
        UiAction::Char(_) | UiAction::Backspace | UiAction::Confirm | UiAction::Cancel => {}
    }
    Vec::new()
}

fn quit(m: &mut Model) -> Vec<Effect> {
    if m.running.is_empty() {
        m.quit = true;
        return vec![Effect::Quit];
    }
    m.dialog = Some(Dialog::Quit {
        running: m
            .running
            .iter()
            .map(|(s, a)| format!("{s}: {a} hook"))
            .collect(),
    });
    Vec::new()
}

fn navigate(m: &mut Model, action: UiAction) {
    let page = usize::from(m.height.saturating_sub(8)).max(1);
    if m.screen == Screen::Log {
        let s = &mut m.log_scroll_from_bottom;
        let max = m.log_lines.len().saturating_sub(1);
        *s = match action {
            UiAction::Up => (*s + 1).min(max),
            UiAction::Down => s.saturating_sub(1),
            UiAction::PageUp => (*s + page).min(max),
            UiAction::PageDown => s.saturating_sub(page),
            UiAction::Top => max,
            _ => 0,
        };
        return;
    }
    let last = m.rows.len().saturating_sub(1);
    m.selected = match action {
        UiAction::Up => m.selected.saturating_sub(1),
        UiAction::Down => (m.selected + 1).min(last),
        UiAction::PageUp => m.selected.saturating_sub(page),
        UiAction::PageDown => (m.selected + page).min(last),
        UiAction::Top => 0,
        _ => last,
    };
    if m.screen == Screen::Detail {
        derive_detail(m);
    }
}

fn hook_line(what: Option<&String>, hook: HookAction) -> String {
    match what {
        Some(d) => format!("fires the {hook} hook: {d}"),
        None => format!("no {hook} hook is configured: only the phase changes"),
    }
}

fn advance(m: &mut Model) -> Vec<Effect> {
    let Some(id) = selected_id(m) else {
        return Vec::new();
    };
    let Some(seg) = m.selected_status() else {
        return Vec::new();
    };
    let from = match seg.phase {
        "plan" => Phase::Plan,
        "test" => Phase::Test,
        "gate" => Phase::Gate,
        "cutover" => Phase::Cutover,
        // done, rolled-back, rollback-failed: let the machine say why not.
        _ => {
            return vec![Effect::Apply {
                segment: id,
                action: Action::Advance,
                reason: None,
            }];
        }
    };
    let to = from.next().unwrap_or(from);
    let plan = m.plan(&id);
    let mut lines = vec![format!("{from} → {to}")];
    match from {
        Phase::Gate => lines.push(hook_line(
            plan.and_then(|p| p.cutover_hook.as_ref()),
            HookAction::Cutover,
        )),
        Phase::Cutover => lines.push(hook_line(
            plan.and_then(|p| p.done_hook.as_ref()),
            HookAction::Done,
        )),
        _ => lines.push("no hook fires".to_string()),
    }
    m.dialog = Some(Dialog::Confirm {
        segment: id.clone(),
        action: Action::Advance,
        title: format!("Advance {id}?"),
        lines,
        danger: false,
        reason: None,
        reason_required: false,
    });
    Vec::new()
}

fn roll_back(m: &mut Model) -> Vec<Effect> {
    let Some(id) = selected_id(m) else {
        return Vec::new();
    };
    let Some(seg) = m.selected_status() else {
        return Vec::new();
    };
    if seg.phase == "rollback-failed" {
        m.status_line = Some((
            Tone::Danger,
            format!("{id}: the rollback failed; press R to retry it with the same key"),
        ));
        return Vec::new();
    }
    if matches!(seg.phase, "plan" | "rolled-back") || seg.pending_hook == Some("rollback") {
        // Let the machine say why not, in its own words.
        return vec![Effect::Apply {
            segment: id,
            action: Action::RollBack,
            reason: None,
        }];
    }
    let hook = m.plan(&id).and_then(|p| p.rollback_hook.as_ref());
    m.dialog = Some(Dialog::Confirm {
        segment: id.clone(),
        action: Action::RollBack,
        title: format!("Roll back {id}?"),
        lines: vec![
            format!("{} → rolled-back", seg.phase),
            hook_line(hook, HookAction::Rollback),
        ],
        danger: true,
        reason: Some(String::new()),
        reason_required: true,
    });
    Vec::new()
}

fn retry(m: &mut Model) -> Vec<Effect> {
    let Some(id) = selected_id(m) else {
        return Vec::new();
    };
    let Some(seg) = m.selected_status() else {
        return Vec::new();
    };
    if seg.phase != "rollback-failed" && seg.pending_hook != Some("rollback") {
        m.status_line = Some((
            Tone::Info,
            format!("{id}: no failed or unfinished rollback to retry"),
        ));
        return Vec::new();
    }
    let hook = m.plan(&id).and_then(|p| p.rollback_hook.as_ref());
    m.dialog = Some(Dialog::Confirm {
        segment: id.clone(),
        action: Action::RetryRollBack,
        title: format!("Retry the rollback of {id}?"),
        lines: vec![
            "re-fires with the same idempotency key".to_string(),
            hook_line(hook, HookAction::Rollback),
        ],
        danger: true,
        reason: None,
        reason_required: false,
    });
    Vec::new()
}

fn pause_or_resume(m: &mut Model) -> Vec<Effect> {
    let Some(id) = selected_id(m) else {
        return Vec::new();
    };
    let Some(seg) = m.selected_status() else {
        return Vec::new();
    };
    if seg.hold.is_some() {
        return vec![Effect::Apply {
            segment: id,
            action: Action::Resume,
            reason: None,
        }];
    }
    m.dialog = Some(Dialog::Confirm {
        segment: id.clone(),
        action: Action::Pause,
        title: format!("Pause {id}?"),
        lines: vec![
            "blocks every advance until resumed (p again)".to_string(),
            "rollback stays allowed; no hook fires".to_string(),
        ],
        danger: false,
        reason: Some(String::new()),
        reason_required: true,
    });
    Vec::new()
}

fn on_dialog(m: &mut Model, action: UiAction) -> Vec<Effect> {
    let Some(dialog) = &mut m.dialog else {
        return Vec::new();
    };
    match (dialog, action) {
        (_, UiAction::Cancel) => {
            m.dialog = None;
            m.status_line = Some((Tone::Info, "cancelled".to_string()));
        }
        (Dialog::Quit { .. }, UiAction::Confirm | UiAction::Quit) => {
            m.dialog = None;
            m.quit = true;
            return vec![Effect::Quit];
        }
        (
            Dialog::Confirm {
                reason: Some(r), ..
            },
            UiAction::Char(c),
        ) => r.push(c),
        (
            Dialog::Confirm {
                reason: Some(r), ..
            },
            UiAction::Backspace,
        ) => {
            r.pop();
        }
        (
            Dialog::Confirm {
                segment,
                action,
                reason,
                reason_required,
                ..
            },
            UiAction::Confirm,
        ) => {
            let reason = reason
                .as_ref()
                .map(|r| r.trim().to_string())
                .filter(|r| !r.is_empty());
            if *reason_required && reason.is_none() {
                m.status_line = Some((
                    Tone::Warn,
                    "type a reason first (it goes in the audit log)".to_string(),
                ));
                return Vec::new();
            }
            let effect = Effect::Apply {
                segment: segment.clone(),
                action: *action,
                reason,
            };
            m.dialog = None;
            return vec![effect];
        }
        (_, UiAction::Quit) => return quit_from_dialog(m),
        _ => {}
    }
    Vec::new()
}

fn quit_from_dialog(m: &mut Model) -> Vec<Effect> {
    m.dialog = None;
    quit(m)
}

/// Recompute everything render needs from the snapshot and the view state.
pub fn derive(m: &mut Model) {
    derive_rows(m);
    if m.screen == Screen::Detail {
        derive_detail(m);
    } else {
        m.detail = None;
    }
    if m.screen == Screen::Log {
        derive_log(m);
    }
}

fn matches_filter(filter: &str, fields: &[&str]) -> bool {
    if filter.is_empty() {
        return true;
    }
    let f = filter.to_lowercase();
    fields.iter().any(|s| s.to_lowercase().contains(&f))
}

/// "410 000": thin grouping, as the sketch shows.
pub fn group_digits(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(' ');
        }
        out.push(c);
    }
    out
}

fn pct(x: Option<f64>) -> String {
    x.map_or_else(|| "—".to_string(), |s| format!("{:.1} %", s * 100.0))
}

fn spark(series: Option<&Vec<(f64, f64)>>) -> String {
    let Some(points) = series else {
        return String::new();
    };
    let tail = &points[points.len().saturating_sub(10)..];
    tail.iter()
        .map(|(_, s)| SPARK[((s.clamp(0.0, 1.0) * 7.0).round() as usize).min(7)])
        .collect()
}

fn derive_rows(m: &mut Model) {
    let filter = m.active_filter().to_string();
    let spinner = SPINNER[m.spinner % SPINNER.len()];
    m.rows = m
        .snapshot
        .status
        .segments
        .iter()
        .filter(|s| matches_filter(&filter, &[&s.id, &s.name, s.phase, s.strategy]))
        .map(|s| {
            let finish = match s.phase {
                "done" => "reached".to_string(),
                "cutover" if s.migrated_share.is_some_and(|x| x >= s.goal) => "reached".to_string(),
                "cutover" => s
                    .projected_finish
                    .map_or_else(|| "never".to_string(), |d| d.format("%Y-%m-%d").to_string()),
                "plan" | "test" | "gate" => s
                    .days_to_goal
                    .map_or_else(|| "—".to_string(), |d| format!("~{d:.0} days")),
                _ => "—".to_string(),
            };
            let badge = if let Some(action) = m.running.get(&s.id) {
                Some((format!("{spinner} {action}…"), Tone::Warn))
            } else if s.phase == "cutover" && !s.gates_ok {
                let streak = if s.guard_streak > 0 {
                    format!(" ×{}", s.guard_streak)
                } else {
                    String::new()
                };
                Some((format!("⚠ guard failing{streak}"), Tone::Danger))
            } else if s.phase == "rollback-failed" {
                Some(("✗ rollback failed · R".to_string(), Tone::Danger))
            } else if let Some(h) = s.pending_hook {
                Some((format!("⚠ {h} pending"), Tone::Warn))
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
                gates: s.gates.clone(),
                gates_fail: !s.gates_ok,
                badge,
                spark: spark(m.snapshot.series.get(&s.id)),
                alert: alerts(s).into_iter().next(),
            }
        })
        .collect();
    m.selected = m.selected.min(m.rows.len().saturating_sub(1));
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
}

fn chart_width(m: &Model) -> usize {
    // The chart takes ~62 % of the width, minus borders and the y-axis labels.
    (usize::from(m.width) * 62 / 100).saturating_sub(9).max(10)
}

fn curve(model: &LoginModel, x_max: f64, n: usize) -> Vec<(f64, f64)> {
    (0..=n)
        .map(|i| {
            let x = x_max * i as f64 / n as f64;
            (x, model.share(x) * 100.0)
        })
        .collect()
}

/// One compact line for an event: `11-02 09:12 ana advance gate→cutover ✓`.
fn event_line(e: &Event) -> String {
    format!(
        "{} {} {}",
        e.body.at.format("%m-%d %H:%M"),
        e.body.actor,
        event_what(e)
    )
}

/// What an event did: `advance gate→cutover ✓`.
fn event_what(e: &Event) -> String {
    let b = &e.body;
    let what = match (b.from, b.to) {
        (Some(f), Some(t)) => format!("{} {f}→{t}", b.kind),
        _ => b.kind.to_string(),
    };
    let outcome = match b.outcome {
        Outcome::Ok | Outcome::Succeeded => "✓",
        Outcome::Requested => "…",
        Outcome::Failed => "✗ failed",
        Outcome::Refused => "refused",
    };
    format!("{what} {outcome}")
}

fn derive_detail(m: &mut Model) {
    let Some(seg) = m.selected_status().cloned() else {
        m.detail = None;
        return;
    };
    let plan = m.plan(&seg.id).cloned();
    let empty = Vec::new();
    let points = m.snapshot.series.get(&seg.id).unwrap_or(&empty);
    let days = seg.days_in_cutover.unwrap_or(0.0);
    let finish_days = seg.days_to_goal;
    let x_max = {
        let want = finish_days.unwrap_or(days).max(days).max(1.0);
        want.min((days * 4.0).max(60.0)) * 1.08
    };
    let width = chart_width(m);
    let actual: Vec<(f64, f64)> = series::min_max(points, 0.0, x_max, width)
        .into_iter()
        .map(|(x, y)| (x, y * 100.0))
        .collect();
    let login = plan.as_ref().and_then(|p| p.login.clone());
    let (projection, mix) = match &login {
        Some(LoginModel::Mix(c)) => {
            let single = LoginModel::Single(LoginModel::Mix(c.clone()).effective_p());
            (
                curve(&single, x_max, width),
                Some(curve(&LoginModel::Mix(c.clone()), x_max, width)),
            )
        }
        Some(model) => (curve(model, x_max, width), None),
        None => (Vec::new(), None),
    };
    let goal = seg.goal * 100.0;
    let finish_marker = finish_days
        .filter(|d| *d <= x_max)
        .map(|d| [(d, 0.0), (d, 100.0)]);
    let planned_p = login.as_ref().map(LoginModel::effective_p);
    let observed = projection::fit_p(points);
    let fit_line = match (planned_p, observed) {
        (Some(p), Some(o)) => {
            let finish = projection::days_to_goal(o, seg.goal)
                .and_then(|d| {
                    seg.cutover_at
                        .map(|at| at + Duration::milliseconds((d * 86_400_000.0) as i64))
                })
                .map_or_else(|| "never".to_string(), |d| d.format("%Y-%m-%d").to_string());
            format!("P planned {p:.3}, observed {o:.3} → goal {finish}")
        }
        (Some(p), None) => format!("P planned {p:.3}, observed — (no samples yet)"),
        (None, _) => "no login model (bulk strategy)".to_string(),
    };
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
        x_max,
        x_labels,
        fit_line,
        gates: seg.criteria.clone(),
        sources: seg
            .sources
            .iter()
            .map(|s| match (&s.error, s.value, s.at) {
                (Some(e), _, _) => (
                    Tone::Danger,
                    format!(
                        "✗ {} ({}): {e}{}",
                        s.metric,
                        s.kind,
                        s.error_at
                            .map(|t| format!(" · {} ago", age(m.now, t)))
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
                        age(m.now, t)
                    ),
                ),
                _ => (
                    Tone::Warn,
                    format!("? {} ({}): no sample yet", s.metric, s.kind),
                ),
            })
            .collect(),
        alerts: alerts(&seg),
        events,
    });
}

fn age(now: DateTime<Utc>, at: DateTime<Utc>) -> String {
    crate::model::criteria::age((now - at).num_milliseconds() as f64 / 1000.0)
}

fn number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        group_digits(v.abs() as u64)
    } else {
        format!("{v:.4}").trim_end_matches('0').to_string()
    }
}

/// The alarms of a segment, most urgent first.
fn alerts(seg: &SegmentStatus) -> Vec<(Tone, String)> {
    let mut out = Vec::new();
    if seg.phase == "cutover" && !seg.gates_ok {
        let failing: Vec<String> = seg
            .criteria
            .iter()
            .filter(|v| !v.passes())
            .map(|v| format!("{}: {}", v.name, v.reason))
            .collect();
        out.push((Tone::Danger, format!("⚠ guard: {}", failing.join("; "))));
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

fn derive_log(m: &mut Model) {
    let filter = m.active_filter().to_string();
    m.log_lines = m
        .snapshot
        .events
        .iter()
        .filter(|e| {
            matches_filter(
                &filter,
                &[
                    &e.body.segment,
                    &e.body.actor,
                    e.body.kind.as_str(),
                    e.body.reason.as_deref().unwrap_or(""),
                ],
            )
        })
        .map(|e| {
            let tone = match e.body.outcome {
                Outcome::Failed => Tone::Danger,
                Outcome::Refused => Tone::Warn,
                Outcome::Succeeded => Tone::Ok,
                Outcome::Requested | Outcome::Ok => Tone::Info,
            };
            let mut line = format!(
                "{:>5} {} {:<14} {:<8} {}",
                e.seq,
                e.body.at.format("%Y-%m-%d %H:%M:%S"),
                e.body.segment,
                e.body.actor,
                event_what(e)
            );
            if let Some(r) = &e.body.reason {
                line.push_str(&format!(" · “{r}”"));
            }
            if let Some(d) = &e.body.detail {
                line.push_str(&format!(" — {d}"));
            }
            (tone, line)
        })
        .collect();
}
