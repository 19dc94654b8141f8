//! `cutover demo`: a believable migration, offline, in one command.
//!
//! Writes a demo project into a fresh folder, starts the simulated identity provider on
//! 127.0.0.1 in the same process, and runs the cockpit (or, with `--no-tui`, a headless loop
//! printing status lines) on a simulated clock where a day lasts `--speed` seconds. A scripted
//! operator moves the segments along: staff cuts over first and finishes, the EU region cuts
//! over and a failure spike makes its guard roll it back, the US region (a long-tail cohort
//! mix) lags its single-P projection, and the dormant accounts are moved by cutover itself into
//! the simulated FusionAuth (rehearsed in test, moved at cutover).

pub(crate) mod project;

pub use project::{SCHEDULE, population, project_file};

use crate::clock::Clock;
use crate::config;
use crate::engine::status::ProjectStatus;
use crate::engine::view::days_between;
use crate::engine::{Command, Engine};
use crate::model::{Action, Phase, PhaseShown};
use crate::owner::Script;
use crate::owner::link::{Link, LinkConfig};
use crate::owner::protocol::{Reply, Request, Role, ServerMsg, Update};
use crate::owner::{Owner, OwnerOptions, StopMode};
use crate::sim::{self, Population, SimState};
use crate::store::Store;
use anyhow::{Context, Result, bail};
use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

fn rank(p: Phase) -> u8 {
    match p {
        Phase::Plan => 0,
        Phase::Test => 1,
        Phase::Gate => 2,
        Phase::Cutover => 3,
        Phase::Done => 4,
        Phase::RolledBack => 5,
    }
}

/// Advances each segment towards its scheduled phase, one step at a time, retrying a refused
/// step (a gate with no fresh sample yet, a goal not reached) every 0.25 simulated days.
///
/// It also keeps the simulator in step with the state, as the real world would be: users start
/// migrating when their segment actually cuts over, and stop when it is rolled back.
pub struct DemoOperator {
    start: DateTime<Utc>,
    last_try: BTreeMap<String, DateTime<Utc>>,
    sim: Option<Arc<Mutex<SimState>>>,
    /// When dormant's move was last rehearsed.
    rehearsed: Option<DateTime<Utc>>,
    /// When dormant was last reconciled.
    reconciled: Option<DateTime<Utc>>,
}

impl DemoOperator {
    pub fn new(start: DateTime<Utc>, sim: Option<Arc<Mutex<SimState>>>) -> DemoOperator {
        DemoOperator {
            start,
            last_try: BTreeMap::new(),
            sim,
            rehearsed: None,
            reconciled: None,
        }
    }

    fn day_of(&self, t: DateTime<Utc>) -> f64 {
        days_between(self.start, t)
    }

    fn sync_simulator(&self, engine: &Engine) {
        let Some(sim) = &self.sim else { return };
        let Ok(mut st) = sim.lock() else { return };
        for seg in &mut st.population.segments {
            let state = engine.state(&seg.id);
            match (state.phase, state.cutover_at) {
                (Phase::Cutover | Phase::Done, Some(at)) => {
                    seg.start_day = self.day_of(at);
                    seg.stop_day = None;
                }
                (Phase::RolledBack, _) => {
                    if seg.stop_day.is_none() {
                        seg.stop_day = Some(state.since.map_or(f64::INFINITY, |t| self.day_of(t)));
                    }
                }
                _ => seg.start_day = f64::INFINITY,
            }
        }
    }
}

impl Script for DemoOperator {
    fn due(&mut self, now: DateTime<Utc>, engine: &Engine) -> Vec<Command> {
        self.sync_simulator(engine);
        let day = self.day_of(now);
        let mut out = Vec::new();
        for (at, seg, target) in SCHEDULE {
            if day < at || out.iter().any(|c: &Command| c.segment == seg) {
                continue;
            }
            let state = engine.state(seg);
            if state.phase == Phase::RolledBack
                || rank(state.phase) >= rank(target)
                || state.pending.is_some()
            {
                continue;
            }
            let recent = self
                .last_try
                .get(seg)
                .is_some_and(|t| (now - *t).num_milliseconds() < 6 * 3_600_000);
            if recent {
                continue;
            }
            self.last_try.insert(seg.to_string(), now);
            out.push(Command {
                segment: seg.to_string(),
                action: Action::Advance,
                actor: "demo".to_string(),
                reason: Some(format!("scheduled for day {at}")),
                expect: None,
            });
        }
        out
    }

    /// Dormant is reconciled once its real move is done (again a simulated day later while
    /// no reconciliation newer than the move passes), before the operator closes it.
    fn reconciliations(&mut self, now: DateTime<Utc>, engine: &Engine) -> Vec<String> {
        let moved = engine
            .move_status("dormant")
            .and_then(|m| m.real)
            .is_some_and(|r| r.state == "moved");
        let passing = engine
            .latest_reconciled("dormant", "real", now)
            .is_some_and(|r| !r.before_move && r.found.ok);
        let due = engine.state("dormant").phase == Phase::Cutover
            && moved
            && !passing
            && self.reconciled.is_none_or(|t| (now - t).num_hours() >= 24);
        if !due {
            return Vec::new();
        }
        self.reconciled = Some(now);
        vec!["dormant".to_string()]
    }

    /// Dormant's move is rehearsed once it is in test (again a simulated day later if it is
    /// still there: a rehearsal that failed), before the operator advances it to gate.
    fn rehearsals(&mut self, now: DateTime<Utc>, engine: &Engine) -> Vec<String> {
        let due = engine.state("dormant").phase == Phase::Test
            && self.rehearsed.is_none_or(|t| (now - t).num_hours() >= 24);
        if !due {
            return Vec::new();
        }
        self.rehearsed = Some(now);
        vec!["dormant".to_string()]
    }
}

/// The environment variable that holds the key of the demo's simulated FusionAuth (a move's
/// secrets come from the environment only).
pub const TARGET_KEY: &str = "CUTOVER_DEMO_TARGET_KEY";

/// Options of `cutover demo`.
#[derive(Debug, Clone)]
pub struct DemoOptions {
    pub dir: Option<PathBuf>,
    /// Real seconds per simulated day.
    pub speed: f64,
    pub tui: bool,
    /// Headless: stop after this many simulated days.
    pub days: f64,
    pub theme: Option<String>,
}

fn fresh_dir(dir: Option<&Path>) -> Result<PathBuf> {
    let dir = match dir {
        Some(d) => d.to_path_buf(),
        None => std::env::temp_dir().join(format!(
            "cutover-demo-{}",
            Utc::now().format("%Y%m%d-%H%M%S-%3f")
        )),
    };
    if dir.join(config::FILE_NAME).exists() {
        bail!(
            "'{}' already holds a project; pick another --dir (the demo never overwrites)",
            dir.display()
        );
    }
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create '{}'", dir.display()))?;
    Ok(dir)
}

/// How long the path of the demo's project stays readable before the cockpit opens.
const OPEN_PAUSE: Duration = Duration::from_secs(2);

/// Run the demo.
pub fn run(opts: DemoOptions) -> Result<()> {
    if !(opts.speed.is_finite() && opts.speed > 0.0) {
        bail!(
            "--speed {}: give the real seconds per simulated day, e.g. --speed 2",
            opts.speed
        );
    }
    if opts.tui && !std::io::IsTerminal::is_terminal(&std::io::stdout()) {
        bail!(
            "the demo's cockpit needs a terminal; without one, run `cutover demo --no-tui` to follow it as status lines"
        );
    }
    if std::env::var_os(TARGET_KEY).is_none() {
        // The demo moves dormant's users into its simulated FusionAuth, whose key the project
        // names as `env:CUTOVER_DEMO_TARGET_KEY`. A running process cannot set its own
        // environment safely, so the demo starts again in its place with the key set.
        use std::os::unix::process::CommandExt as _;
        let me = std::env::current_exe()
            .context("cannot find the cutover program to restart the demo")?;
        let err = std::process::Command::new(me)
            .args(std::env::args_os().skip(1))
            .env(TARGET_KEY, "demo-simulated-key")
            .exec();
        bail!("cannot restart the demo with its simulated target's key: {err}");
    }
    let dir = fresh_dir(opts.dir.as_deref())?;
    if opts.tui {
        // The cockpit takes the whole screen: say where the project is, and give the lead a
        // moment to read it, before the screen switches (and before the simulated clock
        // starts, so the pause costs the schedule nothing). It is said again on exit.
        println!(
            "demo project: {} (from another terminal: cutover --project {} status)",
            dir.display(),
            dir.display()
        );
        println!("the cockpit opens in {} s", OPEN_PAUSE.as_secs());
        std::thread::sleep(OPEN_PAUSE);
    }
    let start = Utc::now()
        .duration_trunc(TimeDelta::minutes(1))
        .unwrap_or_else(|_| Utc::now());
    // The US users are planned from their last-login export, as a lead would; before the
    // simulated clock starts, so writing and reading it costs the schedule no simulated days.
    let us_day = SCHEDULE
        .iter()
        .find(|s| s.1 == "us" && s.2 == Phase::Cutover)
        .map_or(2.0, |s| s.0);
    let us_plan = project::plan_us(&dir, crate::engine::view::days_after(start, us_day))
        .context("cannot write the demo's US export")?;
    let dormant_audit = project::audit_dormant(&dir, start)
        .context("cannot write and audit the demo's dormant export")?;
    let clock = Clock::simulated(start, opts.speed);
    let rt = crate::runtime::multi_thread().context("cannot start the async runtime")?;
    let population = Population::new(population(Some(8.0)), 42);
    let running = rt
        .block_on(sim::start(
            "127.0.0.1:0",
            population,
            clock,
            false,
            sim::target::Target::default(),
        ))
        .context("cannot start the simulated identity provider on 127.0.0.1")?;
    let url = format!("http://{}", running.addr);
    let every = Duration::from_secs_f64((opts.speed / 4.0).clamp(0.01, 2.0));
    crate::files::write(
        &dir.join(config::FILE_NAME),
        project_file(&url, every, &us_plan),
    )
    .context("cannot write the demo project")?;
    if !opts.tui {
        println!("demo project: {}", dir.display());
    }
    println!(
        "simulated identity provider: {url} (a day lasts {} s)",
        opts.speed
    );
    let script = Box::new(DemoOperator::new(start, Some(running.state.clone())));
    let result = rt.block_on(async {
        let (project, _) = config::load(&dir)?;
        let store = Store::open(&dir.join(".cutover"))?;
        let mut engine = Engine::new(project, dir.clone(), store)?;
        engine.record_audit(Some("dormant"), dormant_audit, "demo", start)?;
        let mut options = OwnerOptions::new(Role::Demo);
        options.clock = clock;
        options.script = Some(script);
        let owner = Owner::start(engine, options)?;
        let mut config = LinkConfig::new(dir.clone(), dir.join(".cutover"), Role::Demo);
        config.clock = clock;
        let link = Link::owned(config, owner).await;
        if opts.tui {
            crate::tui::run(link, &dir, opts.theme.as_deref()).await
        } else {
            headless(link, clock, opts.days).await
        }
    });
    drop(running);
    drop(rt);
    if opts.tui {
        println!(
            "demo project kept in {} (cutover --project {} status)",
            dir.display(),
            dir.display()
        );
    }
    result
}

fn pct(x: Option<f64>) -> String {
    x.map_or_else(|| "—".into(), |s| format!("{:.1} %", s * 100.0))
}

/// One status line per simulated day: each segment's phase, share and finish.
fn day_line(day: f64, status: &ProjectStatus) -> String {
    let mut line = format!("day {day:>3.0} │");
    for s in &status.segments {
        line.push_str(&format!(" {} {} {}", s.id, s.phase, pct(s.migrated_share)));
        if let (Some(p), Some(d)) = (s.projected_share, s.deviation_points) {
            line.push_str(&format!(" (proj {}, {d:+.1})", pct(Some(p))));
        }
        if s.phase == PhaseShown::Cutover {
            // The FINISH column's rule: "reached", a date, "never" only from a login model.
            line.push_str(&format!(" → planned {}", s.planned_finish()));
            if let Some(f) = &s.forecast {
                line.push_str(&format!(", forecast {}", f.describe()));
            }
        }
        line.push_str(" │");
    }
    line
}

/// The demo without a terminal: a client of the demo's owner (pollers, guards and the
/// scripted operator on the simulated clock) printing every event as it happens and a
/// status line per simulated day.
pub async fn headless(mut link: Link, clock: Clock, days: f64) -> Result<()> {
    let session = &mut link.session;
    let day_of = |at: DateTime<Utc>| days_between(clock.start(), at);
    session.send(Request::Subscribe { polls: false }).await?;
    let mut tick = tokio::time::interval(Duration::from_millis(10));
    let mut next_day = 1.0;
    let mut asked: Option<(u64, f64)> = None;
    let mut phases_seen = std::collections::BTreeSet::new();
    let last = loop {
        tokio::select! {
            msg = session.recv() => match msg {
                Some(ServerMsg::Update { update: Update::EventAppended { event } }) => {
                    println!("  {} day {:>5.1}  {}", event.body.actor, day_of(event.body.at), event.ack_line());
                }
                Some(ServerMsg::Reply { id, reply: Reply::Status { status } }) => {
                    if let Some((asked_id, day)) = asked
                        && asked_id == id
                    {
                        asked = None;
                        phases_seen.extend(status.segments.iter().map(|s| s.phase));
                        println!("{}", day_line(day, &status));
                        if day >= days {
                            break *status;
                        }
                    }
                }
                Some(_) => {}
                None => bail!("{}", session.lost()),
            },
            _ = tick.tick() => {
                if asked.is_none() && (clock.days() >= next_day || clock.days() >= days) {
                    let day = next_day.min(days.max(0.0));
                    asked = Some((session.send(Request::Status).await?, day));
                    next_day += 1.0;
                }
            }
        }
    };
    link.close(StopMode::Drain).await?;
    println!("\nafter {days} simulated days:");
    print!("{}", crate::report::text::status_table(&last));
    println!(
        "phases seen: {}",
        phases_seen
            .into_iter()
            .map(|p| p.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    );
    Ok(())
}
