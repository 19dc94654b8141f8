//! A target system of `[segments.move]` (see [`super::moves`]): its connection keys, read from
//! the section as written and validated into one [`Target`] variant per kind with exactly the
//! keys that kind takes, and the batch limit its documentation sets.

use super::found::Said;
use super::locate::KeyPath;
use super::moves::MoveFile;
use super::validate_hooks::check_url;

/// Firebase's endpoint, unless `url` names another (the emulator's).
pub const FIREBASE_URL: &str = "https://identitytoolkit.googleapis.com";

/// A target system and how to reach it, validated: one variant per kind, with exactly its
/// keys. Secret values are still `env:NAME` references here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    FusionAuth {
        url: String,
        api_key: String,
        tenant: Option<String>,
    },
    Auth0 {
        domain: String,
        token: String,
        connection_id: String,
        /// The Management API's base: `https://DOMAIN`, unless `url` names another (a test
        /// server).
        url: String,
    },
    Keycloak {
        url: String,
        realm: String,
        client_id: String,
        client_secret: String,
    },
    Authgear {
        url: String,
        key_id: String,
        private_key: String,
    },
    Firebase {
        project: String,
        /// `env:NAME` of an OAuth access token, or of a service account's JSON.
        credential: FirebaseCredential,
        url: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FirebaseCredential {
    Token(String),
    ServiceAccount(String),
}

/// The target kinds, as `target` names them.
pub const KINDS: [&str; 5] = ["fusionauth", "auth0", "keycloak", "authgear", "firebase"];

impl Target {
    /// Where its users land (the url and its project, tenant, realm or connection), and the
    /// key that names that place: a rehearsal must land somewhere else.
    pub fn destination(&self) -> (String, &'static str) {
        match self {
            Target::FusionAuth { url, tenant, .. } => (
                format!("{url} {}", tenant.as_deref().unwrap_or("")),
                "tenant",
            ),
            // Auth0's user ids are unique across a tenant's connections: a rehearsal needs a
            // tenant of its own.
            Target::Auth0 { domain, url, .. } => (format!("{domain} {url}"), "domain"),
            Target::Keycloak { url, realm, .. } => (format!("{url} {realm}"), "realm"),
            Target::Authgear { url, .. } => (url.clone(), "url"),
            Target::Firebase { project, url, .. } => (format!("{url} {project}"), "project"),
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Target::FusionAuth { .. } => KINDS[0],
            Target::Auth0 { .. } => KINDS[1],
            Target::Keycloak { .. } => KINDS[2],
            Target::Authgear { .. } => KINDS[3],
            Target::Firebase { .. } => KINDS[4],
        }
    }
}

/// Users a batch when `batch` is not set: the kind's limit, but FusionAuth's. A FusionAuth
/// import is one synchronous request, held whole while it is sent; 25,000 users keep a move of
/// a million under 100 MB (100,000, the guide's largest, takes about 160 MB).
pub fn batch_default(kind: &str) -> u64 {
    match kind {
        "fusionauth" => 25_000,
        other => batch_limit(other),
    }
}

/// The largest batch a kind takes.
pub fn batch_limit(kind: &str) -> u64 {
    match kind {
        "fusionauth" => 100_000,
        "auth0" => 10_000,
        "keycloak" => 500,
        _ => 1_000,
    }
}

/// The keys of a `kind` target at `at`: each required key present, secrets as `env:NAME`,
/// URLs under the hooks' rule, and no key another kind uses.
pub(super) fn target(
    kind: &str,
    k: &MoveFile,
    at: &KeyPath,
    err: &mut impl FnMut(&KeyPath, Said),
) -> Option<Target> {
    let mut fine = true;
    let mut need = |key: &str, value: &Option<String>, secret: bool| -> Option<String> {
        let here = at.clone().key(key);
        match value.as_deref().map(str::trim) {
            Some(v) if !v.is_empty() => {
                if secret && !v.starts_with(crate::secret::PREFIX) {
                    fine = false;
                    err(
                        &here,
                        Said::hiding_value(format!(
                            "must reference the environment, e.g. {key} = \"env:{}\": a secret is never written in cutover.toml",
                            key.to_ascii_uppercase()
                        )),
                    );
                    return None;
                }
                Some(v.to_string())
            }
            _ => {
                fine = false;
                err(
                    &here,
                    format!("must be set: the {kind} target needs it").into(),
                );
                None
            }
        }
    };
    let target = match kind {
        "fusionauth" => Target::FusionAuth {
            url: need("url", &k.url, false)?,
            api_key: need("api_key", &k.api_key, true)?,
            tenant: k.tenant.clone(),
        },
        "auth0" => {
            let domain = need("domain", &k.domain, false)?;
            Target::Auth0 {
                url: k.url.clone().unwrap_or_else(|| format!("https://{domain}")),
                domain,
                token: need("token", &k.token, true)?,
                connection_id: need("connection_id", &k.connection_id, false)?,
            }
        }
        "keycloak" => Target::Keycloak {
            url: need("url", &k.url, false)?,
            realm: need("realm", &k.realm, false)?,
            client_id: need("client_id", &k.client_id, false)?,
            client_secret: need("client_secret", &k.client_secret, true)?,
        },
        "authgear" => Target::Authgear {
            url: need("url", &k.url, false)?,
            key_id: need("key_id", &k.key_id, false)?,
            private_key: need("private_key", &k.private_key, true)?,
        },
        _ => {
            let credential = match (&k.token, &k.service_account) {
                (Some(_), None) => FirebaseCredential::Token(need("token", &k.token, true)?),
                (None, Some(_)) => FirebaseCredential::ServiceAccount(need(
                    "service_account",
                    &k.service_account,
                    true,
                )?),
                _ => {
                    err(
                        &at.clone().key("token"),
                        "set exactly one of token = \"env:NAME\" (an access token) or service_account = \"env:NAME\" (its JSON)".into(),
                    );
                    return None;
                }
            };
            Target::Firebase {
                project: need("project", &k.project, false)?,
                credential,
                url: k.url.clone().unwrap_or_else(|| FIREBASE_URL.to_string()),
            }
        }
    };
    if !fine {
        return None;
    }
    if let Target::Auth0 { domain, .. } = &target
        && (domain.contains('/') || domain.contains(':'))
    {
        err(
            &at.clone().key("domain"),
            "must be the tenant's domain alone, e.g. \"acme.eu.auth0.com\" (no scheme, no path)"
                .into(),
        );
        return None;
    }
    let url = match &target {
        Target::Auth0 { url, .. }
        | Target::FusionAuth { url, .. }
        | Target::Keycloak { url, .. }
        | Target::Authgear { url, .. }
        | Target::Firebase { url, .. } => Some(url),
    };
    if let Some(url) = url
        && let Err(msg) = check_url(url, k.insecure, "https://auth.example.com")
    {
        err(&at.clone().key("url"), msg);
        return None;
    }
    let unused: Vec<&str> = unused_keys(kind, k);
    if !unused.is_empty() {
        err(
            &at.clone().key(unused[0]),
            format!(
                "is not a key of the {kind} target (it takes {})",
                keys_of(kind).join(", ")
            )
            .into(),
        );
        return None;
    }
    Some(target)
}

/// The keys a kind takes.
fn keys_of(kind: &str) -> &'static [&'static str] {
    match kind {
        "fusionauth" => &["url", "api_key", "tenant"],
        "auth0" => &["domain", "token", "connection_id", "url"],
        "keycloak" => &["url", "realm", "client_id", "client_secret"],
        "authgear" => &["url", "key_id", "private_key"],
        _ => &["project", "token", "service_account", "url"],
    }
}

/// Keys set that `kind` does not take.
fn unused_keys(kind: &str, k: &MoveFile) -> Vec<&'static str> {
    let set = [
        ("url", k.url.is_some()),
        ("api_key", k.api_key.is_some()),
        ("tenant", k.tenant.is_some()),
        ("domain", k.domain.is_some()),
        ("token", k.token.is_some()),
        ("connection_id", k.connection_id.is_some()),
        ("realm", k.realm.is_some()),
        ("client_id", k.client_id.is_some()),
        ("client_secret", k.client_secret.is_some()),
        ("key_id", k.key_id.is_some()),
        ("private_key", k.private_key.is_some()),
        ("project", k.project.is_some()),
        ("service_account", k.service_account.is_some()),
    ];
    let takes = keys_of(kind);
    set.iter()
        .filter(|(key, present)| *present && !takes.contains(key))
        .map(|(key, _)| *key)
        .collect()
}
