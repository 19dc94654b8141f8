//! The CSV side of [`super::rows`]: a header, then one user per record, parsed by
//! `csv_core` into a fixed 1 MiB buffer (a longer record is skipped to its end and counted),
//! with exact line numbers for CRLF files and blank lines too.

use super::Scalar;
use super::rows::{Field, MAX_ROW, RowResult};
use super::{BadRow, ReadError};
use std::io::BufRead;

pub(super) fn rows(
    mut input: impl BufRead,
    fields: &[Field],
    on_row: &mut impl FnMut(u64, RowResult<'_>),
) -> Result<Vec<Option<String>>, ReadError> {
    let mut reader = csv_core::ReaderBuilder::new().build();
    let mut out = vec![0u8; MAX_ROW];
    let mut ends = vec![0usize; 1024];
    let (mut n_out, mut n_ends) = (0usize, 0usize);
    let mut overlong: Option<BadRow> = None;
    let mut dropped = 0usize;
    skip_line_ends(&mut input, &mut reader).map_err(ReadError::io(None))?;
    let mut start = reader.line();
    let mut columns: Option<Vec<Option<usize>>> = None;
    let mut used = vec![None; fields.len()];
    let mut values: Vec<Option<Scalar>> = vec![None; fields.len()];
    loop {
        let chunk = input.fill_buf().map_err(ReadError::io(Some(start)))?;
        let (res, n_in, o, e) = reader.read_record(chunk, &mut out[n_out..], &mut ends[n_ends..]);
        input.consume(n_in);
        n_out += o;
        n_ends += e;
        match res {
            csv_core::ReadRecordResult::InputEmpty => {}
            csv_core::ReadRecordResult::OutputFull => {
                // Keep reading to the record's end, dropping what it holds (counted, so the
                // bad row's reason says how long it was).
                dropped += n_out;
                overlong = Some(BadRow::TooLong { bytes: 0 });
                n_out = 0;
                n_ends = 0;
            }
            csv_core::ReadRecordResult::OutputEndsFull => {
                overlong = Some(BadRow::TooManyColumns {
                    columns: ends.len(),
                });
                n_out = 0;
                n_ends = 0;
            }
            csv_core::ReadRecordResult::Record => {
                let line = start;
                // The next record starts after its line ends: a CRLF's LF (csv_core stops at
                // the CR) and blank lines are taken here, so its line number is exact.
                skip_line_ends(&mut input, &mut reader).map_err(ReadError::io(Some(line)))?;
                start = reader.line();
                let record = Record {
                    out: &out[..n_out],
                    ends: &ends[..n_ends],
                };
                let (mut was_long, kept) = (overlong.take(), n_ends);
                if let Some(BadRow::TooLong { bytes }) = &mut was_long {
                    *bytes = dropped + n_out;
                }
                dropped = 0;
                n_out = 0;
                n_ends = 0;
                match &columns {
                    None if was_long.is_some() => {
                        return Err(ReadError::HeaderTooLong);
                    }
                    None => columns = Some(header(&record, fields, &mut used)?),
                    Some(_) if let Some(bad) = was_long => on_row(line, Err(bad)),
                    Some(_) if kept == 1 && record.get(0).is_some_and(<[u8]>::is_empty) => {}
                    Some(cols) => match record.values(cols, &used, &mut values) {
                        Ok(()) => on_row(line, Ok(&values)),
                        Err(e) => on_row(line, Err(e)),
                    },
                }
            }
            csv_core::ReadRecordResult::End => break,
        }
    }
    if columns.is_none() {
        return Err(ReadError::Empty);
    }
    Ok(used)
}

/// Take the CRs and LFs before the next record, counting its lines into `reader`.
fn skip_line_ends(input: &mut impl BufRead, reader: &mut csv_core::Reader) -> std::io::Result<()> {
    loop {
        let chunk = input.fill_buf()?;
        let n = chunk
            .iter()
            .take_while(|b| **b == b'\r' || **b == b'\n')
            .count();
        if n == 0 {
            return Ok(());
        }
        let lines = chunk[..n].iter().filter(|b| **b == b'\n').count() as u64;
        reader.set_line(reader.line() + lines);
        let whole = n == chunk.len();
        input.consume(n);
        if !whole {
            return Ok(());
        }
    }
}

struct Record<'a> {
    out: &'a [u8],
    ends: &'a [usize],
}

impl Record<'_> {
    fn get(&self, i: usize) -> Option<&[u8]> {
        let end = *self.ends.get(i)?;
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        Some(&self.out[start..end])
    }

    fn values(
        &self,
        columns: &[Option<usize>],
        names: &[Option<String>],
        values: &mut [Option<Scalar>],
    ) -> Result<(), BadRow> {
        for (i, col) in columns.iter().enumerate() {
            values[i] = match col.and_then(|c| self.get(c)) {
                None => None,
                Some(bytes) => match std::str::from_utf8(bytes) {
                    Ok(t) => Some(Scalar::Text(t.to_string())),
                    Err(_) => {
                        return Err(BadRow::ColumnNotUtf8 {
                            column: names[i].clone().unwrap_or_else(|| "?".into()),
                        });
                    }
                },
            };
        }
        Ok(())
    }
}

/// Resolve each field to a column of the header.
fn header(
    record: &Record<'_>,
    fields: &[Field],
    used: &mut [Option<String>],
) -> Result<Vec<Option<usize>>, ReadError> {
    let names: Vec<String> = (0..record.ends.len())
        .map(|i| {
            String::from_utf8_lossy(record.get(i).unwrap_or_default())
                .trim()
                .trim_start_matches('\u{feff}')
                .to_string()
        })
        .collect();
    let mut columns = Vec::with_capacity(fields.len());
    for (i, f) in fields.iter().enumerate() {
        let found = f
            .candidates
            .iter()
            .find_map(|c| Some((names.iter().position(|n| n == c)?, c)));
        if found.is_none() && f.explicit {
            return Err(ReadError::NoColumn {
                column: f.candidates[0].clone(),
                columns: names.len(),
            });
        }
        used[i] = found.map(|(_, c)| c.clone());
        columns.push(found.map(|(col, _)| col));
    }
    Ok(columns)
}
