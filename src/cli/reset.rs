//! `cutover reset SEGMENT [--json] [--no-wait]`: the reset waves (see [`crate::reset`]) run
//! in the project's owner, paced by `[segments.reset] per_hour`. The command follows them with
//! a progress bar (users settled) and prints where they stand at the end; with `--no-wait` it
//! returns once they are under way in a running owner (`cutover watch`), and `cutover reset
//! SEGMENT` again prints where they stand. Without a running owner this process owns the
//! project and sends until every user is settled; stopped (Ctrl-C), the next run resumes.

use super::{Cli, via_owner};
use crate::owner::protocol::{Reply, Request};
use crate::reset::ResetReport;
use anyhow::Result;

pub(super) fn run(cli: &Cli, segment: &str, json: bool, no_wait: bool) -> Result<()> {
    let label = format!("resetting {segment}");
    let mut bar: Option<crate::progress::Progress> = None;
    let request = Request::Reset {
        segment: segment.to_string(),
    };
    let mut progress = |reply: &Reply| {
        if let Reply::MoveProgress { done, of } = reply {
            let bar = bar.get_or_insert_with(|| {
                crate::progress::Progress::new(&label, (*of).max(*done), "users", 0)
            });
            bar.inc(done.saturating_sub(bar.done()));
        }
    };
    let last = if no_wait {
        match via_owner::call_no_wait(cli, None, request, &mut progress)? {
            Some(reply) => reply,
            None => {
                crate::cli::out::info(format_args!(
                    "{segment}: the reset waves are under way in the project's owner; the cockpit shows how far, and `cutover reset {segment}` prints where they stand"
                ));
                return Ok(());
            }
        }
    } else {
        via_owner::call(cli, None, request, &mut progress)?
    };
    let Reply::Reset { report } = last else {
        anyhow::bail!("the owner answered the reset with something else");
    };
    let report: ResetReport = *report;
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", report.text());
    }
    Ok(())
}
