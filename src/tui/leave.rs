//! What the cockpit does as its lead leaves, and what it remembers of them.
//!
//! * Quitting asks first when it would leave hooks without a recorded outcome, or segments in
//!   cutover that this cockpit guards without a guard (unless another client takes over).
//! * How far this user has seen (the "since you last looked" marker) is saved on quit and
//!   about once a minute while the cockpit is open.

use super::app::{Dialog, Model};
use super::update::Effect;

/// `q` on the overview: quit at once, or ask first (see the module's doc).
pub(crate) fn quit(m: &mut Model) -> Vec<Effect> {
    // An attached cockpit leaving stops nothing: the owner's hooks and guards run on.
    let owns = m.attached.is_none();
    let guarded: Vec<String> = m
        .snapshot
        .status
        .segments
        .iter()
        .filter(|s| owns && m.guards_on_quit && s.phase == crate::model::PhaseShown::Cutover)
        .map(|s| s.id.clone())
        .collect();
    if (m.running.is_empty() || !owns) && guarded.is_empty() {
        m.quit = true;
        let mut effects = save_prefs(m);
        effects.push(Effect::Quit);
        return effects;
    }
    m.dialog = Some(Dialog::Quit {
        running: if owns {
            m.running
                .iter()
                .map(|(s, a)| format!("{s}: {a} hook"))
                .collect()
        } else {
            Vec::new()
        },
        guarded,
    });
    Vec::new()
}

/// How often an open cockpit saves how far this user has seen, at most (and on quit).
pub(super) const SAVE_SEEN_EVERY_SECS: i64 = 60;

/// The newest event's seq (0: the log is empty, which a marker records as well).
pub(super) fn newest_seq(m: &Model) -> u64 {
    m.snapshot.events.last().map_or(0, |e| e.seq)
}

/// Whether this user has seen more than the saved marker says (as of their last key press).
pub(super) fn seen_moved(m: &Model) -> bool {
    m.seen_upto
        .is_some_and(|upto| m.prefs.seen_seq.is_none_or(|seen| upto > seen))
}

/// Send this user's memory, with the newest event on screen at the last key press as seen.
/// Only once the memory was read: a cockpit that could not read it never overwrites it with
/// defaults.
pub(crate) fn save_prefs(m: &mut Model) -> Vec<Effect> {
    if m.user.is_none() {
        return Vec::new();
    }
    if seen_moved(m) {
        m.prefs.seen_seq = m.seen_upto;
        m.prefs.seen_at = Some(m.now);
    }
    m.prefs_sent = Some(m.now);
    vec![Effect::SavePrefs(m.prefs.clone())]
}
