//! `cutover import FILE`: backfill samples from a CSV file (or stdin), e.g. the counts a lead
//! kept in a spreadsheet before adopting cutover.
//!
//! Rows go to the project's owner in batches (this process when the project is free, else
//! the owner through its socket, in frames well under its 64 KiB limit). Each batch is written
//! and flushed before the owner answers, and only then is it reported ("imported … through
//! line N"): a reported batch survives a kill. Importing the same file again replaces samples
//! at the same millisecond instead of duplicating them, so a killed import is simply run
//! again.

use super::{Cli, state_dir};
use crate::owner::StopMode;
use crate::owner::link::{Link, LinkConfig};
use crate::owner::protocol::{Reply, Request, Role};
use crate::progress::Progress;
use crate::store::SampleLine;
use anyhow::{Context, Result, anyhow, bail};
use chrono::{DateTime, Utc};
use std::io::Read;
use std::path::Path;

/// Rows per batch when this process owns the project.
const LOCAL_BATCH: usize = 50_000;
/// Bytes of rows per batch sent through the socket (frames are capped at 64 KiB).
const SOCKET_BATCH_BYTES: usize = 40_000;
/// Bad rows shown with their line numbers.
const SHOWN: usize = 5;

/// A time as RFC 3339 (`2026-03-01T08:00:00Z`) or epoch milliseconds (`1772352000000`).
pub fn parse_time(text: &str) -> Result<DateTime<Utc>, String> {
    let t = text.trim();
    if let Ok(ms) = t.parse::<i64>() {
        return DateTime::from_timestamp_millis(ms)
            .ok_or_else(|| format!("'{t}' ms is outside the calendar"));
    }
    DateTime::parse_from_rfc3339(t)
        .map(|d| d.with_timezone(&Utc))
        .map_err(|_| {
            format!("'{t}' is neither RFC 3339 (e.g. 2026-03-01T08:00:00Z) nor epoch milliseconds")
        })
}

struct Columns {
    segment: usize,
    metric: usize,
    at: usize,
    value: usize,
}

fn columns(header: &csv::StringRecord) -> Result<Columns> {
    let find = |name: &str| {
        header
            .iter()
            .position(|h| h.trim().eq_ignore_ascii_case(name))
            .ok_or_else(|| anyhow!("the header has no '{name}' column; the first line must name segment,metric,at,value"))
    };
    Ok(Columns {
        segment: find("segment")?,
        metric: find("metric")?,
        at: find("at")?,
        value: find("value")?,
    })
}

fn row(record: &csv::StringRecord, c: &Columns) -> Result<SampleLine, String> {
    let field = |i: usize, name: &str| {
        record
            .get(i)
            .map(str::trim)
            .filter(|f| !f.is_empty())
            .ok_or_else(|| format!("no {name}"))
    };
    let value_text = field(c.value, "value")?;
    let value: f64 = value_text
        .parse()
        .map_err(|_| format!("value '{value_text}' is not a number"))?;
    if !value.is_finite() {
        return Err(format!("value '{value_text}' is not a finite number"));
    }
    Ok(SampleLine {
        segment: field(c.segment, "segment")?.to_string(),
        metric: field(c.metric, "metric")?.to_string(),
        at: parse_time(field(c.at, "at")?)?,
        value,
    })
}

/// Bad rows: how many, and the first few with their line numbers.
#[derive(Default)]
struct Bad {
    count: u64,
    shown: Vec<(u64, String)>,
}

impl Bad {
    fn add(&mut self, line: u64, reason: &str) {
        self.count += 1;
        self.shown.push((line, reason.to_string()));
        self.shown.sort_by_key(|b| b.0);
        self.shown.truncate(SHOWN);
    }
}

pub(super) fn run(cli: &Cli, file: &Path) -> Result<()> {
    let (input, size): (Box<dyn Read>, u64) = if file == Path::new("-") {
        (Box::new(std::io::stdin().lock()), 0)
    } else {
        let f = std::fs::File::open(file)
            .with_context(|| format!("cannot read '{}'", file.display()))?;
        let size = f.metadata().map(|m| m.len()).unwrap_or(0);
        (Box::new(f), size)
    };
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(input);
    let header = reader
        .headers()
        .with_context(|| format!("'{}' has no CSV header", file.display()))?
        .clone();
    let cols = columns(&header)?;
    let runtime = super::live::runtime()?;
    runtime.block_on(async {
        let config = LinkConfig::new(
            cli.project.clone(),
            state_dir(&cli.project, cli.state.as_deref()),
            Role::Command,
        );
        let mut link = Link::establish(config).await?;
        let attached = link.attached_to().is_some();
        let mut progress =
            Progress::new("importing", size, "bytes", 1 << 20).hidden(super::out::quiet());
        let mut bad = Bad::default();
        let (mut written, mut batch, mut lines, mut bytes) = (0u64, Vec::new(), Vec::new(), 0usize);
        let mut record = csv::StringRecord::new();
        let mut last_pos = 0u64;
        let mut result = Ok(());
        loop {
            let more = match reader.read_record(&mut record) {
                Ok(more) => more,
                Err(e) => {
                    // A broken row (bad UTF-8, say): count it and go on after it.
                    let line = e.position().map_or(0, |p| p.line());
                    bad.add(line, &format!("unreadable: {e}"));
                    if matches!(e.kind(), csv::ErrorKind::Io(_)) {
                        result = Err(anyhow!("reading '{}' failed: {e}", file.display()));
                        break;
                    }
                    continue;
                }
            };
            if more {
                let line = record.position().map_or(0, |p| p.line());
                match row(&record, &cols) {
                    Ok(s) => {
                        bytes += s.segment.len() + s.metric.len() + 80;
                        batch.push(s);
                        lines.push(line);
                    }
                    Err(reason) => bad.add(line, &reason),
                }
            }
            let full = if attached { bytes >= SOCKET_BATCH_BYTES } else { batch.len() >= LOCAL_BATCH };
            if (full || !more) && !batch.is_empty() {
                let through = lines.last().copied().unwrap_or(0);
                let reply = link
                    .session
                    .call(Request::Import { samples: std::mem::take(&mut batch) }, |_| {})
                    .await;
                match reply {
                    Ok(Reply::Imported { written: n, rejected }) => {
                        for (i, reason) in rejected {
                            bad.add(lines.get(i).copied().unwrap_or(0), &reason);
                        }
                        written += n;
                        progress.println(&format!("imported {written} samples (through line {through})"));
                    }
                    Ok(Reply::Failed { message, .. }) => {
                        result = Err(anyhow!("{message}"));
                        break;
                    }
                    Ok(other) => {
                        result = Err(anyhow!("the owner answered an import with {other:?}"));
                        break;
                    }
                    Err(lost) => {
                        result = Err(anyhow!(
                            "the owner stopped during the import{}; the batches reported above are stored, run the import again to finish (a row stored already is replaced, not doubled, while its day's raw samples are kept)",
                            lost.reason.map(|r| format!(" ({r})")).unwrap_or_default()
                        ));
                        break;
                    }
                }
                lines.clear();
                bytes = 0;
            }
            let pos = reader.position().byte();
            progress.inc(pos.saturating_sub(last_pos));
            last_pos = pos;
            if !more {
                break;
            }
        }
        progress.finish();
        let closed = link.close(StopMode::Drain).await;
        result?;
        closed?;
        super::out::info(format_args!("imported {written} samples from '{}'", file.display()));
        if bad.count > 0 {
            let shown: Vec<String> = bad
                .shown
                .iter()
                .map(|(line, reason)| format!("  line {line}: {reason}"))
                .collect();
            bail!(
                "{} bad rows not imported, the rest are; fix them and import the file again (a row stored already is replaced, not doubled, while its day's raw samples are kept). The first {}:\n{}",
                bad.count,
                shown.len(),
                shown.join("\n")
            );
        }
        Ok(())
    })
}
