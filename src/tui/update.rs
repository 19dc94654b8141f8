//! The cockpit's state changes: `update(&mut Model, Input) -> Vec<Effect>`, pure.
//!
//! No I/O, no clock, no terminal: keys arrive as [`Input::Key`], engine results as messages,
//! and everything the world must do comes back as an [`Effect`] for the driver. After each
//! change, [`super::derive`] recomputes what render needs.

use super::actions::{
    adopt_fit, advance, on_dialog, pause_or_resume, retry, roll_back, run_checks, step_back,
};
use super::app::{Model, Screen, Tone};
pub use super::derive::derive;
use super::derive::{derive_rows, refresh_ages};
use super::keys::{Mode, UiAction, action_for};
use super::leave::{SAVE_SEEN_EVERY_SECS, newest_seq, seen_moved};
pub(super) use super::leave::{quit, save_prefs};
pub use super::messages::{Effect, Input};
use super::navigate::{navigate, refiltered, resort};
use crate::model::Action;

/// The input mode the model is in.
pub fn mode(m: &Model) -> Mode {
    if let Some(d) = &m.dialog {
        Mode::Dialog {
            text: d.takes_text(),
        }
    } else if m.help {
        Mode::Help
    } else if m.event_view.is_some() {
        Mode::Event
    } else if m.typing_filter().is_some() {
        Mode::Filter
    } else {
        Mode::Normal(m.screen)
    }
}

/// Apply one input to the model; then ask for the detail screen's chart if it lacks one.
pub fn update(m: &mut Model, input: Input) -> Vec<Effect> {
    let mut effects = apply(m, input);
    effects.extend(super::detail_chart::chart_due(m));
    effects
}

fn apply(m: &mut Model, input: Input) -> Vec<Effect> {
    match input {
        Input::Key(key) => {
            m.keys_seen += 1;
            m.seen_upto = Some(newest_seq(m));
            match action_for(mode(m), key) {
                Some(action) if m.viewer && action.acts() => {
                    m.status_line = Some((
                        Tone::Warn,
                        "you are a viewer of this project: you may watch, not act (see the help, ?)".into(),
                    ));
                    Vec::new()
                }
                Some(action) => on_action(m, action),
                None => Vec::new(),
            }
        }
        Input::Tick(now) => {
            m.now = now;
            m.spinner = m.spinner.wrapping_add(1);
            m.chart.tick();
            if m.prefs_sent
                .is_some_and(|t| now - t >= chrono::Duration::seconds(SAVE_SEEN_EVERY_SECS))
                && seen_moved(m)
            {
                return save_prefs(m);
            }
            if !m.running.is_empty() {
                derive_rows(m);
            }
            let fresh = super::windows::due(m);
            if !fresh.is_empty() {
                return fresh;
            }
            if m.screen == Screen::Detail {
                refresh_ages(m);
                return super::moving::delta_due(m);
            }
            Vec::new()
        }
        Input::Delta(delta) => {
            super::moving::delta_came(m, *delta);
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
            // The owner's word on running hooks (after a takeover, none of the old owner's).
            m.running = snapshot.running.clone();
            let mut snapshot = *snapshot;
            super::log_lines::keep_older(std::mem::take(&mut m.snapshot.events), &mut snapshot);
            m.snapshot = snapshot;
            m.chart.all_moved();
            derive(m);
            if let Some(id) = keep
                && let Some(i) = m.rows.iter().position(|r| r.id == id)
            {
                m.selected = i;
                derive(m);
            }
            Vec::new()
        }
        Input::MoveProgress { segment, progress } => {
            match progress {
                Some(p) => m.moving.insert(segment, p),
                None => m.moving.remove(&segment),
            };
            derive_rows(m);
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
            m.chart.moved(series.iter().map(|(id, _)| id.as_str()));
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
        Input::Decommission(d) => {
            m.snapshot.status.decommission = Some(*d);
            Vec::new()
        }
        Input::NotifyHealth(failing) => {
            m.snapshot.status.notify_failing = failing;
            Vec::new()
        }
        Input::StateDatabase(since) => {
            m.snapshot.status.state_unreachable_since = since;
            Vec::new()
        }
        Input::OlderEvents(page) => {
            super::log_lines::take_older(m, page);
            Vec::new()
        }
        Input::Chart { segment, points } => {
            super::detail_chart::chart_came(m, segment, points);
            Vec::new()
        }
        Input::EventAppended(event) => {
            // A request asked or decided changes what waits for approval: the list comes
            // with the status, so ask for it afresh.
            let approvals = event.body.kind == crate::model::Action::Approval;
            m.snapshot.events.push(*event);
            if m.screen != Screen::Overview {
                derive(m);
            } else {
                // The lists follow each event; the chart follows the segments' changes.
                let chart = m.glance.chart.take();
                m.glance = super::glance::derive(m, false);
                m.glance.chart = chart;
            }
            if approvals {
                return vec![Effect::Refresh];
            }
            Vec::new()
        }
        Input::Attached(to) => {
            m.attached = to;
            Vec::new()
        }
    }
}

pub(super) fn selected_id(m: &Model) -> Option<String> {
    m.rows.get(m.selected).map(|r| r.id.clone())
}

fn on_action(m: &mut Model, action: UiAction) -> Vec<Effect> {
    if m.dialog.is_some() {
        if let Some(effects) = super::approvals::on_dialog(m, action) {
            return effects;
        }
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
    if m.event_view.is_some() {
        return super::event_view::on_action(m, action);
    }
    if let Some(filter) = m.filter_mut().filter(|f| f.typing.is_some()) {
        match action {
            UiAction::Char(c) => filter.typing.get_or_insert_default().push(c),
            UiAction::Backspace => {
                filter.typing.get_or_insert_default().pop();
            }
            UiAction::Confirm => filter.kept = filter.typing.take().unwrap_or_default(),
            UiAction::Cancel => *filter = Default::default(),
            UiAction::Quit => return quit(m),
            _ => {}
        }
        refiltered(m);
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
            if m.screen == Screen::Log
                && matches!(action, UiAction::Up | UiAction::PageUp | UiAction::Top)
            {
                return super::log_lines::older_wanted(m);
            }
        }
        UiAction::Open if m.screen == Screen::Log => {
            let seq = super::log_lines::selected_log_seq(m);
            m.event_view = seq
                .and_then(|seq| m.snapshot.events.iter().find(|e| e.seq == seq))
                .map(super::event_view::open);
        }
        UiAction::Open => {
            if !m.rows.is_empty() {
                m.screen = Screen::Detail;
                derive(m);
            }
        }
        UiAction::Back => {
            // Esc clears the screen's kept filter first, then goes back to the overview.
            if let Some(f) = m.filter_mut().filter(|f| !f.kept.is_empty()) {
                f.kept.clear();
                refiltered(m);
            } else if m.screen != Screen::Overview {
                m.screen = Screen::Overview;
                derive(m);
            }
        }
        UiAction::NextScreen => {
            m.screen = m.screen.next();
            if m.screen == Screen::Detail && m.rows.is_empty() {
                m.screen = Screen::Log;
            }
            m.log_selected_from_bottom = 0;
            derive(m);
        }
        UiAction::StartFilter => {
            if let Some(f) = m.filter_mut() {
                f.typing = Some(f.kept.clone());
            }
        }
        UiAction::NextTheme => {
            m.theme = (m.theme + 1) % m.themes.len();
            m.status_line = Some((Tone::Info, format!("theme: {}", m.theme().name)));
        }
        UiAction::Help => m.help = true,
        UiAction::Quit => return quit(m),
        UiAction::Advance => return advance(m),
        UiAction::Approve => return super::approvals::ask(m, true),
        UiAction::Reject => return super::approvals::ask(m, false),
        UiAction::RollBack => return roll_back(m),
        UiAction::RetryRollBack => return retry(m),
        UiAction::PauseOrResume => return pause_or_resume(m),
        UiAction::Replan => return step_back(m, Action::Replan),
        UiAction::Retest => return step_back(m, Action::Retest),
        UiAction::AdoptFit => return adopt_fit(m),
        UiAction::RunChecks => return run_checks(m),
        UiAction::CycleSort | UiAction::ToggleGroup => return resort(m, action),
        UiAction::NextNeed => super::glance::select_next_need(m),
        UiAction::Char(_) | UiAction::Backspace | UiAction::Confirm | UiAction::Cancel => {}
    }
    Vec::new()
}
