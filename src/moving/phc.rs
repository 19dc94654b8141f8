//! Legacy hash strings taken apart: the parts every target's import form is rebuilt from
//! (PBKDF2 in PHC or passlib form, Django's PBKDF2, Argon2's PHC string, bcrypt's modular-crypt
//! string). Nothing here keeps or prints a hash.

use super::target::Unfit;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD_NO_PAD;

/// A value after a `{SCHEME}` prefix, or the value itself.
pub fn strip_braced(hash: &str) -> &str {
    match hash.strip_prefix('{').and_then(|r| r.split_once('}')) {
        Some((_, rest)) => rest,
        None => hash,
    }
}

/// Base64 as PHC and passlib write it (no padding; passlib's `.` for `+`), padding tolerated.
pub fn b64(text: &str) -> Result<Vec<u8>, Unfit> {
    STANDARD_NO_PAD
        .decode(text.replace('.', "+").trim_end_matches('='))
        .map_err(|_| Unfit::Malformed)
}

/// PBKDF2 taken apart.
#[derive(Debug, PartialEq, Eq)]
pub struct Pbkdf2 {
    /// `sha1`, `sha256` or `sha512`.
    pub digest: String,
    pub rounds: u32,
    pub salt: Vec<u8>,
    pub hash: Vec<u8>,
}

/// PHC (`$pbkdf2-sha256$i=N,l=32$salt$hash`), passlib (`$pbkdf2-sha256$N$salt$hash`) or
/// OpenLDAP's `{PBKDF2-SHA256}N$salt$hash`; `$pbkdf2$` and `{PBKDF2}` are SHA-1.
pub fn pbkdf2(hash: &str) -> Result<Pbkdf2, Unfit> {
    let passlib = crate::audit::hash::ldap_pbkdf2(hash);
    let hash = passlib.as_deref().unwrap_or(hash);
    let mut parts = strip_braced(hash.trim()).split('$');
    let (Some(""), Some(id), Some(params), Some(salt), Some(digest), None) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return Err(Unfit::Malformed);
    };
    let name = match id {
        "pbkdf2" | "pbkdf2-sha1" => "sha1",
        "pbkdf2-sha256" => "sha256",
        "pbkdf2-sha512" => "sha512",
        _ => return Err(Unfit::Malformed),
    };
    let rounds = params
        .split(',')
        .find_map(|p| p.strip_prefix("i="))
        .unwrap_or(params)
        .parse::<u32>()
        .ok()
        .filter(|r| *r > 0)
        .ok_or(Unfit::Malformed)?;
    Ok(Pbkdf2 {
        digest: name.into(),
        rounds,
        salt: b64(salt)?,
        hash: b64(digest)?,
    })
}

/// Django's `pbkdf2_sha256$N$salt$hash` (or `pbkdf2_sha1`): the salt is text, used as its
/// bytes; the hash is standard base64, kept as written.
pub struct Django<'a> {
    pub digest: &'static str,
    pub rounds: u32,
    pub salt: &'a str,
    pub hash: &'a str,
}

pub fn django(hash: &str) -> Result<Django<'_>, Unfit> {
    let mut parts = hash.trim().split('$');
    let (Some(id), Some(rounds), Some(salt), Some(digest), None) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return Err(Unfit::Malformed);
    };
    let digest_name = match id {
        "pbkdf2_sha256" => "sha256",
        "pbkdf2_sha1" => "sha1",
        _ => return Err(Unfit::Malformed),
    };
    let rounds = rounds
        .parse::<u32>()
        .ok()
        .filter(|r| *r > 0)
        .ok_or(Unfit::Malformed)?;
    Ok(Django {
        digest: digest_name,
        rounds,
        salt,
        hash: digest,
    })
}

/// Argon2's PHC string taken apart.
#[derive(Debug, PartialEq, Eq)]
pub struct Argon2 {
    /// `i`, `d` or `id`.
    pub variant: String,
    /// 19 for version 1.3, 16 for 1.0.
    pub version: u32,
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
    pub salt: Vec<u8>,
    pub hash: Vec<u8>,
}

/// `$argon2id$v=19$m=65536,t=3,p=4$salt$hash` (the version field may be absent: 1.0).
pub fn argon2(hash: &str) -> Result<Argon2, Unfit> {
    let parts: Vec<&str> = hash.trim().split('$').collect();
    let (variant, version, params, salt, digest) = match parts.as_slice() {
        ["", v, ver, params, salt, digest] if ver.starts_with("v=") => (
            *v,
            ver[2..].parse().map_err(|_| Unfit::Malformed)?,
            *params,
            *salt,
            *digest,
        ),
        ["", v, params, salt, digest] => (*v, 16, *params, *salt, *digest),
        _ => return Err(Unfit::Malformed),
    };
    let variant = variant.strip_prefix("argon2").ok_or(Unfit::Malformed)?;
    if !["i", "d", "id"].contains(&variant) {
        return Err(Unfit::Malformed);
    }
    let param = |key: &str| {
        params
            .split(',')
            .find_map(|p| p.strip_prefix(key))
            .and_then(|v| v.parse::<u32>().ok())
            .filter(|v| *v > 0)
            .ok_or(Unfit::Malformed)
    };
    Ok(Argon2 {
        variant: variant.into(),
        version,
        memory_kib: param("m=")?,
        iterations: param("t=")?,
        parallelism: param("p=")?,
        salt: b64(salt)?,
        hash: b64(digest)?,
    })
}

/// bcrypt's `$2b$10$` + 22 characters of salt + 31 of hash: (cost, salt, hash), with the
/// version prefix checked but dropped (`$2a$`, `$2b$` and `$2y$` are the same hash).
pub fn bcrypt(hash: &str) -> Result<(u32, &str, &str), Unfit> {
    let body = strip_braced(hash.trim());
    let rest = ["$2a$", "$2b$", "$2y$"]
        .iter()
        .find_map(|p| body.strip_prefix(p))
        .ok_or(Unfit::Malformed)?;
    let (cost, tail) = rest.split_once('$').ok_or(Unfit::Malformed)?;
    let cost = cost.parse::<u32>().map_err(|_| Unfit::Malformed)?;
    if tail.len() != 53 || !tail.is_ascii() || !(4..=31).contains(&cost) {
        return Err(Unfit::Malformed);
    }
    Ok((cost, &tail[..22], &tail[22..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pbkdf2_forms_and_argon2_and_bcrypt_come_apart() {
        let p = pbkdf2("$pbkdf2-sha256$i=1000,l=32$c2FsdA$aGFzaA").expect("phc");
        assert_eq!((p.digest.as_str(), p.rounds), ("sha256", 1000));
        assert_eq!(p.salt, b"salt".to_vec());
        assert_eq!(
            pbkdf2("$pbkdf2-sha512$29000$c2FsdA$aGFzaA")
                .expect("passlib")
                .rounds,
            29000
        );
        assert_eq!(
            pbkdf2("$pbkdf2-sha256$0$c2FsdA$aGFzaA"),
            Err(Unfit::Malformed)
        );
        let a = argon2("$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2g").expect("argon2");
        assert_eq!(
            (
                a.variant.as_str(),
                a.version,
                a.memory_kib,
                a.iterations,
                a.parallelism
            ),
            ("id", 19, 65536, 3, 4)
        );
        assert_eq!(
            argon2("$argon2x$v=19$m=1,t=1,p=1$c2FsdA$aGFzaA"),
            Err(Unfit::Malformed)
        );
        let h = "$2y$12$abcdefghijklmnopqrstuu5Yf3ZQ3Yp4f3y6k3x9Qm1d2e3f4g5h6";
        let (cost, salt, hash) = bcrypt(h).expect("bcrypt");
        assert_eq!((cost, salt.len(), hash.len()), (12, 22, 31));
        assert_eq!(bcrypt("$2y$12$short"), Err(Unfit::Malformed));
        let d = django("pbkdf2_sha256$260000$NaCl$aGFzaA==").expect("django");
        assert_eq!((d.digest, d.rounds, d.salt), ("sha256", 260000, "NaCl"));
    }
}
