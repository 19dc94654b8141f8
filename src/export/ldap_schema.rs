//! The attribute names an LDAP directory's schema knows, read from its subschema entry, so a
//! field named in `[audit]` that no entry can have is refused before a long read (see
//! [`super::ldap`]).

use ldap3::{LdapConn, Scope, SearchEntry};
use std::collections::HashSet;

/// Every attribute name the directory's schema knows, lowercase (None: the schema cannot be
/// read, so nothing is checked against it).
pub(super) fn names(conn: &mut LdapConn) -> Option<HashSet<String>> {
    let (root, _) = conn
        .search(
            "",
            Scope::Base,
            "(objectClass=*)",
            vec!["subschemaSubentry"],
        )
        .ok()?
        .success()
        .ok()?;
    let root = SearchEntry::construct(root.into_iter().next()?);
    let dn = root.attrs.get("subschemaSubentry")?.first()?.clone();
    let (found, _) = conn
        .search(&dn, Scope::Base, "(objectClass=*)", vec!["attributeTypes"])
        .ok()?
        .success()
        .ok()?;
    let sub = SearchEntry::construct(found.into_iter().next()?);
    let mut names = HashSet::new();
    for def in sub.attrs.get("attributeTypes")? {
        names.extend(type_names(def));
    }
    Some(names)
}

/// The names of one attribute type definition (`( 2.5.4.3 NAME ( 'cn' 'commonName' ) …`),
/// lowercase.
fn type_names(def: &str) -> Vec<String> {
    let Some(after) = def.split_once(" NAME ").map(|(_, r)| r.trim_start()) else {
        return Vec::new();
    };
    let list = if let Some(inner) = after.strip_prefix('(') {
        inner.split(')').next().unwrap_or_default()
    } else {
        after.split_whitespace().next().unwrap_or_default()
    };
    list.split('\'')
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(str::to_ascii_lowercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attribute_type_names_are_read_from_the_schema() {
        assert_eq!(
            type_names("( 2.5.4.3 NAME ( 'cn' 'commonName' ) DESC 'RFC4519' SUP name )"),
            vec!["cn", "commonname"]
        );
        assert_eq!(
            type_names("( 0.9.2342.19200300.100.1.3 NAME 'mail' EQUALITY caseIgnoreIA5Match )"),
            vec!["mail"]
        );
        assert!(type_names("( 1.2.3 DESC 'no name' )").is_empty());
    }
}
