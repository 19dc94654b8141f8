//! The headless commands: the contract scripts and CI rely on.
//!
//! Exit codes: 0 success; 1 refused, invalid or failed (the reason is the first line of
//! stderr); 2 usage error (clap). Every command that changes state goes through
//! [`crate::engine::Engine`], the same path as the cockpit's keys.

mod args;
mod init;
mod live;
mod offline;
mod print;

pub use args::{Cli, Cmd, Who};
use live::{print_polled, runtime, simulate, tempfile_dir};
use offline::project;

use crate::config;
use crate::engine::{Command as EngineCommand, Engine, EngineError};
use crate::model::Action;
use crate::store::Store;
use anyhow::{Result, anyhow, bail};
use chrono::Utc;
use std::path::{Path, PathBuf};

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
        Cmd::Check => offline::check(&cli.project),
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
        Cmd::Poll => live::poll(&cli),
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
        Cmd::Watch => live::watch(&cli),
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

/// Marks an error whose details were already printed: `main` prints only its summary.
#[derive(Debug)]
pub struct Quiet;

impl std::fmt::Display for Quiet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("")
    }
}
