//! `cutover notify test [NAME]`: a test message to each sink (or the one named), sent from
//! this process, each sink's outcome printed. Exits non-zero when one fails, so a lead can
//! check a new webhook before a 3 a.m. rollback depends on it.

use super::Cli;
use crate::model::notice::{Message, Severity};
use anyhow::{Result, bail};

pub(super) fn test(cli: &Cli, name: Option<&str>) -> Result<()> {
    let (project, _) = crate::config::load(&cli.project)?;
    let sinks: Vec<_> = project
        .notify
        .iter()
        .filter(|s| name.is_none_or(|n| s.name == n))
        .collect();
    if sinks.is_empty() {
        match name {
            Some(n) => bail!(
                "no [[notify]] sink named '{n}'; the project has: {}",
                project
                    .notify
                    .iter()
                    .map(|s| s.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            None => bail!(
                "no [[notify]] sink in cutover.toml; add one, e.g. [[notify]] name = \"leads\" slack = \"env:SLACK_WEBHOOK_URL\""
            ),
        }
    }
    let redactor = crate::secret::Redactor::new(&project.secret_refs());
    let actor = crate::os::actor(cli.actor.clone());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let mut failed = 0;
    for sink in sinks {
        let message = Message {
            project: project.name.clone(),
            segment: "*".into(),
            severity: Severity::Info,
            kind: "test".into(),
            title: format!("test message for '{}'", sink.name),
            text: format!(
                "{actor} checks that cutover's notifications reach this channel (`cutover notify test {}`). Nothing happened to the migration.",
                sink.name
            ),
            event_id: None,
            at: chrono::Utc::now(),
            readings: Vec::new(),
        };
        match runtime.block_on(crate::delivery::deliver(
            sink,
            &message,
            &cli.project,
            &redactor,
        )) {
            Ok(how) => println!("{}: delivered ({how})", sink.name),
            Err(why) => {
                failed += 1;
                let line = format!("{}: FAILED: {why}", sink.name);
                anstream::println!(
                    "{}",
                    crate::report::palette::paint(super::print::COLORS.danger, &line)
                );
            }
        }
    }
    if failed > 0 {
        bail!("{failed} sink(s) failed (above)");
    }
    Ok(())
}
