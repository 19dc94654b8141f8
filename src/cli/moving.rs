//! `cutover move SEGMENT [--rehearse] [--keep] [--json]`: move a segment's users into its
//! `[segments.move]` target through the project's owner, which runs the move as a task and
//! journals every batch. The command waits for the end, showing progress on stderr (a bar on
//! a terminal, else a line every 10 %), then prints the report. Run it again after an
//! interruption and it resumes; after the end it sends nothing and prints the report again.

use super::{Cli, via_owner};
use crate::model::moved::MoveReport;
use crate::owner::protocol::{Reply, Request};
use anyhow::Result;

pub(super) fn run(cli: &Cli, segment: &str, rehearse: bool, keep: bool, json: bool) -> Result<()> {
    let label = if rehearse {
        format!("rehearsing the move of {segment}")
    } else {
        format!("moving {segment}")
    };
    let mut bar: Option<crate::progress::Progress> = None;
    let request = Request::Move {
        segment: segment.to_string(),
        rehearse,
        keep,
    };
    let report: MoveReport = via_owner::ask(cli, None, "move", request, |reply| {
        if let Reply::MoveProgress { done, of } = reply {
            let bar = bar.get_or_insert_with(|| {
                crate::progress::Progress::new(&label, (*of).max(*done), "users", 0)
            });
            bar.inc(done.saturating_sub(bar.done()));
        }
    })?;
    if let Some(bar) = bar {
        bar.complete();
    }
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", report.text());
    }
    Ok(())
}
