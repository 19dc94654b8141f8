//! What the help overlay and the hint line show: each screen's keys with what they do, most
//! wanted first on the hint line, and a viewer's (`[access] viewers`) without the keys that act.

use super::app::Screen;

/// The keys that act on a segment: hidden from a viewer.
pub(super) const ACTION_KEYS: [&str; 9] = ["a", "r", "R", "p", "P", "T", "c", "F", "A X"];

/// One key of a screen: what it does (help) and a word or two for the hint line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hint {
    pub keys: &'static str,
    pub does: &'static str,
    pub short: &'static str,
}

const fn hint(keys: &'static str, does: &'static str, short: &'static str) -> Hint {
    Hint { keys, does, short }
}

/// The keys of a screen, in the help overlay's order; a viewer's without the action keys.
pub fn help_for(screen: Screen, viewer: bool) -> Vec<Hint> {
    let mut keys = vec![
        hint("↑↓ j k", "move", "move"),
        hint("g G", "first / last", "first/last"),
    ];
    let segment_keys = [
        hint("a", "advance the segment", "advance"),
        hint("r", "roll back (asks a reason)", "roll back"),
        hint("R", "retry a failed rollback", "retry"),
        hint("p", "pause / resume", "pause"),
        hint("P", "re-plan a rolled-back segment", "re-plan"),
        hint("T", "send a segment in gate back to test", "retest"),
        hint("c", "run test checks", "checks"),
        hint(
            "A X",
            "approve / reject a request waiting for approval",
            "approve",
        ),
    ];
    match screen {
        Screen::Overview => {
            keys.push(hint("⏎", "segment detail", "detail"));
            keys.extend(segment_keys);
            keys.extend([
                hint("n", "next thing that needs you", "needs you"),
                hint("s", "sort: file, phase, behind, finish", "sort"),
                hint("S", "group by strategy", "group"),
                hint("/", "filter segments (this screen only)", "filter"),
                hint("⇥", "next screen", "screens"),
                hint("t", "next theme", "theme"),
                hint("?", "help", "help"),
                hint("q", "quit", "quit"),
            ]);
        }
        Screen::Detail => {
            keys.extend(segment_keys);
            keys.extend([
                hint("F", "adopt the forecast as plan", "adopt fit"),
                hint("⇥", "next screen", "screens"),
                hint("t", "next theme", "theme"),
                hint("?", "help", "help"),
                hint("q Esc", "back", "back"),
            ]);
        }
        Screen::Log => keys.extend([
            hint("⏎", "open the event whole", "open"),
            hint("/", "filter events (this screen only)", "filter"),
            hint("⇥", "next screen", "screens"),
            hint("t", "next theme", "theme"),
            hint("?", "help", "help"),
            hint("q Esc", "back", "back"),
        ]),
    }
    if viewer {
        keys.retain(|h| !ACTION_KEYS.contains(&h.keys));
    }
    keys
}

/// The hint line's keys, most wanted first: `?` help and `q` quit (or back) lead, so the
/// narrowest terminal still shows the way out and the way to every other key.
pub fn footer_for(screen: Screen, viewer: bool) -> Vec<Hint> {
    // `A` and `X` are offered where they apply: on each request "needs you" lists.
    let (mut first, rest): (Vec<Hint>, Vec<Hint>) = help_for(screen, viewer)
        .into_iter()
        .filter(|h| h.keys != "A X")
        .partition(|h| h.keys == "?" || h.keys.starts_with('q'));
    first.extend(rest);
    first
}
