//! A legacy password hash in Auth0's bulk-import form: the user's `custom_password_hash`
//! (`{algorithm, hash: {value, encoding, salt: {value, encoding, position}}}`, Auth0's "Bulk
//! User Import Database Schema and Examples").
//!
//! Which schemes import at all is the compatibility table's word (`audit/compatibility.toml`,
//! target `auth0`); this module knows their layout:
//! - bcrypt: `bcrypt`, the whole string (`$2y$` written `$2b$`, the same hash: Auth0 takes
//!   `$2a$` and `$2b$` only);
//! - Argon2i/id: `argon2`, the PHC string as written;
//! - PBKDF2 (PHC, passlib or Django form): `pbkdf2`, rebuilt as
//!   `$pbkdf2-DIGEST$i=N,l=LEN$salt$hash` in unpadded standard base64;
//! - MD5 and SHA-1/256/512, salted or not: their name, the hex digest, and a salt column's text
//!   as a `utf8` salt in `prefix` position (salt first, the layout cutover assumes for the
//!   `salted-*` schemes, as for Firebase);
//! - LDAP `{SSHA}` / `{SHA}`: `ldap`, the value as written.

use super::phc;
use super::target::Unfit;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD_NO_PAD;
use serde::Serialize;

/// A salt, as Auth0 takes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Salt {
    pub value: String,
    pub encoding: &'static str,
    pub position: &'static str,
}

/// The hash part of `custom_password_hash`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Hash {
    pub value: String,
    pub encoding: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub salt: Option<Salt>,
}

/// A user's `custom_password_hash`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Custom {
    pub algorithm: &'static str,
    pub hash: Hash,
}

fn custom(
    algorithm: &'static str,
    value: String,
    encoding: &'static str,
    salt: Option<&str>,
) -> Custom {
    Custom {
        algorithm,
        hash: Hash {
            value,
            encoding,
            salt: salt.map(|s| Salt {
                value: s.to_string(),
                encoding: "utf8",
                position: "prefix",
            }),
        },
    }
}

/// The `custom_password_hash` of `hash` (recognised as `scheme`), with `salt` the row's salt
/// column.
pub fn convert(scheme: &str, hash: &str, salt: Option<&str>) -> Result<Custom, Unfit> {
    let hash = hash.trim();
    let pbkdf2 = |digest: &str, rounds: u32, salt: &[u8], key: &[u8]| {
        format!(
            "$pbkdf2-{digest}$i={rounds},l={}${}${}",
            key.len(),
            STANDARD_NO_PAD.encode(salt),
            STANDARD_NO_PAD.encode(key)
        )
    };
    let digest = |name: &'static str, len: usize| match ::hex::decode(hash) {
        Ok(b) if b.len() == len => Ok(custom(
            name,
            hash.to_ascii_lowercase(),
            "hex",
            salt.filter(|_| scheme.starts_with("salted-")),
        )),
        _ => Err(Unfit::Malformed),
    };
    match scheme {
        "bcrypt-2a" | "bcrypt-2b" | "bcrypt-2y" => {
            phc::bcrypt(hash)?;
            let body = phc::strip_braced(hash);
            let value = match body.strip_prefix("$2y$") {
                Some(rest) => format!("$2b${rest}"),
                None => body.to_string(),
            };
            Ok(custom("bcrypt", value, "utf8", None))
        }
        "argon2i" | "argon2id" => {
            phc::argon2(hash)?;
            Ok(custom("argon2", hash.to_string(), "utf8", None))
        }
        "pbkdf2-sha1" | "pbkdf2-sha256" | "pbkdf2-sha512" => {
            let p = phc::pbkdf2(hash)?;
            Ok(custom(
                "pbkdf2",
                pbkdf2(&p.digest, p.rounds, &p.salt, &p.hash),
                "utf8",
                None,
            ))
        }
        "django-pbkdf2-sha256" | "django-pbkdf2-sha1" => {
            let d = phc::django(hash)?;
            let key = base64::engine::general_purpose::STANDARD
                .decode(d.hash)
                .map_err(|_| Unfit::Malformed)?;
            Ok(custom(
                "pbkdf2",
                pbkdf2(d.digest, d.rounds, d.salt.as_bytes(), &key),
                "utf8",
                None,
            ))
        }
        "md5" | "salted-md5" => digest("md5", 16),
        "sha1" | "salted-sha1" => digest("sha1", 20),
        "sha256" | "salted-sha256" => digest("sha256", 32),
        "sha512" | "salted-sha512" => digest("sha512", 64),
        "ldap-ssha" | "ldap-sha" => Ok(custom("ldap", hash.to_string(), "utf8", None)),
        _ => Err(Unfit::NoLayout),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_scheme_takes_auth0s_layout() {
        let b = convert(
            "bcrypt-2y",
            "$2y$12$abcdefghijklmnopqrstuu5Yf3ZQ3Yp4f3y6k3x9Qm1d2e3f4g5h6",
            None,
        )
        .expect("bcrypt");
        assert_eq!((b.algorithm, &b.hash.value[..4]), ("bcrypt", "$2b$"));
        let p =
            convert("pbkdf2-sha256", "$pbkdf2-sha256$29000$c2FsdA$aGFzaA", None).expect("pbkdf2");
        assert_eq!(p.hash.value, "$pbkdf2-sha256$i=29000,l=4$c2FsdA$aGFzaA");
        let d = convert(
            "django-pbkdf2-sha256",
            "pbkdf2_sha256$260000$NaCl$aGFzaA==",
            None,
        )
        .expect("django");
        assert_eq!(d.hash.value, "$pbkdf2-sha256$i=260000,l=4$TmFDbA$aGFzaA");
        let s = convert(
            "salted-sha256",
            "B20AB74AA2549F7E13A0E886CB4471CC2E70FCD2CE8075C0EE6483ABBA6132F3",
            Some("NaCl"),
        )
        .expect("sha256");
        assert_eq!((s.algorithm, s.hash.encoding), ("sha256", "hex"));
        assert_eq!(
            s.hash.salt.as_ref().map(|x| (x.value.as_str(), x.position)),
            Some(("NaCl", "prefix"))
        );
        let json = serde_json::to_value(&s).expect("json");
        assert_eq!(json["hash"]["salt"]["encoding"], "utf8");
        assert_eq!(
            convert("argon2d", "$argon2d$v=19$m=1,t=1,p=1$c2FsdA$aGFzaA", None),
            Err(Unfit::NoLayout)
        );
        assert_eq!(convert("md5", "nothex", None), Err(Unfit::Malformed));
    }
}
