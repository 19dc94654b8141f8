//! The fields of one directory entry, shared by the LDIF reader ([`super::ldif`]) and the live
//! LDAP reader ([`super::ldap`]), so a directory reads the same whether it is exported to a
//! file or searched: attribute names match a field's candidates without regard to case, as
//! LDAP compares them (`mail` is `Mail`), options after `;` are ignored (`cn;lang-de` is
//! `cn`), the first value of a many-valued attribute is the one read, and where an entry has
//! several of a field's candidates, the earliest candidate wins, as in every other format.

use super::Scalar;
use super::rows::Field;

/// Which fields an entry's attributes answer, and the values of the entry being read.
pub(super) struct EntryFields {
    /// Every candidate that can be an attribute name (no dotted JSON paths), lowercase, with
    /// the field it answers and its rank among that field's candidates.
    wanted: Vec<(String, usize, usize)>,
    /// Per field, the rank of the value held for this entry (`usize::MAX`: none yet).
    ranks: Vec<usize>,
    values: Vec<Option<Scalar>>,
    /// Per field, the candidate the first entry that had one was read from.
    used: Vec<Option<usize>>,
}

impl EntryFields {
    pub(super) fn new(fields: &[Field]) -> EntryFields {
        let wanted = fields
            .iter()
            .enumerate()
            .flat_map(|(f, field)| {
                field
                    .candidates
                    .iter()
                    .enumerate()
                    .filter(|(_, c)| !c.contains('.') && !c.is_empty())
                    .map(move |(rank, c)| (c.to_ascii_lowercase(), f, rank))
            })
            .collect();
        EntryFields {
            wanted,
            ranks: vec![usize::MAX; fields.len()],
            values: vec![None; fields.len()],
            used: vec![None; fields.len()],
        }
    }

    /// The attribute names a search asks the directory for (operational ones such as
    /// `createTimestamp` are only returned when named).
    pub(super) fn attributes(fields: &[Field]) -> Vec<String> {
        let mut names: Vec<String> = Vec::new();
        for c in fields.iter().flat_map(|f| &f.candidates) {
            if !c.contains('.') && !c.is_empty() && !names.iter().any(|n| n.eq_ignore_ascii_case(c))
            {
                names.push(c.clone());
            }
        }
        names
    }

    /// Start a new entry.
    pub(super) fn begin(&mut self) {
        self.ranks.iter_mut().for_each(|r| *r = usize::MAX);
        self.values.iter_mut().for_each(|v| *v = None);
    }

    /// The field ranks an attribute description (`name;options`) answers, if any.
    fn answers<'a>(&'a self, description: &'a str) -> impl Iterator<Item = (usize, usize)> + 'a {
        let name = description.split(';').next().unwrap_or_default();
        self.wanted
            .iter()
            .filter(move |(w, _, _)| w.eq_ignore_ascii_case(name))
            .map(|(_, f, rank)| (*f, *rank))
    }

    /// Whether any field wants the attribute `description`.
    pub(super) fn wants(&self, description: &str) -> bool {
        self.answers(description).next().is_some()
    }

    /// Offer one value of the attribute `description`; `value` is made only where a field
    /// takes it.
    pub(super) fn offer(&mut self, description: &str, value: impl Fn() -> Scalar) {
        let takes: Vec<(usize, usize)> = self
            .answers(description)
            .filter(|&(f, rank)| rank < self.ranks[f])
            .collect();
        for (f, rank) in takes {
            self.ranks[f] = rank;
            self.values[f] = Some(value());
        }
    }

    /// The entry's values, one per field; notes which candidate each field was read from.
    pub(super) fn finish(&mut self) -> &[Option<Scalar>] {
        for (f, rank) in self.ranks.iter().enumerate() {
            if *rank != usize::MAX && self.used[f].is_none() {
                self.used[f] = Some(*rank);
            }
        }
        &self.values
    }

    /// The name each field was read from (None: no entry had any of its candidates).
    pub(super) fn used(&self, fields: &[Field]) -> Vec<Option<String>> {
        self.used
            .iter()
            .zip(fields)
            .map(|(u, f)| u.map(|i| f.candidates[i].clone()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_without_case_and_options_and_the_earliest_candidate_wins() {
        let fields = [Field::any_of(&["user_id", "uid"]), Field::any_of(&["mail"])];
        let mut e = EntryFields::new(&fields);
        e.begin();
        e.offer("UID", || Scalar::Text("ana".into()));
        e.offer("uid", || Scalar::Text("second value".into()));
        e.offer("mail;x-origin", || Scalar::Text("a@b.c".into()));
        let got = e.finish().to_vec();
        assert_eq!(got[0], Some(Scalar::Text("ana".into())), "first value kept");
        assert_eq!(got[1], Some(Scalar::Text("a@b.c".into())));
        e.begin();
        e.offer("uid", || Scalar::Text("bo".into()));
        e.offer("user_id", || Scalar::Text("7".into()));
        assert_eq!(e.finish()[0], Some(Scalar::Text("7".into())));
        assert_eq!(
            e.used(&fields),
            vec![Some("uid".to_string()), Some("mail".to_string())]
        );
        assert!(!e.wants("cn"));
        assert_eq!(
            EntryFields::attributes(&[Field::any_of(&["uid", "a.b", "UID", "mail"])]),
            vec!["uid".to_string(), "mail".to_string()]
        );
    }
}
