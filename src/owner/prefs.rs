//! Each user's cockpit memory (where "since you last looked" starts, the overview's sort),
//! kept as a note in the project's state so it follows the user across sessions, processes
//! and, on the team backend, machines.

use super::clients::Waiter;
use super::core::Core;
use super::protocol::{FailureKind, Reply};
use crate::model::prefs::UserPrefs;

impl Core {
    /// The OS user name of a client, which keys its memory: several `--actor` names typed by
    /// one person are still one reader. Without a known uid, the actor name. A viewer's process
    /// on the team backend (a read-only database role) keys it by its role: the one key that
    /// role may write.
    fn user_of(&self, client: u64) -> String {
        self.read_only_session()
            .unwrap_or_else(|| self.peer(client))
    }

    pub(super) fn read_prefs(&mut self, client: u64, waiter: Waiter) {
        let user = self.user_of(client);
        match self.engine.store().notes().prefs(&user) {
            Ok(prefs) => self.clients.reply(
                waiter,
                Reply::Prefs {
                    user,
                    prefs: prefs.unwrap_or_default(),
                },
            ),
            Err(e) => self.clients.fail(
                waiter,
                FailureKind::Store,
                format!("reading {user}'s cockpit memory from the state: {e}"),
            ),
        }
    }

    pub(super) fn save_prefs(&mut self, client: u64, prefs: UserPrefs, waiter: Waiter) {
        let user = self.user_of(client);
        let notes = self.engine.store().notes();
        let saved = notes.prefs(&user).and_then(|stored| {
            let merged = prefs.merged_over(stored.as_ref());
            match self.engine.store().coordination() {
                Some(shared) if !shared.session().writes => {
                    shared.save_own_prefs(&notes.encode_prefs(&user, &merged)?)
                }
                _ => notes.set_prefs(&user, &merged),
            }
        });
        match saved {
            Ok(()) => {
                self.sync();
                self.clients.reply(waiter, Reply::Done);
            }
            Err(e) => self.clients.fail(
                waiter,
                FailureKind::Store,
                format!("saving {user}'s cockpit memory in the state: {e}"),
            ),
        }
    }

    /// The role of this process's database session when it may only read (a viewer).
    fn read_only_session(&self) -> Option<String> {
        self.engine
            .store()
            .coordination()
            .map(|c| c.session())
            .filter(|s| !s.writes)
            .map(|s| s.user.clone())
    }
}
