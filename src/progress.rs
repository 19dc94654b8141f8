//! Progress of long work (a schema conversion, an import) on stderr: a bar on a terminal,
//! else a plain line at every tenth of the way, so a log or a CI run still shows movement
//! without control characters.

use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;

pub struct Progress {
    label: String,
    total: u64,
    done: u64,
    bar: Option<ProgressBar>,
    /// The next tenth a plain line is due at.
    next_tenth: u64,
    /// Work units' name, e.g. "samples".
    unit: &'static str,
    /// Say nothing, not even the lines given to `println` (they are progress too).
    quiet: bool,
}

impl Progress {
    /// Start showing `label`, out of `total` units (0: unknown; plain mode then says nothing).
    /// Plain lines are left out when `total` is under `plain_from` (small work needs none).
    pub fn new(label: &str, total: u64, unit: &'static str, plain_from: u64) -> Progress {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = if total > 0 {
                ProgressBar::new(total)
            } else {
                ProgressBar::new_spinner()
            };
            let template = if total > 0 {
                "{msg} [{bar:30}] {percent:>3}% {human_pos}/{human_len} {per_sec} eta {eta}"
            } else {
                "{msg} {spinner} {human_pos} {per_sec}"
            };
            if let Ok(style) = ProgressStyle::with_template(template) {
                bar.set_style(style.progress_chars("=> "));
            }
            bar.set_message(label.to_string());
            bar
        });
        Progress {
            label: label.to_string(),
            total: if total < plain_from { 0 } else { total },
            done: 0,
            bar,
            next_tenth: 1,
            unit,
            quiet: false,
        }
    }

    /// With `hide`, show nothing at all: no bar, no plain lines, no `println` (a quiet run).
    pub fn hidden(mut self, hide: bool) -> Progress {
        if hide {
            // Never drawn: pointed at nothing, it writes nothing as it goes.
            if let Some(bar) = self.bar.take() {
                bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
            }
            self.total = 0;
            self.quiet = true;
        }
        self
    }

    pub fn inc(&mut self, n: u64) {
        self.done += n;
        if let Some(bar) = &self.bar {
            bar.inc(n);
            return;
        }
        if self.total == 0 {
            return;
        }
        // One line for the furthest tenth reached (a jump past several says it once).
        let mut reached = None;
        while self.next_tenth <= 10 && self.done * 10 >= self.total * self.next_tenth {
            reached = Some(self.next_tenth);
            self.next_tenth += 1;
        }
        if let Some(tenth) = reached {
            eprintln!(
                "{}: {}% ({} of {} {})",
                self.label,
                tenth * 10,
                self.done.min(self.total),
                self.total,
                self.unit
            );
        }
    }

    /// Units done so far.
    pub fn done(&self) -> u64 {
        self.done
    }

    /// Print a line to stdout without tearing the bar.
    pub fn println(&self, line: &str) {
        if self.quiet {
            return;
        }
        match &self.bar {
            Some(bar) => bar.suspend(|| println!("{line}")),
            None => println!("{line}"),
        }
    }

    /// The work is all done: say the last tenth, then clear the bar.
    pub fn complete(mut self) {
        let rest = self.total.saturating_sub(self.done);
        self.inc(rest);
        self.finish();
    }

    /// Clear the bar (a plain run has printed its last line already).
    pub fn finish(self) {
        if let Some(bar) = self.bar {
            bar.finish_and_clear();
        }
    }
}
