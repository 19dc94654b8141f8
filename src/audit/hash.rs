//! Telling a password hash's scheme from its format: what the audit counts, and what the
//! compatibility table ([`super::compat`]) verdicts per target.
//!
//! Pure and cheap (no regex, no allocation for the common shapes): one call per user. The
//! value itself never leaves this module; only the scheme's id and a parameter (a bcrypt cost,
//! PBKDF2 iterations) do.

/// A recognised scheme: its id in the compatibility table, and a parameter worth counting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scheme {
    pub id: &'static str,
    /// e.g. `cost 10`, `29000 iterations`, `m=65536,t=3,p=4`, `prefix {bcrypt}`.
    pub param: Option<String>,
}

impl Scheme {
    fn plain(id: &'static str) -> Scheme {
        Scheme { id, param: None }
    }

    fn with(id: &'static str, param: String) -> Scheme {
        Scheme {
            id,
            param: Some(param),
        }
    }
}

/// Scheme names exports put in braces before a hash (Spring Security, LDAP), lowercase.
const PREFIXES: &[&str] = &[
    "bcrypt", "argon2", "pbkdf2", "scrypt", "sha256", "sha-256", "sha-1", "sha", "ssha", "md5",
    "md4", "noop", "ldap", "crypt",
];

/// Every scheme id [`classify`] can answer, in the order reports list them.
pub const SCHEMES: &[&str] = &[
    "bcrypt-2a",
    "bcrypt-2b",
    "bcrypt-2y",
    "argon2i",
    "argon2id",
    "argon2d",
    "pbkdf2-sha1",
    "pbkdf2-sha256",
    "pbkdf2-sha512",
    "django-pbkdf2-sha256",
    "django-pbkdf2-sha1",
    "salted-md5",
    "salted-sha1",
    "salted-sha256",
    "salted-sha512",
    "md5",
    "sha1",
    "sha256",
    "sha512",
    "ldap-ssha",
    "ldap-sha",
    "unix-crypt",
    "plaintext",
    "empty",
    "unknown",
];

fn is_hex(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_hexdigit())
}

fn is_bcrypt_body(s: &str) -> bool {
    // 22 characters of salt and 31 of hash in bcrypt's own base64 alphabet.
    s.len() == 53
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'/')
}

fn is_base64(s: &str) -> bool {
    !s.is_empty()
        && s.len().is_multiple_of(4)
        && s.trim_end_matches('=')
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/' || b == b'-' || b == b'_')
}

/// The scheme of `hash`, given whether the row has a salt in a separate column. `declared`
/// is a scheme the export names itself (FusionAuth's `encryptionScheme`), used when the value
/// alone does not tell.
pub fn classify(hash: Option<&str>, has_salt: bool, declared: Option<&str>) -> Scheme {
    let Some(raw) = hash.map(str::trim).filter(|h| !h.is_empty()) else {
        return Scheme::plain("empty");
    };
    if let Some(passlib) = ldap_pbkdf2(raw) {
        let mut scheme = by_format(&passlib, has_salt);
        scheme.param = scheme
            .param
            .map(|p| format!("{p}, OpenLDAP {{PBKDF2}} form"));
        return scheme;
    }
    // Some exports put the scheme in braces before the hash (Spring Security's `{bcrypt}`);
    // LDAP's `{SSHA}` and `{SHA}` are schemes of their own. Only known names count as a
    // prefix: anything else in braces is part of the value (and never shown).
    let (prefix, h) = match raw
        .strip_prefix('{')
        .and_then(|r| r.split_once('}'))
        .filter(|(name, _)| PREFIXES.contains(&name.to_ascii_lowercase().as_str()))
    {
        Some((name, rest)) => (Some(name.to_ascii_lowercase()), rest),
        None => (None, raw),
    };
    match prefix.as_deref() {
        Some("ssha") if is_base64(h) => return Scheme::plain("ldap-ssha"),
        Some("sha") if is_base64(h) => return Scheme::plain("ldap-sha"),
        // Spring Security's "no encoding": the password itself.
        Some("noop") if !h.is_empty() => return Scheme::with("plaintext", "prefix {noop}".into()),
        _ => {}
    }
    let mut scheme = by_format(h, has_salt);
    if scheme.id == "unknown"
        && let Some(d) = declared.and_then(declared_scheme)
    {
        scheme = Scheme::with(d, "declared by the export".into());
    }
    if let Some(p) = prefix
        && scheme.id != "unknown"
    {
        scheme.param = Some(match scheme.param {
            Some(param) => format!("{param}, prefix {{{p}}}"),
            None => format!("prefix {{{p}}}"),
        });
    }
    scheme
}

/// OpenLDAP's `pw-pbkdf2` form, `{PBKDF2-SHA256}N$salt$hash` (`{PBKDF2}` is SHA-1), rewritten
/// as the passlib form it abbreviates, `$pbkdf2-sha256$N$salt$hash` (both in passlib's base64).
pub fn ldap_pbkdf2(hash: &str) -> Option<String> {
    let (name, rest) = hash.trim().strip_prefix('{')?.split_once('}')?;
    let id = match name.to_ascii_uppercase().as_str() {
        "PBKDF2" | "PBKDF2-SHA1" => "pbkdf2",
        "PBKDF2-SHA256" => "pbkdf2-sha256",
        "PBKDF2-SHA512" => "pbkdf2-sha512",
        _ => return None,
    };
    (!rest.starts_with('$')).then(|| format!("${id}${rest}"))
}

fn by_format(h: &str, has_salt: bool) -> Scheme {
    // bcrypt: $2a$10$<53 chars>
    if let Some(rest) = h.strip_prefix("$2")
        && let [variant, cost, body] = rest.splitn(3, '$').collect::<Vec<_>>()[..]
        && is_bcrypt_body(body)
        && let Ok(cost) = cost.parse::<u32>()
    {
        let id = match variant {
            "a" => "bcrypt-2a",
            "b" => "bcrypt-2b",
            "y" => "bcrypt-2y",
            _ => return Scheme::plain("unknown"),
        };
        return Scheme::with(id, format!("cost {cost}"));
    }
    if let Some(rest) = h.strip_prefix('$') {
        let parts: Vec<&str> = rest.split('$').collect();
        match parts[..] {
            // $argon2id$v=19$m=65536,t=3,p=4$salt$hash
            [
                alg @ ("argon2i" | "argon2id" | "argon2d"),
                _version,
                params,
                _salt,
                _hash,
            ] => {
                let id = match alg {
                    "argon2i" => "argon2i",
                    "argon2id" => "argon2id",
                    _ => "argon2d",
                };
                // Kept only in argon2's own shape (m=…,t=…,p=… with numbers): a malformed
                // value must not put salt or hash text into a report.
                let shaped = params.split(',').count() == 3
                    && params.split(',').all(|kv| {
                        kv.split_once('=').is_some_and(|(k, v)| {
                            matches!(k, "m" | "t" | "p")
                                && !v.is_empty()
                                && v.bytes().all(|b| b.is_ascii_digit())
                        })
                    });
                return if shaped {
                    Scheme::with(id, params.to_string())
                } else {
                    Scheme::plain(id)
                };
            }
            // $pbkdf2-sha256$29000$salt$hash (passlib) or $pbkdf2-sha256$i=29000,l=32$salt$hash
            [alg, iterations, _salt, _hash] if alg.starts_with("pbkdf2") => {
                let id = match alg {
                    "pbkdf2" | "pbkdf2-sha1" => "pbkdf2-sha1",
                    "pbkdf2-sha256" => "pbkdf2-sha256",
                    "pbkdf2-sha512" => "pbkdf2-sha512",
                    _ => return Scheme::plain("unknown"),
                };
                let n = iterations
                    .trim_start_matches("i=")
                    .split(',')
                    .next()
                    .unwrap_or_default();
                return match n.parse::<u64>() {
                    Ok(n) => Scheme::with(id, format!("{n} iterations")),
                    Err(_) => Scheme::plain("unknown"),
                };
            }
            // crypt(3): $1$salt$hash (MD5), $5$ / $6$ (SHA-256 / SHA-512, `rounds=N$` optional),
            // as directories keep them after `{CRYPT}`.
            [variant @ ("1" | "5" | "6"), .., _hash] if parts.len() <= 4 => {
                let name = match variant {
                    "1" => "md5-crypt",
                    "5" => "sha256-crypt",
                    _ => "sha512-crypt",
                };
                let rounds = parts
                    .get(1)
                    .and_then(|p| p.strip_prefix("rounds="))
                    .and_then(|n| n.parse::<u64>().ok());
                return Scheme::with(
                    "unix-crypt",
                    match rounds {
                        Some(n) => format!("{name}, {n} rounds"),
                        None => name.to_string(),
                    },
                );
            }
            _ => return Scheme::plain("unknown"),
        }
    }
    // Django: pbkdf2_sha256$260000$salt$hash
    if let [
        alg @ ("pbkdf2_sha256" | "pbkdf2_sha1"),
        iterations,
        _salt,
        hash,
    ] = h.splitn(4, '$').collect::<Vec<_>>()[..]
        && is_base64(hash)
    {
        let id = if alg == "pbkdf2_sha256" {
            "django-pbkdf2-sha256"
        } else {
            "django-pbkdf2-sha1"
        };
        return match iterations.parse::<u64>() {
            Ok(n) => Scheme::with(id, format!("{n} iterations")),
            Err(_) => Scheme::plain("unknown"),
        };
    }
    if is_hex(h) {
        let bits = match h.len() {
            32 => Some(("salted-md5", "md5")),
            40 => Some(("salted-sha1", "sha1")),
            64 => Some(("salted-sha256", "sha256")),
            128 => Some(("salted-sha512", "sha512")),
            _ => None,
        };
        if let Some((salted, bare)) = bits {
            return Scheme::plain(if has_salt { salted } else { bare });
        }
    }
    if looks_plain(h) {
        return Scheme::plain("plaintext");
    }
    Scheme::plain("unknown")
}

/// A value that is not any hash format and reads like something a person typed: short,
/// printable, and not shaped like an encoded digest (hex, or base64 of 16/20/32/64 bytes).
fn looks_plain(h: &str) -> bool {
    let n = h.chars().count();
    let digest_b64 = is_base64(h) && matches!(h.len(), 24 | 28 | 44 | 88);
    (1..=40).contains(&n)
        && !digest_b64
        && !h.contains('$')
        && h.chars().all(|c| !c.is_control())
        && !(is_hex(h) && n >= 16)
}

/// FusionAuth's `encryptionScheme` names, as the ids of this table.
fn declared_scheme(name: &str) -> Option<&'static str> {
    Some(match name.trim() {
        "bcrypt" => "bcrypt-2a",
        "salted-md5" => "salted-md5",
        "salted-sha256" => "salted-sha256",
        "salted-pbkdf2-hmac-sha256" => "pbkdf2-sha256",
        "salted-pbkdf2-hmac-sha512" => "pbkdf2-sha512",
        "example-salted-sha1" | "salted-sha1" => "salted-sha1",
        _ => return None,
    })
}

#[cfg(test)]
mod tests;
