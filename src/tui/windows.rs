//! The project's windows and freezes in the cockpit's header: for the first action they
//! name, whether it may run now and when that changes ("cutover open · closes Thu 10 Dec
//! 15:00 Europe/Berlin"), so the lead knows before pressing a key the owner would refuse.
//! The owner computes the standing with each status; when its next change passes, the
//! cockpit asks for a fresh snapshot once.

use super::app::{Model, Tone};
use super::update::Effect;

/// The header's words and tone, when the project has windows or freezes.
pub fn header(m: &Model) -> Option<(String, Tone)> {
    let all = &m.snapshot.status.windows;
    let first = all.first()?;
    let more = match all.len() {
        1 => String::new(),
        n => format!(" (+{} more: `cutover status`)", n - 1),
    };
    let tone = if first.open { Tone::Ok } else { Tone::Warn };
    Some((format!("{}{more}", first.line()), tone))
}

/// On the tick: once a window's next change has passed, ask the owner for a fresh snapshot
/// (whose standing says what holds now), once per change.
pub(super) fn due(m: &mut Model) -> Vec<Effect> {
    let passed = m
        .snapshot
        .status
        .windows
        .iter()
        .filter_map(|w| w.next_change)
        .filter(|&t| t <= m.now)
        .min();
    match passed {
        Some(t) if m.window_asked != Some(t) => {
            m.window_asked = Some(t);
            vec![Effect::Refresh]
        }
        _ => Vec::new(),
    }
}
