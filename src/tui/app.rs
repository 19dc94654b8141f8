//! The cockpit's model: everything the screen shows, owned by the UI task.
//!
//! ```text
//!  Snapshot (from the engine)  ──update──▶  Model { rows, detail, log_lines, ... }  ──render──▶ frame
//! ```
//!
//! The driver feeds [`Snapshot`]s in; `update` derives the rows, the chart data (already
//! downsampled to the chart's width) and the log lines, so render only lays out what is here.

use super::glance::Glance;
use super::theme::Theme;
use crate::config::Strategy;
use crate::engine::status::SegmentStatus;
pub use crate::engine::view::{SegmentPlan, Snapshot};
use crate::model::prefs::UserPrefs;
use crate::model::{Action, HookAction, PhaseShown, Verdict};
pub use crate::owner::protocol::Tone;
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;

/// Which screen is showing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    Overview,
    Detail,
    Log,
}

impl Screen {
    pub fn next(self) -> Screen {
        match self {
            Screen::Overview => Screen::Detail,
            Screen::Detail => Screen::Log,
            Screen::Log => Screen::Overview,
        }
    }
}

/// A dialog that holds the keyboard until answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dialog {
    /// Confirm an action on a segment, optionally with a reason typed in.
    Confirm {
        segment: String,
        action: Action,
        title: String,
        /// What will happen: the transition and the hook that fires.
        lines: Vec<String>,
        danger: bool,
        /// The reason being typed; `None` when the dialog asks for none.
        reason: Option<String>,
        reason_required: bool,
        /// The phase the segment was in when the dialog opened (see `Request::Act`).
        expect: Option<crate::model::Phase>,
    },
    /// Quit anyway? Hooks still running (`running`), and segments in cutover this cockpit
    /// guards (`guarded`): quitting may leave them unguarded.
    Quit {
        running: Vec<String>,
        guarded: Vec<String>,
    },
    /// Approve or reject a request waiting for approval, with a reason typed in.
    Decide(super::approvals::Decide),
}

impl Dialog {
    pub fn takes_text(&self) -> bool {
        matches!(
            self,
            Dialog::Confirm {
                reason: Some(_),
                ..
            } | Dialog::Decide(_)
        )
    }
}

/// A screen's filter: the text kept, and the text being typed after `/`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    pub kept: String,
    /// `Some` while typing (it filters live).
    pub typing: Option<String>,
}

impl Filter {
    /// The filter in force: the one being typed, else the one kept.
    pub fn active(&self) -> &str {
        self.typing.as_deref().unwrap_or(&self.kept)
    }

    /// " · filter 'cust'" for a title, when a filter is in force.
    pub fn note(&self) -> String {
        match self.active() {
            "" => String::new(),
            f => format!(" · filter '{f}'"),
        }
    }
}

/// One overview row, ready to draw.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub id: String,
    pub name: String,
    pub strategy: Strategy,
    pub phase: PhaseShown,
    /// "● cutover": the phase as the table shows it.
    pub phase_label: String,
    pub size: String,
    pub migrated: String,
    pub projected: String,
    pub deviation: String,
    pub behind: bool,
    pub finish: String,
    /// The forecast finish falls after the deadline (or never comes).
    pub finish_late: bool,
    pub gates: String,
    pub gates_fail: bool,
    /// "rollback…", "rollback-failed", "paused", "cutover pending" ...
    pub badge: Option<(String, Tone)>,
    pub spark: String,
    /// The most urgent alarm of the segment (guard, hook failure, plateau, hold).
    pub alert: Option<(Tone, String)>,
}

/// One line of the event log, ready to draw (cut at the screen's edge: `Enter` opens it whole).
#[derive(Debug, Clone, PartialEq)]
pub struct LogLine {
    pub seq: u64,
    pub tone: Tone,
    pub text: String,
}

/// The low and high edges of the forecast's band, in percent over days.
pub type BandEdges = (Vec<(f64, f64)>, Vec<(f64, f64)>);

/// The adoption chart and side panels of one segment, ready to draw.
#[derive(Debug, Clone, PartialEq)]
pub struct DetailView {
    pub id: String,
    pub title: String,
    pub subtitle: String,
    /// Measured share in percent over days, downsampled to the chart width.
    pub actual: Vec<(f64, f64)>,
    pub projection: Vec<(f64, f64)>,
    /// The cohort-mix curve when the plan has cohorts (then `projection` is the single-P curve
    /// at the mix's effective P).
    pub mix: Option<Vec<(f64, f64)>>,
    pub goal_line: [(f64, f64); 2],
    pub finish_marker: Option<[(f64, f64); 2]>,
    /// The forecast's range as the low and high edges of a band, in percent.
    pub band: Option<BandEdges>,
    pub x_max: f64,
    pub x_labels: Vec<String>,
    pub fit_line: String,
    /// With a plan and a forecast: the plan's never-returning share beside the data's, and
    /// the plan's share by a day ahead beside the forecast's (a third title line), longest
    /// first: the widest that fits is shown.
    pub churn_line: Option<(Tone, Vec<String>)>,
    /// Gate criteria evaluated now (empty: none declared).
    pub gates: Vec<Verdict>,
    /// Test checks with their latest results, and when they ran ("12-01 09:14"; none: never).
    pub checks: Vec<Verdict>,
    pub checks_at: Option<String>,
    /// One line per source: last value and age, or its last error.
    pub sources: Vec<(Tone, String)>,
    /// Guard alarm or plateau signal, if any.
    pub alerts: Vec<(Tone, String)>,
    pub events: Vec<String>,
}

/// The whole UI state.
#[derive(Debug, Clone)]
pub struct Model {
    pub screen: Screen,
    pub help: bool,
    pub dialog: Option<Dialog>,
    /// The overview's filter of segments (the detail's `j`/`k` walk the rows it leaves).
    pub segment_filter: Filter,
    /// The event log's filter of events. Each screen keeps its own: a filter typed in the log
    /// never empties the overview.
    pub event_filter: Filter,
    /// Index into `rows` of the selected segment.
    pub selected: usize,
    /// The event log's selected line, counted from the newest (0: the newest, which stays
    /// selected as events arrive).
    pub log_selected_from_bottom: usize,
    /// An older page of the log was asked for and has not come yet (see `log_lines`).
    pub older_asked: bool,
    pub status_line: Option<(Tone, String)>,
    pub snapshot: Snapshot,
    pub rows: Vec<Row>,
    pub detail: Option<DetailView>,
    pub log_lines: Vec<LogLine>,
    /// An event opened whole (`Enter` in the log), drawn over the screen.
    pub event_view: Option<super::event_view::EventView>,
    /// The overview table's column widths, worked out from the rows (see `view::overview`).
    pub table_widths: Vec<u16>,
    /// Sources (ok, failing) across the project, for the header.
    pub sources_health: (usize, usize),
    /// "eu unguarded since 18:03, us …": segments in cutover nothing guards, for the header.
    pub unguarded: Option<String>,
    /// Hooks running now, per segment.
    pub running: BTreeMap<String, HookAction>,
    /// Moves (and undos) running now, per segment: how far each is.
    pub moving: BTreeMap<String, crate::owner::protocol::MoveNow>,
    /// What a rollback of each segment would lose, as last read, and when each was last
    /// asked for (the detail screen asks again every few minutes).
    pub deltas: BTreeMap<String, crate::model::moved::RollbackDelta>,
    pub delta_asked: BTreeMap<String, DateTime<Utc>>,
    /// The detail screen's full chart, read from the owner (snapshots carry daily closes).
    pub chart: super::detail_chart::DetailChart,
    pub spinner: usize,
    pub now: DateTime<Utc>,
    pub themes: Vec<Theme>,
    pub theme: usize,
    pub width: u16,
    pub height: u16,
    pub quit: bool,
    /// Whom this cockpit is attached to ("pid 4242 (watch)"); `None` when it owns the project.
    pub attached: Option<String>,
    /// Its user is one of `[access] viewers`: the action keys are hidden and do nothing.
    pub viewer: bool,
    /// Who change control takes this cockpit's user for (see `Welcome::person`).
    pub person: Option<String>,
    /// The window change this cockpit last asked a fresh snapshot for (see `tui::windows`).
    pub window_asked: Option<DateTime<Utc>>,
    /// Whether quitting this cockpit, when it owns the project, ends a guard that someone
    /// relies on (false for the demo, whose project is a throwaway).
    pub guards_on_quit: bool,
    /// Keys handled so far (lets a test match frames to key presses).
    pub keys_seen: u64,
    /// This user's memory as it will be saved: the sort and grouping in force, and the newest
    /// event shown.
    pub prefs: UserPrefs,
    /// The reader's OS user name, as the owner keys the memory (`None` until it answered).
    pub user: Option<String>,
    /// Where "since you last looked" starts, as this session found it: (event seq, when).
    /// `None`: the first time this user looks (or the memory could not be read).
    pub last_looked: Option<(u64, Option<DateTime<Utc>>)>,
    /// When the memory was last sent to the owner (on the model's clock).
    pub prefs_sent: Option<DateTime<Utc>>,
    /// The newest event on screen at the last key press: what this user has seen. A cockpit
    /// left open overnight has not "seen" the night's events until someone touches it.
    pub seen_upto: Option<u64>,
    /// The item of "needs you" that `n` selected last.
    pub need_cursor: Option<usize>,
    /// The panels below the overview's table.
    pub glance: Glance,
}

impl Model {
    pub fn new(
        snapshot: Snapshot,
        themes: Vec<Theme>,
        now: DateTime<Utc>,
        (width, height): (u16, u16),
    ) -> Model {
        let mut m = Model {
            screen: Screen::Overview,
            help: false,
            dialog: None,
            segment_filter: Filter::default(),
            event_filter: Filter::default(),
            selected: 0,
            log_selected_from_bottom: 0,
            older_asked: false,
            status_line: None,
            snapshot,
            rows: Vec::new(),
            detail: None,
            log_lines: Vec::new(),
            event_view: None,
            table_widths: Vec::new(),
            sources_health: (0, 0),
            unguarded: None,
            guards_on_quit: true,
            running: BTreeMap::new(),
            moving: BTreeMap::new(),
            deltas: BTreeMap::new(),
            delta_asked: BTreeMap::new(),
            chart: Default::default(),
            spinner: 0,
            now,
            themes: if themes.is_empty() {
                vec![Theme::default_theme()]
            } else {
                themes
            },
            theme: 0,
            width,
            height,
            quit: false,
            attached: None,
            viewer: false,
            person: None,
            window_asked: None,
            keys_seen: 0,
            prefs: UserPrefs::default(),
            user: None,
            last_looked: None,
            prefs_sent: None,
            seen_upto: None,
            need_cursor: None,
            glance: Glance::default(),
        };
        super::update::derive(&mut m);
        m
    }

    /// Take this user's memory, read from the state when the cockpit opens: the sort in
    /// force, and where "since you last looked" starts.
    pub fn remember(&mut self, user: String, prefs: UserPrefs) {
        self.last_looked = prefs.seen_seq.map(|seq| (seq, prefs.seen_at));
        self.user = Some(user);
        self.prefs = prefs;
        self.prefs_sent = Some(self.now);
        super::update::derive(self);
    }

    pub fn theme(&self) -> &Theme {
        &self.themes[self.theme.min(self.themes.len() - 1)]
    }

    pub fn selected_status(&self) -> Option<&SegmentStatus> {
        let id = &self.rows.get(self.selected)?.id;
        self.snapshot.status.segments.iter().find(|s| &s.id == id)
    }

    pub fn plan(&self, id: &str) -> Option<&SegmentPlan> {
        self.snapshot.plans.iter().find(|p| p.id == id)
    }

    /// The filter of the screen showing (the detail has none of its own).
    pub fn filter(&self) -> Option<&Filter> {
        match self.screen {
            Screen::Overview => Some(&self.segment_filter),
            Screen::Log => Some(&self.event_filter),
            Screen::Detail => None,
        }
    }

    pub fn filter_mut(&mut self) -> Option<&mut Filter> {
        match self.screen {
            Screen::Overview => Some(&mut self.segment_filter),
            Screen::Log => Some(&mut self.event_filter),
            Screen::Detail => None,
        }
    }

    /// The filter being typed on the screen showing, if any.
    pub fn typing_filter(&self) -> Option<&str> {
        self.filter().and_then(|f| f.typing.as_deref())
    }
}
