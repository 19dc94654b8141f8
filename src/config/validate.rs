//! Range and consistency checks on a parsed project file. Collects every problem rather than
//! stopping at the first, so an operator fixes the file in one pass.

use super::locate::KeyPath;
use super::validate_hooks::hook;
use super::validate_outside::{gate, source};
use super::{Hooks, Project, ProjectFile, Segment, SegmentFile, Severity, Strategy};
use crate::model::LoginModel;
use chrono::NaiveDate;
use std::collections::BTreeSet;
use std::time::Duration;

pub(super) use super::durations::{duration, duration_key};
pub(super) use super::found::{Found, Said};

/// Default points behind projection before a segment is flagged.
pub const DEFAULT_TOLERANCE_POINTS: f64 = 5.0;

/// Validate a parsed file. The project is `Some` when it could be built; it is only usable if
/// no problem is an error.
pub fn validate(raw: &ProjectFile) -> (Option<Project>, Found) {
    let mut found = Found::new();
    let root = KeyPath::default();
    if raw.project.name.trim().is_empty() {
        found.push((
            Severity::Error,
            root.clone().key("project").key("name"),
            "must not be empty: name the migration, e.g. \"Acme LDAP to FusionAuth\"".into(),
        ));
    }
    if raw.segments.is_empty() {
        found.push((
            Severity::Warning,
            root.clone().key("project"),
            "no [[segments]] declared: add one per group of users you move together".into(),
        ));
    }
    let mut seen = BTreeSet::new();
    let mut segments = Vec::new();
    for (i, seg) in raw.segments.iter().enumerate() {
        let at = root.clone().key("segments").index(i);
        if !seen.insert(seg.id.clone()) {
            found.push((
                Severity::Error,
                at.clone().key("id"),
                format!(
                    "duplicate segment id '{}': every segment needs its own id",
                    seg.id
                )
                .into(),
            ));
        }
        if let Some(s) = segment(seg, &at, &mut found) {
            segments.push(s);
        }
    }
    let mut project = Project {
        name: raw.project.name.clone(),
        legacy: raw.project.legacy.clone(),
        target: raw.project.target.clone(),
        theme: raw.project.theme.clone(),
        socket_group: raw.project.socket_group.clone(),
        raw_retention: raw_retention(raw.project.raw_retention.as_deref(), &root, &mut found),
        metrics: raw.project.metrics.as_deref().and_then(|text| {
            crate::metrics::listen_address(text)
                .map_err(|why| {
                    let at = root.clone().key("project").key("metrics");
                    found.push((Severity::Error, at, why.into()));
                })
                .ok()
        }),
        audit: raw.audit.clone(),
        state: super::state::validate(&raw.state, &root, &mut found),
        notify: super::notify::validate(
            &raw.notify,
            &segments.iter().map(|s| s.id.as_str()).collect::<Vec<_>>(),
            &root,
            &mut found,
        ),
        legacy_access: crate::export::source::Access {
            bind: super::legacy::bind(&raw.legacy, &root, &mut found),
            sql: super::legacy::sql(raw.legacy.sql.as_ref(), &root, &mut found),
        },
        decommission: super::legacy::decommission(
            raw.legacy.decommission.as_ref(),
            &segments,
            &root,
            &mut found,
        ),
        change: super::change_control::validate(
            super::change_control::Sections {
                approvals: raw.approvals.as_ref(),
                access: &raw.access,
                windows: &raw.windows,
                freezes: &raw.freezes,
            },
            &root,
            &mut found,
        ),
        index: segments
            .iter()
            .enumerate()
            .map(|(i, s)| (s.id.clone(), i))
            .collect(),
        segments,
    };
    super::drift::attach(&mut project, raw, &root, &mut found);
    (Some(project), found)
}

/// `[project] raw_retention`: whole days, at least one (the newest day is always kept raw).
fn raw_retention(text: Option<&str>, root: &KeyPath, found: &mut Found) -> Option<Duration> {
    let text = text?;
    match humantime::parse_duration(text) {
        Ok(d) if d.as_secs() >= 86_400 && d.as_secs().is_multiple_of(86_400) => Some(d),
        _ => {
            found.push((
                Severity::Error,
                root.clone().key("project").key("raw_retention"),
                "must be a whole number of days, at least \"1d\", e.g. \"30d\"; leave it out to keep raw samples forever".into(),
            ));
            None
        }
    }
}

fn in_unit(x: f64) -> bool {
    x > 0.0 && x <= 1.0
}

fn segment(seg: &SegmentFile, at: &KeyPath, found: &mut Found) -> Option<Segment> {
    let mut ok = true;
    let mut err = |path: KeyPath, msg: String| {
        found.push((Severity::Error, path, msg.into()));
    };
    if let Err(why) = crate::model::reading::segment_id(&seg.id) {
        ok = false;
        err(
            at.clone().key("id"),
            format!("invalid segment id: {why} (e.g. 'eu-customers')"),
        );
    }
    if !in_unit(seg.goal) {
        ok = false;
        err(
            at.clone().key("goal"),
            "must be in (0, 1]: the migrated share that counts as done, e.g. 0.95".into(),
        );
    }
    let mut login = None;
    match (&seg.login_probability, &seg.cohorts) {
        (Some(_), Some(_)) => {
            ok = false;
            err(
                at.clone().key("cohorts"),
                "set either login_probability or cohorts, not both".into(),
            );
        }
        (Some(p), None) => {
            if in_unit(*p) {
                login = Some(LoginModel::Single(*p));
            } else {
                ok = false;
                err(
                    at.clone().key("login_probability"),
                    "must be in (0, 1]: the chance that a user logs in on a given day, e.g. 0.05"
                        .into(),
                );
            }
        }
        (None, Some(cohorts)) => {
            let mut cohorts_ok = !cohorts.is_empty();
            if cohorts.is_empty() {
                err(
                    at.clone().key("cohorts"),
                    "must list at least one cohort".into(),
                );
            }
            for (j, c) in cohorts.iter().enumerate() {
                // p = 0 is a cohort that never logs in (`cutover plan` writes one).
                if !(0.0..=1.0).contains(&c.p) {
                    cohorts_ok = false;
                    err(
                        at.clone().key("cohorts").index(j).key("p"),
                        "must be in [0, 1]: the cohort's daily login probability (0: never logs in)".into(),
                    );
                }
                if !in_unit(c.share) {
                    cohorts_ok = false;
                    err(
                        at.clone().key("cohorts").index(j).key("share"),
                        "must be in (0, 1]: the cohort's share of the segment".into(),
                    );
                }
            }
            let sum: f64 = cohorts.iter().map(|c| c.share).sum();
            if !cohorts.is_empty() && (sum - 1.0).abs() > 1e-6 {
                cohorts_ok = false;
                err(
                    at.clone().key("cohorts"),
                    format!("cohort shares sum to {sum:.4}; they must sum to 1"),
                );
            }
            if cohorts_ok {
                login = Some(LoginModel::Mix(cohorts.clone()));
            } else {
                ok = false;
            }
        }
        (None, None) => {
            if seg.strategy == Strategy::Slow {
                ok = false;
                err(
                    at.clone().key("login_probability"),
                    "missing: a slow segment needs login_probability (or cohorts) to project its progress".into(),
                );
            }
        }
    }
    if seg.size == 0 {
        found.push((
            Severity::Warning,
            at.clone().key("size"),
            "is 0: the plan stays incomplete until the segment's user count is known".into(),
        ));
    }
    let deadline = match &seg.deadline {
        None => None,
        Some(v) => match deadline(v) {
            Some(d) => Some(d),
            None => {
                ok = false;
                found.push((
                    Severity::Error,
                    at.clone().key("deadline"),
                    "must be a date like 2027-03-01".into(),
                ));
                None
            }
        },
    };
    let tolerance_points = seg.tolerance.unwrap_or(DEFAULT_TOLERANCE_POINTS);
    if !(0.0..=100.0).contains(&tolerance_points) {
        ok = false;
        found.push((
            Severity::Error,
            at.clone().key("tolerance"),
            "must be between 0 and 100 percentage points".into(),
        ));
    }
    let hooks_at = at.clone().key("hooks");
    let hooks = Hooks {
        cutover: hook(
            seg.hooks.cutover.as_ref(),
            &hooks_at.clone().key("cutover"),
            found,
            &mut ok,
        ),
        rollback: hook(
            seg.hooks.rollback.as_ref(),
            &hooks_at.clone().key("rollback"),
            found,
            &mut ok,
        ),
        done: hook(
            seg.hooks.done.as_ref(),
            &hooks_at.key("done"),
            found,
            &mut ok,
        ),
    };
    let mut sources = Vec::new();
    for (metric, s) in &seg.sources {
        if let Some(spec) = source(
            &seg.id,
            metric,
            s,
            &at.clone().key("sources").key(metric),
            found,
            &mut ok,
        ) {
            sources.push(spec);
        }
    }
    let mut checks = super::checks::checks(&seg.checks, at, found, &mut ok);

    let moving = seg
        .moving
        .as_ref()
        .and_then(|m| super::moves::validate(m, &at.clone().key("move"), found, &mut ok));
    let reset = seg.reset.as_ref().and_then(|r| {
        super::reset::validate(
            r,
            (seg.moving.is_some(), moving.as_ref()),
            at,
            found,
            &mut ok,
        )
    });
    let canaries = super::canaries::canaries(&seg.canaries, at, found, &mut ok);
    // An invalid move has said so already: its canaries wait for it.
    if moving.is_some() || seg.moving.is_none() {
        super::canaries::attach(
            moving.as_ref(),
            &canaries,
            &mut sources,
            &mut checks,
            at,
            found,
            &mut ok,
        );
    }
    let mut gates = Vec::new();
    for (j, g) in seg.gates.iter().enumerate() {
        let gate_at = at.clone().key("gates").index(j);
        if let Some(c) = gate(g, &gate_at, found, &mut ok) {
            if let Some(m) = c.metric()
                && !seg.sources.contains_key(m)
            {
                found.push((
                    Severity::Warning,
                    gate_at.key("metric"),
                    format!("no [segments.sources.{m}] feeds this gate: it stays unknown until samples are recorded").into(),
                ));
            }
            gates.push(c);
        }
    }
    super::checks::reconciled_needs_move(seg.moving.is_some(), &checks, &gates, at, found, &mut ok);
    super::canaries::check_gates(seg.strategy, &sources, &gates, at, found, &mut ok);
    if seg.gates.is_empty() {
        found.push((
            Severity::Warning,
            at.clone().key("id"),
            "no [[segments.gates]]: its gate passes with \"no criteria\"".into(),
        ));
    }
    let failures_before_rollback = seg.failures_before_rollback.unwrap_or(3);
    if failures_before_rollback == 0 {
        ok = false;
        found.push((
            Severity::Error,
            at.clone().key("failures_before_rollback"),
            "must be at least 1".into(),
        ));
    }
    // The plateau now comes from the forecast; the old key is read, checked and ignored.
    match seg.plateau_fraction {
        Some(f) if !(f > 0.0 && f < 1.0) => {
            ok = false;
            found.push((
                Severity::Error,
                at.clone().key("plateau_fraction"),
                "must be in (0, 1), e.g. 0.25 (and it is no longer used: remove it)".into(),
            ));
        }
        Some(_) => found.push((
            Severity::Warning,
            at.clone().key("plateau_fraction"),
            "is no longer used: the plateau comes from the forecast now (the goal missed by the deadline); remove it".into(),
        )),
        None => {}
    }
    ok.then(|| Segment {
        id: seg.id.clone(),
        name: seg.name.clone().unwrap_or_else(|| seg.id.clone()),
        strategy: seg.strategy,
        size: seg.size,
        login,
        goal: seg.goal,
        deadline,
        tolerance_points,
        hooks,
        sources,
        gates,
        checks,
        auto_rollback: seg.auto_rollback,
        failures_before_rollback,
        moving,
        reset,
    })
}

fn deadline(v: &toml::Value) -> Option<NaiveDate> {
    match v {
        toml::Value::String(s) => NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok(),
        toml::Value::Datetime(dt) => {
            let d = dt.date?;
            NaiveDate::from_ymd_opt(i32::from(d.year), u32::from(d.month), u32::from(d.day))
        }
        _ => None,
    }
}
