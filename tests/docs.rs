//! The README is the front page and the manual lives in `docs/`: every relative link in them
//! resolves, and every key `cutover init` writes is documented in `docs/project-file.md`.

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The README and every page of `docs/`.
fn pages() -> Vec<PathBuf> {
    let mut pages = vec![root().join("README.md")];
    let mut docs: Vec<PathBuf> = std::fs::read_dir(root().join("docs"))
        .expect("docs/")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .collect();
    docs.sort();
    pages.extend(docs);
    pages
}

/// The targets of the Markdown links `[text](target)` in `text`.
fn links(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find("](") {
        rest = &rest[at + 2..];
        if let Some(end) = rest.find(')') {
            out.push(rest[..end].to_string());
            rest = &rest[end..];
        }
    }
    out
}

#[test]
fn every_relative_link_in_the_readme_and_docs_resolves() {
    let mut broken = Vec::new();
    let mut checked = 0;
    for page in pages() {
        let text = std::fs::read_to_string(&page).expect("page");
        let dir = page.parent().unwrap_or(Path::new("."));
        for target in links(&text) {
            if target.contains("://") || target.starts_with('#') || target.starts_with("mailto:") {
                continue;
            }
            let file = target.split('#').next().unwrap_or_default();
            checked += 1;
            if !dir.join(file).exists() {
                broken.push(format!("{}: {target}", page.display()));
            }
        }
    }
    assert!(checked > 20, "only {checked} relative links found");
    assert!(
        broken.is_empty(),
        "links that resolve nowhere:\n{}",
        broken.join("\n")
    );
}

#[test]
fn the_readme_is_a_front_page_that_links_every_page_of_the_manual() {
    let readme = std::fs::read_to_string(root().join("README.md")).expect("README");
    let lines = readme.lines().count();
    assert!(
        lines <= 300,
        "the README is {lines} lines; keep the reference in docs/"
    );
    let two = readme.find("## Two commands").expect("the two commands");
    assert!(two < readme.len() / 3, "the two commands come first");
    for page in pages().iter().skip(1) {
        let name = page
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        assert!(
            readme.contains(&format!("(docs/{name})")),
            "the README does not link docs/{name}"
        );
    }
}

/// Every key of a TOML value, with its table path ("segments.sources.migrated.kind").
fn keys(value: &toml::Value, at: &str, out: &mut Vec<String>) {
    match value {
        toml::Value::Table(t) => {
            for (k, v) in t {
                out.push(k.clone());
                keys(v, &format!("{at}{k}."), out);
            }
        }
        toml::Value::Array(a) => {
            for v in a {
                keys(v, at, out);
            }
        }
        _ => {}
    }
}

#[test]
fn every_key_init_writes_is_documented() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_cutover"))
        .arg("init")
        .arg(dir.path())
        .output()
        .expect("init");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let written = std::fs::read_to_string(dir.path().join("cutover.toml")).expect("written");
    let doc: toml::Value = toml::from_str(&written).expect("init writes TOML");
    let mut found = Vec::new();
    keys(&doc, "", &mut found);
    // The keys it shows commented out, ready to uncomment (`# key = value`).
    for line in written.lines() {
        if let Some(rest) = line.strip_prefix("# ")
            && let Some((key, value)) = rest.split_once(" = ")
            && !key.is_empty()
            && key.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
            && !value.trim().is_empty()
        {
            found.push(key.to_string());
        }
    }
    found.sort();
    found.dedup();
    assert!(found.len() > 10, "{found:?}");
    let reference = std::fs::read_to_string(root().join("docs/project-file.md")).expect("page");
    // A key is documented when it stands as a word in the page's code spans (`[project] name`,
    // `[segments.hooks.cutover]`, `min_severity`).
    let documented: std::collections::BTreeSet<&str> = reference
        .split('`')
        .skip(1)
        .step_by(2)
        .flat_map(|span| span.split(|c: char| !(c.is_ascii_lowercase() || c == '_')))
        .filter(|w| !w.is_empty())
        .collect();
    let missing: Vec<&String> = found
        .iter()
        .filter(|k| !documented.contains(k.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "keys `cutover init` writes that docs/project-file.md does not document: {missing:?}"
    );
}
