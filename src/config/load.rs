//! Loading `cutover.toml`: reading it, parsing it (one located problem when it is not TOML),
//! and validating the rest in full, so every problem is listed at once, each with its file,
//! line, key and value (or `(value hidden)`), in the file's order.

use super::{FILE_NAME, Project, lenient, locate, reach, validate};
use std::fmt;
use std::path::{Path, PathBuf};

/// How serious a problem is: errors make the file unusable, warnings do not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
}

/// One thing wrong with the project file, located.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub severity: Severity,
    pub file: PathBuf,
    pub line: Option<usize>,
    pub key: String,
    /// The bad value as written, if there is one.
    pub value: Option<String>,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.severity == Severity::Warning {
            f.write_str("warning: ")?;
        }
        write!(f, "{}", self.file.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        f.write_str(": ")?;
        if !self.key.is_empty() {
            match &self.value {
                Some(v) => write!(f, "{} = {v}: ", self.key)?,
                None => write!(f, "{}: ", self.key)?,
            }
        }
        f.write_str(&self.message)
    }
}

/// The outcome of loading a project file.
#[derive(Debug)]
pub enum LoadError {
    /// The file could not be read at all.
    Missing { file: PathBuf, cause: String },
    /// The file is there but has problems (at least one error).
    Invalid(Vec<Problem>),
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoadError::Missing { file, cause } => write!(
                f,
                "{}: cannot read the project file ({cause}); create one with `cutover init` or point --project at the folder that has it",
                file.display()
            ),
            LoadError::Invalid(problems) => {
                let errors: Vec<&Problem> = problems
                    .iter()
                    .filter(|p| p.severity == Severity::Error)
                    .collect();
                for (i, p) in errors.iter().enumerate() {
                    if i > 0 {
                        writeln!(f)?;
                    }
                    write!(f, "{p}")?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for LoadError {}

/// Read and validate `dir/cutover.toml`. On success, also returns the warnings.
pub fn load(dir: &Path) -> Result<(Project, Vec<Problem>), LoadError> {
    let (file, src) = read(dir)?;
    parse(&file, &src)
}

/// [`load`] for a process that runs the project and shows no warnings (the owner a command
/// starts): the warnings are not worked out line by line, which for a thousand segments
/// without gates would cost a second parse of the file. Errors are reported as by [`load`].
pub fn load_to_run(dir: &Path) -> Result<Project, LoadError> {
    let (file, src) = read(dir)?;
    parse_in(&file, &src, false).map(|(project, _)| project)
}

fn read(dir: &Path) -> Result<(std::path::PathBuf, String), LoadError> {
    let file = dir.join(FILE_NAME);
    let src = std::fs::read_to_string(&file).map_err(|e| LoadError::Missing {
        file: file.clone(),
        cause: match e.kind() {
            std::io::ErrorKind::NotFound => "no such file".to_string(),
            _ => e.to_string(),
        },
    })?;
    Ok((file, src))
}

/// Parse and validate project-file text; `file` is only used in messages.
pub fn parse(file: &Path, src: &str) -> Result<(Project, Vec<Problem>), LoadError> {
    parse_in(file, src, true)
}

/// [`parse`], the warnings located and returned only with `warnings`.
fn parse_in(file: &Path, src: &str, warnings: bool) -> Result<(Project, Vec<Problem>), LoadError> {
    // Without warnings, a file that reads and validates at once needs nothing else: no
    // editable document, no lines, no look at the files it names (for a thousand segments
    // those were a third of a one-shot `status`). Any problem takes the whole way below,
    // which says where each one is.
    if !warnings
        && let Ok(raw) = toml::from_str::<super::ProjectFile>(src)
        && let (Some(project), found) = validate(&raw)
        && !found
            .iter()
            .any(|(severity, _, _)| *severity == Severity::Error)
    {
        return Ok((project, Vec::new()));
    }
    let located = locate::Located::new(src);
    // Not TOML at all: one problem, where the parser stopped. Otherwise every mistake is read
    // past (see `lenient`), so all of them are listed at once.
    let doc = match src.parse::<toml_edit::DocumentMut>() {
        Ok(doc) => doc,
        // toml's own error (the same grammar) says where the parser stopped, with a span.
        Err(not_toml) => {
            let Err(e) = toml::from_str::<toml::Table>(src) else {
                return Err(LoadError::Invalid(vec![Problem {
                    severity: Severity::Error,
                    file: file.to_path_buf(),
                    line: None,
                    key: String::new(),
                    value: None,
                    message: not_toml.to_string().trim().replace('\n', " "),
                }]));
            };
            let (line, mut key, mut value) = match e.span() {
                Some(span) => {
                    let path = located.path_at(span.start);
                    (
                        Some(located.line_of(span.start)),
                        path.to_string(),
                        located.value_text(&path),
                    )
                }
                None => (None, String::new(), None),
            };
            // The document may not parse at all (a number too large for 64 bits): name the
            // key from the line itself.
            if key.is_empty()
                && let Some(l) = line
                && let Some((k, v)) = located.line_text(l).split_once('=')
            {
                key = k.trim().to_string();
                value = Some(v.trim().to_string());
            }
            let mut message = e.message().trim().replace('\n', " ");
            if message.contains("number") || message.contains("integer") {
                message.push_str(
                    "; write a number that fits in 64 bits (a count below 18446744073709551616)",
                );
            }
            return Err(LoadError::Invalid(vec![Problem {
                severity: Severity::Error,
                file: file.to_path_buf(),
                line,
                key,
                value,
                message,
            }]));
        }
    };
    // What the file names outside itself, checked on this machine (warnings: see `reach`).
    let dir = match file.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let outside = reach::warnings(&doc, dir);
    let read = lenient::read(doc);
    let (project, mut found) = match &read.raw {
        Some(raw) => {
            let (project, found) = validate(raw);
            // Values the reading stood in for were reported already, in their own words.
            let found = found
                .into_iter()
                .filter(|(_, path, _)| !read.stand_ins.iter().any(|s| s == path))
                .collect();
            (project.filter(|_| read.found.is_empty()), found)
        }
        None => (None, Vec::new()),
    };
    found.extend(read.found);
    found.extend(outside);
    let mut problems: Vec<Problem> = found
        .into_iter()
        .filter(|(severity, _, _)| warnings || *severity == Severity::Error)
        .map(|(severity, path, said)| {
            let value = if said.hide_value {
                Some("(value hidden)".to_string())
            } else {
                located.value_text(&path)
            };
            let message = said.text;
            Problem {
                severity,
                file: file.to_path_buf(),
                line: located.line(&path),
                key: path.to_string(),
                value,
                message,
            }
        })
        .collect();
    // In the file's order, as a lead fixes them.
    problems.sort_by_key(|p| p.line.unwrap_or(usize::MAX));
    match project {
        Some(p) if !problems.iter().any(|p| p.severity == Severity::Error) => Ok((p, problems)),
        _ => Err(LoadError::Invalid(problems)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The short way a running process takes reads the same project as the whole way, and a
    /// file with a mistake still gets the whole way's located error.
    #[test]
    fn the_short_way_reads_what_the_whole_way_reads() {
        let file = Path::new("cutover.toml");
        let demo = crate::demo::project::project_file(
            "http://127.0.0.1:9",
            std::time::Duration::from_secs(30),
            &[],
        );
        for src in [
            crate::cli::init::EXAMPLE,
            crate::sample_project::PROJECT,
            demo.as_str(),
        ] {
            let (short, none) = parse_in(file, src, false).expect("reads the short way");
            assert!(none.is_empty());
            let (whole, _) = parse_in(file, src, true).expect("reads the whole way");
            // Everything but the id index, a hash map in no fixed order (built from the same
            // list of segments).
            let shown = |p: &Project| {
                let text = format!("{p:?}");
                text.split(", index: ").next().map(str::to_string)
            };
            assert_eq!(shown(&short), shown(&whole));
            assert_eq!(short.segments.len(), whole.segments.len());
        }
        let wrong = crate::sample_project::PROJECT.replacen("size = ", "size = -", 1);
        let Err(LoadError::Invalid(problems)) = parse_in(file, &wrong, false) else {
            panic!("a negative size reads");
        };
        assert!(
            problems
                .iter()
                .any(|p| p.severity == Severity::Error && p.line.is_some()),
            "{problems:?}"
        );
    }
}
