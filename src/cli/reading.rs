//! The commands that read a project through its owner and print what it answers: `status`
//! and `log`, as text for a person or as JSON for a program.

use super::{Cli, print, via_owner};
use crate::engine::status::ProjectStatus;
use crate::owner::protocol::{Request, StatusJson};
use anyhow::Result;
use std::io::IsTerminal as _;

/// `cutover status [--json]`.
pub(super) fn status(cli: &Cli, json: bool) -> Result<()> {
    // Into a pipe or a file the owner's own JSON text is printed as it comes (see
    // `Request::StatusJson`); a person at a terminal gets it indented.
    if json && !std::io::stdout().is_terminal() {
        let status: StatusJson = via_owner::ask(cli, None, "status", Request::StatusJson, |_| {})?;
        print::json_text(status.text())?;
        return Ok(());
    }
    let status: Box<ProjectStatus> = via_owner::ask(cli, None, "status", Request::Status, |_| {})?;
    if json {
        print::json_streamed(&status)?;
    } else {
        anstream::print!("{}", print::status(&status));
    }
    Ok(())
}

/// `cutover log [SEGMENT] [--json]`: the whole audit log, oldest first.
pub(super) fn log(cli: &Cli, segment: Option<String>, json: bool) -> Result<()> {
    let request = Request::Log {
        segment,
        before: None,
        limit: None,
    };
    let events: Vec<crate::model::Event> = via_owner::ask(cli, None, "log", request, |_| {})?;
    let events: Vec<_> = events.iter().collect();
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&print::log_json(&events))?
        );
    } else {
        anstream::print!("{}", print::log(&events));
    }
    Ok(())
}
