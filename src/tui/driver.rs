//! The cockpit's loop: it owns the engine and the model, feeds keys, polled samples, hook
//! outcomes and the tick to `update`, executes the effects that come back, and draws when
//! something changed. Hooks run as tokio tasks in a `JoinSet`, so the screen keeps drawing
//! (with a spinner on the segment) while a rollback hook runs; a hook task that panics is
//! reported, not fatal. Polled samples are folded in at most every `REFRESH_EVERY`, a chunk of
//! segments per turn, and keys are always served first.

use super::app::{self, Model, Tone};
use super::snapshot;
use super::update::{Effect, Input, update};
use super::view;
use crate::clock::Clock;
use crate::engine::live::Guard;
use crate::engine::{Command, Engine, EngineError, MIGRATED, Step};
use crate::hook::{self, HookJob, HookReport};
use crate::runtime::{self, Polled};
use crate::store::StoreError;
use anyhow::{Context, Result};
use chrono::{DateTime, Duration, Utc};
use crossterm::event::Event as TermEvent;
use futures_util::{Stream, StreamExt};
use ratatui::Terminal;
use ratatui::backend::Backend;
use std::collections::BTreeSet;
use std::time::Instant;
use tokio::task::JoinSet;

fn actor() -> String {
    crate::cli::actor(None)
}

/// Start a command through the engine: record it, and spawn its hook if it has one.
fn start(
    engine: &mut Engine,
    jobs: &mut JoinSet<(HookJob, HookReport)>,
    clock: &Clock,
    cmd: Command,
) -> Vec<Input> {
    let segment = cmd.segment.clone();
    let action = cmd.action;
    tracing::info!(segment = %segment, action = %action, actor = %cmd.actor, "action");
    let mut inputs = Vec::new();
    match engine.request(&cmd, clock.now()) {
        Ok(Step::Done(event)) => {
            inputs.push(Input::Notice(Tone::Ok, crate::cli::ack_line(&event)));
        }
        Ok(Step::Hook(event, job)) => {
            inputs.push(Input::HookStarted {
                segment: segment.clone(),
                action: job.action,
            });
            tracing::info!(seq = event.seq, hook = %job.action, "hook requested");
            let redactor = engine.redactor().clone();
            let job = *job;
            jobs.spawn(async move {
                let report = hook::run(&job, &redactor).await;
                (job, report)
            });
        }
        Err(EngineError::Refused { reason, .. }) => {
            inputs.push(Input::Notice(
                Tone::Warn,
                format!("{segment}: {action} refused: {reason}"),
            ));
        }
        Err(e) => {
            tracing::error!("{e}");
            inputs.push(Input::Notice(Tone::Danger, e.to_string()));
        }
    }
    match snapshot(engine, clock.now()) {
        Ok(s) => inputs.push(Input::Refreshed(Box::new(s))),
        Err(e) => inputs.push(Input::Notice(Tone::Danger, e.to_string())),
    }
    inputs
}

/// Execute one effect of `update` (an operator's action) against the engine.
fn execute(
    engine: &mut Engine,
    jobs: &mut JoinSet<(HookJob, HookReport)>,
    clock: &Clock,
    effect: Effect,
) -> Vec<Input> {
    let Effect::Apply {
        segment,
        action,
        reason,
    } = effect
    else {
        return Vec::new();
    };
    start(
        engine,
        jobs,
        clock,
        Command {
            segment,
            action,
            actor: actor(),
            reason,
        },
    )
}

/// Fresh status of the segments whose samples changed (cheaper than a whole snapshot).
fn segments_update(
    engine: &Engine,
    ids: &BTreeSet<String>,
    now: DateTime<Utc>,
) -> Result<Input, StoreError> {
    let mut statuses = Vec::new();
    let mut series = Vec::new();
    for id in ids {
        let Some(seg) = engine.project().segment(id) else {
            continue;
        };
        let status = engine.segment_status(seg, now)?;
        if let Some(at) = status.cutover_at {
            let base = engine.state(id).size_at_cutover.unwrap_or(seg.size).max(1) as f64;
            let points = engine
                .store()
                .series(id, MIGRATED, at, now + Duration::days(1))?
                .into_iter()
                .map(|(t, v)| {
                    (
                        (t - at).num_milliseconds() as f64 / 86_400_000.0,
                        (v / base).clamp(0.0, 1.0),
                    )
                })
                .collect();
            series.push((id.clone(), points));
        }
        statuses.push(status);
    }
    Ok(Input::SegmentsUpdated { statuses, series })
}

/// What the loop runs with besides the terminal: its clock, and commands scheduled by a script
/// (the demo's operator), executed exactly like keys.
#[derive(Default)]
pub struct DriveOptions {
    pub clock: Clock,
    pub script: Option<Box<dyn runtime::Script>>,
}

/// How often polled samples are folded into the screen, at most.
const REFRESH_EVERY: std::time::Duration = std::time::Duration::from_millis(200);
/// Segments recomputed per loop turn during a refresh.
const REFRESH_CHUNK: usize = 16;

/// The cockpit's loop: keys, polled samples, hook outcomes and the tick, until quit.
/// Generic over the terminal backend and the event stream so tests can drive it; `on_frame`
/// is called after every frame drawn.
pub async fn drive<B, S>(
    terminal: &mut Terminal<B>,
    mut events: S,
    mut engine: Engine,
    model: &mut Model,
    options: DriveOptions,
    mut on_frame: impl FnMut(&Model),
) -> Result<()>
where
    B: Backend,
    B::Error: std::error::Error + Send + Sync + 'static,
    S: Stream<Item = std::io::Result<TermEvent>> + Unpin,
{
    let specs = engine.project().sources();
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Polled>(1024);
    let DriveOptions { clock, mut script } = options;
    let _pollers = runtime::spawn_pollers(
        specs,
        engine.project_dir().to_path_buf(),
        engine.redactor().clone(),
        clock,
        tx,
    );
    let mut tick = tokio::time::interval(std::time::Duration::from_millis(250));
    let mut jobs: JoinSet<(HookJob, HookReport)> = JoinSet::new();
    let mut dirty = true;
    let mut drawn_minute = String::new();
    let mut changed: BTreeSet<String> = BTreeSet::new();
    let mut events_seen = engine.events().len();
    let mut last_refresh = Instant::now();
    let mut unsynced = false;
    loop {
        if dirty {
            terminal.draw(|frame| view::render(frame, model))?;
            drawn_minute = model.now.format("%H:%M").to_string();
            on_frame(model);
        }
        if model.quit {
            break;
        }
        let mut inputs = Vec::new();
        tokio::select! {
            // Keys first: an operator never waits behind a burst of samples.
            biased;
            event = events.next() => match event {
                Some(Ok(TermEvent::Key(key))) => inputs.push(Input::Key(key)),
                Some(Ok(TermEvent::Resize(w, h))) => inputs.push(Input::Resize(w, h)),
                Some(Ok(_)) => {}
                Some(Err(e)) => return Err(e).context("reading the terminal"),
                None => break,
            },
            _ = tick.tick() => {
                inputs.push(Input::Tick(clock.now()));
                if let Some(script) = &mut script {
                    for cmd in script.due(clock.now(), &engine) {
                        inputs.extend(start(&mut engine, &mut jobs, &clock, cmd));
                    }
                }
                if unsynced {
                    if let Err(e) = engine.store().sync() {
                        inputs.push(Input::Notice(Tone::Danger, e.to_string()));
                    }
                    unsynced = false;
                }
            }
            Some(polled) = rx.recv() => {
                // Take what is queued too, so a burst of samples costs one refresh.
                let mut batch = vec![polled];
                while batch.len() < 64 {
                    match rx.try_recv() {
                        Ok(p) => batch.push(p),
                        Err(_) => break,
                    }
                }
                for p in batch {
                    changed.insert(p.segment.clone());
                    match engine.absorb(&p) {
                        Ok(Guard::RollBack(cmd)) => inputs.extend(start(&mut engine, &mut jobs, &clock, cmd)),
                        Ok(_) => {}
                        Err(e) => inputs.push(Input::Notice(Tone::Danger, e.to_string())),
                    }
                }
                unsynced = true;
            }
            Some(done) = jobs.join_next() => match done {
                Ok((job, report)) => {
                    let ok = report.ok;
                    let detail = report.detail.clone();
                    match engine.finish(&job, report, clock.now()) {
                        Ok(event) => tracing::info!(seq = event.seq, ok, "hook finished"),
                        Err(e) => inputs.push(Input::Notice(Tone::Danger, e.to_string())),
                    }
                    inputs.push(Input::HookFinished { segment: job.segment.clone(), action: job.action, ok, detail });
                    if let Ok(s) = snapshot(&engine, clock.now()) {
                        inputs.push(Input::Refreshed(Box::new(s)));
                    }
                }
                Err(e) => {
                    let what = if e.is_panic() { "panicked" } else { "was cancelled" };
                    tracing::error!("a hook task {what}: {e}");
                    inputs.push(Input::Notice(Tone::Danger, format!("a hook task {what}; its intent stays pending (retry it)")));
                    model.running.clear();
                    if let Ok(s) = snapshot(&engine, clock.now()) {
                        inputs.push(Input::Refreshed(Box::new(s)));
                    }
                }
            },
        }
        // Fold polled samples into the screen, at most every REFRESH_EVERY.
        // A refresh is cut into chunks of REFRESH_CHUNK segments, one chunk per loop turn, so
        // a key waiting behind it waits for one chunk at most.
        if !changed.is_empty() && last_refresh.elapsed() >= REFRESH_EVERY {
            let now = clock.now();
            let refreshed = if engine.events().len() != events_seen {
                changed.clear();
                snapshot(&engine, now).map(|s| Input::Refreshed(Box::new(s)))
            } else {
                let chunk: BTreeSet<String> = changed.iter().take(REFRESH_CHUNK).cloned().collect();
                for id in &chunk {
                    changed.remove(id);
                }
                segments_update(&engine, &chunk, now)
            };
            match refreshed {
                Ok(input) => inputs.push(input),
                Err(e) => inputs.push(Input::Notice(Tone::Danger, e.to_string())),
            }
            if changed.is_empty() {
                last_refresh = Instant::now();
            }
        }
        events_seen = engine.events().len();
        // Redraw on change; a tick only matters for the spinner, the detail's ages and the clock.
        dirty = inputs
            .iter()
            .any(|i| !matches!(i, Input::Tick(_)) || model.screen == app::Screen::Detail);
        for input in inputs {
            for effect in update(model, input) {
                for follow in execute(&mut engine, &mut jobs, &clock, effect) {
                    update(model, follow);
                }
            }
        }
        dirty |= !model.running.is_empty() || model.now.format("%H:%M").to_string() != drawn_minute;
    }
    engine.store().sync()?;
    Ok(())
}
