//! `cutover state verify | backup DIR | restore DIR`: the audit log's safety net. Verify and
//! backup run through the owner (they work while a `watch` runs); restore needs the state to
//! itself and an empty one, so it never mixes two histories.

use super::{Cli, StateCmd, state_dir};
use crate::owner::calls::Written;
use crate::owner::protocol::Request;
use crate::store::StoreError;
use anyhow::{Result, bail};

fn absolute(dir: &std::path::Path) -> std::path::PathBuf {
    std::env::current_dir()
        .map(|d| d.join(dir))
        .unwrap_or_else(|_| dir.to_path_buf())
}

pub(super) fn run(cli: &Cli, action: &StateCmd) -> Result<()> {
    match action {
        StateCmd::Verify => {
            let verified: crate::store::Verified =
                super::via_owner::ask(cli, None, "state verify", Request::Verify, |_| {})?;
            println!("{} events, {} samples", verified.events, verified.samples);
            if verified.problems.is_empty() {
                println!("the event log is whole: every event decodes, no gap in the sequence");
                return Ok(());
            }
            for p in &verified.problems {
                let line = format!("problem: {p}");
                anstream::println!(
                    "{}",
                    crate::report::palette::paint(super::print::COLORS.danger, &line)
                );
            }
            bail!(
                "the state has {} problem(s) (above); restore your last backup with `cutover state restore DIR --state NEW_DIR`",
                verified.problems.len()
            );
        }
        StateCmd::Backup { dir } => {
            let request = Request::Backup { out: absolute(dir) };
            let Written(files) = super::via_owner::ask(cli, None, "state backup", request, |_| {})?;
            for f in &files {
                super::out::info(format_args!("wrote {}", f.display()));
            }
            Ok(())
        }
        StateCmd::Restore { dir } => {
            let target = state_dir(&cli.project, cli.state.as_deref());
            // Into the backend the project's `[state]` names: a backup moves a project
            // between sled and PostgreSQL.
            let (project, _) = crate::config::load(&cli.project)?;
            let mut store = match crate::owner::link::open_state(&project, &target, false) {
                Ok(store) => store,
                Err(e) => match e.downcast_ref::<StoreError>() {
                    Some(StoreError::Locked { pid, .. }) => bail!(
                        "the state in '{}' is in use by pid {pid}; stop that cutover first (restore needs the state to itself)",
                        target.display()
                    ),
                    _ => return Err(e),
                },
            };
            let info = crate::store::restore(store.as_mut(), dir)?;
            super::out::info(format_args!(
                "restored {} events and {} samples from '{}' into the {}; `cutover state verify` checks them",
                info.events,
                info.samples,
                dir.display(),
                store.place()
            ));
            Ok(())
        }
    }
}
