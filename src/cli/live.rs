//! The commands that talk to live systems: `poll` and `simulate` (whose `--watch` runs
//! [`super::watch`]), and the helpers the other commands share with them (the runtime, a
//! temporary folder).

use super::via_owner::call;
use super::{Cli, out, print};
use crate::owner::protocol::{Reply, Request};
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
            return super::watch::watch_on(w.cli, Some(clock), w.days, None).await;
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
