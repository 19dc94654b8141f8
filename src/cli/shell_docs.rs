//! The commands about the command line itself: shell completions and man pages, both
//! generated from the clap definition in `args.rs`, so they can never drift from what the
//! binary accepts. Neither reads a project or its state.

use super::Cli;
use anyhow::{Context, Result};
use clap::CommandFactory;
use std::io::Write;
use std::path::{Path, PathBuf};

/// `cutover completions SHELL`: the completion script on stdout.
pub(super) fn completions(shell: clap_complete::Shell) -> Result<()> {
    let mut command = Cli::command();
    let mut out = std::io::stdout().lock();
    clap_complete::generate(shell, &mut command, "cutover", &mut out);
    out.flush()
        .context("cannot write the completion script to stdout")
}

/// `cutover man`: the roff page cutover(1) on stdout; with `--out DIR`, that page and one per
/// subcommand (`cutover-status.1`, `cutover-state-verify.1`, ...) written into DIR.
pub(super) fn man(out: Option<&Path>) -> Result<()> {
    let mut command = Cli::command().disable_help_subcommand(true);
    command.build();
    let Some(dir) = out else {
        let mut page = Vec::new();
        clap_mangen::Man::new(command)
            .render(&mut page)
            .context("cannot render the man page")?;
        let mut stdout = std::io::stdout().lock();
        return stdout
            .write_all(&page)
            .and_then(|()| stdout.flush())
            .context("cannot write the man page to stdout");
    };
    std::fs::create_dir_all(dir).with_context(|| {
        format!(
            "cannot create '{}' for the man pages; pass --out a folder you can write",
            dir.display()
        )
    })?;
    let mut written = Vec::new();
    write_pages(command, dir, &mut written)?;
    for path in &written {
        super::out::info(format_args!("wrote {}", path.display()));
    }
    Ok(())
}

/// One page for `command` and, recursively, one for each of its visible subcommands.
fn write_pages(command: clap::Command, dir: &Path, written: &mut Vec<PathBuf>) -> Result<()> {
    let page = clap_mangen::Man::new(command.clone());
    let path = dir.join(page.get_filename());
    let mut text = Vec::new();
    page.render(&mut text).context("cannot render a man page")?;
    crate::files::write(&path, text)
        .with_context(|| format!("cannot write the man page '{}'", path.display()))?;
    written.push(path);
    for sub in command.get_subcommands().filter(|s| !s.is_hide_set()) {
        write_pages(sub.clone(), dir, written)?;
    }
    Ok(())
}
