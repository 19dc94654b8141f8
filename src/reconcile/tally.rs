//! The comparison itself, keyed on the legacy id: each user the target lists is matched to the
//! export's user of the same legacy id (a hash-map lookup of a digest), and what differs is
//! counted as the pages arrive, so the target's side is never held whole.
//!
//! Counts are of legacy ids: a legacy id the target holds twice is one `duplicated` (its
//! copies are not compared further: which of them is "the" user is for the lead to say); one
//! the export lacks is one `extra`, however many users carry it. `changed` compares what the
//! move sent: the email (case-folded, as the audit groups emails), the verified flag where the
//! export had one, and the disabled state where the target says it.

use super::expected::{Expect, Expected};
use crate::moving::held::Held;
use crate::moving::prepare::ByDigest;
use std::collections::{HashMap, HashSet};

/// What the target's side has shown so far.
#[derive(Debug, Default)]
pub struct Tally {
    /// Users listed.
    pub target_users: u64,
    /// Legacy ids the export lacks, each once, in the order listed.
    pub extra: Vec<String>,
    /// Of those, the ones held more than once.
    pub extra_twice: Vec<String>,
    /// Users whose export row the move's rules skip, on the target all the same (neither
    /// missing nor extra).
    pub skipped_there: u64,
    /// The segment's tag when its scope is a tag (`scope = "tag"`): a user the export lacks
    /// counts only if it carries this tag (another segment's users sharing the destination
    /// are not this one's extra); `None`: every user of the destination counts.
    pub scope: Option<String>,
    /// Users left out by the scope (neither this export's nor tagged with its segment).
    pub outside: u64,
    extra_seen: HashMap<u64, u8, ByDigest>,
}

/// The lines of the export a report names, by what differs.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Lines {
    pub missing: Vec<u64>,
    pub duplicated: Vec<u64>,
    pub changed: Vec<u64>,
    pub without_password: Vec<u64>,
}

impl Lines {
    /// Every line named, for reading their ids back.
    pub fn all(&self) -> HashSet<u64> {
        [
            &self.missing,
            &self.duplicated,
            &self.changed,
            &self.without_password,
        ]
        .into_iter()
        .flatten()
        .copied()
        .collect()
    }
}

fn differs(e: &Expect, h: &Held) -> bool {
    e.email != super::expected::email_key(h.email)
        || matches!((e.verified, h.verified), (Some(a), Some(b)) if a != b)
        || h.disabled.is_some_and(|d| d != e.disabled)
}

impl Tally {
    /// Match one user of the target.
    pub fn add(&mut self, expected: &mut Expected, h: &Held) {
        let key = crate::audit::values::folded_exact(&h.legacy);
        let ours = expected.get_mut(key).is_some() || expected.skipped.contains(&key);
        if !ours
            && let Some(scope) = &self.scope
            && h.tag.as_deref() != Some(scope.as_str())
        {
            self.outside += 1;
            return;
        }
        self.target_users += 1;
        if let Some(e) = expected.get_mut(key) {
            e.seen = e.seen.saturating_add(1);
            if e.seen == 1 {
                e.changed = differs(e, h);
                e.no_password = e.password && h.password == Some(false);
            }
            return;
        }
        if expected.skipped.contains(&key) {
            self.skipped_there += 1;
            return;
        }
        let seen = self.extra_seen.entry(key).or_default();
        *seen = seen.saturating_add(1);
        match *seen {
            1 => self.extra.push(h.legacy.clone()),
            2 => self.extra_twice.push(h.legacy.clone()),
            _ => {}
        }
    }

    /// The export's users that differ, by line (in export order).
    pub fn lines(expected: &Expected) -> Lines {
        let mut out = Lines::default();
        for e in expected.users() {
            let line = u64::from(e.line);
            match e.seen {
                0 => out.missing.push(line),
                1 if e.changed || e.no_password => {
                    if e.changed {
                        out.changed.push(line);
                    }
                    if e.no_password {
                        out.without_password.push(line);
                    }
                }
                1 => {}
                _ => out.duplicated.push(line),
            }
        }
        for v in [
            &mut out.missing,
            &mut out.duplicated,
            &mut out.changed,
            &mut out.without_password,
        ] {
            v.sort_unstable();
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expect(line: u32, id: &str, email: &str) -> Expect {
        Expect {
            key: crate::audit::values::folded_exact(id),
            line,
            email: super::super::expected::email_key(Held::email_digest(Some(email))),
            verified: Some(true),
            disabled: false,
            password: true,
            seen: 0,
            changed: false,
            no_password: false,
        }
    }

    fn held(id: &str, email: &str) -> Held {
        Held {
            legacy: id.into(),
            email: Held::email_digest(Some(email)),
            verified: Some(true),
            disabled: Some(false),
            password: Some(true),
            ..Held::default()
        }
    }

    #[test]
    fn each_difference_is_found_by_legacy_id_and_nothing_else() {
        let users = [
            (2, "u1", "a@x.org"),
            (3, "u2", "b@x.org"),
            (4, "u3", "c@x.org"),
            (5, "u4", "d@x.org"),
            (6, "u5", "e@x.org"),
        ]
        .into_iter()
        .map(|(line, id, email)| expect(line, id, email))
        .collect();
        let skipped = [crate::audit::values::folded_exact("logged-in")]
            .into_iter()
            .collect();
        let mut ex = Expected::new(users, skipped, Default::default());
        let mut t = Tally::default();
        t.add(&mut ex, &held("u1", "A@X.org"));
        t.add(&mut ex, &held("u2", "moved@x.org"));
        t.add(&mut ex, &held("u3", "c@x.org"));
        t.add(&mut ex, &held("u3", "c2@x.org"));
        t.add(
            &mut ex,
            &Held {
                password: Some(false),
                ..held("u4", "d@x.org")
            },
        );
        t.add(&mut ex, &held("stranger", "s@x.org"));
        t.add(&mut ex, &held("stranger", "s@x.org"));
        t.add(&mut ex, &held("logged-in", "l@x.org"));
        assert_eq!(t.target_users, 8);
        assert_eq!(t.skipped_there, 1, "a skipped row's user is not extra");
        assert_eq!(t.extra, vec!["stranger"]);
        assert_eq!(t.extra_twice, vec!["stranger"]);
        assert_eq!(
            Tally::lines(&ex),
            Lines {
                missing: vec![6],
                duplicated: vec![4],
                changed: vec![3],
                without_password: vec![5],
            },
            "a case change is no change; the copy of u3 is only a duplicate"
        );
    }
}
