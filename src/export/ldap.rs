//! Reading a live LDAP directory wherever an export file is read: an RFC 4516 URL,
//! `ldap://HOST:PORT/BASE??SCOPE?FILTER` (`ldaps://` for TLS), in place of the file's path.
//!
//! The search asks only for the attributes the fields name and pages through the directory
//! with the paged results control ([`PAGE`] entries a page), so memory stays bounded whatever
//! the directory's size; entries reach the caller as they arrive, numbered from 1 in the order
//! read, and are matched to fields exactly as an LDIF export of the same directory is
//! ([`super::entry`]). The bind password comes from `env:` only (`[legacy] bind_password`)
//! and is never in the URL, a message or the state.
//!
//! What stops a read, each with the fix in its message: a bind the directory refuses, a field
//! named in `[audit]` that the directory's schema does not have (when the schema may be
//! read), a referral (the search went
//! to another server), a size or administrative limit (the reading identity is not allowed
//! the whole directory, even page by page), a base that does not exist, and no access.

use super::entry::EntryFields;
use super::rows::{Field, RowResult};
use super::{BadRow, ReadError, Scalar};
use ldap3::adapters::PagedResults;
use ldap3::{LdapConn, LdapConnSettings, SearchEntry};
use sha2::{Digest as _, Sha256};
use std::time::Duration;

/// Entries asked for per page.
pub const PAGE: i32 = 500;

/// A directory to read, as named in place of an export file.
#[derive(Clone, PartialEq, Eq)]
pub struct Directory {
    /// The URL as written; it never holds a password.
    pub url: String,
    /// Bind as this DN with the password in this `env:` reference; None: anonymous.
    pub bind: Option<(String, String)>,
    /// Only the entries changed (or created) at or after this moment: the search's filter
    /// and `(modifyTimestamp>=…)`, as a drift pass reads the directory.
    pub changed_since: Option<chrono::DateTime<chrono::Utc>>,
}

impl std::fmt::Debug for Directory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Directory({})", self.url)
    }
}

/// Whether `text` names a live directory rather than a file.
pub fn is_url(text: &str) -> bool {
    let t = text.trim_start().to_ascii_lowercase();
    t.starts_with("ldap://") || t.starts_with("ldaps://")
}

impl Directory {
    /// Check a URL before anything connects: its shape, scope and filter, and that it holds
    /// no password.
    pub fn parse(url: &str, bind: Option<(String, String)>) -> Result<Directory, String> {
        // No message here repeats the URL: until it is known to hold no password, it may.
        let holds_password = "the LDAP URL holds a password: take it out and set [legacy] bind_password = \"env:NAME\"";
        let lower = url.to_ascii_lowercase();
        if lower.contains("x-bindpw") || lower.contains("1.3.6.1.4.1.10094.1.5.1") {
            return Err(holds_password.into());
        }
        let parsed = url::Url::parse(url.trim()).map_err(|e| {
            format!("the export's LDAP URL does not parse ({e}); write ldap://HOST:PORT/BASE??sub?(FILTER)")
        })?;
        if parsed.password().is_some() || !parsed.username().is_empty() {
            return Err(holds_password.into());
        }
        let params = ldap3::get_url_params(&parsed).map_err(|_| {
            "the export's LDAP URL cannot be read as BASE?ATTRIBUTES?SCOPE?FILTER; write ldap://HOST:PORT/BASE??sub?(FILTER) with scope base, one or sub".to_string()
        })?;
        if params.extensions.iter().any(|x| {
            matches!(
                x,
                ldap3::LdapUrlExt::XBindpw(_) | ldap3::LdapUrlExt::Credentials(_)
            )
        }) {
            return Err(holds_password.into());
        }
        ldap3::parse_filter(params.filter.as_bytes()).map_err(|()| {
            "the export's LDAP URL has a filter that is not an LDAP filter; write it in parentheses, e.g. (objectClass=inetOrgPerson), percent-encoding spaces".to_string()
        })?;
        Ok(Directory {
            url: url.trim().to_string(),
            bind,
            changed_since: None,
        })
    }
}

/// What a directory read found.
pub struct Read {
    pub used: Vec<Option<String>>,
    /// SHA-256 of who was read: each entry's DN, in order. The same digest on a second read
    /// means the same users in the same order, so the same numbers name the same users; a
    /// changed attribute (a login's time) does not change it.
    pub sha256: String,
    pub entries: u64,
}

fn failed(what: String) -> ReadError {
    ReadError::Live(what)
}

/// Stream every entry the URL's search finds to `on_row(number, row)`.
pub fn entries(
    dir: &Directory,
    fields: &[Field],
    on_row: &mut impl FnMut(u64, RowResult<'_>),
) -> Result<Read, ReadError> {
    let attrs = EntryFields::attributes(fields);
    let explicit: Vec<String> = fields
        .iter()
        .filter(|f| f.explicit)
        .flat_map(|f| f.candidates.iter().cloned())
        .collect();
    let mut values = EntryFields::new(fields);
    let mut sha = Sha256::new();
    let mut number = 0u64;
    let on_entry = |e: SearchEntry| {
        number += 1;
        // The seal is who, in what order: a user's values (a last login) change every day.
        sha.update(e.dn.as_bytes());
        sha.update(b"\n");
        let mut names: Vec<&String> = e.attrs.keys().collect();
        names.sort();
        values.begin();
        for name in names {
            if let Some(first) = e.attrs[name].first() {
                values.offer(name, || Scalar::Text(first.clone()));
            }
        }
        match e.bin_attrs.keys().find(|n| values.wants(n)) {
            Some(n) => on_row(number, Err(BadRow::ColumnNotUtf8 { column: n.clone() })),
            None => on_row(number, Ok(values.finish())),
        }
    };
    super::live::on_own_thread(
        4 * PAGE as usize,
        |tx| search(dir, &attrs, &explicit, tx),
        on_entry,
    )?;
    Ok(Read {
        used: values.used(fields),
        sha256: sha.finalize().iter().map(|b| format!("{b:02x}")).collect(),
        entries: number,
    })
}

fn search(
    dir: &Directory,
    attrs: &[String],
    explicit: &[String],
    tx: &std::sync::mpsc::SyncSender<SearchEntry>,
) -> Result<(), ReadError> {
    let mut conn = connect(dir)?;
    if !explicit.is_empty()
        && let Some(known) = super::ldap_schema::names(&mut conn)
        && let Some(name) = explicit
            .iter()
            .find(|n| !known.contains(&n.to_ascii_lowercase()))
    {
        return Err(failed(format!(
            "the directory's schema has no attribute '{name}', named in [audit] or a flag; name one the entries have (ldapsearch -LLL … '*' '+' lists them)"
        )));
    }
    let parsed = url::Url::parse(&dir.url).map_err(|e| failed(e.to_string()))?;
    let params = ldap3::get_url_params(&parsed).map_err(|e| failed(e.to_string()))?;
    let filter = match dir.changed_since {
        Some(since) => changed_filter(&params.filter, since),
        None => params.filter.to_string(),
    };
    walk(&mut conn, dir, &filter, attrs.to_vec(), |entry| {
        tx.send(SearchEntry::construct(entry)).is_ok()
    })
}

/// Entries of the URL's search changed (or created) at or after `since`: a paged search that
/// returns no attributes, counted.
pub fn count_since(
    dir: &Directory,
    since: chrono::DateTime<chrono::Utc>,
    timeout: Duration,
) -> Result<u64, ReadError> {
    // On a thread of its own, as every read: the client runs a runtime of its own.
    std::thread::scope(|s| {
        s.spawn(|| {
            let mut conn = connect(dir)?;
            // A count that outlives its poll must not hold a session on the directory.
            conn.with_timeout(timeout);
            let parsed = url::Url::parse(&dir.url).map_err(|e| failed(e.to_string()))?;
            let params = ldap3::get_url_params(&parsed).map_err(|e| failed(e.to_string()))?;
            let filter = changed_filter(&params.filter, since);
            let mut n = 0u64;
            walk(&mut conn, dir, &filter, vec!["1.1".to_string()], |_| {
                n += 1;
                true
            })?;
            Ok(n)
        })
        .join()
        .unwrap_or_else(|_| Err(failed("the directory's reader stopped unexpectedly".into())))
    })
}

/// The URL's filter narrowed to entries changed (or created: creation sets it too) at or
/// after `since`, to the second as `modifyTimestamp` keeps it.
fn changed_filter(filter: &str, since: chrono::DateTime<chrono::Utc>) -> String {
    let filter = filter.trim();
    let filter = if filter.starts_with('(') {
        filter.to_string()
    } else {
        format!("({filter})")
    };
    format!(
        "(&{filter}(modifyTimestamp>={}))",
        since.format("%Y%m%d%H%M%SZ")
    )
}

/// Connect to the directory and bind as `[legacy]` says.
fn connect(dir: &Directory) -> Result<LdapConn, ReadError> {
    let settings = LdapConnSettings::new().set_conn_timeout(Duration::from_secs(10));
    let mut conn = LdapConn::with_settings(settings, &dir.url).map_err(|e| {
        failed(format!(
            "cannot connect to {} ({e}); check the host and port, and that the directory is up",
            dir.url
        ))
    })?;
    if let Some((dn, password)) = &dir.bind {
        let password = crate::secret::resolve(password)
            .map_err(|e| failed(format!("[legacy] bind_password: {e}")))?;
        let bound = conn
            .simple_bind(dn, &password)
            .map_err(|e| failed(format!("binding as '{dn}' failed ({})", said(&e))))?;
        match bound.rc {
            0 => {}
            49 => {
                return Err(failed(format!(
                    "the directory refused the bind as '{dn}' (invalid credentials, 49): check [legacy] bind_dn and the variable [legacy] bind_password names"
                )));
            }
            rc => {
                return Err(failed(format!(
                    "the directory refused the bind as '{dn}' ({}, {rc}): check [legacy] bind_dn",
                    bound.text
                )));
            }
        }
    }
    Ok(conn)
}

/// Page through the URL's base and scope with `filter`, handing each entry to `each` (false:
/// stop), and turn the search's end into what it means.
fn walk(
    conn: &mut LdapConn,
    dir: &Directory,
    filter: &str,
    attrs: Vec<String>,
    mut each: impl FnMut(ldap3::ResultEntry) -> bool,
) -> Result<(), ReadError> {
    let parsed = url::Url::parse(&dir.url).map_err(|e| failed(e.to_string()))?;
    let params = ldap3::get_url_params(&parsed).map_err(|e| failed(e.to_string()))?;
    let mut stream = conn
        .streaming_search_with(
            PagedResults::new(PAGE),
            &params.base,
            params.scope,
            filter,
            attrs,
        )
        .map_err(|e| failed(format!("the search of {} failed ({})", dir.url, said(&e))))?;
    let mut read = 0u64;
    loop {
        match stream.next() {
            Ok(Some(entry)) if entry.is_ref() => {
                let to = ldap3::parse_refs(entry.0).join(", ");
                return Err(referral(&to));
            }
            Ok(Some(entry)) if entry.is_intermediate() => {}
            Ok(Some(entry)) => {
                read += 1;
                if !each(entry) {
                    return Ok(());
                }
            }
            Ok(None) => break,
            Err(e) => {
                return Err(failed(format!(
                    "the search of {} stopped after {read} entries ({})",
                    dir.url,
                    said(&e)
                )));
            }
        }
    }
    let done = stream.result();
    match done.rc {
        0 => Ok(()),
        4 | 11 => Err(failed(format!(
            "the directory stopped the search at its {} after {read} entries: cutover pages through it, but the reading identity's limit applies to the whole search; lift it for that identity in slapd.conf, e.g. limits dn.exact=\"BIND DN\" size=unlimited (or size.prtotal=unlimited), or bind as one without a limit",
            if done.rc == 4 { "size limit" } else { "administrative limit" }
        ))),
        10 => Err(referral(&done.refs.join(", "))),
        32 => Err(failed(format!("the search base of {} does not exist in the directory; check the DN after the host", dir.url))),
        50 => Err(failed("the reading identity may not search there (insufficient access, 50); bind as one that may, with [legacy] bind_dn".into())),
        // The server's diagnostic text may quote a DN (uid=ana,…): the code says enough.
        rc => Err(failed(format!("the search of {} ended with LDAP result code {rc}", dir.url))),
    }
}

/// What an LDAP client error means, without what it may quote: the server's diagnostic text
/// and matched DN (a DN can name a person), only the result code.
fn said(e: &ldap3::LdapError) -> String {
    match e {
        ldap3::LdapError::LdapResult { result } => format!("LDAP result code {}", result.rc),
        ldap3::LdapError::Timeout { .. } => "no answer in time".into(),
        other => {
            let text = other.to_string();
            // Transport errors (a refused connection, TLS) quote no entry.
            text.chars().take(200).collect()
        }
    }
}

fn referral(to: &str) -> ReadError {
    failed(format!(
        "the directory referred the search to {}: cutover does not follow referrals (they may change whose users are read); point the URL at that server and base",
        if to.is_empty() { "another server" } else { to }
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_checked_before_anything_connects() {
        assert!(is_url("ldap://127.0.0.1:389/dc=x"));
        assert!(is_url("LDAPS://h/dc=x"));
        assert!(!is_url("exports/ldap.ldif"));
        let ok = Directory::parse(
            "ldap://127.0.0.1:1389/ou=people,dc=example,dc=org??sub?(objectClass=inetOrgPerson)",
            None,
        )
        .expect("a good URL");
        assert!(ok.url.starts_with("ldap://"));
        let bad = |u: &str| Directory::parse(u, None).expect_err(u);
        assert!(bad("ldap://h/dc=x??everywhere?(uid=*)").contains("scope"));
        assert!(bad("ldap://h/dc=x??sub?uid=*)(").contains("filter"));
        assert!(bad("ldap://h/dc=x????x-bindpw=secret").contains("env:"));
        // A password in the URL is refused before anything could repeat it.
        for url in [
            "ldap://reader:s3cret@h/dc=x",
            "ldap://h/dc=x??nowhere?(uid=*)?x-bindpw=s3cret",
        ] {
            let said = bad(url);
            assert!(said.contains("env:") && !said.contains("s3cret"), "{said}");
        }
    }
}
