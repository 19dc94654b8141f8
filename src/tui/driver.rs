//! The cockpit's loop: a client of the owner, whether the owner runs in this process or in
//! another one. It feeds keys, the owner's updates and replies, and the tick to `update`,
//! sends the effects that come back as requests, and draws when something changed. Keys are
//! always served first.
//!
//! When the owner goes away (it quit or was killed), the header says so at once and the
//! cockpit takes over through [`Link::reestablish`]: it becomes the owner (pollers, guards,
//! socket) or attaches to whichever cockpit or `watch` won the race.

use super::app::{self, Model, Tone};
use super::update::{Effect, Input, update};
use super::view;
use crate::owner::link::Link;
use crate::owner::protocol::{FailureKind, Reply, Request, ServerMsg, Update};
use anyhow::{Context, Result};
use crossterm::event::Event as TermEvent;
use futures_util::{Stream, StreamExt};
use ratatui::Terminal;
use ratatui::backend::Backend;
use std::time::Duration;

/// The header mark of an attached cockpit: "pid 4242 (watch)".
pub fn attached_mark(link: &Link) -> Option<String> {
    link.attached_to()
        .map(|w| format!("pid {} ({})", w.pid, w.role))
}

/// What the owner said, as inputs for `update`.
fn inputs_of(msg: ServerMsg) -> Vec<Input> {
    match msg {
        ServerMsg::Update { update } => match update {
            Update::Snapshot { snapshot } => vec![Input::Refreshed(snapshot)],
            Update::SegmentsChanged {
                segments,
                decommission,
            } => {
                let mut statuses = Vec::with_capacity(segments.len());
                let mut series = Vec::new();
                for v in segments {
                    if let Some(points) = v.series {
                        series.push((v.status.id.clone(), points));
                    }
                    statuses.push(v.status);
                }
                let mut inputs = vec![Input::SegmentsUpdated { statuses, series }];
                if let Some(d) = decommission {
                    inputs.push(Input::Decommission(Box::new(d)));
                }
                inputs
            }
            Update::EventAppended { event } => vec![Input::EventAppended(Box::new(event))],
            Update::HookStarted {
                segment, action, ..
            } => vec![Input::HookStarted { segment, action }],
            Update::HookFinished {
                segment,
                action,
                ok,
                detail,
                ..
            } => vec![Input::HookFinished {
                segment,
                action,
                ok,
                detail,
            }],
            Update::Notice { tone, text } => vec![Input::Notice(tone, text)],
            Update::MoveProgress { segment, progress } => {
                vec![Input::MoveProgress { segment, progress }]
            }
            Update::StateDatabase { unreachable_since } => {
                vec![Input::StateDatabase(unreachable_since)]
            }
            Update::NotifyHealth { failing } => vec![Input::NotifyHealth(failing)],
            Update::SourceHealth { .. } | Update::Polled { .. } => Vec::new(),
        },
        ServerMsg::Reply { reply, .. } => match reply {
            Reply::Event { event } => vec![Input::Notice(Tone::Ok, event.ack_line())],
            Reply::Snapshot { snapshot } => vec![Input::Refreshed(snapshot)],
            // Only the log screen's older pages ask for the log.
            Reply::Log { events } => vec![Input::OlderEvents(events)],
            Reply::RollbackDelta { delta } => vec![Input::Delta(delta)],
            Reply::Chart { segment, points } => vec![Input::Chart { segment, points }],
            // The hook's failure is told by its HookFinished update, to every cockpit.
            Reply::Failed {
                kind: FailureKind::HookFailed,
                ..
            } => Vec::new(),
            Reply::Failed { kind, message } => {
                let tone = if kind == FailureKind::Refused {
                    Tone::Warn
                } else {
                    Tone::Danger
                };
                vec![Input::Notice(tone, message)]
            }
            _ => Vec::new(),
        },
        ServerMsg::Welcome(_) | ServerMsg::Goodbye { .. } => Vec::new(),
    }
}

/// Merge consecutive segment updates into one, so a burst costs one derive, not one each.
fn coalesce(inputs: Vec<Input>) -> Vec<Input> {
    let mut out: Vec<Input> = Vec::with_capacity(inputs.len());
    for input in inputs {
        if let Input::SegmentsUpdated { statuses, series } = input {
            if let Some(Input::SegmentsUpdated {
                statuses: s,
                series: p,
            }) = out.last_mut()
            {
                for status in statuses {
                    match s.iter_mut().find(|x| x.id == status.id) {
                        Some(slot) => *slot = status,
                        None => s.push(status),
                    }
                }
                p.extend(series);
                continue;
            }
            out.push(Input::SegmentsUpdated { statuses, series });
        } else {
            out.push(input);
        }
    }
    out
}

/// The owner went away: say so, then own the project or attach to the new owner.
async fn take_over(link: &mut Link) -> Vec<Input> {
    let gone = link.session.welcome.clone();
    match link.reestablish().await {
        Ok(()) => {
            let now = match attached_mark(link) {
                Some(mark) => format!("now attached to {mark}"),
                None => "this cockpit now runs the pollers and guards".to_string(),
            };
            let mut inputs = vec![
                Input::Attached(attached_mark(link)),
                Input::Notice(
                    Tone::Warn,
                    format!(
                        "the owner (pid {}, {}) went away; {now}",
                        gone.pid, gone.role
                    ),
                ),
            ];
            if let Err(e) = link.session.send(Request::Subscribe { polls: false }).await {
                inputs.push(Input::Notice(Tone::Danger, e.to_string()));
            }
            inputs
        }
        Err(e) => {
            tokio::time::sleep(Duration::from_millis(250)).await;
            vec![
                Input::Attached(Some("no owner".into())),
                Input::Notice(
                    Tone::Danger,
                    format!("the owner went away and this cockpit cannot take over yet: {e}"),
                ),
            ]
        }
    }
}

/// The cockpit's loop: keys, the owner's messages and the tick, until quit. Generic over the
/// terminal backend and the event stream so tests can drive it; `on_frame` is called after
/// every frame drawn. The caller has subscribed `link` and built `model` from that snapshot.
pub async fn drive<B, S>(
    terminal: &mut Terminal<B>,
    mut events: S,
    link: &mut Link,
    model: &mut Model,
    mut on_frame: impl FnMut(&Model),
) -> Result<()>
where
    B: Backend,
    B::Error: std::error::Error + Send + Sync + 'static,
    S: Stream<Item = std::io::Result<TermEvent>> + Unpin,
{
    let mut clock = link.session.clock;
    model.attached = attached_mark(link);
    let mut tick = tokio::time::interval(Duration::from_millis(250));
    let mut dirty = true;
    let mut drawn_minute = String::new();
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
            // Keys first: an operator never waits behind a burst of updates.
            biased;
            event = events.next() => match event {
                Some(Ok(TermEvent::Key(key))) => inputs.push(Input::Key(key)),
                Some(Ok(TermEvent::Resize(w, h))) => inputs.push(Input::Resize(w, h)),
                Some(Ok(_)) => {}
                Some(Err(e)) => return Err(e).context("reading the terminal"),
                None => break,
            },
            msg = link.session.recv() => match msg {
                Some(msg) => {
                    inputs.extend(inputs_of(msg));
                    // Take what is queued too, so a burst of updates costs one frame.
                    while inputs.len() < 64 {
                        match futures_util::FutureExt::now_or_never(link.session.recv()) {
                            Some(Some(msg)) => inputs.extend(inputs_of(msg)),
                            _ => break,
                        }
                    }
                }
                None => {
                    update(model, Input::Attached(Some("owner gone, taking over…".into())));
                    terminal.draw(|frame| view::render(frame, model))?;
                    inputs.extend(take_over(link).await);
                    clock = link.session.clock;
                }
            },
            _ = tick.tick() => inputs.push(Input::Tick(clock.now())),
        }
        let inputs = coalesce(inputs);
        // Redraw on change; a tick only matters for the spinner, the detail's ages and the clock.
        dirty = inputs
            .iter()
            .any(|i| !matches!(i, Input::Tick(_)) || model.screen == app::Screen::Detail);
        for input in inputs {
            for effect in update(model, input) {
                let request = match effect {
                    Effect::Apply {
                        segment,
                        action,
                        reason,
                        expect,
                    } => Request::Act {
                        segment,
                        action,
                        reason,
                        expect,
                        delete_active: false,
                        override_window: false,
                    },
                    Effect::RunChecks { segment } => Request::RunChecks { segment },
                    Effect::Refresh => Request::Snapshot,
                    Effect::Decide {
                        request,
                        approve: true,
                        reason,
                    } => Request::Approve {
                        id: request,
                        reason,
                    },
                    Effect::Decide {
                        request,
                        approve: false,
                        reason,
                    } => Request::Reject {
                        id: request,
                        reason: reason.unwrap_or_default(),
                    },
                    Effect::AskDelta { segment } => Request::RollbackDelta { segment },
                    Effect::AskChart { segment } => Request::Chart { segment },
                    // On the way out, waited for (briefly): the owner may stop with us.
                    Effect::SavePrefs(prefs) if model.quit => {
                        let save = link.session.call(Request::SavePrefs { prefs }, |_| {});
                        let _ = tokio::time::timeout(Duration::from_secs(2), save).await;
                        continue;
                    }
                    Effect::SavePrefs(prefs) => Request::SavePrefs { prefs },
                    Effect::OlderLog { before } => Request::Log {
                        segment: None,
                        before: Some(before),
                        limit: Some(crate::engine::view::LOG_PAGE as u32),
                    },
                    Effect::Quit => continue,
                };
                if let Err(e) = link.session.send(request).await {
                    update(model, Input::Notice(Tone::Danger, e.to_string()));
                }
            }
        }
        dirty |= !model.running.is_empty() || model.now.format("%H:%M").to_string() != drawn_minute;
    }
    Ok(())
}
