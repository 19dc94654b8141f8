//! Faults planted by the owner's own tests (compiled only for them): a task of the named kind
//! panics when it starts, so the tests can show that its waiter is answered anyway and the
//! owner goes on. Faults are keyed by project name, so tests running at once never meet each
//! other's.

use std::collections::BTreeSet;
use std::sync::Mutex;

static PLANTED: Mutex<BTreeSet<(String, &'static str)>> = Mutex::new(BTreeSet::new());

/// Make the next task of `kind` (`"poll"`, `"verify"`) in project `project` panic.
pub fn plant(project: &str, kind: &'static str) {
    if let Ok(mut p) = PLANTED.lock() {
        p.insert((project.to_string(), kind));
    }
}

/// Whether a fault of `kind` was planted for `project` (taken: it fires once).
pub fn take(project: &str, kind: &'static str) -> bool {
    PLANTED
        .lock()
        .is_ok_and(|mut p| p.remove(&(project.to_string(), kind)))
}
