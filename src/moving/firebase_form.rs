//! A legacy password hash in Firebase Authentication's import form: the `hashAlgorithm`, its
//! `rounds` and `passwordHashOrder` (one set a request: `accounts:batchCreate` takes them for
//! the whole batch), and the user's `passwordHash` and `salt` as bytes (sent in base64).
//!
//! Which schemes import at all is the compatibility table's word (`audit/compatibility.toml`,
//! target `firebase`), the one source of truth `cutover audit` verdicts with. This module only
//! knows how an importable scheme is laid out (Firebase's "Import users" guide and the Identity
//! Toolkit REST reference):
//! - bcrypt: `BCRYPT`, the whole modular-crypt string as the hash (`$2y$` is written `$2b$`,
//!   the same hash), no salt or rounds;
//! - MD5: `MD5` with 0 rounds, the lowercase hex digest *text* as the hash;
//! - SHA-1/256/512: `SHA1`/`SHA256`/`SHA512` with 1 round, the raw digest (hex-decoded);
//! - a separate salt column: its text's bytes. Firebase hashes salt then password by default;
//!   cutover assumes that order for `salted-*` (the common layout of the legacy schemes named so);
//! - LDAP `{SSHA}`: `SHA1`, 1 round, password then salt, the first 20 bytes of the decoded
//!   blob as the hash and the rest as the salt; `{SHA}`: the decoded 20 bytes;
//! - PBKDF2-SHA256 (PHC `$pbkdf2-sha256$i=N,l=32$salt$hash` or passlib's
//!   `$pbkdf2-sha256$N$salt$hash`): `PBKDF2_SHA256` with N rounds, at most 120,000.
//!
//! A value that does not parse as its scheme says so, and the user is treated as one whose
//! hash the target cannot verify. Nothing here keeps or prints a hash.

use super::phc::strip_braced;
pub use super::target::Unfit;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

/// The parameters one `batchCreate` shares: users are grouped by them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Algorithm {
    pub name: &'static str,
    pub rounds: u32,
    /// `PASSWORD_AND_SALT`, or `None` for Firebase's default (salt first).
    pub password_first: bool,
}

/// One user's hash in the import form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Form {
    pub algorithm: Algorithm,
    pub hash: Vec<u8>,
    pub salt: Option<Vec<u8>>,
}

/// The most PBKDF rounds Firebase takes.
pub const MAX_PBKDF_ROUNDS: u32 = 120_000;

fn algorithm(name: &'static str, rounds: u32) -> Algorithm {
    Algorithm {
        name,
        rounds,
        password_first: false,
    }
}

/// The import form of `hash` (recognised as scheme `scheme` by the audit), with `salt` the
/// row's salt column.
pub fn convert(scheme: &str, hash: &str, salt: Option<&str>) -> Result<Form, Unfit> {
    let hash = hash.trim();
    // A salt column's text, for the `salted-*` schemes.
    let salted = || {
        salt.filter(|_| scheme.starts_with("salted-"))
            .map(|s| s.as_bytes().to_vec())
    };
    let hex = |h: &str, len: usize| match ::hex::decode(h) {
        Ok(b) if b.len() == len => Ok(b),
        _ => Err(Unfit::Malformed),
    };
    let form = |algorithm: Algorithm, hash: Vec<u8>, salt: Option<Vec<u8>>| Form {
        algorithm,
        hash,
        salt,
    };
    match scheme {
        "bcrypt-2a" | "bcrypt-2b" | "bcrypt-2y" => {
            let body = strip_braced(hash);
            let full = match body.strip_prefix("$2y$") {
                Some(rest) => format!("$2b${rest}"),
                None => body.to_string(),
            };
            Ok(form(algorithm("BCRYPT", 0), full.into_bytes(), None))
        }
        // The hex digest's text, lower case (checked to be 16 bytes of hex).
        "md5" | "salted-md5" => {
            hex(hash, 16)?;
            Ok(form(
                algorithm("MD5", 0),
                hash.to_ascii_lowercase().into_bytes(),
                salted(),
            ))
        }
        "sha1" | "salted-sha1" => Ok(form(algorithm("SHA1", 1), hex(hash, 20)?, salted())),
        "sha256" | "salted-sha256" => Ok(form(algorithm("SHA256", 1), hex(hash, 32)?, salted())),
        "sha512" | "salted-sha512" => Ok(form(algorithm("SHA512", 1), hex(hash, 64)?, salted())),
        "ldap-ssha" | "ldap-sha" => {
            let blob = strip_braced(hash);
            let bytes = STANDARD.decode(blob).map_err(|_| Unfit::Malformed)?;
            let with_salt = scheme == "ldap-ssha";
            match (with_salt, bytes.len()) {
                (false, 20) => Ok(form(algorithm("SHA1", 1), bytes, None)),
                (true, n) if n > 20 => Ok(form(
                    Algorithm {
                        password_first: true,
                        ..algorithm("SHA1", 1)
                    },
                    bytes[..20].to_vec(),
                    Some(bytes[20..].to_vec()),
                )),
                _ => Err(Unfit::Malformed),
            }
        }
        "pbkdf2-sha256" => pbkdf2_sha256(hash),
        _ => Err(Unfit::NoLayout),
    }
}

/// PBKDF2-SHA256 in PHC or passlib form, within Firebase's round limit.
fn pbkdf2_sha256(hash: &str) -> Result<Form, Unfit> {
    let p = super::phc::pbkdf2(hash)?;
    if p.digest != "sha256" {
        return Err(Unfit::Malformed);
    }
    if p.rounds > MAX_PBKDF_ROUNDS {
        return Err(Unfit::OverLimits);
    }
    Ok(Form {
        algorithm: algorithm("PBKDF2_SHA256", p.rounds),
        hash: p.hash,
        salt: Some(p.salt),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn salted_sha256_is_the_raw_digest_and_the_salt_text() {
        // sha256("NaCl" + "password"): Firebase's salt-first default.
        let f = convert(
            "salted-sha256",
            "b20ab74aa2549f7e13a0e886cb4471cc2e70fcd2ce8075c0ee6483abba6132f3",
            Some("NaCl"),
        )
        .expect("converts");
        assert_eq!(f.algorithm, algorithm("SHA256", 1));
        assert_eq!(
            STANDARD.encode(&f.hash),
            "sgq3SqJUn34ToOiGy0RxzC5w/NLOgHXA7mSDq7phMvM="
        );
        assert_eq!(STANDARD.encode(f.salt.expect("a salt")), "TmFDbA==");
    }

    #[test]
    fn bcrypt_2y_is_sent_as_2b_whole() {
        let h = "$2y$10$abcdefghijklmnopqrstuu5Yf3ZQ3Yp4f3y6k3x9Qm1d2e3f4g5h6";
        let f = convert("bcrypt-2y", h, None).expect("converts");
        assert_eq!(f.algorithm.name, "BCRYPT");
        assert!(f.hash.starts_with(b"$2b$10$"));
        assert_eq!(f.hash.len(), h.len());
    }

    #[test]
    fn md5_is_the_lowercase_hex_text() {
        let f = convert("md5", "5F4DCC3B5AA765D61D8327DEB882CF99", None).expect("converts");
        assert_eq!(f.hash, b"5f4dcc3b5aa765d61d8327deb882cf99".to_vec());
        assert_eq!(f.algorithm.rounds, 0);
    }

    #[test]
    fn ssha_splits_digest_and_salt_password_first() {
        let mut blob = vec![7u8; 20];
        blob.extend_from_slice(b"salt");
        let f = convert(
            "ldap-ssha",
            &format!("{{SSHA}}{}", STANDARD.encode(&blob)),
            None,
        )
        .expect("converts");
        assert!(f.algorithm.password_first);
        assert_eq!(f.hash, vec![7u8; 20]);
        assert_eq!(f.salt.expect("a salt"), b"salt".to_vec());
    }

    #[test]
    fn pbkdf2_rounds_over_the_cap_and_bad_values_are_refused() {
        let ok = convert(
            "pbkdf2-sha256",
            "$pbkdf2-sha256$29000$c2FsdA$aGFzaGhhc2hoYXNo",
            None,
        )
        .expect("converts");
        assert_eq!(ok.algorithm, algorithm("PBKDF2_SHA256", 29000));
        assert_eq!(ok.salt.expect("a salt"), b"salt".to_vec());
        assert_eq!(
            convert(
                "pbkdf2-sha256",
                "$pbkdf2-sha256$i=600000,l=32$c2FsdA$aGFzaA",
                None
            ),
            Err(Unfit::OverLimits)
        );
        assert_eq!(convert("sha256", "not hex", None), Err(Unfit::Malformed));
        assert_eq!(
            convert("argon2id", "$argon2id$...", None),
            Err(Unfit::NoLayout)
        );
    }
}
