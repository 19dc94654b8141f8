//! The commands that talk to live systems: `poll`, `watch`, `simulate`, and the helpers the
//! state-changing commands share with them (the runtime, polled-result lines, the guard's
//! follow-up).

use super::{Cli, open, print};
use crate::engine::Engine;
use anyhow::{Context, Result, bail};
use chrono::Utc;
use std::path::PathBuf;

pub(super) fn simulate(
    listen: &str,
    speed: f64,
    segments: &[String],
    faults: &[String],
    paused: bool,
    seed: u64,
) -> Result<()> {
    if speed.is_nan() || speed <= 0.0 {
        bail!("--speed {speed}: give the real seconds per simulated day, e.g. --speed 2");
    }
    let mut population = if segments.is_empty() {
        crate::demo::population(None)
    } else {
        segments
            .iter()
            .map(|s| crate::sim::parse_segment_spec(s).map_err(anyhow::Error::msg))
            .collect::<Result<Vec<_>>>()?
    };
    for f in faults {
        let (seg, fault) = crate::sim::parse_fault(f).map_err(anyhow::Error::msg)?;
        match population.iter_mut().find(|s| s.id == seg) {
            Some(s) => s.faults.push(fault),
            None => bail!("--fault '{f}': no simulated segment '{seg}'"),
        }
    }
    let clock = crate::clock::Clock::simulated(Utc::now(), speed);
    let rt = crate::runtime::multi_thread().context("cannot start the async runtime")?;
    rt.block_on(async move {
        let running = crate::sim::start(
            listen,
            crate::sim::Population::new(population, seed),
            clock,
            paused,
        )
        .await
        .with_context(|| format!("cannot listen on '{listen}'"))?;
        println!("listening on http://{}", running.addr);
        use std::io::Write;
        let _ = std::io::stdout().flush();
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

pub(super) fn polled_line(p: &crate::runtime::Polled) -> String {
    match &p.result {
        Ok(v) => format!("{} {} = {v}", p.segment, p.metric),
        Err(e) => format!("{} {}: error: {e}", p.segment, p.metric),
    }
}

pub(super) fn print_polled(p: &crate::runtime::Polled) {
    println!("{}", polled_line(p));
}

/// Act on what a guard concluded: roll back (as `auto`) or report the alarm.
pub(super) async fn follow_guard(
    engine: &mut Engine,
    guard: crate::engine::live::Guard,
    log: &mut impl FnMut(String),
) {
    use crate::engine::live::Guard;
    match guard {
        Guard::RollBack(cmd) => {
            log(format!(
                "{}: guard failed, auto-rollback: {}",
                cmd.segment,
                cmd.reason.as_deref().unwrap_or_default()
            ));
            let result = engine.apply(&cmd, Utc::now, |e| log(print::ack(e))).await;
            if let Err(e) = result {
                log(format!(
                    "{}: auto-rollback did not complete: {e}",
                    cmd.segment
                ));
            }
        }
        Guard::Alarm { streak, readings } if streak > 0 => {
            log(format!("guard alarm ({streak} in a row): {readings}"));
        }
        _ => {}
    }
}

pub(super) fn poll(cli: &Cli) -> Result<()> {
    let mut engine = open(cli)?;
    let specs = engine.project().sources();
    if specs.is_empty() {
        println!("no sources declared: add [segments.sources.migrated] (see the README)");
        return Ok(());
    }
    let runtime = runtime()?;
    let redactor = engine.redactor().clone();
    let polled = runtime.block_on(crate::runtime::poll_once(
        &specs,
        cli.project.clone(),
        &redactor,
        crate::clock::Clock::real(),
    ));
    let mut failed = 0;
    let mut guards = Vec::new();
    for p in &polled {
        print_polled(p);
        failed += usize::from(p.result.is_err());
        engine.record_polled(p)?;
    }
    engine.store().sync()?;
    for seg in engine
        .project()
        .segments
        .iter()
        .map(|s| s.id.clone())
        .collect::<Vec<_>>()
    {
        guards.push(engine.guard(&seg, Utc::now())?);
    }
    runtime.block_on(async {
        for g in guards {
            follow_guard(&mut engine, g, &mut |line| println!("{line}")).await;
        }
    });
    if failed > 0 {
        bail!("{failed} of {} source(s) failed (see above)", polled.len());
    }
    Ok(())
}

pub(super) fn watch(cli: &Cli) -> Result<()> {
    let mut engine = open(cli)?;
    let specs = engine.project().sources();
    let runtime = crate::runtime::multi_thread().context("cannot start the async runtime")?;
    let n = specs.len();
    runtime.block_on(async move {
        let (tx, mut rx) = tokio::sync::mpsc::channel(1024);
        let _pollers = crate::runtime::spawn_pollers(
            specs,
            cli.project.clone(),
            engine.redactor().clone(),
            crate::clock::Clock::real(),
            tx,
        );
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .context("cannot listen for SIGTERM")?;
        let mut sync = tokio::time::interval(std::time::Duration::from_secs(1));
        let mut log =
            |line: String| eprintln!("{} {line}", Utc::now().format("%Y-%m-%dT%H:%M:%SZ"));
        log(format!("watching {n} source(s); SIGINT or SIGTERM stops"));
        loop {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => { log("SIGINT: stopping".into()); break; }
                _ = term.recv() => { log("SIGTERM: stopping".into()); break; }
                _ = sync.tick() => engine.store().sync()?,
                Some(p) = rx.recv() => {
                    log(polled_line(&p));
                    let guard = engine.absorb(&p)?;
                    follow_guard(&mut engine, guard, &mut log).await;
                }
            }
        }
        engine.store().sync()?;
        Ok::<_, anyhow::Error>(())
    })
}
