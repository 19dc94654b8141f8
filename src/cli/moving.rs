//! `cutover move SEGMENT [--rehearse [--keep] | --remaining | --changed-since-move] [--json]`:
//! move a segment's users into its `[segments.move]` target through the project's owner,
//! which runs the move as a task and journals every batch. The command waits for the end, showing progress on stderr (a bar on
//! a terminal, else a line every 10 %), then prints the report. Run it again after an
//! interruption and it resumes; after the end it sends nothing and prints the report again.

use super::{Cli, via_owner};
use crate::model::moved::MoveReport;
use crate::owner::protocol::{Reply, Request};
use anyhow::Result;

pub(super) fn run(
    cli: &Cli,
    segment: &str,
    (rehearse, keep, remaining, changed_since_move): (bool, bool, bool, bool),
    json: bool,
    no_wait: bool,
) -> Result<()> {
    let label = if rehearse {
        format!("rehearsing the move of {segment}")
    } else if changed_since_move {
        format!("moving {segment}'s changed users")
    } else {
        format!("moving {segment}")
    };
    let mut bar: Option<crate::progress::Progress> = None;
    let request = Request::Move {
        segment: segment.to_string(),
        rehearse,
        keep,
        remaining,
        changed_since_move,
    };
    let mut progress = |reply: &Reply| match reply {
        Reply::MoveProgress { done, of } => {
            let bar = bar.get_or_insert_with(|| {
                crate::progress::Progress::new(&label, (*of).max(*done), "users", 0)
            });
            bar.inc(done.saturating_sub(bar.done()));
        }
        Reply::Event { .. } if !json => via_owner::print_progress(reply),
        _ => {}
    };
    let first = if no_wait {
        match via_owner::call_no_wait(cli, None, request.clone(), &mut progress)? {
            Some(reply) => reply,
            None => {
                left_running(segment);
                return Ok(());
            }
        }
    } else {
        via_owner::call(cli, None, request.clone(), &mut progress)?
    };
    let report: MoveReport = match first {
        Reply::Moved { report } => *report,
        // In gate the move ran as the cutover (its events were printed): its report now.
        _ => via_owner::ask(cli, None, "move", request, |_| {})?,
    };
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", report.text());
    }
    Ok(())
}

/// `move --remaining`, before the move: only for a slow segment; reconcile now (recorded),
/// and say how many users of the export are not on the target yet. The move then sends
/// exactly those: it asks the target which users of each batch it holds, and never touches
/// them (the users who moved as they logged in).
pub(super) fn remaining(cli: &Cli, segment: &str, json: bool) -> Result<()> {
    let (project, _) = crate::config::load(&cli.project).map_err(|e| anyhow::anyhow!("{e}"))?;
    if project
        .segment(segment)
        .is_some_and(|s| s.strategy != crate::config::Strategy::Slow)
    {
        anyhow::bail!(
            "--remaining moves a slow segment's long tail; {segment} is not slow, and its move is its cutover (`cutover reconcile {segment}` says who is missing)"
        );
    }
    let found = super::reconcile::reconcile(cli, segment, false)?;
    super::reconcile::record(cli, &found, false)?;
    if !json {
        println!(
            "{segment}: {} users of the export are not on {} yet; moving them",
            crate::model::moved::grouped(found.counts.missing),
            found.counts.target
        );
    }
    Ok(())
}

/// A slow segment's users move as they log in: `move` without `--remaining` is refused.
pub(super) fn not_slow(cli: &Cli, segment: &str, rehearse: bool) -> Result<()> {
    let slow = crate::config::load(&cli.project)
        .ok()
        .and_then(|(p, _)| {
            p.segment(segment)
                .map(|s| s.strategy == crate::config::Strategy::Slow)
        })
        .unwrap_or(false);
    if slow && !rehearse {
        anyhow::bail!(
            "{segment} is slow: its users move as they log in; to move those not on the target yet, run `cutover move {segment} --remaining`"
        );
    }
    Ok(())
}

/// `rollback --json`: the users the undo will delete and keep (read before anything runs:
/// those active on the target since they moved are kept unless `delete_active`), then the
/// rollback, then `{segment, undo_deletes, undo_keeps, events}` with every event it recorded
/// (the undo's `move` event among them, with its counts).
pub(super) fn rollback_json(
    cli: &Cli,
    segment: &str,
    action: crate::model::Action,
    reason: Option<String>,
    delete_active: bool,
) -> Result<()> {
    let status: Box<crate::engine::status::ProjectStatus> =
        via_owner::ask(cli, None, "status", Request::Status, |_| {})?;
    let created = status
        .segments
        .iter()
        .find(|s| s.id == segment)
        .and_then(|s| s.moving.as_ref())
        .map_or(0, |m| m.undo_deletes());
    // The undo keeps users active on the target since they moved, unless told otherwise.
    // A failed read never stops a rollback: the counts are then unknown (null).
    let (undo_deletes, kept) = if created > 0 && !delete_active {
        match ask_delta(cli, segment) {
            Ok(d) => (Some(d.delete), Some(d.keep)),
            Err(e) => {
                crate::cli::out::info(format_args!(
                    "{segment}: cannot say what the rollback keeps ({e}); rolling back"
                ));
                (None, None)
            }
        }
    } else {
        (Some(created), Some(0))
    };
    let mut events = Vec::new();
    let request = Request::Act {
        segment: segment.to_string(),
        action,
        reason,
        expect: None,
        delete_active,
        override_window: false,
    };
    let result = via_owner::call(cli, cli.actor.clone(), request, |reply| {
        if let Reply::Event { event } = reply {
            events.push(event.clone());
        }
    });
    println!(
        "{}",
        serde_json::to_string_pretty(&serde_json::json!({
            "segment": segment,
            "undo_deletes": undo_deletes,
            "undo_keeps": kept,
            "events": events,
        }))?
    );
    result.map(|_| ())
}

/// `cutover rollback`: a dry run, or the rollback (with `--delete-active` confirmed first).
pub(super) fn rollback(cli: &Cli, r: &super::args::RollbackArgs) -> Result<()> {
    use crate::model::Action;
    if r.dry_run {
        return rollback_dry_run(cli, &r.segment, r.json);
    }
    if r.delete_active {
        confirm_delete_active(&r.segment, r.confirm.as_deref())?;
    }
    let action = if r.retry {
        Action::RetryRollBack
    } else {
        Action::RollBack
    };
    if r.json {
        return rollback_json(cli, &r.segment, action, r.reason.clone(), r.delete_active);
    }
    let request = Request::Act {
        segment: r.segment.clone(),
        action,
        reason: r.reason.clone(),
        expect: None,
        delete_active: r.delete_active,
        override_window: false,
    };
    super::act_with(cli, &r.segment, request, &cli.actor, r.no_wait)
}

/// What a rollback of `segment` would lose, asked of the project's owner.
fn ask_delta(cli: &Cli, segment: &str) -> Result<crate::model::moved::RollbackDelta> {
    let request = Request::RollbackDelta {
        segment: segment.to_string(),
    };
    via_owner::ask(cli, None, "what a rollback would lose", request, |_| {})
}

/// `rollback --dry-run [--json]`: what a rollback would lose now, read from the target by the
/// project's owner (or its reading of a few minutes ago), and nothing done.
pub(super) fn rollback_dry_run(cli: &Cli, segment: &str, json: bool) -> Result<()> {
    let delta = ask_delta(cli, segment)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&delta)?);
    } else {
        println!("{segment}: {}", delta.sentence());
        println!("{segment}: {}", delta.policy());
    }
    Ok(())
}

/// The typed confirmation `--delete-active` needs: `--confirm SEGMENT`, or the segment's id
/// typed at the prompt on a terminal.
pub(super) fn confirm_delete_active(segment: &str, confirm: Option<&str>) -> Result<()> {
    use std::io::{BufRead, IsTerminal, Write};
    if confirm == Some(segment) {
        return Ok(());
    }
    if confirm.is_some() || !std::io::stdin().is_terminal() {
        anyhow::bail!(
            "--delete-active deletes users who logged in, changed their password or enrolled MFA on the target since they moved; confirm with --confirm {segment}"
        );
    }
    eprint!(
        "this rollback deletes the users of {segment} active on the target since they moved, too.\ntype {segment} to confirm: "
    );
    std::io::stderr().flush()?;
    let mut typed = String::new();
    std::io::stdin().lock().read_line(&mut typed)?;
    if typed.trim() != segment {
        anyhow::bail!("not confirmed: nothing was done");
    }
    Ok(())
}

/// Say that a move goes on without this command, and where to follow it.
pub(super) fn left_running(segment: &str) {
    crate::cli::out::info(format_args!(
        "{segment}: under way in the project's owner; the cockpit and `cutover status` show how far it is, and `cutover move {segment}` prints the report once it is done"
    ));
}
