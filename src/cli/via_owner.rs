//! The commands that read or change a project, each one request to its owner: this process
//! when the project is free (it owns, acts, and closes, waiting for any hook it started), or
//! the process that owns it, through the project's socket. Output, `--json` and exit codes
//! are the same either way.

use super::{Cli, print, state_dir};
use crate::owner::StopMode;
use crate::owner::calls::{Answer, CallError};
use crate::owner::link::{Link, LinkConfig};
use crate::owner::protocol::{Reply, Request, Role};
use anyhow::{Result, bail};

/// Run one request through the owner; `progress` sees each acknowledged event or polled
/// source as it comes. A failed request is an error (exit 1) whose text is the owner's reason.
pub(super) fn call(
    cli: &Cli,
    actor: Option<String>,
    request: Request,
    progress: impl FnMut(&Reply),
) -> Result<Reply> {
    ask(cli, actor, "request", request, progress)
}

/// [`call`] answered as `T` ([`crate::owner::calls`]): `asked` names the request in an error.
pub(super) fn ask<T: Answer>(
    cli: &Cli,
    actor: Option<String>,
    asked: &'static str,
    request: Request,
    progress: impl FnMut(&Reply),
) -> Result<T> {
    let runtime = super::live::runtime()?;
    runtime.block_on(async {
        let mut link = Link::establish(link_config(cli, actor)).await?;
        let owner = link
            .attached_to()
            .map(|w| format!("the owner of this project (pid {}, {})", w.pid, w.role));
        super::out::detail(match &owner {
            Some(o) => format!("served by {o}, through the project's socket"),
            None => {
                "served by this process: the project was free, so it owns it until done".to_string()
            }
        });
        let result = link.session.ask::<T>(asked, request, progress).await;
        let closed = link.close(StopMode::Drain).await;
        let answer = match result {
            Ok(answer) => answer,
            Err(CallError::Lost(lost)) if lost.said_here.is_none() => bail!(
                "{} stopped before answering{}; `cutover log` shows what was recorded",
                owner.unwrap_or_else(|| "this process's owner loop".into()),
                lost.reason.map(|r| format!(" ({r})")).unwrap_or_default()
            ),
            Err(e) => bail!("{e}"),
        };
        closed?;
        Ok(answer)
    })
}

/// How a command reaches the project's owner (or becomes it).
fn link_config(cli: &Cli, actor: Option<String>) -> LinkConfig {
    let mut config = LinkConfig::new(
        cli.project.clone(),
        state_dir(&cli.project, cli.state.as_deref()),
        Role::Command,
    );
    config.actor = actor;
    config
}

/// Print each acknowledged event (flushed before it was sent: the line is the
/// acknowledgement) and each polled source.
pub(super) fn print_progress(reply: &Reply) {
    match reply {
        Reply::Event { event } => super::out::info(print::ack_painted(event)),
        Reply::Polled { polled } => anstream::println!("{}", print::polled(polled)),
        _ => {}
    }
}

/// [`call`] for `--no-wait`: through a running owner, it returns (`None`) as soon as the
/// request is under way (its first acknowledged event or progress), and the owner goes on
/// alone. When this process would own the project itself there is nobody to go on, so it
/// says so and waits for the end as [`call`] does.
pub(super) fn call_no_wait(
    cli: &Cli,
    actor: Option<String>,
    request: Request,
    mut progress: impl FnMut(&Reply),
) -> Result<Option<Reply>> {
    let runtime = super::live::runtime()?;
    runtime.block_on(async {
        let mut link = Link::establish(link_config(cli, actor)).await?;
        let attached = link.attached_to().is_some();
        if !attached {
            super::out::info(
                "--no-wait: no owner runs this project (start `cutover watch`), so this process runs it and waits for the end",
            );
        }
        let under_way = std::sync::Arc::new(tokio::sync::Notify::new());
        let told = under_way.clone();
        let answer = {
            let call = link.session.ask::<Reply>("request", request, |reply| {
                progress(reply);
                if attached && matches!(reply, Reply::Event { .. } | Reply::MoveProgress { .. }) {
                    told.notify_one();
                }
            });
            tokio::select! {
                answer = call => Some(answer),
                () = under_way.notified() => None,
            }
        };
        let closed = link.close(StopMode::Drain).await;
        let answer = match answer {
            None => None,
            Some(Ok(reply)) => Some(reply),
            Some(Err(e)) => bail!("{e}"),
        };
        closed?;
        Ok(answer)
    })
}
