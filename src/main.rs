//! The `cutover` binary: parse the command line, run it, map the outcome to an exit code.

use clap::Parser;
use cutover::cli::{Cli, Quiet, run};
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            if err.downcast_ref::<Quiet>().is_some() {
                eprintln!("{}", err.root_cause());
            } else {
                eprintln!("error: {err}");
                for cause in err.chain().skip(1) {
                    eprintln!("  caused by: {cause}");
                }
            }
            ExitCode::from(1)
        }
    }
}
