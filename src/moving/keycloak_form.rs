//! A legacy password hash as a Keycloak credential: `{type: "password", credentialData,
//! secretData}` on a user of a `partialImport`, both JSON *strings* (Keycloak's
//! `CredentialRepresentation`; its PBKDF2 and Argon2 hash providers read them).
//!
//! Which schemes import at all is the compatibility table's word (`audit/compatibility.toml`,
//! target `keycloak`); this module knows their layout:
//! - PBKDF2 (PHC or passlib): `algorithm` `pbkdf2-sha256`, `pbkdf2-sha512` or `pbkdf2` (SHA-1),
//!   `hashIterations` the rounds, `value` and `salt` in standard base64;
//! - Django's PBKDF2: the same algorithms, the salt text's bytes in base64, the hash as written;
//! - Argon2 (PHC): `algorithm` `argon2`, `hashIterations` its `t`, and `type`, `version`,
//!   `memory`, `parallelism` and `hashLength` as additional parameters.
//!
//! Anything else (bcrypt and plain digests need a hash-provider extension; plain text is never
//! sent) has no layout here.

use super::phc;
use super::target::Unfit;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::json;

/// `credentialData` and `secretData`, each already the JSON text Keycloak stores.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credential {
    pub credential_data: String,
    pub secret_data: String,
}

fn credential(
    algorithm: &str,
    iterations: u32,
    parameters: serde_json::Value,
    value: String,
    salt: String,
) -> Credential {
    Credential {
        credential_data: json!({
            "hashIterations": iterations,
            "algorithm": algorithm,
            "additionalParameters": parameters,
        })
        .to_string(),
        secret_data: json!({"value": value, "salt": salt, "additionalParameters": {}}).to_string(),
    }
}

/// The credential of `hash`, recognised as `scheme`.
pub fn convert(scheme: &str, hash: &str) -> Result<Credential, Unfit> {
    let algorithm = |digest: &str| match digest {
        "sha1" => "pbkdf2",
        "sha256" => "pbkdf2-sha256",
        _ => "pbkdf2-sha512",
    };
    match scheme {
        "pbkdf2-sha1" | "pbkdf2-sha256" | "pbkdf2-sha512" => {
            let p = phc::pbkdf2(hash)?;
            if scheme.strip_prefix("pbkdf2-") != Some(p.digest.as_str()) {
                return Err(Unfit::Malformed);
            }
            Ok(credential(
                algorithm(&p.digest),
                p.rounds,
                json!({}),
                STANDARD.encode(p.hash),
                STANDARD.encode(p.salt),
            ))
        }
        "django-pbkdf2-sha256" | "django-pbkdf2-sha1" => {
            let d = phc::django(hash)?;
            Ok(credential(
                algorithm(d.digest),
                d.rounds,
                json!({}),
                d.hash.to_string(),
                STANDARD.encode(d.salt),
            ))
        }
        "argon2i" | "argon2d" | "argon2id" => {
            let a = phc::argon2(hash)?;
            let version = if a.version == 19 { "1.3" } else { "1.0" };
            Ok(credential(
                "argon2",
                a.iterations,
                json!({
                    "type": [a.variant],
                    "version": [version],
                    "memory": [a.memory_kib.to_string()],
                    "parallelism": [a.parallelism.to_string()],
                    "hashLength": [a.hash.len().to_string()],
                }),
                STANDARD.encode(&a.hash),
                STANDARD.encode(&a.salt),
            ))
        }
        _ => Err(Unfit::NoLayout),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pbkdf2_and_argon2_become_credentials_and_bcrypt_does_not() {
        let c =
            convert("pbkdf2-sha256", "$pbkdf2-sha256$i=27500,l=32$c2FsdA$aGFzaA").expect("pbkdf2");
        let data: serde_json::Value = serde_json::from_str(&c.credential_data).expect("json");
        assert_eq!(data["algorithm"], "pbkdf2-sha256");
        assert_eq!(data["hashIterations"], 27500);
        let secret: serde_json::Value = serde_json::from_str(&c.secret_data).expect("json");
        assert_eq!(secret["salt"], "c2FsdA==");
        let a = convert(
            "argon2id",
            "$argon2id$v=19$m=7168,t=5,p=1$c2FsdHNhbHQ$aGFzaGhhc2g",
        )
        .expect("argon2");
        let data: serde_json::Value = serde_json::from_str(&a.credential_data).expect("json");
        assert_eq!(data["additionalParameters"]["type"][0], "id");
        assert_eq!(data["additionalParameters"]["memory"][0], "7168");
        assert_eq!(data["hashIterations"], 5);
        assert_eq!(
            convert(
                "bcrypt-2b",
                "$2b$10$abcdefghijklmnopqrstuu5Yf3ZQ3Yp4f3y6k3x9Qm1d2e3f4g5h6"
            ),
            Err(Unfit::NoLayout)
        );
        assert_eq!(
            convert("pbkdf2-sha512", "$pbkdf2-sha256$1$c2FsdA$aGFzaA"),
            Err(Unfit::Malformed)
        );
    }
}
