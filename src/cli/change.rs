//! `cutover approve ID [--reason …]` and `cutover reject ID --reason …`: deciding a request that
//! waits for approval (`[approvals]`), through the project's owner, which names the decider
//! after their OS user. The approval's event is printed, then, when it was the last needed, the
//! events of the action it runs (its gates checked then).

use super::Cli;
use super::via_owner::{call, print_progress};
use crate::owner::protocol::Request;
use anyhow::Result;

pub(super) fn approve(cli: &Cli, id: u64, reason: Option<String>) -> Result<()> {
    call(
        cli,
        cli.actor.clone(),
        Request::Approve { id, reason },
        print_progress,
    )?;
    Ok(())
}

pub(super) fn reject(cli: &Cli, id: u64, reason: String) -> Result<()> {
    call(
        cli,
        cli.actor.clone(),
        Request::Reject { id, reason },
        print_progress,
    )?;
    Ok(())
}
