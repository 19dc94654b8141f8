//! How the simulated targets verify a password against the hash they imported, so canary
//! logins (`crate::canary`) prove what they prove on a real target: that the import carried a
//! hash the target can check. PBKDF2-HMAC-SHA256 (FusionAuth's `salted-pbkdf2-hmac-sha256`,
//! Keycloak's `pbkdf2-sha256`) and FusionAuth's `salted-sha256` (SHA-256 of the password, then
//! the salt) verify; any other scheme never does here, as a test needs only these.

use aws_lc_rs::pbkdf2;
use sha2::{Digest, Sha256};
use std::num::NonZeroU32;

/// Whether `password` derives `expected` by PBKDF2-HMAC-SHA256 with `salt` and `rounds`.
pub fn pbkdf2_sha256(rounds: u64, salt: &[u8], expected: &[u8], password: &str) -> bool {
    let Some(rounds) = u32::try_from(rounds).ok().and_then(NonZeroU32::new) else {
        return false;
    };
    !expected.is_empty()
        && pbkdf2::verify(
            pbkdf2::PBKDF2_HMAC_SHA256,
            rounds,
            salt,
            password.as_bytes(),
            expected,
        )
        .is_ok()
}

/// Whether SHA-256 of `password` then `salt` is `expected`.
pub fn salted_sha256(salt: &[u8], expected: &[u8], password: &str) -> bool {
    let mut h = Sha256::new();
    h.update(password.as_bytes());
    h.update(salt);
    h.finalize().as_slice() == expected
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_derived_key_verifies_only_its_password() {
        let mut key = [0u8; 32];
        let rounds = NonZeroU32::new(1000).expect("nonzero");
        pbkdf2::derive(
            pbkdf2::PBKDF2_HMAC_SHA256,
            rounds,
            b"salt",
            b"right",
            &mut key,
        );
        assert!(pbkdf2_sha256(1000, b"salt", &key, "right"));
        assert!(!pbkdf2_sha256(1000, b"salt", &key, "wrong"));
        assert!(
            !pbkdf2_sha256(0, b"salt", &key, "right"),
            "no rounds, no match"
        );
        let digest = Sha256::digest(b"rightsalt");
        assert!(salted_sha256(b"salt", &digest, "right"));
        assert!(!salted_sha256(b"salt", &digest, "wrong"));
    }
}
