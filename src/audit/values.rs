//! What one value of a row means to the audit: whether it is an email address, the digest
//! a duplicate is found by, and a true/false flag as exports write it. Pure functions.

use crate::export::Scalar;
use std::hash::{Hash, Hasher};

/// A 64-bit digest of a key after trimming and Unicode case folding (`Ana@X.org ` and
/// `ana@x.org` are one key). Two different keys share a digest with a chance of about one in
/// 10¹⁰ per pair of million-user exports.
pub fn folded(text: &str) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    unicase::UniCase::unicode(text.trim()).hash(&mut h);
    h.finish()
}

/// Whether a text is an email address by syntax: one `@`, a local part of 1–64 characters
/// without spaces, and a domain of dot-separated labels of letters, digits and hyphens (any
/// script) ending in a label of two or more letters.
pub fn valid_email(text: &str) -> bool {
    let Some((local, domain)) = text.rsplit_once('@') else {
        return false;
    };
    let local_ok = (1..=64).contains(&local.chars().count())
        && !local.contains('@')
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local.chars().all(|c| !c.is_whitespace() && !c.is_control());
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = labels.len() >= 2
        && domain.len() <= 253
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_alphanumeric() || c == '-')
        })
        && labels
            .last()
            .is_some_and(|tld| tld.chars().count() >= 2 && tld.chars().all(char::is_alphabetic));
    local_ok && domain_ok && text.len() <= 254
}

/// Ids compare exactly (an id is not case-folded: `A1` and `a1` may be two users).
pub fn folded_exact(text: &str) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    text.hash(&mut h);
    h.finish()
}

/// A flag as exports write it: true/false, yes/no, 1/0, y/n, t/f (any case).
pub(super) fn flag_value(s: &Scalar) -> Option<bool> {
    match s {
        Scalar::Bool(b) => Some(*b),
        Scalar::Int(0) => Some(false),
        Scalar::Int(1) => Some(true),
        Scalar::Text(t) => match t.trim().to_ascii_lowercase().as_str() {
            "true" | "yes" | "1" | "y" | "t" => Some(true),
            "false" | "no" | "0" | "n" | "f" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_syntax() {
        for ok in [
            "ana@example.org",
            "a.b+tag@sub.example.co",
            "jürgen@bücher.de",
        ] {
            assert!(valid_email(ok), "{ok}");
        }
        for bad in [
            "ana",
            "ana@",
            "@example.org",
            "ana@example",
            "ana@@example.org",
            "a na@example.org",
            "ana@example.o",
            "ana@-x.org",
            ".ana@example.org",
            "ana@exa_mple.org",
        ] {
            assert!(!valid_email(bad), "{bad}");
        }
    }

    #[test]
    fn folding_joins_case_and_whitespace_variants() {
        assert_eq!(folded("Ana@Example.ORG "), folded("ana@example.org"));
        assert_eq!(folded("STRASSE@x.de"), folded("straße@x.de"));
        assert_ne!(folded("ana@example.org"), folded("anna@example.org"));
        assert_ne!(folded_exact("A1"), folded_exact("a1"));
    }
}
