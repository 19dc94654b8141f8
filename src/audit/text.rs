//! The audit as a person reads it: a table per section, counts and shares, the first
//! problems with their line numbers and ids. Shared by `cutover audit` and `cutover report`.

use super::Audit;
use std::fmt::Write;

fn pct(part: u64, whole: u64) -> String {
    if whole == 0 {
        "—".into()
    } else {
        format!("{:.1} %", part as f64 * 100.0 / whole as f64)
    }
}

/// Why an audit without a target has no verdicts, and how to get them.
pub const NO_TARGET: &str = "no target named, so no verdict per hash scheme: pass --target NAME \
(fusionauth, keycloak, auth0, authgear, firebase or cognito) or set [audit] target in cutover.toml";

/// The readable report of an audit (no trailing newline). An audit with no target (an
/// empty `target`) shows its hash schemes without verdicts, and says why.
pub fn render(a: &Audit) -> String {
    let mut o = String::new();
    let n = a.users;
    let row = |o: &mut String, label: &str, count: u64| {
        let _ = writeln!(o, "  {label:<34} {count:>10}  {:>7}", pct(count, n));
    };
    let _ = writeln!(
        o,
        "audit of {} ({}, {} bytes, sha256 {}) for {}, as of {}",
        a.file,
        a.format.as_str(),
        a.bytes,
        a.sha256,
        if a.target.is_empty() {
            "no target"
        } else {
            &a.target
        },
        a.at.format("%Y-%m-%d %H:%M UTC")
    );
    let _ = writeln!(o, "\ntotals");
    let _ = writeln!(o, "  {:<34} {:>10}", "rows", a.rows);
    row(&mut o, "users", n);
    row(&mut o, "unreadable rows", a.unreadable);
    row(&mut o, "users with a wrong-typed field", a.bad_values);
    let _ = writeln!(o, "\nduplicates");
    row(
        &mut o,
        "same email (trimmed, case-folded)",
        a.duplicates.emails,
    );
    let _ = writeln!(
        o,
        "  {:<34} {:>10}",
        "  distinct emails shared", a.duplicates.email_groups
    );
    row(&mut o, "same username", a.duplicates.usernames);
    let _ = writeln!(o, "\nidentifiers");
    row(&mut o, "missing id", a.ids.missing);
    row(&mut o, "id held by an earlier user", a.ids.duplicate);
    row(&mut o, "email used as the id", a.ids.email_shaped);
    let _ = writeln!(o, "\nemails");
    row(&mut o, "missing", a.emails.missing);
    row(&mut o, "not a valid address", a.emails.invalid);
    if a.target.is_empty() {
        let _ = writeln!(o, "\npassword hashes");
        let _ = writeln!(o, "  {NO_TARGET}");
    } else {
        let _ = writeln!(o, "\npassword hashes → {}", a.target);
    }
    for h in &a.hashes {
        if a.target.is_empty() {
            let _ = writeln!(
                o,
                "  {:<22} {:>10}  {:>7}",
                h.scheme,
                h.users,
                pct(h.users, n)
            );
            continue;
        }
        let _ = writeln!(
            o,
            "  {:<22} {:>10}  {:>7}  {:<26} {}",
            h.scheme,
            h.users,
            pct(h.users, n),
            h.verdict.as_str(),
            h.note
        );
        if !h.params.is_empty() {
            let params: Vec<String> = h.params.iter().map(|(p, c)| format!("{p}: {c}")).collect();
            let _ = writeln!(o, "  {:<22} {}", "", params.join(", "));
        }
    }
    for (verdict, count) in &a.moves {
        row(&mut o, &format!("= {}", verdict.as_str()), *count);
    }
    let _ = writeln!(o, "\naccount states");
    let no_last_login = !a.fields.contains_key("last_login");
    if no_last_login {
        let _ = writeln!(
            o,
            "  never logged in: unknown (the export has no last-login field)"
        );
    } else {
        row(&mut o, "never logged in", a.states.never_logged_in);
    }
    row(&mut o, "disabled or locked", a.states.disabled);
    row(&mut o, "email not verified", a.states.unverified);
    row(&mut o, "partially registered", a.states.partial);
    let _ = writeln!(o, "\ndates");
    row(
        &mut o,
        "last login unparseable",
        a.dates.last_login_unparseable,
    );
    row(
        &mut o,
        "last login in the future",
        a.dates.last_login_future,
    );
    row(&mut o, "creation unparseable", a.dates.created_unparseable);
    row(&mut o, "creation in the future", a.dates.created_future);
    let _ = writeln!(o, "\nlast login within (the slow-migration curve S(D))");
    if no_last_login {
        let _ = writeln!(
            o,
            "  unknown: the export has no last-login field (map it with --last-login)"
        );
    }
    for s in &a.recency {
        let share = s
            .share
            .map_or_else(|| "—".to_string(), |v| format!("{:.1} %", v * 100.0));
        let _ = writeln!(o, "  {:<34} {:>10}", format!("{} days", s.days), share);
    }
    if let Some(ex) = &a.examples {
        if !ex.bad_rows.is_empty() {
            let _ = writeln!(o, "\nfirst problem rows");
            for (line, reason) in &ex.bad_rows {
                let _ = writeln!(o, "  line {line}: {reason}");
            }
        }
        for (label, groups, total) in [
            (
                "users sharing an email (ids)",
                &ex.duplicate_emails,
                a.duplicates.email_groups,
            ),
            (
                "users sharing a username (ids)",
                &ex.duplicate_usernames,
                a.duplicates.username_groups,
            ),
            ("users sharing an id", &ex.duplicate_ids, 0),
        ] {
            if !groups.is_empty() {
                let _ = writeln!(o, "\n{label}");
                for g in groups {
                    let _ = writeln!(o, "  {}", g.join(", "));
                }
                let more = total.saturating_sub(groups.len() as u64);
                if more > 0 {
                    let _ = writeln!(
                        o,
                        "  … and {more} more groups: every group is in --json, or --duplicates FILE (CSV)"
                    );
                }
            }
        }
    }
    o.trim_end().to_string()
}
