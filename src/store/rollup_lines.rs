//! The minute rollups of days whose raw samples `raw_retention` removed, as backup lines
//! (`rollups.jsonl`): without them a restore would lose those days' charts and forecasts.

use super::StoreError;
use super::portable::{Reader, io};
use chrono::{DateTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};
use std::io::{BufWriter, Write};
use std::path::Path;

/// One minute rollup as a backup line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RollupLine {
    pub segment: String,
    pub metric: String,
    pub start: DateTime<Utc>,
    pub min: f64,
    pub max: f64,
    pub last: f64,
    pub last_at: DateTime<Utc>,
    pub count: u32,
}

impl Reader {
    /// Write the minute rollups of days without raw samples into `path`; returns how many.
    pub(super) fn backup_rollups(&self, path: &Path) -> Result<u64, StoreError> {
        let mut w = BufWriter::new(crate::files::create(path).map_err(|e| io(path, e))?);
        let corrupt = |e| super::sample_error(&self.dir, e);
        let (mut n, mut failed) = (0u64, None);
        for (segment, metric) in self.samples.series().map_err(corrupt)? {
            self.samples
                .each_rollup_only_day(&segment, &metric, |minutes| {
                    for r in minutes {
                        let line = RollupLine {
                            segment: segment.clone(),
                            metric: metric.clone(),
                            start: Utc
                                .timestamp_millis_opt(r.start_ms)
                                .single()
                                .unwrap_or_default(),
                            min: r.min,
                            max: r.max,
                            last: r.last,
                            last_at: Utc
                                .timestamp_millis_opt(r.last_at_ms)
                                .single()
                                .unwrap_or_default(),
                            count: r.count,
                        };
                        let written = serde_json::to_string(&line)
                            .map_err(std::io::Error::other)
                            .and_then(|line| writeln!(w, "{line}"));
                        if let Err(e) = written {
                            failed.get_or_insert(e);
                        }
                        n += 1;
                    }
                })
                .map_err(corrupt)?;
        }
        if let Some(e) = failed {
            return Err(io(path, e));
        }
        w.flush().map_err(|e| io(path, e))?;
        Ok(n)
    }
}
