//! Each user's cockpit memory (where "since you last looked" starts, the overview's sort),
//! kept as a note in the project's state so it follows the user across sessions, processes
//! and, on the team backend, machines.

use super::core::{Core, Waiter};
use super::protocol::{FailureKind, Reply};
use crate::model::prefs::UserPrefs;

impl Core {
    /// The OS user name of a client, which keys its memory: several `--actor` names typed by
    /// one person are still one reader. Without a known uid, the actor name.
    fn user_of(&self, client: u64) -> String {
        match self.clients.get(&client) {
            Some(c) => c.uid.map_or_else(|| c.actor.clone(), crate::os::user_name),
            None => "unknown".to_string(),
        }
    }

    pub(super) fn read_prefs(&mut self, client: u64, waiter: Waiter) {
        let user = self.user_of(client);
        match self.engine.store().notes().prefs(&user) {
            Ok(prefs) => self.reply(
                waiter,
                Reply::Prefs {
                    user,
                    prefs: prefs.unwrap_or_default(),
                },
            ),
            Err(e) => self.fail(
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
                self.reply(waiter, Reply::Done);
            }
            Err(e) => self.fail(
                waiter,
                FailureKind::Store,
                format!("saving {user}'s cockpit memory in the state: {e}"),
            ),
        }
    }
}
