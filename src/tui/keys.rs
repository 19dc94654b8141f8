//! Keys to actions, as a pure function of the mode (k9s / lazygit habits).
//!
//! A dialog swallows every key while open: only its own keys do anything. In a dialog with a
//! text field (the rollback and pause reasons) every printable key, `y` and `n` included, is
//! text: `Enter` confirms and `Esc` cancels. In a dialog without one, `y`/`Enter` confirm and
//! `n`/`Esc` cancel.

use super::app::Screen;
pub use super::hints::{Hint, footer_for, help_for};
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

/// The input mode, which decides what a key means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Normal(Screen),
    /// Typing a filter after `/`.
    Filter,
    /// A dialog is open; `text` when it has a text field.
    Dialog {
        text: bool,
    },
    Help,
    /// An event opened whole: keys scroll it or close it.
    Event,
}

/// What a key asks the cockpit to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UiAction {
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    Open,
    Back,
    Quit,
    NextScreen,
    StartFilter,
    Advance,
    RollBack,
    RetryRollBack,
    PauseOrResume,
    /// Send a rolled-back segment back to plan (`cutover replan`).
    Replan,
    /// Send a segment in gate back to test (`cutover retest`).
    Retest,
    /// Adopt the forecast's fitted mix as the segment's plan.
    AdoptFit,
    /// Run the segment's test checks now, without advancing.
    RunChecks,
    /// Approve a request waiting for approval (`cutover approve`).
    Approve,
    /// Reject a request, or withdraw one's own (`cutover reject`).
    Reject,
    /// Sort the overview's rows by the next key (file order, phase, behind, finish).
    CycleSort,
    /// Group the overview's rows by strategy, or stop grouping.
    ToggleGroup,
    /// Select the segment of the next item "needs you" lists.
    NextNeed,
    NextTheme,
    Help,
    /// A character typed into a text field.
    Char(char),
    Backspace,
    Confirm,
    Cancel,
}

impl UiAction {
    /// Whether it acts on the project (what a viewer may not do).
    pub fn acts(self) -> bool {
        use UiAction::*;
        matches!(
            self,
            Advance
                | RollBack
                | RetryRollBack
                | PauseOrResume
                | Replan
                | Retest
                | AdoptFit
                | RunChecks
                | Approve
                | Reject
        )
    }
}

/// The action a key means in a mode, if any.
pub fn action_for(mode: Mode, key: KeyEvent) -> Option<UiAction> {
    use UiAction::*;
    if key.kind == KeyEventKind::Release {
        return None;
    }
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    if ctrl && key.code == KeyCode::Char('c') {
        return Some(Quit);
    }
    match mode {
        Mode::Dialog { text: true } | Mode::Filter => match key.code {
            KeyCode::Enter => Some(Confirm),
            KeyCode::Esc => Some(Cancel),
            KeyCode::Backspace => Some(Backspace),
            KeyCode::Char(c) if !ctrl => Some(Char(c)),
            _ => None,
        },
        Mode::Dialog { text: false } => match key.code {
            KeyCode::Enter | KeyCode::Char('y') | KeyCode::Char('Y') => Some(Confirm),
            KeyCode::Esc | KeyCode::Char('n') | KeyCode::Char('N') => Some(Cancel),
            _ => None,
        },
        Mode::Help => match key.code {
            KeyCode::Esc | KeyCode::Char('q') | KeyCode::Char('?') => Some(Back),
            _ => None,
        },
        Mode::Event => match key.code {
            KeyCode::Esc | KeyCode::Char('q') | KeyCode::Enter => Some(Back),
            KeyCode::Up | KeyCode::Char('k') => Some(Up),
            KeyCode::Down | KeyCode::Char('j') => Some(Down),
            KeyCode::PageUp => Some(PageUp),
            KeyCode::PageDown | KeyCode::Char(' ') => Some(PageDown),
            KeyCode::Home | KeyCode::Char('g') => Some(Top),
            _ => None,
        },
        Mode::Normal(screen) => {
            let common = match key.code {
                KeyCode::Up | KeyCode::Char('k') => Some(Up),
                KeyCode::Down | KeyCode::Char('j') => Some(Down),
                KeyCode::PageUp => Some(PageUp),
                KeyCode::PageDown => Some(PageDown),
                KeyCode::Home | KeyCode::Char('g') => Some(Top),
                KeyCode::End | KeyCode::Char('G') => Some(Bottom),
                KeyCode::Tab => Some(NextScreen),
                KeyCode::Char('t') => Some(NextTheme),
                KeyCode::Char('?') => Some(Help),
                KeyCode::Esc => Some(Back),
                KeyCode::Char('q') => Some(if screen == Screen::Overview {
                    Quit
                } else {
                    Back
                }),
                _ => None,
            };
            if common.is_some() {
                return common;
            }
            match (screen, key.code) {
                (Screen::Overview | Screen::Log, KeyCode::Enter) => Some(Open),
                // Each screen with a list filters its own.
                (Screen::Overview | Screen::Log, KeyCode::Char('/')) => Some(StartFilter),
                (Screen::Overview | Screen::Detail, KeyCode::Char('P')) => Some(Replan),
                (Screen::Overview | Screen::Detail, KeyCode::Char('T')) => Some(Retest),
                (Screen::Overview | Screen::Detail, KeyCode::Char('a')) => Some(Advance),
                (Screen::Overview | Screen::Detail, KeyCode::Char('r')) => Some(RollBack),
                (Screen::Overview | Screen::Detail, KeyCode::Char('R')) => Some(RetryRollBack),
                (Screen::Overview | Screen::Detail, KeyCode::Char('p')) => Some(PauseOrResume),
                (Screen::Detail, KeyCode::Char('F')) => Some(AdoptFit),
                (Screen::Overview | Screen::Detail, KeyCode::Char('c')) => Some(RunChecks),
                (Screen::Overview | Screen::Detail, KeyCode::Char('A')) => Some(Approve),
                (Screen::Overview | Screen::Detail, KeyCode::Char('X')) => Some(Reject),
                (Screen::Overview, KeyCode::Char('s')) => Some(CycleSort),
                (Screen::Overview, KeyCode::Char('S')) => Some(ToggleGroup),
                (Screen::Overview, KeyCode::Char('n')) => Some(NextNeed),
                _ => None,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    #[test]
    fn overview_keys() {
        let m = Mode::Normal(Screen::Overview);
        assert_eq!(action_for(m, key(KeyCode::Char('j'))), Some(UiAction::Down));
        assert_eq!(action_for(m, key(KeyCode::Down)), Some(UiAction::Down));
        assert_eq!(action_for(m, key(KeyCode::Char('k'))), Some(UiAction::Up));
        assert_eq!(action_for(m, key(KeyCode::Enter)), Some(UiAction::Open));
        assert_eq!(
            action_for(m, key(KeyCode::Char('a'))),
            Some(UiAction::Advance)
        );
        assert_eq!(
            action_for(m, key(KeyCode::Char('r'))),
            Some(UiAction::RollBack)
        );
        assert_eq!(
            action_for(m, key(KeyCode::Char('R'))),
            Some(UiAction::RetryRollBack)
        );
        assert_eq!(
            action_for(m, key(KeyCode::Char('p'))),
            Some(UiAction::PauseOrResume)
        );
        assert_eq!(action_for(m, key(KeyCode::Char('q'))), Some(UiAction::Quit));
        assert_eq!(action_for(m, key(KeyCode::Tab)), Some(UiAction::NextScreen));
        assert_eq!(
            action_for(m, key(KeyCode::Char('/'))),
            Some(UiAction::StartFilter)
        );
        assert_eq!(
            action_for(m, key(KeyCode::Char('t'))),
            Some(UiAction::NextTheme)
        );
        assert_eq!(action_for(m, key(KeyCode::Char('?'))), Some(UiAction::Help));
        assert_eq!(
            action_for(m, key(KeyCode::Char('c'))),
            Some(UiAction::RunChecks)
        );
        assert_eq!(
            action_for(m, key(KeyCode::Char('s'))),
            Some(UiAction::CycleSort)
        );
        assert_eq!(
            action_for(m, key(KeyCode::Char('S'))),
            Some(UiAction::ToggleGroup)
        );
        assert_eq!(
            action_for(Mode::Normal(Screen::Log), key(KeyCode::Char('s'))),
            None
        );
        assert_eq!(action_for(m, key(KeyCode::Char('x'))), None);
    }

    #[test]
    fn replan_and_retest_have_keys_filters_belong_to_lists_and_an_open_event_scrolls() {
        let o = Mode::Normal(Screen::Overview);
        let d = Mode::Normal(Screen::Detail);
        let l = Mode::Normal(Screen::Log);
        assert_eq!(
            action_for(o, key(KeyCode::Char('P'))),
            Some(UiAction::Replan)
        );
        assert_eq!(
            action_for(d, key(KeyCode::Char('T'))),
            Some(UiAction::Retest)
        );
        assert_eq!(action_for(l, key(KeyCode::Char('P'))), None);
        assert_eq!(action_for(d, key(KeyCode::Char('/'))), None);
        assert_eq!(
            action_for(l, key(KeyCode::Char('/'))),
            Some(UiAction::StartFilter)
        );
        assert_eq!(action_for(l, key(KeyCode::Enter)), Some(UiAction::Open));
        assert_eq!(
            action_for(Mode::Event, key(KeyCode::Char('j'))),
            Some(UiAction::Down)
        );
        assert_eq!(
            action_for(Mode::Event, key(KeyCode::Esc)),
            Some(UiAction::Back)
        );
        assert_eq!(action_for(Mode::Event, key(KeyCode::Char('r'))), None);
        for screen in [Screen::Overview, Screen::Detail, Screen::Log] {
            let footer = footer_for(screen, false);
            assert_eq!(footer[0].keys, "?");
            assert!(footer[1].keys.starts_with('q'));
            // Every key of the help is on the hint line, but A and X: "needs you" offers them
            // on each request waiting for approval.
            let offered = |h: &&crate::tui::hints::Hint| h.keys != "A X";
            assert_eq!(
                footer.len(),
                help_for(screen, false).iter().filter(offered).count()
            );
            let watching = help_for(screen, true);
            assert!(
                watching
                    .iter()
                    .all(|h| !super::super::hints::ACTION_KEYS.contains(&h.keys)),
                "a viewer sees no action key"
            );
        }
    }

    #[test]
    fn q_goes_back_from_inner_screens_and_log_cannot_act_on_segments() {
        assert_eq!(
            action_for(Mode::Normal(Screen::Detail), key(KeyCode::Char('q'))),
            Some(UiAction::Back)
        );
        assert_eq!(
            action_for(Mode::Normal(Screen::Log), key(KeyCode::Char('q'))),
            Some(UiAction::Back)
        );
        assert_eq!(
            action_for(Mode::Normal(Screen::Log), key(KeyCode::Char('r'))),
            None
        );
        assert_eq!(
            action_for(Mode::Normal(Screen::Detail), key(KeyCode::Char('r'))),
            Some(UiAction::RollBack)
        );
    }

    #[test]
    fn a_text_dialog_takes_y_and_n_as_text() {
        let m = Mode::Dialog { text: true };
        assert_eq!(
            action_for(m, key(KeyCode::Char('y'))),
            Some(UiAction::Char('y'))
        );
        assert_eq!(
            action_for(m, key(KeyCode::Char('q'))),
            Some(UiAction::Char('q'))
        );
        assert_eq!(action_for(m, key(KeyCode::Enter)), Some(UiAction::Confirm));
        assert_eq!(action_for(m, key(KeyCode::Esc)), Some(UiAction::Cancel));
        assert_eq!(
            action_for(m, key(KeyCode::Backspace)),
            Some(UiAction::Backspace)
        );
    }

    #[test]
    fn a_yes_no_dialog_swallows_everything_else() {
        let m = Mode::Dialog { text: false };
        assert_eq!(
            action_for(m, key(KeyCode::Char('y'))),
            Some(UiAction::Confirm)
        );
        assert_eq!(action_for(m, key(KeyCode::Enter)), Some(UiAction::Confirm));
        assert_eq!(
            action_for(m, key(KeyCode::Char('n'))),
            Some(UiAction::Cancel)
        );
        assert_eq!(action_for(m, key(KeyCode::Esc)), Some(UiAction::Cancel));
        for c in ['a', 'r', 'q', 'j', 't', '?'] {
            assert_eq!(action_for(m, key(KeyCode::Char(c))), None, "{c}");
        }
        assert_eq!(action_for(Mode::Help, key(KeyCode::Char('a'))), None);
        assert_eq!(
            action_for(Mode::Help, key(KeyCode::Char('?'))),
            Some(UiAction::Back)
        );
    }

    #[test]
    fn ctrl_c_always_quits_and_key_release_is_ignored() {
        let c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
        for m in [
            Mode::Normal(Screen::Log),
            Mode::Filter,
            Mode::Dialog { text: true },
            Mode::Help,
        ] {
            assert_eq!(action_for(m, c), Some(UiAction::Quit));
        }
        let mut up = key(KeyCode::Char('j'));
        up.kind = KeyEventKind::Release;
        assert_eq!(action_for(Mode::Normal(Screen::Overview), up), None);
    }
}
