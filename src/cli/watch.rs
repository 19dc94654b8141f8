//! `cutover watch`, the headless guard: it owns the project or attaches to its owner, logs
//! what the owner does as stamped lines on stderr, takes the project over when its owner
//! goes, and serves `--metrics` while it owns the project.

use super::{Cli, out, print, state_dir};
use crate::clock::Clock;
use crate::owner::StopMode;
use crate::owner::link::{Link, LinkConfig};
use crate::owner::protocol::{Role, ServerMsg, Update};
use anyhow::{Context, Result, bail};
use chrono::Utc;

fn stamp(line: &str) {
    anstream::eprintln!("{} {line}", Utc::now().format("%Y-%m-%dT%H:%M:%SZ"));
}

/// What `watch --quiet` last said of each source (segment, metric): its error, or `None`
/// while it answers. Quiet logs a source's state changes, not its polls: one line when it
/// starts failing, one when its error changes, one when it answers again.
#[derive(Default)]
struct Sources(std::collections::HashMap<(String, String), Option<String>>);

impl Sources {
    fn quiet_line(&mut self, p: &crate::source::Polled) -> Option<String> {
        let now = p.result.as_ref().err().map(|e| e.message.clone());
        let before = self
            .0
            .insert((p.segment.clone(), p.metric.clone()), now.clone())
            .flatten();
        match (before, now) {
            (None, Some(e)) => Some(crate::report::palette::paint(
                print::COLORS.danger,
                &format!("{} {}: failing: {e}", p.segment, p.metric),
            )),
            (Some(old), Some(e)) if old != e => Some(crate::report::palette::paint(
                print::COLORS.danger,
                &format!("{} {}: still failing, now: {e}", p.segment, p.metric),
            )),
            (Some(_), None) => Some(format!("{} {}: answering again", p.segment, p.metric)),
            _ => None,
        }
    }
}

/// One log line for what the owner tells `watch`.
fn update_line(update: &Update, sources: &mut Sources) -> Option<String> {
    Some(match update {
        // With --quiet, watch logs what needs attention: a source's changes of state (not
        // every poll), no hook start.
        Update::Polled { polled } if out::quiet() => return sources.quiet_line(polled),
        Update::SourceHealth { .. } if out::quiet() => return None,
        Update::HookStarted { .. } if out::quiet() => return None,
        // Four a second while a move runs: its start and end are events, already logged.
        Update::MoveProgress { .. } => return None,
        Update::Polled { polled } => print::polled(polled),
        Update::EventAppended { event } => event.ack_line(),
        Update::HookStarted {
            segment,
            action,
            key,
        } => format!("{segment}: {action} hook running (key {key})"),
        Update::HookFinished {
            segment,
            action,
            ok,
            detail,
            ..
        } => {
            let how = if *ok {
                "succeeded".to_string()
            } else {
                crate::report::palette::paint(print::COLORS.danger, "FAILED")
            };
            format!("{segment}: {action} hook {how} — {detail}")
        }
        Update::SourceHealth { health } => match &health.last_error {
            Some(e) => format!("{} {}: failing: {e}", health.segment, health.metric),
            None => format!("{} {}: answering again", health.segment, health.metric),
        },
        Update::Notice { text, .. } => text.clone(),
        Update::StateDatabase { unreachable_since } => match unreachable_since {
            Some(t) => format!(
                "state database unreachable since {}: actions are refused, polled samples are held in memory",
                t.format("%Y-%m-%d %H:%M:%S UTC")
            ),
            None => "state database answers again".to_string(),
        },
        Update::NotifyHealth { failing } => {
            if failing.is_empty() {
                "notifications: every sink delivers".to_string()
            } else {
                let names: Vec<String> = failing
                    .iter()
                    .map(|f| format!("{} ({} waiting): {}", f.sink, f.pending, f.error))
                    .collect();
                format!("notifications failing: {}", names.join("; "))
            }
        }
        Update::Snapshot { .. } | Update::SegmentsChanged { .. } => return None,
    })
}

async fn subscribe(link: &mut Link) -> Result<()> {
    link.session.subscribe(true).await?;
    Ok(())
}

/// Where the metrics are served, or why not yet: only the owner serves them, so an attached
/// watch serves its `--metrics` once it takes over.
fn say_metrics(link: &Link, asked: Option<std::net::SocketAddr>) {
    if let Some(problem) = link.metrics_problem() {
        return stamp(&format!(
            "metrics not served: {problem}; this watch guards the project all the same"
        ));
    }
    match (link.metrics_addr(), link.attached_to()) {
        (Some(addr), _) => stamp(&format!("serving metrics on http://{addr}/metrics")),
        (None, Some(w)) if asked.is_some() => stamp(&format!(
            "metrics: pid {} ({}) owns the project; this watch serves them once it takes over (set [project] metrics for whichever process owns it)",
            w.pid, w.role
        )),
        _ => {}
    }
}

fn whose(link: &Link) -> String {
    match link.attached_to() {
        Some(w) => format!(
            "attached to pid {} ({}), which runs the guards; this watch takes over if it goes",
            w.pid, w.role
        ),
        None => "this watch owns the project: it runs the pollers and guards".to_string(),
    }
}

/// `cutover watch`: the headless guard. It owns the project, or attaches to the cockpit or
/// `watch` that does and takes over when that one goes; it logs what the owner does.
pub(super) fn watch(cli: &Cli, metrics: Option<&str>) -> Result<()> {
    let metrics = metrics
        .map(crate::metrics::listen_address)
        .transpose()
        .map_err(|why| anyhow::anyhow!("--metrics: {why}"))?;
    let runtime = crate::runtime::multi_thread().context("cannot start the async runtime")?;
    runtime.block_on(watch_on(cli, None, None, metrics))
}

/// The watch loop. With `clock` (`cutover simulate --watch`), this process must own the
/// project, so that its pollers, guards and records run on the simulator's clock; with
/// `days`, it stops after that many simulated days.
pub(super) async fn watch_on(
    cli: &Cli,
    clock: Option<Clock>,
    days: Option<f64>,
    metrics: Option<std::net::SocketAddr>,
) -> Result<()> {
    let mut config = LinkConfig::new(
        cli.project.clone(),
        state_dir(&cli.project, cli.state.as_deref()),
        Role::Watch,
    );
    config.actor = cli.actor.clone();
    config.metrics = metrics;
    if let Some(c) = clock {
        config.clock = c;
    }
    let mut link = Link::establish(config).await?;
    if clock.is_some()
        && let Some(w) = link.attached_to()
    {
        let (pid, role) = (w.pid, w.role);
        link.close(StopMode::Now).await?;
        bail!(
            "pid {pid} ({role}) already runs this project on the wall clock; quit it, run `cutover simulate --watch` first, then open the cockpit (it attaches and shows the simulated time)"
        );
    }
    // Asked for metrics and cannot serve them: say so now rather than run without them.
    if let Some(problem) = link.metrics_problem().map(str::to_string) {
        link.close(StopMode::Now).await?;
        bail!("{problem}");
    }
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .context("cannot listen for SIGTERM")?;
    stamp(&format!(
        "watching; {}; SIGINT or SIGTERM stops",
        whose(&link)
    ));
    say_metrics(&link, metrics);
    subscribe(&mut link).await?;
    let mut sources = Sources::default();
    // The real time until `days` simulated days have passed (never, without --days).
    let until = match (clock, days) {
        (Some(c), Some(d)) => {
            std::time::Duration::from_secs_f64(((d - c.days()) * 86_400.0 / c.factor()).max(0.0))
        }
        _ => std::time::Duration::MAX,
    };
    let end = tokio::time::sleep(until.min(std::time::Duration::from_secs(86_400 * 365)));
    tokio::pin!(end);
    loop {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => { stamp("SIGINT: stopping"); break; }
            _ = term.recv() => { stamp("SIGTERM: stopping"); break; }
            _ = &mut end, if days.is_some() => {
                stamp(&format!("{} simulated days passed: stopping", days.unwrap_or_default()));
                break;
            }
            msg = link.session.recv() => match msg {
                Some(ServerMsg::Update { update }) => {
                    if let Some(line) = update_line(&update, &mut sources) {
                        stamp(&line);
                    }
                }
                Some(_) => {}
                None => {
                    let gone = link.session.welcome.clone();
                    stamp(&format!("the owner (pid {}, {}) went away; taking over", gone.pid, gone.role));
                    match link.reestablish().await {
                        Ok(()) => {
                            stamp(&whose(&link));
                            say_metrics(&link, metrics);
                            if let Err(e) = subscribe(&mut link).await {
                                stamp(&format!("cannot subscribe: {e}"));
                            }
                        }
                        Err(e) => {
                            stamp(&format!("cannot take over yet: {e}; retrying"));
                            tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                        }
                    }
                }
            },
        }
    }
    link.close(StopMode::Now).await
}
