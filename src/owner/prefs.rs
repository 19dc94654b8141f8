//! Each user's cockpit memory (where "since you last looked" starts, the overview's sort),
//! kept as a note in the project's state so it follows the user across sessions, processes
//! and, on the team backend, machines.

use super::clients::Waiter;
use super::core::Core;
use super::protocol::{FailureKind, Reply};
use crate::model::prefs::UserPrefs;

impl Core {
    /// The OS user name of a client, which keys its memory: several `--actor` names typed by
    /// one person are still one reader. Without a known uid, the actor name.
    fn user_of(&self, client: u64) -> String {
        match self.clients.uid(client) {
            Some(uid) => crate::os::user_name(uid),
            None => self.clients.actor(client),
        }
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
        let saved = notes
            .prefs(&user)
            .and_then(|stored| notes.set_prefs(&user, &prefs.merged_over(stored.as_ref())));
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
}
