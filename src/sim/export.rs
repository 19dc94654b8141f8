//! A user export of a simulated segment, shaped like Auth0's user export (NDJSON: `user_id`,
//! `email`, `email_verified`, `blocked`, `created_at`, `last_login`, `logins_count`, plus the
//! legacy system's `password_hash` and `salt`), as the legacy system would give it just before
//! the segment's cutover: what `cutover plan --logins` and `cutover audit` read.
//!
//! Each user's last login is drawn from their cohort's own login process before that moment:
//! the whole days back to it are geometric with the cohort's P, so the share whose last login
//! lies within D days is `1 − (1 − P)^D` (the recency identity). Every account is older than
//! [`MIN_AGE_DAYS`]; a user whose draw lies beyond their account's age never logged in, and a
//! cohort with P 0 never does.
//!
//! Like a real export it has problems, planted at fixed shares ([`Planted`]): users whose
//! email repeats an earlier user's but for case or whitespace, a mix of hash schemes (bcrypt
//! `$2b$`/`$2a$`, salted SHA-256, Django PBKDF2, unsalted MD5 and SHA-1, none), blocked and
//! unverified accounts, and creation dates written as MySQL's zero date. The emails are
//! synthetic (`user0000042@us.example.org`) and the hashes random text in each scheme's format.

use super::SimSegment;
use super::population::{splitmix, uniform};
use chrono::{DateTime, Duration, Utc};
use std::io::Write;

/// Every simulated account is at least this old (4 years), older than any forecast looks at.
pub const MIN_AGE_DAYS: i64 = 1461;

/// The shares of users with each planted problem.
pub struct Planted;

impl Planted {
    /// Email equal to an earlier user's but for case or surrounding whitespace.
    pub const DUPLICATE_EMAIL: f64 = 0.004;
    /// Creation date written as `0000-00-00 00:00:00`.
    pub const BAD_DATE: f64 = 0.001;
    pub const BLOCKED: f64 = 0.01;
    pub const UNVERIFIED: f64 = 0.04;
    /// Hash schemes by cumulative share: the rest are bcrypt `$2b$`.
    pub const SCHEMES: [(f64, &'static str); 6] = [
        (0.01, "empty"),
        (0.02, "md5"),
        (0.04, "sha1"),
        (0.10, "django-pbkdf2-sha256"),
        (0.25, "salted-sha256"),
        (0.35, "bcrypt-2a"),
    ];
}

/// Random text of `n` characters from `alphabet`, drawn from `seed`.
fn text(seed: u64, n: usize, alphabet: &[u8]) -> String {
    (0..n)
        .map(|i| {
            let r = splitmix(seed ^ (i as u64).wrapping_mul(0x9E37_79B9));
            alphabet[(r % alphabet.len() as u64) as usize] as char
        })
        .collect()
}

const BCRYPT64: &[u8] = b"./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const HEX: &[u8] = b"0123456789abcdef";
const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// The legacy hash and salt of a user, in the scheme `u` falls in.
fn password(s: u64, u: f64) -> (Option<String>, Option<String>) {
    let scheme = Planted::SCHEMES
        .iter()
        .find(|(upto, _)| u < *upto)
        .map_or("bcrypt-2b", |(_, id)| id);
    match scheme {
        "empty" => (None, None),
        "md5" => (Some(text(s, 32, HEX)), None),
        "sha1" => (Some(text(s, 40, HEX)), None),
        "django-pbkdf2-sha256" => (
            Some(format!(
                "pbkdf2_sha256$260000${}${}=",
                text(s ^ 1, 12, &B64[..62]),
                text(s, 43, B64)
            )),
            None,
        ),
        "salted-sha256" => (Some(text(s, 64, HEX)), Some(text(s ^ 1, 16, HEX))),
        "bcrypt-2a" => (Some(format!("$2a$10${}", text(s, 53, BCRYPT64))), None),
        _ => (Some(format!("$2b$12${}", text(s, 53, BCRYPT64))), None),
    }
}

/// The email of user `n`, or (a planted duplicate) an earlier user's, changed in case or
/// whitespace.
fn email(segment: &str, n: u64, s: u64) -> String {
    let own = |n: u64| format!("user{n:07}@{segment}.example.org");
    if n > 10 && uniform(s ^ 5) < Planted::DUPLICATE_EMAIL {
        let earlier = 1 + splitmix(s ^ 6) % (n - 1);
        return match splitmix(s ^ 7) % 3 {
            0 => own(earlier).to_uppercase(),
            1 => format!(" {} ", own(earlier)),
            _ => {
                let e = own(earlier);
                let mut c = e.chars();
                c.next()
                    .map(|f| f.to_uppercase().chain(c).collect())
                    .unwrap_or(e)
            }
        };
    }
    own(n)
}

/// Write the export of `seg` as of `at` (its cutover moment); returns the users written.
pub fn write_export(
    seg: &SimSegment,
    at: DateTime<Utc>,
    seed: u64,
    out: &mut impl Write,
) -> std::io::Result<u64> {
    let mut left = seg.users;
    let mut n = 0u64;
    for (c, cohort) in seg.cohorts.iter().enumerate() {
        let size = if c + 1 == seg.cohorts.len() {
            left
        } else {
            (seg.users as f64 * cohort.share).round() as u64
        };
        left = left.saturating_sub(size);
        for _ in 0..size {
            n += 1;
            let s = splitmix(seed ^ splitmix(n ^ ((c as u64) << 48)));
            let age_days = MIN_AGE_DAYS + (uniform(s) * 365.0) as i64;
            let created = at
                - Duration::days(age_days)
                - Duration::seconds((uniform(s ^ 1) * 86_400.0) as i64);
            // Whole days back to the last login: geometric with the cohort's P.
            let back = (cohort.p > 0.0).then(|| {
                if cohort.p >= 1.0 {
                    0.0
                } else {
                    (uniform(s ^ 2).ln() / (1.0 - cohort.p).ln()).floor()
                }
            });
            let last = back.filter(|b| *b < age_days as f64).map(|b| {
                at - Duration::days(b as i64)
                    - Duration::seconds((uniform(s ^ 3) * 86_399.0) as i64 + 1)
            });
            // The first login, the last (when later), and between them about one a day at the
            // cohort's daily chance, spread as a binomial count is (its normal approximation,
            // drawn from the user's own seed).
            let logins = match (last, back) {
                (Some(_), Some(b)) => {
                    let span = (age_days as f64 - b - 1.0).max(0.0);
                    let spread = (span * cohort.p * (1.0 - cohort.p)).sqrt();
                    let between = span * cohort.p + (uniform(s ^ 4) - 0.5) * 3.46 * spread;
                    1 + u64::from(b < age_days as f64 - 1.0) + between.max(0.0).round() as u64
                }
                _ => 0,
            };
            let created = if uniform(s ^ 8) < Planted::BAD_DATE {
                "0000-00-00 00:00:00".to_string()
            } else {
                created.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
            };
            let (hash, salt) = password(splitmix(s ^ 9), uniform(s ^ 10));
            let mut line = serde_json::json!({
                "user_id": format!("auth0|sim-{}-{n:07}", seg.id),
                "email": email(&seg.id, n, s),
                "email_verified": uniform(s ^ 11) >= Planted::UNVERIFIED,
                "blocked": uniform(s ^ 12) < Planted::BLOCKED,
                "created_at": created,
                "logins_count": logins,
            });
            if let Some(h) = hash {
                line["password_hash"] = h.into();
            }
            if let Some(salt) = salt {
                line["salt"] = salt.into();
            }
            if let Some(t) = last {
                line["last_login"] = t
                    .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
                    .into();
            }
            writeln!(out, "{line}")?;
        }
    }
    Ok(n)
}
