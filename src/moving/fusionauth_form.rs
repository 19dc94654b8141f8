//! A legacy password hash in FusionAuth's import form: `encryptionScheme`, `factor`, `salt` and
//! `password` on each user of `POST /api/user/import` (FusionAuth's "Import Users" API and its
//! "Password Hashing" reference).
//!
//! Which schemes import at all is the compatibility table's word (`audit/compatibility.toml`,
//! target `fusionauth`); this module knows how an importable one is laid out:
//! - bcrypt (`$2a$`, `$2b$`, `$2y$`): `bcrypt`, the cost as the factor, the 22 characters after
//!   it as the salt and the last 31 as the password;
//! - PBKDF2-SHA256 / -SHA512 (PHC or passlib): `salted-pbkdf2-hmac-sha256` /
//!   `salted-pbkdf2-hmac-sha512-512`, the rounds as the factor, salt and key in standard base64;
//! - Django's `pbkdf2_sha256$N$salt$hash`: `salted-pbkdf2-hmac-sha256`, the salt text's bytes
//!   in base64, the hash as written;
//! - MD5 and SHA-256, salted (a salt column) or not: `salted-md5` / `salted-sha256`, factor 1,
//!   the hex digest in base64, the salt text's bytes in base64 (empty when there is none).
//!
//! Anything else (and plain text, which cutover never sends) has no layout here.

use super::phc;
use super::target::Unfit;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

/// One user's password fields in the import form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Password {
    pub scheme: &'static str,
    pub factor: u32,
    pub salt: String,
    pub password: String,
}

/// The import form of `hash` (recognised as `scheme`), with `salt` the row's salt column.
pub fn convert(scheme: &str, hash: &str, salt: Option<&str>) -> Result<Password, Unfit> {
    let hash = hash.trim();
    let digest = |name: &'static str, len: usize| match ::hex::decode(hash) {
        Ok(bytes) if bytes.len() == len => Ok(Password {
            scheme: name,
            factor: 1,
            salt: STANDARD.encode(salt.filter(|_| scheme.starts_with("salted-")).unwrap_or("")),
            password: STANDARD.encode(bytes),
        }),
        _ => Err(Unfit::Malformed),
    };
    match scheme {
        "bcrypt-2a" | "bcrypt-2b" | "bcrypt-2y" => {
            let (cost, salt, hash) = phc::bcrypt(hash)?;
            Ok(Password {
                scheme: "bcrypt",
                factor: cost,
                salt: salt.into(),
                password: hash.into(),
            })
        }
        "pbkdf2-sha256" | "pbkdf2-sha512" => {
            let p = phc::pbkdf2(hash)?;
            let name = match (scheme, p.digest.as_str()) {
                ("pbkdf2-sha256", "sha256") => "salted-pbkdf2-hmac-sha256",
                ("pbkdf2-sha512", "sha512") => "salted-pbkdf2-hmac-sha512-512",
                _ => return Err(Unfit::Malformed),
            };
            Ok(Password {
                scheme: name,
                factor: p.rounds,
                salt: STANDARD.encode(p.salt),
                password: STANDARD.encode(p.hash),
            })
        }
        "django-pbkdf2-sha256" => {
            let d = phc::django(hash)?;
            Ok(Password {
                scheme: "salted-pbkdf2-hmac-sha256",
                factor: d.rounds,
                salt: STANDARD.encode(d.salt),
                password: d.hash.into(),
            })
        }
        "md5" | "salted-md5" => digest("salted-md5", 16),
        "sha256" | "salted-sha256" => digest("salted-sha256", 32),
        _ => Err(Unfit::NoLayout),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bcrypt_splits_into_factor_salt_and_hash() {
        let h = "$2y$10$abcdefghijklmnopqrstuu5Yf3ZQ3Yp4f3y6k3x9Qm1d2e3f4g5h6";
        let p = convert("bcrypt-2y", h, None).expect("converts");
        assert_eq!((p.scheme, p.factor), ("bcrypt", 10));
        assert_eq!(p.salt, "abcdefghijklmnopqrstuu");
        assert_eq!(p.password, "5Yf3ZQ3Yp4f3y6k3x9Qm1d2e3f4g5h6");
    }

    #[test]
    fn digests_are_base64_with_their_salt_and_others_have_no_layout() {
        let p = convert("md5", "5f4dcc3b5aa765d61d8327deb882cf99", None).expect("md5");
        assert_eq!((p.scheme, p.factor, p.salt.as_str()), ("salted-md5", 1, ""));
        assert_eq!(p.password, "X03MO1qnZdYdgyfeuILPmQ==");
        let s = convert(
            "salted-sha256",
            "b20ab74aa2549f7e13a0e886cb4471cc2e70fcd2ce8075c0ee6483abba6132f3",
            Some("NaCl"),
        )
        .expect("sha256");
        assert_eq!((s.scheme, s.salt.as_str()), ("salted-sha256", "TmFDbA=="));
        let k = convert(
            "pbkdf2-sha256",
            "$pbkdf2-sha256$i=27500,l=32$c2FsdA$aGFzaA",
            None,
        )
        .expect("pbkdf2");
        assert_eq!(
            (k.scheme, k.factor, k.salt.as_str()),
            ("salted-pbkdf2-hmac-sha256", 27500, "c2FsdA==")
        );
        assert_eq!(convert("sha256", "zz", None), Err(Unfit::Malformed));
        assert_eq!(
            convert("argon2id", "$argon2id$...", None),
            Err(Unfit::NoLayout)
        );
    }
}
