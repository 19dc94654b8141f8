//! How much the headless commands say, from the global `--quiet` and `--verbose`.
//!
//! * `--quiet`: no acknowledgements (`eu: advance plan → test: ok (event 3)`), no "wrote" or
//!   "recorded" lines, hints or progress; what the command was asked for (a table, `--json`,
//!   the log, each polled source), warnings, errors and the exit code stay.
//! * `--verbose`: on stderr, which process served the request (this one, or the owner through
//!   the project's socket) and the owner's own log at debug level.
//!
//! The choice is made once per process, before the command runs, and read where lines are
//! printed: it is a property of this invocation, like the colour choice of its streams.

use super::{Cli, Cmd};
use std::fmt::Display;
use std::sync::atomic::{AtomicU8, Ordering};

const QUIET: u8 = 0;
const NORMAL: u8 = 1;
const VERBOSE: u8 = 2;

static LEVEL: AtomicU8 = AtomicU8::new(NORMAL);

/// Take the choice from the command line; with `--verbose`, log to stderr (headless commands
/// only: the cockpit logs to a file, and a line on stderr would tear its screen).
pub(super) fn init(cli: &Cli) {
    let level = match (cli.quiet, cli.verbose) {
        (true, _) => QUIET,
        (false, true) => VERBOSE,
        (false, false) => NORMAL,
    };
    LEVEL.store(level, Ordering::Relaxed);
    let cockpit = matches!(
        cli.command,
        None | Some(Cmd::Tui) | Some(Cmd::Demo { no_tui: false, .. })
    );
    if level == VERBOSE && !cockpit {
        let _ = tracing_subscriber::fmt()
            .with_writer(std::io::stderr)
            .with_max_level(tracing::Level::DEBUG)
            .with_ansi(
                anstream::AutoStream::choice(&std::io::stderr()) != anstream::ColorChoice::Never,
            )
            .try_init();
    }
}

/// `--quiet` was given.
pub fn quiet() -> bool {
    LEVEL.load(Ordering::Relaxed) == QUIET
}

/// `--verbose` was given.
pub fn verbose() -> bool {
    LEVEL.load(Ordering::Relaxed) == VERBOSE
}

/// An informational line on stdout (an acknowledgement, a file written, a hint): left out
/// with `--quiet`. It may carry styles; the stream drops them when colour is off.
pub fn info(line: impl Display) {
    if !quiet() {
        anstream::println!("{line}");
    }
}

/// A detail on stderr, shown only with `--verbose`.
pub fn detail(line: impl Display) {
    if verbose() {
        anstream::eprintln!("{line}");
    }
}
