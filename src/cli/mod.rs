//! The headless commands: the contract scripts and CI rely on.
//!
//! Exit codes: 0 success; 1 refused, invalid or failed (the reason is the first line of
//! stderr); 2 usage error (clap). Every command that changes state goes through
//! [`crate::engine::Engine`], the same path as the cockpit's keys.

mod args;
mod audit;
mod audit_args;
mod change;
mod import;
pub(crate) mod init;
mod live;
mod moving;
mod notify;
mod offline;
mod out;
mod plan;
mod print;
mod reading;
mod reconcile;
mod reset;
mod rollback_args;
mod shell_docs;
mod state;
mod via_owner;
mod watch;

pub use args::{Cli, Cmd, StateCmd};
use live::{simulate, tempfile_dir};
use offline::project;
use via_owner::{call, print_progress};

use crate::model::Action;
use crate::owner::calls::Written;
use crate::owner::protocol::Request;
use anyhow::{Result, anyhow, bail};
use chrono::Utc;
use std::path::{Path, PathBuf};

/// Where the state of the project in `project_dir` lives.
pub fn state_dir(project_dir: &Path, state: Option<&Path>) -> PathBuf {
    state.map_or_else(|| project_dir.join(".cutover"), Path::to_path_buf)
}

/// Run a parsed command line. Errors are printed by `main` (first line: what and how to fix).
pub fn run(cli: Cli) -> Result<()> {
    out::init(&cli);
    crate::owner::session::set_deadline(cli.deadline);
    // The actor is recorded in the log: the log's rule applies before anything is asked.
    if let Some(actor) = &cli.actor {
        crate::model::log_rules::actor(actor.trim()).map_err(|why| anyhow!("--actor: {why}"))?;
    }
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
            import_rate,
            target_faults,
            token_ttl,
            paused,
            seed,
            export,
            watch,
            days,
        } => match export {
            Some(dir) => live::export(dir, segments, *seed),
            None => simulate(
                listen,
                *speed,
                live::SimSpec {
                    segments,
                    faults,
                    import_rate: *import_rate,
                    target_faults,
                    token_ttl: *token_ttl,
                },
                *paused,
                *seed,
                watch.then_some(live::SimWatch {
                    cli: &cli,
                    days: *days,
                }),
            ),
        },
        Cmd::Init { dir } => init::write(dir.as_deref().unwrap_or(&cli.project)),
        Cmd::Check { json } => offline::check(&cli.project, *json),
        Cmd::Completions { shell } => shell_docs::completions(*shell),
        Cmd::Man { out } => shell_docs::man(out.as_deref()),
        Cmd::Status { json } => reading::status(&cli, *json),
        Cmd::Log { segment, json } => reading::log(&cli, segment.clone(), *json),
        Cmd::Plan {
            segment,
            logins,
            field,
            created,
            count,
            at,
            migrated,
            write,
            json,
        } => plan::run(
            &cli.project,
            segment,
            &plan::Options {
                logins: logins.clone(),
                field: field.clone(),
                created: created.clone(),
                count: count.clone(),
                at: at.clone(),
                migrated: migrated.unwrap_or(0),
                write: *write,
                json: *json,
            },
        ),
        Cmd::Audit(a) => audit::run(&cli, a),
        Cmd::Move {
            segment,
            rehearse,
            keep,
            remaining,
            changed_since_move,
            json,
            no_wait,
        } => {
            if *remaining {
                moving::remaining(&cli, segment, *json)?;
            } else if !*changed_since_move {
                moving::not_slow(&cli, segment, *rehearse)?;
            }
            moving::run(
                &cli,
                segment,
                (*rehearse, *keep, *remaining, *changed_since_move),
                *json,
                *no_wait,
            )
        }
        Cmd::Reconcile {
            segment,
            rehearsal,
            json,
            out,
        } => reconcile::run(&cli, segment, *rehearsal, *json, out.as_deref()),
        Cmd::Reset {
            segment,
            json,
            no_wait,
        } => reset::run(&cli, segment, *json, *no_wait),
        Cmd::Checks { segment, json } => audit::checks(&cli, segment, *json),
        Cmd::Project {
            p,
            days,
            goal,
            json,
        } => project(*p, *days, *goal, *json),
        Cmd::Poll { json } => live::poll(&cli, *json),
        Cmd::State { action } => state::run(&cli, action),
        Cmd::Notify {
            action: args::NotifyCmd::Test { name },
        } => notify::test(&cli, name.as_deref()),
        Cmd::Screenshot { out } => {
            let work = tempfile_dir()?;
            let written =
                crate::report::screenshot::write_all(&work, out).map_err(anyhow::Error::msg);
            let _ = std::fs::remove_dir_all(&work);
            for f in written? {
                out::info(format_args!("wrote {}", f.display()));
            }
            Ok(())
        }
        Cmd::Report { out, at } => {
            let at = match at {
                Some(t) => Some(
                    chrono::DateTime::parse_from_rfc3339(t)
                        .map_err(|e| {
                            anyhow!("--at '{t}': {e}; use RFC 3339, e.g. 2026-11-23T12:04:00Z")
                        })?
                        .with_timezone(&Utc),
                ),
                None => None,
            };
            // The owner may run in another folder: give it an absolute path.
            let out = std::env::current_dir()
                .map(|d| d.join(out))
                .unwrap_or_else(|_| out.clone());
            let Written(written) =
                via_owner::ask(&cli, None, "report", Request::Report { out, at }, |_| {})?;
            for f in &written {
                out::info(format_args!("wrote {}", f.display()));
            }
            Ok(())
        }
        Cmd::Watch { metrics } => watch::watch(&cli, metrics.as_deref()),
        Cmd::Import { file } => import::run(&cli, file),
        Cmd::Record {
            segment,
            metric,
            value,
            at,
        } => {
            if !value.is_finite() {
                bail!("value '{value}' is not a number");
            }
            let at = match at {
                Some(text) => Some(import::parse_time(text).map_err(|e| anyhow!("--at: {e}"))?),
                None => None,
            };
            let request = Request::Record {
                segment: segment.clone(),
                metric: metric.clone(),
                value: *value,
                at,
            };
            call(&cli, None, request, |_| {})?;
            out::info(format_args!("{segment}: {metric} = {value} recorded"));
            Ok(())
        }
        Cmd::Advance {
            segment,
            reason,
            override_window,
            no_wait,
        } => act_with(
            &cli,
            segment,
            Request::Act {
                segment: segment.to_string(),
                action: Action::Advance,
                reason: reason.clone(),
                expect: None,
                delete_active: false,
                override_window: *override_window,
            },
            &cli.actor,
            *no_wait,
        ),
        Cmd::Approve { id, reason } => change::approve(&cli, *id, reason.clone()),
        Cmd::Reject { id, reason } => change::reject(&cli, *id, reason.clone()),
        Cmd::Rollback(r) => moving::rollback(&cli, r),
        Cmd::Replan { segment, reason } => act(
            &cli,
            segment,
            Action::Replan,
            reason.clone(),
            &cli.actor,
            false,
        ),
        Cmd::Retest { segment, reason } => act(
            &cli,
            segment,
            Action::Retest,
            reason.clone(),
            &cli.actor,
            false,
        ),
        Cmd::Pause { segment, reason } => act(
            &cli,
            segment,
            Action::Pause,
            Some(reason.clone()),
            &cli.actor,
            false,
        ),
        Cmd::Resume { segment, reason } => act(
            &cli,
            segment,
            Action::Resume,
            reason.clone(),
            &cli.actor,
            false,
        ),
        Cmd::Adopt { segment, reason } => act(
            &cli,
            segment,
            Action::AdoptFit,
            reason.clone(),
            &cli.actor,
            false,
        ),
    }
}

fn tui(cli: &Cli) -> Result<()> {
    crate::tui::ensure_terminal()?;
    let runtime = crate::runtime::multi_thread()?;
    runtime.block_on(async {
        let mut config = crate::owner::link::LinkConfig::new(
            cli.project.clone(),
            state_dir(&cli.project, cli.state.as_deref()),
            crate::owner::protocol::Role::Cockpit,
        );
        config.actor = cli.actor.clone();
        let link = crate::owner::link::Link::establish(config).await?;
        // The theme: `--theme`, else the project's (read from the file, which an attached
        // cockpit has not loaded).
        let wanted = cli.theme.clone().or_else(|| {
            crate::config::load(&cli.project)
                .ok()
                .and_then(|(p, _)| p.theme)
        });
        crate::tui::run(link, &cli.project, wanted.as_deref()).await
    })
}

/// An action on a segment; with `no_wait`, return once it is under way in a running owner.
fn act(
    cli: &Cli,
    segment: &str,
    action: Action,
    reason: Option<String>,
    who: &Option<String>,
    no_wait: bool,
) -> Result<()> {
    let request = Request::Act {
        segment: segment.to_string(),
        action,
        reason,
        expect: None,
        delete_active: false,
        override_window: false,
    };
    act_with(cli, segment, request, who, no_wait)
}

/// Send an action on `segment` (`Request::Act`) and print its events as they come.
fn act_with(
    cli: &Cli,
    segment: &str,
    request: Request,
    who: &Option<String>,
    no_wait: bool,
) -> Result<()> {
    // The owner polls a segment in gate before it decides an advance; each acknowledged
    // event is printed as it comes.
    if no_wait {
        if via_owner::call_no_wait(cli, who.clone(), request, print_progress)?.is_none() {
            moving::left_running(segment);
        }
        return Ok(());
    }
    call(cli, who.clone(), request, print_progress)?;
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
