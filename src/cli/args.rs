//! The command line as clap sees it: the global options and every subcommand with its
//! arguments. This is the user-facing contract; `docs/command-line.md` mirrors it.

use clap::{Parser, Subcommand};
use std::path::PathBuf;

pub use super::audit_args::AuditArgs;
pub use super::rollback_args::RollbackArgs;

#[derive(Debug, Parser)]
#[command(
    name = "cutover",
    version,
    about = "A terminal cockpit for customer-identity migrations",
    after_long_help = "Exit status: 0 success; 1 refused, invalid or failed (the reason is the first \
line of stderr); 2 usage error.\n\nColour: only on a terminal; NO_COLOR (non-empty) turns it \
off, CLICOLOR_FORCE=1 turns it on when piped (NO_COLOR wins). --json is never coloured."
)]
pub struct Cli {
    /// Folder holding cutover.toml.
    #[arg(long, global = true, value_name = "DIR", default_value = ".")]
    pub project: PathBuf,
    /// Folder for the live state (default: <project>/.cutover).
    #[arg(long, global = true, value_name = "DIR")]
    pub state: Option<PathBuf>,
    /// Colour theme for the cockpit (default, light, high-contrast, or one in <project>/themes).
    #[arg(long, global = true, value_name = "NAME")]
    pub theme: Option<String>,
    /// Who is acting, in the audit log (default: your OS user name; through another
    /// process's socket, the OS user the socket reports for you).
    #[arg(long, global = true, value_name = "NAME")]
    pub actor: Option<String>,
    /// Say only what was asked for: no acknowledgements, "wrote" lines, hints or progress
    /// (data, --json, warnings, errors and the exit code stay).
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Say more on stderr: which process served the request, and the owner's log (debug).
    #[arg(short, long, global = true)]
    pub verbose: bool,
    /// How long to wait for an owner that answers nothing at all, not even a liveness probe
    /// (a request that works, a hook that runs, is waited for as long as it takes).
    #[arg(long, global = true, value_name = "DURATION", default_value = "60s", value_parser = parse_deadline)]
    pub deadline: std::time::Duration,
    #[command(subcommand)]
    pub command: Option<Cmd>,
}

/// `cutover notify ...`
#[derive(Debug, Subcommand)]
pub enum NotifyCmd {
    /// Send a test message to every sink, or to the one named.
    Test { name: Option<String> },
}

/// `cutover state ...`
#[derive(Debug, Subcommand)]
pub enum StateCmd {
    /// Check the event log (every event decodes, no gap in the sequence) and the samples.
    Verify,
    /// Write a portable copy (JSON lines of events and samples) into DIR.
    Backup { dir: PathBuf },
    /// Read a backup from DIR into an empty state (this project's, or --state NEW_DIR).
    Restore { dir: PathBuf },
}

#[derive(Debug, Subcommand)]
pub enum Cmd {
    /// Open the cockpit (the default when no command is given).
    Tui,
    /// Run the cockpit on a built-in demo migration against a simulated identity provider.
    Demo {
        /// Folder for the demo project (default: a fresh folder under the temp dir).
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
        /// Real seconds per simulated day.
        #[arg(long, default_value_t = 2.0)]
        speed: f64,
        /// Run headless, printing status lines, for CI and people without a terminal.
        #[arg(long)]
        no_tui: bool,
        /// Headless: stop after this many simulated days.
        #[arg(long, default_value_t = 60.0)]
        days: f64,
    },
    /// Serve a simulated identity provider on 127.0.0.1 (FusionAuth, Elasticsearch, Keycloak,
    /// Auth0 and Prometheus shapes, plus /metrics).
    Simulate {
        /// Address to listen on (port 0 picks a free port; the bound address is printed).
        #[arg(long, default_value = "127.0.0.1:0")]
        listen: String,
        /// Real seconds per simulated day.
        #[arg(long, default_value_t = 2.0)]
        speed: f64,
        /// ID:USERS:P or ID:USERS:SHARE@P,SHARE@P[:START_DAY] (default: the demo's population).
        #[arg(long = "segment", value_name = "SPEC")]
        segments: Vec<String>,
        /// SEGMENT:failure-spike@DAY or SEGMENT:latency-spike@DAY (3 days long).
        #[arg(long = "fault", value_name = "SPEC")]
        faults: Vec<String>,
        /// Users a second the simulated targets import (Firebase, FusionAuth and Keycloak
        /// shaped; default: as fast as they can).
        #[arg(long, value_name = "USERS")]
        import_rate: Option<f64>,
        /// A fault of the simulated target on demand, every K-th import: 429@K (answered 429
        /// with Retry-After), 503@K, 504@K (imported, answered 504), cut@K (imported, the
        /// connection closed unanswered), expire@K (Keycloak's tokens revoked first), fail@K
        /// (an Auth0 job that fails as a whole).
        #[arg(long = "target-fault", value_name = "SPEC")]
        target_faults: Vec<String>,
        /// Seconds a simulated Keycloak admin token lives.
        #[arg(long, value_name = "SECONDS", default_value_t = 60.0)]
        token_ttl: f64,
        /// Freeze time at day 0; move it with POST /sim/day?set=DAYS.
        #[arg(long)]
        paused: bool,
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Also run the project in --project as `cutover watch` does, on the simulator's
        /// clock: its records, reports and forecasts see the simulated days pass.
        #[arg(long, conflicts_with = "export")]
        watch: bool,
        /// With --watch: stop after this many simulated days.
        #[arg(long, value_name = "N", requires = "watch")]
        days: Option<f64>,
        /// Write each segment's user export (Auth0-shaped NDJSON as of its cutover, now) into
        /// DIR as SEGMENT.ndjson, and exit (the server also serves it at /export/SEGMENT).
        #[arg(long, value_name = "DIR")]
        export: Option<PathBuf>,
    },
    /// Write a commented example cutover.toml into DIR (never overwrites).
    Init { dir: Option<PathBuf> },
    /// Validate the project file and list every problem (exit 1 if one is an error).
    Check {
        /// Print `{"ok", "file", "project", "segments", "problems"}` instead.
        #[arg(long)]
        json: bool,
    },
    /// Phases, sizes, migrated and projected shares of every segment.
    Status {
        #[arg(long)]
        json: bool,
    },
    /// Move a segment to its next phase (plan → test → gate → cutover → done).
    Advance {
        segment: String,
        #[arg(long, value_name = "TEXT")]
        reason: Option<String>,
        /// Ask to advance outside the action's window ([[windows]], [[freezes]]): recorded as
        /// a request that an approver decides ([approvals]); needs --reason.
        #[arg(long = "override", requires = "reason")]
        override_window: bool,
        /// Return once the advance is under way (a move or a hook goes on in the running
        /// owner) instead of waiting for its end.
        #[arg(long)]
        no_wait: bool,
    },
    /// Roll a segment back (fires its rollback hook).
    Rollback(RollbackArgs),
    /// Approve a request waiting for approval ([approvals]); the last approval needed runs the
    /// action at once, its gates checked then. Nobody approves their own request.
    Approve {
        /// The request's number (`cutover status` lists those waiting).
        id: u64,
        #[arg(long, value_name = "TEXT")]
        reason: Option<String>,
    },
    /// Reject a request waiting for approval (or withdraw your own).
    Reject {
        id: u64,
        #[arg(long, value_name = "TEXT")]
        reason: String,
    },
    /// Re-plan a rolled-back segment (rolled-back → plan).
    Replan {
        segment: String,
        #[arg(long, value_name = "TEXT")]
        reason: Option<String>,
    },
    /// Send a segment in gate back to test.
    Retest {
        segment: String,
        #[arg(long, value_name = "TEXT")]
        reason: Option<String>,
    },
    /// Freeze a segment: no advance until resumed (rollback stays allowed).
    Pause {
        segment: String,
        #[arg(long, value_name = "TEXT")]
        reason: String,
    },
    /// Make the forecast's fitted mix the segment's plan (recorded in the log with old and
    /// new; cutover.toml stays as written).
    Adopt {
        segment: String,
        #[arg(long, value_name = "TEXT")]
        reason: Option<String>,
    },
    /// Lift a segment's hold.
    Resume {
        segment: String,
        #[arg(long, value_name = "TEXT")]
        reason: Option<String>,
    },
    /// Record one sample of a metric by hand (e.g. a migrated count from a report).
    Record {
        segment: String,
        /// `migrated` for the migrated-user count, or any metric name.
        metric: String,
        value: f64,
        /// When the value was true (RFC 3339, or epoch milliseconds); default: now.
        #[arg(long, value_name = "TIME")]
        at: Option<String>,
    },
    /// Backfill samples from a CSV file with the header `segment,metric,at,value` (`at`:
    /// RFC 3339 or epoch milliseconds; FILE `-` reads stdin). Bad rows are counted and the
    /// first few shown with their line numbers; the rest import (exit 1 if any was bad).
    Import {
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
    /// Poll every source once, store the samples, run the guards, print each result
    /// (exit 1 if any source failed).
    Poll {
        /// Print `{"ok", "sources": [...], "events": [...]}` instead.
        #[arg(long)]
        json: bool,
    },
    /// Run the pollers and guards headless until SIGINT/SIGTERM, logging to stderr.
    Watch {
        /// Serve the project's Prometheus metrics at http://ADDR/metrics while this watch
        /// owns the project (over `[project] metrics`). A port alone binds 127.0.0.1; an
        /// address outside loopback (0.0.0.0:9464) is bound only when named.
        #[arg(long, value_name = "ADDR")]
        metrics: Option<String>,
    },
    /// Charts (PNG and SVG) per segment and for the project, and a Markdown summary.
    Report {
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// Report as of this moment (RFC 3339), e.g. to reproduce a report (default: now).
        #[arg(long, value_name = "TIME")]
        at: Option<String>,
    },
    /// Regenerate the PNG screenshots of the cockpit (sample project, fixed moment).
    Screenshot {
        #[arg(long, value_name = "DIR", default_value = "screenshots")]
        out: PathBuf,
    },
    /// The audit log, oldest first.
    Log {
        #[arg(long, value_name = "SEGMENT")]
        segment: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Check, back up or restore the project's state (the audit log and the samples).
    State {
        #[command(subcommand)]
        action: StateCmd,
    },
    /// Notifications (`[[notify]]`): `cutover notify test [NAME]` sends a test message to each
    /// sink (or the one named) and reports how each went.
    Notify {
        #[command(subcommand)]
        action: NotifyCmd,
    },
    /// Plan a slow segment from the legacy system's last-login export: the share whose last
    /// login lies within D days before cutover is the projected share S(D) after it.
    Plan {
        segment: String,
        /// The user export: CSV with a header, JSON lines (Auth0's export), FusionAuth's
        /// import file or LDIF; or a live LDAP directory, ldap://HOST:PORT/BASE??sub?(FILTER),
        /// bound as [legacy] bind_dn.
        #[arg(long, value_name = "EXPORT")]
        logins: PathBuf,
        /// The last-login column or JSON field (dotted path); default: the first of
        /// last_login, lastLoginInstant, last_login_at, lastLogin, lastLogon, authTimestamp,
        /// pwdLastSuccess found.
        #[arg(long, value_name = "NAME")]
        field: Option<String>,
        /// The account-creation column or field (default: created_at, insertInstant or
        /// createdAt when present): accounts count for D only when at least D days old.
        #[arg(long, value_name = "NAME")]
        created: Option<String>,
        /// The login-count column or field (default: logins_count, logonCount or loginsCount
        /// when present): with it, a churn-aware plan (BG/NBD) is printed beside.
        #[arg(long, value_name = "NAME")]
        count: Option<String>,
        /// The cutover moment the plan is for (RFC 3339 or epoch ms; default: now).
        #[arg(long, value_name = "TIME")]
        at: Option<String>,
        /// Users of the segment already migrated (by an earlier cutover): the plan counts them
        /// as its most active users and plans the rest; shares are of the whole segment.
        #[arg(long, value_name = "COUNT")]
        migrated: Option<u64>,
        /// Write the fitted mix into cutover.toml as the segment's cohorts (comments kept).
        #[arg(long)]
        write: bool,
        #[arg(long)]
        json: bool,
    },
    /// Audit a legacy user export before migrating: duplicates, ids, emails, password-hash
    /// schemes (verdicted for --target), account states, dates and last-login recency. Only
    /// counts and opaque ids are shown, and recorded in the audit log with the file's SHA-256.
    Audit(Box<AuditArgs>),
    /// Move a segment's users into its [segments.move] target: in cutover the real move, in
    /// test a rehearsal into [segments.move.rehearsal] (measured, then deleted unless --keep).
    /// Waits for the end and prints the report (counts only); run again to resume.
    Move {
        segment: String,
        /// Move into the rehearsal target, to measure the rate and the errors.
        #[arg(long)]
        rehearse: bool,
        /// Keep what a rehearsal created (it is deleted by default).
        #[arg(long, requires = "rehearse")]
        keep: bool,
        /// A slow segment's long tail: reconcile now, then move the export's users not on
        /// the target yet (journaled and undone like any move).
        #[arg(long, conflicts_with_all = ["rehearse", "keep"])]
        remaining: bool,
        /// After the real move: move again the legacy users created or changed since it (or
        /// since the last such pass), read live from the directory or database; created where
        /// the target lacks them, updated where it holds them (journaled and undone like any
        /// move).
        #[arg(long, conflicts_with_all = ["rehearse", "keep", "remaining"])]
        changed_since_move: bool,
        #[arg(long)]
        json: bool,
        /// Return once the move is under way in the running owner; `cutover move SEGMENT`
        /// again prints the report once it is done.
        #[arg(long, conflicts_with = "json")]
        no_wait: bool,
    },
    /// Compare a segment's export with the users its [segments.move] target holds, by legacy
    /// id: missing, extra, duplicated, changed, without a password. Prints counts (ids with
    /// --json or --out) and records the counts in the log.
    Reconcile {
        segment: String,
        /// Reconcile the rehearsal target ([segments.move.rehearsal]) instead.
        #[arg(long)]
        rehearsal: bool,
        /// Print the counts and every id as JSON.
        #[arg(long)]
        json: bool,
        /// Write the counts and every id as JSON to this file.
        #[arg(long, value_name = "FILE")]
        out: Option<std::path::PathBuf>,
    },
    /// Send the target's password-reset message to the users the move carried without a
    /// password, in waves of at most [segments.reset] per_hour an hour; journaled, so run it
    /// again to resume (nothing is sent twice).
    Reset {
        segment: String,
        #[arg(long)]
        json: bool,
        /// Return once the waves are under way in the running owner.
        #[arg(long, conflicts_with = "json")]
        no_wait: bool,
    },
    /// Run a segment's test checks now, without advancing, and record the results.
    Checks {
        segment: String,
        #[arg(long)]
        json: bool,
    },
    /// Print a shell's completion script (e.g. `cutover completions bash >
    /// ~/.local/share/bash-completion/completions/cutover`).
    Completions {
        #[arg(value_name = "SHELL")]
        shell: clap_complete::Shell,
    },
    /// Print the man page cutover(1) as roff (`cutover man | man -l -`), or with --out write
    /// it and one page per subcommand (cutover-status.1, ...) into DIR.
    Man {
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
    },
    /// Project a slow migration: the share after D days, or the days to a goal.
    Project {
        /// Daily login probability, 0 < P <= 1.
        #[arg(long)]
        p: f64,
        #[arg(long, conflicts_with = "goal", required_unless_present = "goal")]
        days: Option<f64>,
        #[arg(long)]
        goal: Option<f64>,
        #[arg(long)]
        json: bool,
    },
}

/// `--deadline`: a duration such as `30s` or `2m`, from 1 s to 1 day.
fn parse_deadline(text: &str) -> Result<std::time::Duration, String> {
    let d = humantime::parse_duration(text)
        .map_err(|e| format!("'{text}' is not a duration like 30s or 2m: {e}"))?;
    if d < std::time::Duration::from_secs(1) || d > std::time::Duration::from_secs(86_400) {
        return Err(format!("'{text}' is out of range: use 1s to 1d"));
    }
    Ok(d)
}
