//! The commands that talk to live systems: `poll`, `watch`, `simulate`, and the helpers the
//! other commands share with them (the runtime, polled-result lines).

use super::via_owner::call;
use super::{Cli, out, print, state_dir};
use crate::clock::Clock;
use crate::owner::StopMode;
use crate::owner::link::{Link, LinkConfig};
use crate::owner::protocol::{Reply, Request, Role, ServerMsg, Update};
use anyhow::{Context, Result, bail};
use chrono::Utc;
use std::path::PathBuf;

/// The simulated segments: `--segment` specs, or the demo's population.
fn sim_segments(segments: &[String]) -> Result<Vec<crate::sim::SimSegment>> {
    if segments.is_empty() {
        return Ok(crate::demo::population(None));
    }
    segments
        .iter()
        .map(|s| crate::sim::parse_segment_spec(s).map_err(anyhow::Error::msg))
        .collect()
}

/// `cutover simulate --export DIR`: each segment's user export as of now.
pub(super) fn export(dir: &std::path::Path, segments: &[String], seed: u64) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create '{}'", dir.display()))?;
    let now = Utc::now();
    for seg in sim_segments(segments)? {
        let path = dir.join(format!("{}.ndjson", seg.id));
        let file = crate::files::create(&path)
            .with_context(|| format!("cannot write '{}'", path.display()))?;
        let mut out = std::io::BufWriter::new(file);
        let n = crate::sim::export::write_export(&seg, now, seed, &mut out)
            .and_then(|n| std::io::Write::flush(&mut out).map(|()| n))
            .with_context(|| format!("cannot write '{}'", path.display()))?;
        out::info(format_args!("wrote {} ({n} users)", path.display()));
    }
    Ok(())
}

/// How `cutover simulate --watch` runs the project beside the simulator.
pub(super) struct SimWatch<'a> {
    pub cli: &'a Cli,
    /// Stop after this many simulated days.
    pub days: Option<f64>,
}

/// `cutover simulate`: serve the simulator until SIGINT/SIGTERM; with `--watch`, also run
/// the project in `--project` as `watch` does, on the simulator's clock (as the demo does),
/// so its days pass at `--speed` and its reports and forecasts fill in.
/// What the simulator simulates, as the command line gives it: segments and their faults,
/// and the target's pace and faults.
pub(super) struct SimSpec<'a> {
    pub segments: &'a [String],
    pub faults: &'a [String],
    pub import_rate: Option<f64>,
    pub target_faults: &'a [String],
    /// Seconds a simulated Keycloak token lives.
    pub token_ttl: f64,
}

pub(super) fn simulate(
    listen: &str,
    speed: f64,
    spec: SimSpec<'_>,
    paused: bool,
    seed: u64,
    watch: Option<SimWatch<'_>>,
) -> Result<()> {
    if !(speed.is_finite() && speed > 0.0) {
        bail!("--speed {speed}: give the real seconds per simulated day, e.g. --speed 2");
    }
    if let Some(d) = watch.as_ref().and_then(|w| w.days)
        && !(d.is_finite() && d > 0.0)
    {
        bail!("--days {d}: give the simulated days to run, e.g. --days 30");
    }
    let mut population = sim_segments(spec.segments)?;
    for f in spec.faults {
        let (seg, fault) = crate::sim::parse_fault(f).map_err(anyhow::Error::msg)?;
        match population.iter_mut().find(|s| s.id == seg) {
            Some(s) => s.faults.push(fault),
            None => bail!("--fault '{f}': no simulated segment '{seg}'"),
        }
    }
    if let Some(r) = spec.import_rate
        && !(r.is_finite() && r > 0.0)
    {
        bail!(
            "--import-rate {r}: give the users a second the simulated target imports, e.g. --import-rate 5000"
        );
    }
    if !(spec.token_ttl.is_finite() && spec.token_ttl >= 1.0 && spec.token_ttl <= 86_400.0) {
        bail!(
            "--token-ttl {}: give the seconds a simulated Keycloak token lives, 1 to 86400, e.g. --token-ttl 60",
            spec.token_ttl
        );
    }
    let target = crate::sim::target::Target::new(
        spec.import_rate,
        spec.target_faults
            .iter()
            .map(|f| crate::sim::target::parse_target_fault(f))
            .collect::<Result<_, _>>()
            .map_err(anyhow::Error::msg)?,
        std::time::Duration::from_secs_f64(spec.token_ttl),
    );
    let clock = crate::clock::Clock::simulated(Utc::now(), speed);
    let rt = crate::runtime::multi_thread().context("cannot start the async runtime")?;
    rt.block_on(async move {
        let running = crate::sim::start(
            listen,
            crate::sim::Population::new(population, seed),
            clock,
            paused,
            target,
        )
        .await
        .with_context(|| format!("cannot listen on '{listen}'"))?;
        println!("listening on http://{}", running.addr);
        use std::io::Write;
        let _ = std::io::stdout().flush();
        if let Some(w) = watch {
            return watch_on(w.cli, Some(clock), w.days, None).await;
        }
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .context("cannot listen for SIGTERM")?;
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
        Ok(())
    })
}

/// A fresh scratch folder under the temp dir.
pub(super) fn tempfile_dir() -> Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!(
        "cutover-screenshot-{}-{}",
        std::process::id(),
        Utc::now().timestamp_nanos_opt().unwrap_or_default()
    ));
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create '{}'", dir.display()))?;
    Ok(dir)
}

pub(super) fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// `cutover poll`: each source's answer as it comes (a line, or with `--json` one object
/// each at the end, printed even when a source failed), then the guards' events.
pub(super) fn poll(cli: &Cli, json: bool) -> Result<()> {
    let (mut sources, mut events) = (Vec::new(), Vec::new());
    let mut answered = 0usize;
    let result = call(cli, None, Request::PollNow { segment: None }, |r| match r {
        Reply::Polled { polled } if json => sources.push(print::polled_json(polled)),
        Reply::Polled { polled } => {
            answered += 1;
            anstream::println!("{}", print::polled(polled));
        }
        Reply::Event { event } if json => events.push(event.clone()),
        // Guards' own events (an automatic rollback) are news, not acknowledgements.
        Reply::Event { event } => anstream::println!("{}", print::ack_painted(event)),
        _ => {}
    });
    if json && (result.is_ok() || !sources.is_empty()) {
        let events: Vec<_> = events.iter().collect();
        let shape = serde_json::json!({
            "ok": result.is_ok(),
            "sources": sources,
            "events": print::log_json(&events),
        });
        println!("{}", serde_json::to_string_pretty(&shape)?);
    } else if result.is_ok() && answered == 0 && !json {
        out::info("no sources declared: add [segments.sources.migrated] (see docs/live-data.md)");
    }
    result.map(|_| ())
}

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
async fn watch_on(
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
