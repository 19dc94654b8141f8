//! The headless commands: the contract scripts and CI rely on.
//!
//! Exit codes: 0 success; 1 refused, invalid or failed (the reason is the first line of
//! stderr); 2 usage error (clap). Every command that changes state goes through
//! [`crate::engine::Engine`], the same path as the cockpit's keys.

mod init;
mod print;

use crate::config::{self, Severity};
use crate::engine::{Command as EngineCommand, Engine, EngineError};
use crate::model::{Action, projection};
use crate::store::Store;
use anyhow::{Context, Result, anyhow, bail};
use chrono::Utc;
use clap::{Args, Parser, Subcommand};
use std::path::{Path, PathBuf};

#[derive(Debug, Parser)]
#[command(
    name = "cutover",
    version,
    about = "A terminal cockpit for customer-identity migrations"
)]
pub struct Cli {
    /// Folder holding cutover.toml.
    #[arg(long, global = true, value_name = "DIR", default_value = ".")]
    pub project: PathBuf,
    /// Folder for the live state (default: <project>/.cutover).
    #[arg(long, global = true, value_name = "DIR")]
    pub state: Option<PathBuf>,
    /// Colour theme for the cockpit (default, light, high-contrast, or one in <project>/themes).
    #[arg(long, global = true, value_name = "NAME")]
    pub theme: Option<String>,
    #[command(subcommand)]
    pub command: Option<Cmd>,
}

#[derive(Debug, Args)]
pub struct Who {
    /// Who is acting (default: $USER, else the OS user name).
    #[arg(long, value_name = "NAME")]
    pub actor: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum Cmd {
    /// Open the cockpit (the default when no command is given).
    Tui,
    /// Run the cockpit on a built-in demo migration against a simulated identity provider.
    Demo {
        /// Folder for the demo project (default: a fresh folder under the temp dir).
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
        /// Real seconds per simulated day.
        #[arg(long, default_value_t = 2.0)]
        speed: f64,
        /// Run headless, printing status lines, for CI and people without a terminal.
        #[arg(long)]
        no_tui: bool,
        /// Headless: stop after this many simulated days.
        #[arg(long, default_value_t = 60.0)]
        days: f64,
    },
    /// Serve a simulated identity provider on 127.0.0.1 (FusionAuth, Elasticsearch, Keycloak,
    /// Auth0 and Prometheus shapes, plus /metrics).
    Simulate {
        /// Address to listen on (port 0 picks a free port; the bound address is printed).
        #[arg(long, default_value = "127.0.0.1:0")]
        listen: String,
        /// Real seconds per simulated day.
        #[arg(long, default_value_t = 2.0)]
        speed: f64,
        /// ID:USERS:P or ID:USERS:SHARE@P,SHARE@P[:START_DAY] (default: the demo's population).
        #[arg(long = "segment", value_name = "SPEC")]
        segments: Vec<String>,
        /// SEGMENT:failure-spike@DAY or SEGMENT:latency-spike@DAY (3 days long).
        #[arg(long = "fault", value_name = "SPEC")]
        faults: Vec<String>,
        /// Freeze time at day 0; move it with POST /sim/day?set=DAYS.
        #[arg(long)]
        paused: bool,
        #[arg(long, default_value_t = 42)]
        seed: u64,
    },
    /// Write a commented example cutover.toml into DIR (never overwrites).
    Init { dir: Option<PathBuf> },
    /// Validate the project file and list every problem.
    Check,
    /// Phases, sizes, migrated and projected shares of every segment.
    Status {
        #[arg(long)]
        json: bool,
    },
    /// Move a segment to its next phase (plan → test → gate → cutover → done).
    Advance {
        segment: String,
        #[arg(long, value_name = "TEXT")]
        reason: Option<String>,
        #[command(flatten)]
        who: Who,
    },
    /// Roll a segment back (fires its rollback hook).
    Rollback {
        segment: String,
        #[arg(long, value_name = "TEXT", required_unless_present = "retry")]
        reason: Option<String>,
        /// Re-fire a failed or unfinished rollback hook with the same idempotency key.
        #[arg(long)]
        retry: bool,
        #[command(flatten)]
        who: Who,
    },
    /// Re-plan a rolled-back segment (rolled-back → plan).
    Replan {
        segment: String,
        #[arg(long, value_name = "TEXT")]
        reason: Option<String>,
        #[command(flatten)]
        who: Who,
    },
    /// Send a segment in gate back to test.
    Retest {
        segment: String,
        #[arg(long, value_name = "TEXT")]
        reason: Option<String>,
        #[command(flatten)]
        who: Who,
    },
    /// Freeze a segment: no advance until resumed (rollback stays allowed).
    Pause {
        segment: String,
        #[arg(long, value_name = "TEXT")]
        reason: String,
        #[command(flatten)]
        who: Who,
    },
    /// Lift a segment's hold.
    Resume {
        segment: String,
        #[arg(long, value_name = "TEXT")]
        reason: Option<String>,
        #[command(flatten)]
        who: Who,
    },
    /// Record one sample of a metric by hand (e.g. a migrated count from a report).
    Record {
        segment: String,
        /// `migrated` for the migrated-user count, or any metric name.
        metric: String,
        value: f64,
    },
    /// Poll every source once, store the samples, run the guards, print each result
    /// (exit 1 if any source failed).
    Poll,
    /// Run the pollers and guards headless until SIGINT/SIGTERM, logging to stderr.
    Watch,
    /// Charts (PNG and SVG) per segment and for the project, and a Markdown summary.
    Report {
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// Report as of this moment (RFC 3339), e.g. to reproduce a report (default: now).
        #[arg(long, value_name = "TIME")]
        at: Option<String>,
    },
    /// Regenerate the PNG screenshots of the cockpit (sample project, fixed moment).
    Screenshot {
        #[arg(long, value_name = "DIR", default_value = "screenshots")]
        out: PathBuf,
    },
    /// The audit log, oldest first.
    Log {
        #[arg(long, value_name = "SEGMENT")]
        segment: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Project a slow migration: the share after D days, or the days to a goal.
    Project {
        /// Daily login probability, 0 < P <= 1.
        #[arg(long)]
        p: f64,
        #[arg(long, conflicts_with = "goal", required_unless_present = "goal")]
        days: Option<f64>,
        #[arg(long)]
        goal: Option<f64>,
        #[arg(long)]
        json: bool,
    },
}

/// The actor of an action: `--actor`, else `$USER`, else the OS user name, else `unknown`.
pub fn actor(given: Option<String>) -> String {
    given
        .filter(|a| !a.trim().is_empty())
        .or_else(|| std::env::var("USER").ok().filter(|u| !u.is_empty()))
        .or_else(os_user_name)
        .unwrap_or_else(|| "unknown".to_string())
}

fn os_user_name() -> Option<String> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let uid = status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))?
        .split_whitespace()
        .next()?
        .to_string();
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|l| {
        let mut f = l.split(':');
        let name = f.next()?;
        (f.nth(1)? == uid).then(|| name.to_string())
    })
}

/// Where the state of the project in `project_dir` lives.
pub fn state_dir(project_dir: &Path, state: Option<&Path>) -> PathBuf {
    state.map_or_else(|| project_dir.join(".cutover"), Path::to_path_buf)
}

fn open(cli: &Cli) -> Result<Engine> {
    let (project, _warnings) = config::load(&cli.project)?;
    let store = Store::open(&state_dir(&cli.project, cli.state.as_deref()))?;
    Ok(Engine::new(project, cli.project.clone(), store)?)
}

/// Run a parsed command line. Errors are printed by `main` (first line: what and how to fix).
pub fn run(cli: Cli) -> Result<()> {
    let Some(command) = &cli.command else {
        return tui(&cli);
    };
    match command {
        Cmd::Tui => tui(&cli),
        Cmd::Demo {
            dir,
            speed,
            no_tui,
            days,
        } => crate::demo::run(crate::demo::DemoOptions {
            dir: dir.clone(),
            speed: *speed,
            tui: !*no_tui,
            days: *days,
            theme: cli.theme.clone(),
        }),
        Cmd::Simulate {
            listen,
            speed,
            segments,
            faults,
            paused,
            seed,
        } => simulate(listen, *speed, segments, faults, *paused, *seed),
        Cmd::Init { dir } => init::write(dir.as_deref().unwrap_or(&cli.project)),
        Cmd::Check => check(&cli.project),
        Cmd::Status { json } => {
            let engine = open(&cli)?;
            let status = engine.status(engine.reading_time(Utc::now()))?;
            if *json {
                println!("{}", serde_json::to_string_pretty(&status)?);
            } else {
                print!("{}", print::status(&status));
            }
            Ok(())
        }
        Cmd::Log { segment, json } => {
            let engine = open(&cli)?;
            if let Some(s) = segment
                && engine.project().segment(s).is_none()
                && !engine.events().iter().any(|e| &e.body.segment == s)
            {
                return Err(EngineError::UnknownSegment(s.clone()).into());
            }
            let events: Vec<_> = engine
                .events()
                .iter()
                .filter(|e| segment.as_ref().is_none_or(|s| &e.body.segment == s))
                .collect();
            if *json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&print::log_json(&events))?
                );
            } else {
                print!("{}", print::log(&events));
            }
            Ok(())
        }
        Cmd::Project {
            p,
            days,
            goal,
            json,
        } => project(*p, *days, *goal, *json),
        Cmd::Poll => poll(&cli),
        Cmd::Screenshot { out } => {
            let work = tempfile_dir()?;
            let written =
                crate::report::screenshot::write_all(&work, out).map_err(anyhow::Error::msg);
            let _ = std::fs::remove_dir_all(&work);
            for f in written? {
                println!("wrote {}", f.display());
            }
            Ok(())
        }
        Cmd::Report { out, at } => {
            let engine = open(&cli)?;
            let now = match at {
                Some(t) => chrono::DateTime::parse_from_rfc3339(t)
                    .map_err(|e| {
                        anyhow!("--at '{t}': {e}; use RFC 3339, e.g. 2026-11-23T12:04:00Z")
                    })?
                    .with_timezone(&Utc),
                None => engine.reading_time(Utc::now()),
            };
            let written = crate::report::write(&engine, out, now).map_err(anyhow::Error::msg)?;
            for f in &written {
                println!("wrote {}", f.display());
            }
            Ok(())
        }
        Cmd::Watch => watch(&cli),
        Cmd::Record {
            segment,
            metric,
            value,
        } => {
            if !value.is_finite() {
                bail!("value '{value}' is not a number");
            }
            let mut engine = open(&cli)?;
            engine.record_sample(segment, metric, Utc::now(), *value)?;
            println!("{segment}: {metric} = {value} recorded");
            Ok(())
        }
        Cmd::Advance {
            segment,
            reason,
            who,
        } => act(&cli, segment, Action::Advance, reason.clone(), &who.actor),
        Cmd::Rollback {
            segment,
            reason,
            retry,
            who,
        } => {
            let action = if *retry {
                Action::RetryRollBack
            } else {
                Action::RollBack
            };
            act(&cli, segment, action, reason.clone(), &who.actor)
        }
        Cmd::Replan {
            segment,
            reason,
            who,
        } => act(&cli, segment, Action::Replan, reason.clone(), &who.actor),
        Cmd::Retest {
            segment,
            reason,
            who,
        } => act(&cli, segment, Action::Retest, reason.clone(), &who.actor),
        Cmd::Pause {
            segment,
            reason,
            who,
        } => act(
            &cli,
            segment,
            Action::Pause,
            Some(reason.clone()),
            &who.actor,
        ),
        Cmd::Resume {
            segment,
            reason,
            who,
        } => act(&cli, segment, Action::Resume, reason.clone(), &who.actor),
    }
}

fn tui(cli: &Cli) -> Result<()> {
    let engine = open(cli)?;
    let wanted = cli.theme.clone().or_else(|| engine.project().theme.clone());
    crate::tui::run(
        engine,
        &cli.project,
        wanted.as_deref(),
        crate::tui::DriveOptions::default(),
    )
}

/// The status table `cutover status` prints.
pub fn status_table(status: &crate::engine::status::ProjectStatus) -> String {
    print::status(status)
}

/// The acknowledgement line of a flushed event (also the cockpit's status line).
pub fn ack_line(event: &crate::model::Event) -> String {
    print::ack(event)
}

fn act(
    cli: &Cli,
    segment: &str,
    action: Action,
    reason: Option<String>,
    who: &Option<String>,
) -> Result<()> {
    let mut engine = open(cli)?;
    let cmd = EngineCommand {
        segment: segment.to_string(),
        action,
        actor: actor(who.clone()),
        reason,
    };
    let runtime = runtime()?;
    // gate → cutover needs every criterion to pass *now*: poll the segment's sources first.
    if action == Action::Advance
        && engine.state(segment).phase == crate::model::Phase::Gate
        && let Some(seg) = engine.project().segment(segment).cloned()
        && !seg.sources.is_empty()
    {
        let redactor = engine.redactor().clone();
        let polled = runtime.block_on(crate::runtime::poll_once(
            &seg.sources,
            cli.project.clone(),
            &redactor,
            crate::clock::Clock::real(),
        ));
        for p in &polled {
            engine.record_polled(p)?;
            print_polled(p);
        }
        engine.store().sync()?;
    }
    runtime.block_on(engine.apply(&cmd, Utc::now, |event| {
        // Printed only after the event is flushed: this line is the acknowledgement.
        println!("{}", print::ack(event));
    }))?;
    Ok(())
}

fn simulate(
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
fn tempfile_dir() -> Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!(
        "cutover-screenshot-{}-{}",
        std::process::id(),
        Utc::now().timestamp_nanos_opt().unwrap_or_default()
    ));
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create '{}'", dir.display()))?;
    Ok(dir)
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

fn polled_line(p: &crate::runtime::Polled) -> String {
    match &p.result {
        Ok(v) => format!("{} {} = {v}", p.segment, p.metric),
        Err(e) => format!("{} {}: error: {e}", p.segment, p.metric),
    }
}

fn print_polled(p: &crate::runtime::Polled) {
    println!("{}", polled_line(p));
}

/// Act on what a guard concluded: roll back (as `auto`) or report the alarm.
async fn follow_guard(
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

fn poll(cli: &Cli) -> Result<()> {
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

fn watch(cli: &Cli) -> Result<()> {
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

fn check(dir: &Path) -> Result<()> {
    match config::load(dir) {
        Ok((project, warnings)) => {
            for w in &warnings {
                eprintln!("{w}");
            }
            println!(
                "{}: ok: project '{}', {} segment(s){}",
                dir.join(config::FILE_NAME).display(),
                project.name,
                project.segments.len(),
                if warnings.is_empty() {
                    String::new()
                } else {
                    format!(", {} warning(s)", warnings.len())
                }
            );
            for seg in &project.segments {
                let hooks: Vec<String> = [
                    ("cutover", &seg.hooks.cutover),
                    ("rollback", &seg.hooks.rollback),
                    ("done", &seg.hooks.done),
                ]
                .iter()
                .filter_map(|(n, h)| h.as_ref().map(|h| format!("{n}: {}", h.describe())))
                .collect();
                println!(
                    "  {}  {}  size {}  goal {:.0} %  gates: no criteria  hooks: {}",
                    seg.id,
                    seg.strategy.as_str(),
                    seg.size,
                    seg.goal * 100.0,
                    if hooks.is_empty() {
                        "none".to_string()
                    } else {
                        hooks.join("; ")
                    }
                );
            }
            Ok(())
        }
        Err(config::LoadError::Invalid(problems)) => {
            let errors = problems
                .iter()
                .filter(|p| p.severity == Severity::Error)
                .count();
            // Errors first, so the first line of stderr is an error.
            let mut sorted = problems.clone();
            sorted.sort_by_key(|p| (p.severity != Severity::Error, p.line));
            for p in &sorted {
                eprintln!("{p}");
            }
            Err(anyhow!(
                "{errors} problem(s) in {}",
                dir.join(config::FILE_NAME).display()
            )
            .context(Quiet))
        }
        Err(e) => Err(e.into()),
    }
}

/// Marks an error whose details were already printed: `main` prints only its summary.
#[derive(Debug)]
pub struct Quiet;

impl std::fmt::Display for Quiet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("")
    }
}

fn project(p: f64, days: Option<f64>, goal: Option<f64>, json: bool) -> Result<()> {
    if !(p > 0.0 && p <= 1.0) {
        bail!("--p {p}: the daily login probability must be in (0, 1], e.g. --p 0.2");
    }
    if let Some(d) = days {
        if !(d >= 0.0 && d.is_finite()) {
            bail!("--days {d}: must be a number of days >= 0");
        }
        let share = projection::projected_share(p, d);
        if json {
            println!(
                "{}",
                serde_json::json!({ "p": p, "days": d, "share": share })
            );
        } else {
            println!("after {d} days at P = {p}: {:.2} % migrated", share * 100.0);
        }
        return Ok(());
    }
    let goal = goal.ok_or_else(|| anyhow!("give --days D or --goal G"))?;
    if !(goal > 0.0 && goal <= 1.0) {
        bail!("--goal {goal}: must be a share in (0, 1], e.g. --goal 0.9");
    }
    let days = projection::days_to_goal(p, goal);
    if json {
        println!(
            "{}",
            serde_json::json!({ "p": p, "goal": goal, "days": days })
        );
    } else {
        match days {
            Some(d) => println!(
                "{:.0} % migrated at P = {p} after {d:.1} days",
                goal * 100.0
            ),
            None => println!(
                "{:.0} % migrated at P = {p}: never (the curve only approaches 100 %)",
                goal * 100.0
            ),
        }
    }
    Ok(())
}
