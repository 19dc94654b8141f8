//! The scheme table's cases: each format the audit tells apart, and the shapes it must not
//! mistake for one.

use super::*;

fn id(h: &str, salt: bool) -> &'static str {
    classify(Some(h), salt, None).id
}

#[test]
fn each_scheme_is_told_by_its_format() {
    let body = "N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy";
    let b = classify(Some(&format!("$2b$12${body}")), false, None);
    assert_eq!((b.id, b.param.as_deref()), ("bcrypt-2b", Some("cost 12")));
    assert_eq!(id(&format!("$2a$10${body}"), false), "bcrypt-2a");
    assert_eq!(id(&format!("$2y$10${body}"), false), "bcrypt-2y");
    assert_eq!(id(&format!("$2x$10${body}"), false), "unknown");
    assert_eq!(id("$2b$10$short", false), "unknown");
    let p = classify(Some(&format!("{{bcrypt}}$2a$10${body}")), false, None);
    assert_eq!(
        (p.id, p.param.as_deref()),
        ("bcrypt-2a", Some("cost 10, prefix {bcrypt}"))
    );
    assert_eq!(
        id(
            "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo",
            false
        ),
        "argon2id"
    );
    assert_eq!(
        id("$argon2i$v=19$m=4096,t=3,p=1$c2FsdA$aGFzaA", false),
        "argon2i"
    );
    let k = classify(
        Some("$pbkdf2-sha256$29000$N2bs3ZtT6p1TKuW8V2qt9Q$7Bvqlys6nF8dRgmQ9mDhMw"),
        false,
        None,
    );
    assert_eq!(
        (k.id, k.param.as_deref()),
        ("pbkdf2-sha256", Some("29000 iterations"))
    );
    assert_eq!(
        id("$pbkdf2-sha512$i=25000,l=64$c2FsdA$aGFzaA", false),
        "pbkdf2-sha512"
    );
    assert_eq!(
        id(
            "pbkdf2_sha256$260000$saltsalt$Xz1bH3kTq2vQ0k3m4yJ2Hq8zM0r6Yp8W1x2c3v4b5n6=",
            false
        ),
        "django-pbkdf2-sha256"
    );
    assert_eq!(id("5f4dcc3b5aa765d61d8327deb882cf99", true), "salted-md5");
    assert_eq!(id("5f4dcc3b5aa765d61d8327deb882cf99", false), "md5");
    let sha1 = "5baa61e4c9b93f3f0682250b6cf8331b7ee68fd8";
    assert_eq!(id(sha1, true), "salted-sha1");
    assert_eq!(id(&sha1.repeat(2)[..64], true), "salted-sha256");
    assert_eq!(id("{SSHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=", false), "ldap-ssha");
    assert_eq!(
        id(
            "{PBKDF2-SHA256}10000$c2FsdHNhbHRzYWx0c2FsdA$H0Bk3Tqv.5F5wF1Ln1zP7mEuYB3g0RZHW3NkVq1m2eE",
            false
        ),
        "pbkdf2-sha256"
    );
    assert_eq!(
        id("{PBKDF2}10000$c2FsdA$H0Bk3Tqv.5F5wF1Ln1zP7mEuYB0", false),
        "pbkdf2-sha1"
    );
    assert_eq!(
        id(
            "{CRYPT}$6$rounds=5000$saltsalt$qFmFH.bQmmtXzyBY0s9v7Oicd2z4XSIecDzlB5KiA2/jctKu9YterLp8wwnSq.qc.eoxqOmSuNp2xS0ktL3nh/",
            false
        ),
        "unix-crypt"
    );
    assert_eq!(
        id("{CRYPT}$1$saltsalt$2vnaRpHa6Jxjz5n83ok8Z0", false),
        "unix-crypt"
    );
    assert_eq!(id("hunter2", false), "plaintext");
    // Braces that are not a known prefix are part of the value, which is never shown.
    let braces = classify(Some("{hunter}2"), false, None);
    assert_eq!((braces.id, braces.param), ("plaintext", None));
    let noop = classify(Some("{noop}secret"), false, None);
    assert_eq!(noop.id, "plaintext");
    let odd = classify(Some("$argon2id$v=19$SALTSALT$c2FsdA$aGFzaA"), false, None);
    assert_eq!((odd.id, odd.param), ("argon2id", None));
    assert_eq!(id("correct horse battery staple", false), "plaintext");
    assert_eq!(id("W6ph5Mm5Pz8GgiULbPgzG37mj9g=", false), "unknown");
    assert_eq!(classify(None, false, None).id, "empty");
    assert_eq!(classify(Some("  "), true, None).id, "empty");
    assert_eq!(id(&"x".repeat(300), false), "unknown");
    let declared = classify(
        Some("b64digestb64digestb64dig"),
        true,
        Some("salted-sha256"),
    );
    assert_eq!(declared.id, "salted-sha256");
}

#[test]
fn every_answer_is_a_listed_scheme() {
    for h in ["", "x", "$2q$", "$$$$", "{}", "{SSHA}", "pbkdf2_sha256$$$"] {
        let s = classify(Some(h), false, None);
        assert!(SCHEMES.contains(&s.id), "{h:?} → {}", s.id);
    }
}
