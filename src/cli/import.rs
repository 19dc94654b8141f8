//! `cutover import FILE`: backfill samples from a CSV file (or stdin), e.g. the counts a lead
//! kept in a spreadsheet before adopting cutover.
//!
//! Rows are read with bounded memory: a row longer than 1 MiB (a 1 GiB field, say) is skipped
//! to its end and counted as a bad row, and a bad value is quoted by a short, escaped prefix.
//! Each row is checked here by the rule every door applies ([`crate::model::reading`]); the
//! owner checks it again with what only it knows (the segment exists, its size, its now).
//!
//! Rows go to the project's owner in batches (this process when the project is free, else
//! the owner through its socket, sized by their encoded length to stay well under its 64 KiB
//! frame limit), so an import's outcome is the same with or without a running owner. Each batch is written
//! and flushed before the owner answers, and only then is it reported ("imported … through
//! line N"): a reported batch survives a kill. Importing the same file again replaces samples
//! at the same millisecond instead of duplicating them, so a killed import is simply run
//! again.

use super::{Cli, state_dir};
use crate::export::Scalar;
use crate::export::rows::Field;
use crate::model::reading;
use crate::model::rollup::day_of;
use crate::owner::StopMode;
use crate::owner::calls::{CallError, Imported};
use crate::owner::link::{Link, LinkConfig};
use crate::owner::protocol::Role;
use crate::progress::Progress;
use crate::store::SampleLine;
use anyhow::{Context, Result, anyhow, bail};
use chrono::{DateTime, Utc};
use std::io::Read;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::sync::mpsc;

/// Rows per batch when this process owns the project, at least: a batch then goes on to the
/// end of the UTC day its rows have reached, so that a day of a series is written once, not
/// once a batch (a time-ordered export of 100 segments at 30 s holds 576,000 rows a day, and
/// each batch that touched a day made the store compress that day's block again).
const LOCAL_BATCH: usize = 50_000;
/// Rows per batch when this process owns the project, at most, whatever the days (a row takes
/// about 130 bytes while its batch is written).
const LOCAL_BATCH_MAX: usize = 1_000_000;
/// Rows the reader hands over at once.
const CHUNK: usize = 1024;
/// Encoded bytes of samples per batch sent through the socket (a client's frames are capped
/// at 64 KiB; the request around them takes well under 1 KiB).
const SOCKET_BATCH_BYTES: usize = 48 * 1024;
/// Bad rows shown with their line numbers.
const SHOWN: usize = 5;

/// A time as RFC 3339 (`2026-03-01T08:00:00Z`) or epoch milliseconds (`1772352000000`).
pub fn parse_time(text: &str) -> Result<DateTime<Utc>, String> {
    let t = text.trim();
    if let Ok(ms) = t.parse::<i64>() {
        return DateTime::from_timestamp_millis(ms)
            .ok_or_else(|| format!("'{}' ms is outside the calendar", reading::shown(t)));
    }
    DateTime::parse_from_rfc3339(t)
        .map(|d| d.with_timezone(&Utc))
        .map_err(|_| {
            format!(
                "'{}' is neither RFC 3339 (e.g. 2026-03-01T08:00:00Z) nor epoch milliseconds",
                reading::shown(t)
            )
        })
}

/// The four columns, each matched without regard to case.
fn fields() -> Vec<Field> {
    ["segment", "metric", "at", "value"]
        .iter()
        .map(|name| Field {
            candidates: vec![
                name.to_string(),
                name.to_ascii_uppercase(),
                format!("{}{}", name[..1].to_ascii_uppercase(), &name[1..]),
            ],
            explicit: true,
        })
        .collect()
}

/// One row as a sample, under the rules every door applies
/// ([`crate::model::reading::sample`]; the owner adds the segment's size and its now).
fn row(values: &[Option<Scalar>]) -> Result<SampleLine, String> {
    let field = |i: usize, name: &str| match values.get(i) {
        Some(Some(Scalar::Text(t))) if !t.trim().is_empty() => Ok(t.trim()),
        _ => Err(format!("no {name}")),
    };
    let value_text = field(3, "value")?;
    let value: f64 = value_text
        .parse()
        .map_err(|_| format!("value '{}' is not a number", reading::shown(value_text)))?;
    if !value.is_finite() {
        return Err(format!(
            "value '{}' is not a finite number",
            reading::shown(value_text)
        ));
    }
    let s = SampleLine {
        segment: field(0, "segment")?.to_string(),
        metric: field(1, "metric")?.to_string(),
        at: parse_time(field(2, "at")?)?,
        value,
    };
    reading::sample(&s.segment, &s.metric, s.at, s.value, None, None)?;
    Ok(s)
}

/// Counts the bytes read, for the progress bar.
struct Counted<R> {
    inner: R,
    read: Arc<AtomicU64>,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// A row read off the file: its line and the sample, or why it is not one.
type ReadRow = (u64, Result<SampleLine, String>);
/// Rows handed over together ([`CHUNK`]), so that the channel is not paid for by each row.
type Rows = Vec<ReadRow>;

/// Read the CSV on its own thread (its rows are bounded at 1 MiB: a longer one is skipped to
/// its end and counted as a bad row), handing rows over a bounded channel.
fn reader(
    input: Box<dyn Read + Send>,
    read: Arc<AtomicU64>,
    tx: mpsc::Sender<Rows>,
) -> std::thread::JoinHandle<Result<(), crate::export::ReadError>> {
    std::thread::spawn(move || {
        let input = std::io::BufReader::with_capacity(1 << 16, Counted { inner: input, read });
        let mut chunk = Vec::with_capacity(CHUNK);
        let read = crate::export::rows::csv(input, &fields(), &mut |line, values| {
            chunk.push((line, values.map_err(|bad| bad.to_string()).and_then(row)));
            if chunk.len() == CHUNK {
                // The receiver only goes when the import ends early (the owner failed).
                let _ = tx.blocking_send(std::mem::replace(&mut chunk, Vec::with_capacity(CHUNK)));
            }
        });
        if !chunk.is_empty() {
            let _ = tx.blocking_send(chunk);
        }
        read.map(|_| ())
    })
}

/// The batch being filled, and when it is full: by rows when this process owns the project,
/// by encoded bytes when the owner is another process (its frames are capped at 64 KiB).
#[derive(Default)]
struct Batch {
    samples: Vec<SampleLine>,
    lines: Vec<u64>,
    bytes: usize,
}

impl Batch {
    /// Is the batch to be sent before `s` joins it?
    fn full_with(&self, s: &SampleLine, attached: bool) -> bool {
        let Some(last) = self.samples.last() else {
            return false;
        };
        if attached {
            return self.bytes + encoded_len(s) > SOCKET_BATCH_BYTES;
        }
        let day = |s: &SampleLine| day_of(s.at.timestamp_millis());
        let n = self.samples.len();
        n >= LOCAL_BATCH_MAX || (n >= LOCAL_BATCH && day(s) != day(last))
    }

    fn push(&mut self, line: u64, s: SampleLine, attached: bool) {
        if attached {
            self.bytes += encoded_len(&s);
        }
        self.samples.push(s);
        self.lines.push(line);
    }
}

/// A sample's length in the request's JSON (escapes included), with its separating comma.
fn encoded_len(s: &SampleLine) -> usize {
    serde_json::to_vec(s).map_or(usize::MAX / 4, |v| v.len() + 1)
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
    let (input, size): (Box<dyn Read + Send>, u64) = if file == Path::new("-") {
        (Box::new(std::io::stdin()), 0)
    } else {
        let f = std::fs::File::open(file)
            .with_context(|| format!("cannot read '{}'", file.display()))?;
        let size = f.metadata().map(|m| m.len()).unwrap_or(0);
        (Box::new(f), size)
    };
    let read = Arc::new(AtomicU64::new(0));
    let (tx, mut rx) = mpsc::channel::<Rows>(4);
    let rows = reader(input, read.clone(), tx);
    let runtime = super::live::runtime()?;
    let result = runtime.block_on(async {
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
        let (mut written, mut batch, mut shown_at) = (0u64, Batch::default(), 0u64);
        let mut result = Ok(());
        let mut chunk = Vec::new().into_iter();
        loop {
            if chunk.len() == 0
                && let Some(more) = rx.recv().await
            {
                chunk = more.into_iter();
            }
            let next = chunk.next();
            let ready = match &next {
                Some((_, Ok(s))) => batch.full_with(s, attached),
                Some((_, Err(_))) => false,
                None => !batch.samples.is_empty(),
            };
            if ready {
                let sent = std::mem::take(&mut batch);
                match send(&mut link, sent, &mut bad).await {
                    Ok((n, through)) => {
                        written += n;
                        progress.println(&format!(
                            "imported {written} samples (through line {through})"
                        ));
                    }
                    Err(e) => {
                        result = Err(e);
                        break;
                    }
                }
            }
            match next {
                Some((line, Ok(s))) => batch.push(line, s, attached),
                Some((line, Err(reason))) => bad.add(line, &reason),
                None => break,
            }
            let now_read = read.load(Ordering::Relaxed);
            progress.inc(now_read.saturating_sub(shown_at));
            shown_at = now_read;
        }
        // An early end (the owner failed) lets the reader go: it stops at its next row.
        drop(rx);
        progress.finish();
        let closed = link.close(StopMode::Drain).await;
        result?;
        closed?;
        Ok::<_, anyhow::Error>((written, bad))
    });
    // On an early end the reader is not waited for: it would read the rest of the file.
    let (written, bad) = result?;
    let read_result = rows
        .join()
        .map_err(|_| anyhow!("reading '{}' stopped unexpectedly", file.display()))?;
    read_result.map_err(|e| {
        anyhow!(
            "'{}': {e}; the first line must name segment,metric,at,value",
            file.display()
        )
    })?;
    super::out::info(format_args!(
        "imported {written} samples from '{}'",
        file.display()
    ));
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
}

/// Send one batch to the owner; returns the samples written and the batch's last line.
/// Rows the owner refuses are counted as bad rows, like rows refused here.
async fn send(link: &mut Link, batch: Batch, bad: &mut Bad) -> Result<(u64, u64)> {
    let through = batch.lines.last().copied().unwrap_or(0);
    match link.session.import(batch.samples).await {
        Ok(Imported { written, rejected }) => {
            for (i, reason) in rejected {
                bad.add(batch.lines.get(i).copied().unwrap_or(0), &reason);
            }
            Ok((written, through))
        }
        Err(CallError::Lost(lost)) if lost.said_here.is_none() => Err(anyhow!(
            "the owner stopped during the import{}; the batches reported above are stored, run the import again to finish (a row stored already is replaced, not doubled, while its day's raw samples are kept)",
            lost.reason.map(|r| format!(" ({r})")).unwrap_or_default()
        )),
        Err(e) => Err(anyhow!("{e}")),
    }
}
