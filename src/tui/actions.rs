//! What the segment keys do before anything happens: `a`, `r`, `R`, `p`, `P`, `T` and `F` open a dialog that
//! names the segment, the transition and the hook that will fire (or, where the machine will
//! refuse anyway, ask it at once for its reason), and the dialog's answer becomes an effect.
//! Pure, like the rest of `update`.

use super::app::{Dialog, Model, Screen, Tone};
use super::keys::UiAction;
use super::update::{Effect, quit, selected_id};
use crate::engine::describe_model;
use crate::engine::status::SegmentStatus;
use crate::model::{Action, HookAction, LoginModel, Phase, PhaseShown};

fn hook_line(what: Option<&String>, hook: HookAction) -> String {
    match what {
        Some(d) => format!("fires the {hook} hook: {d}"),
        None => format!("no {hook} hook is configured: only the phase changes"),
    }
}

pub(super) fn advance(m: &mut Model) -> Vec<Effect> {
    let Some(id) = selected_id(m) else {
        return Vec::new();
    };
    let Some(seg) = m.selected_status() else {
        return Vec::new();
    };
    let from = match seg.phase {
        from @ (PhaseShown::Plan | PhaseShown::Test | PhaseShown::Gate | PhaseShown::Cutover) => {
            from.phase().unwrap_or(Phase::Plan)
        }
        // done, rolled-back, rollback-failed: let the machine say why not.
        PhaseShown::Done | PhaseShown::RolledBack | PhaseShown::RollbackFailed => {
            return vec![Effect::Apply {
                segment: id,
                action: Action::Advance,
                reason: None,
                expect: seg.phase.phase(),
            }];
        }
    };
    let to = from.next().unwrap_or(from);
    let plan = m.plan(&id);
    let mut lines = vec![format!("{from} → {to}")];
    match from {
        Phase::Gate => {
            if let Some(mv) = m.selected_status().and_then(|s| s.moving.as_ref()) {
                lines.push(match &mv.prediction {
                    Some(p) => format!("moves the users first ({p}, from the rehearsal)"),
                    None => "moves the users first (not rehearsed: no prediction)".to_string(),
                });
            }
            lines.push(hook_line(
                plan.and_then(|p| p.cutover_hook.as_ref()),
                HookAction::Cutover,
            ));
        }
        Phase::Cutover => lines.push(hook_line(
            plan.and_then(|p| p.done_hook.as_ref()),
            HookAction::Done,
        )),
        Phase::Test => match m.selected_status().map(|s| &s.checks) {
            Some(checks) if !checks.is_empty() => lines.push(format!(
                "runs {} first, each must pass: {}",
                super::format::count(checks.len(), "check", "checks"),
                checks
                    .iter()
                    .map(|c| c.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
            _ => lines.push("no checks declared (passes)".to_string()),
        },
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
        expect: Some(from),
    });
    Vec::new()
}

/// `c`: run the selected segment's test checks now; their results come back as an event.
pub(super) fn run_checks(m: &mut Model) -> Vec<Effect> {
    let Some(id) = selected_id(m) else {
        return Vec::new();
    };
    let n = m.selected_status().map_or(0, |s| s.checks.len());
    if n == 0 {
        m.status_line = Some((
            Tone::Warn,
            format!("{id} declares no test checks: add [[segments.checks]] to cutover.toml"),
        ));
        return Vec::new();
    }
    m.status_line = Some((Tone::Info, format!("running {n} checks of {id}…")));
    vec![Effect::RunChecks { segment: id }]
}

/// `F` in the detail: make the forecast's fitted mix the plan, after a look at old and new.
pub(super) fn adopt_fit(m: &mut Model) -> Vec<Effect> {
    let Some(id) = selected_id(m) else {
        return Vec::new();
    };
    let Some(fit) = m
        .selected_status()
        .and_then(|s| s.forecast.as_ref())
        .map(|f| f.fitted_cohorts.clone())
    else {
        // No forecast yet: let the machine say why not.
        return vec![Effect::Apply {
            segment: id,
            action: Action::AdoptFit,
            reason: None,
            expect: None,
        }];
    };
    let old = m
        .plan(&id)
        .and_then(|p| p.login.as_ref())
        .map_or_else(|| "none".to_string(), describe_model);
    m.dialog = Some(Dialog::Confirm {
        segment: id.clone(),
        action: Action::AdoptFit,
        title: format!("Adopt the forecast as {id}'s plan?"),
        lines: vec![
            format!("plan now: {old}"),
            format!("fitted:   {}", describe_model(&LoginModel::Mix(fit))),
            "the projection and its gate measure against it; cutover.toml stays".to_string(),
        ],
        danger: false,
        reason: None,
        reason_required: false,
        expect: None,
    });
    Vec::new()
}

pub(super) fn roll_back(m: &mut Model) -> Vec<Effect> {
    let Some(id) = selected_id(m) else {
        return Vec::new();
    };
    let Some(seg) = m.selected_status() else {
        return Vec::new();
    };
    if seg.phase == PhaseShown::RollbackFailed {
        m.status_line = Some((
            Tone::Danger,
            format!("{id}: the rollback failed; press R to retry it with the same key"),
        ));
        return Vec::new();
    }
    if matches!(seg.phase, PhaseShown::Plan | PhaseShown::RolledBack)
        || seg.pending_hook == Some(HookAction::Rollback)
    {
        // Let the machine say why not, in its own words.
        return vec![Effect::Apply {
            segment: id,
            action: Action::RollBack,
            reason: None,
            expect: None,
        }];
    }
    let hook = m.plan(&id).and_then(|p| p.rollback_hook.as_ref());
    let moves = seg.moving.is_some();
    m.dialog = Some(Dialog::Confirm {
        segment: id.clone(),
        action: Action::RollBack,
        title: format!("Roll back {id}?"),
        lines: {
            let said = match (moves, hook) {
                (true, None) => {
                    "no rollback hook is configured: the move's undo runs, then the phase changes"
                        .to_string()
                }
                _ => hook_line(hook, HookAction::Rollback),
            };
            let mut lines = vec![format!("{} → rolled-back", seg.phase), said];
            if let Some(mv) = &seg.moving {
                lines.push(format!(
                    "first, the undo deletes the users the move created ({}; users there before it stay)",
                    crate::engine::move_status::grouped(mv.undo_deletes())
                ));
                lines.push(super::moving::READING.to_string());
            }
            lines
        },
        danger: true,
        reason: Some(String::new()),
        reason_required: true,
        expect: seg.phase.phase(),
    });
    if moves {
        return super::moving::ask_delta(m, &id);
    }
    Vec::new()
}

pub(super) fn retry(m: &mut Model) -> Vec<Effect> {
    let Some(id) = selected_id(m) else {
        return Vec::new();
    };
    let Some(seg) = m.selected_status() else {
        return Vec::new();
    };
    let can_retry = |s: &SegmentStatus| {
        s.phase == PhaseShown::RollbackFailed || s.pending_hook == Some(HookAction::Rollback)
    };
    if !can_retry(seg) && m.screen == Screen::Overview {
        // The key offered by "needs you" acts on its item: select that segment and ask.
        if let Some(other) = super::glance::first_need_with(m, "R")
            .filter(|s| can_retry(s))
            .map(|s| s.id.clone())
            && let Some(i) = m.rows.iter().position(|r| r.id == other)
        {
            m.selected = i;
            return retry(m);
        }
    }
    if !can_retry(seg) {
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
        expect: None,
    });
    Vec::new()
}

pub(super) fn pause_or_resume(m: &mut Model) -> Vec<Effect> {
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
            expect: None,
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
        expect: None,
    });
    Vec::new()
}

/// `P` (re-plan: rolled-back → plan) and `T` (retest: gate → test): the same dialog as the
/// other actions, with an optional reason for the log; where the machine will refuse, it is
/// asked at once for its reason. Both go through the path `cutover replan` and `cutover
/// retest` take.
pub(super) fn step_back(m: &mut Model, action: Action) -> Vec<Effect> {
    let Some(id) = selected_id(m) else {
        return Vec::new();
    };
    let Some(seg) = m.selected_status() else {
        return Vec::new();
    };
    let (from, to, title, note) = match action {
        Action::Replan => (
            PhaseShown::RolledBack,
            Phase::Plan,
            format!("Re-plan {id}?"),
            "its next cutover starts a new attempt; no hook fires",
        ),
        _ => (
            PhaseShown::Gate,
            Phase::Test,
            format!("Send {id} back to test?"),
            "its checks must pass again to reach the gate; no hook fires",
        ),
    };
    if seg.phase != from {
        return vec![Effect::Apply {
            segment: id,
            action,
            reason: None,
            expect: seg.phase.phase(),
        }];
    }
    m.dialog = Some(Dialog::Confirm {
        segment: id.clone(),
        action,
        title,
        lines: vec![format!("{from} → {to}"), note.to_string()],
        danger: false,
        reason: Some(String::new()),
        reason_required: false,
        expect: from.phase(),
    });
    Vec::new()
}

pub(super) fn on_dialog(m: &mut Model, action: UiAction) -> Vec<Effect> {
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
            let mut effects = super::update::save_prefs(m);
            effects.push(Effect::Quit);
            return effects;
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
                expect,
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
                expect: *expect,
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
