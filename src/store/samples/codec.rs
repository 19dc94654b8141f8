//! How blocks of samples and rollups are written as bytes.
//!
//! * A raw block (one sealed day of one series) is two compressed columns, times and values,
//!   each compressed with pco (Pcodec), which delta-encodes the regular times of a poller to
//!   almost nothing and finds the shared structure of the values: a day of 30-second samples
//!   of a growing count takes a few bytes a sample instead of sled's ≈ 200 a key.
//! * A minute block (1,440 rollups at most) is six such columns.
//! * Hour blocks (24 rollups at most) and day rollups are rewritten on every sample of the
//!   newest day, so they stay fixed-width: 44 bytes a rollup, cheap to update in place.
//!
//! Every compressed block starts with a one-byte format tag, so a future layout can be told
//! apart; the fixed-width blocks are told apart by their length (a multiple of 44 bytes).

use crate::model::rollup::Rollup;
use pco::ChunkConfig;
use pco::standalone::{simple_compress, simple_decompress};

/// A block that does not decode.
#[derive(Debug, thiserror::Error)]
#[error("a sample block does not decode: {0}")]
pub struct CodecError(String);

impl CodecError {
    pub fn new(cause: impl Into<String>) -> CodecError {
        CodecError(cause.into())
    }
}

const RAW_V1: u8 = 1;
const ROLLUPS_V1: u8 = 2;
const FIXED: usize = 44;

fn config() -> ChunkConfig {
    // Level 4 compresses a day's block nearly as well as the default 8, at twice the speed.
    ChunkConfig::default().with_compression_level(4)
}

fn column<T: pco::data_types::Number>(out: &mut Vec<u8>, values: &[T]) -> Result<(), CodecError> {
    let bytes = simple_compress(values, &config()).map_err(|e| CodecError(e.to_string()))?;
    out.extend_from_slice(&(bytes.len() as u32).to_be_bytes());
    out.extend_from_slice(&bytes);
    Ok(())
}

fn take_column<T: pco::data_types::Number>(
    src: &mut &[u8],
    n: usize,
) -> Result<Vec<T>, CodecError> {
    let short = || CodecError("a column is cut short".into());
    let len_bytes: [u8; 4] = src
        .get(..4)
        .ok_or_else(short)?
        .try_into()
        .map_err(|_| short())?;
    let len = u32::from_be_bytes(len_bytes) as usize;
    let bytes = src.get(4..4 + len).ok_or_else(short)?;
    let values: Vec<T> = simple_decompress(bytes).map_err(|e| CodecError(e.to_string()))?;
    if values.len() != n {
        return Err(CodecError(format!(
            "a column holds {} values where {n} belong",
            values.len()
        )));
    }
    *src = &src[4 + len..];
    Ok(values)
}

fn header(out: &mut Vec<u8>, tag: u8, n: usize) {
    out.push(tag);
    out.extend_from_slice(&(n as u32).to_be_bytes());
}

fn take_header(src: &mut &[u8], tag: u8) -> Result<usize, CodecError> {
    let bad = || CodecError("unknown block format".into());
    if src.first() != Some(&tag) {
        return Err(bad());
    }
    let n: [u8; 4] = src
        .get(1..5)
        .ok_or_else(bad)?
        .try_into()
        .map_err(|_| bad())?;
    *src = &src[5..];
    Ok(u32::from_be_bytes(n) as usize)
}

/// Encode time-ordered samples `(t_ms, value)`.
pub fn encode_raw(samples: &[(i64, f64)]) -> Result<Vec<u8>, CodecError> {
    let mut out = Vec::new();
    header(&mut out, RAW_V1, samples.len());
    let times: Vec<i64> = samples.iter().map(|s| s.0).collect();
    let values: Vec<f64> = samples.iter().map(|s| s.1).collect();
    column(&mut out, &times)?;
    column(&mut out, &values)?;
    Ok(out)
}

pub fn decode_raw(mut src: &[u8]) -> Result<Vec<(i64, f64)>, CodecError> {
    let n = take_header(&mut src, RAW_V1)?;
    let times: Vec<i64> = take_column(&mut src, n)?;
    let values: Vec<f64> = take_column(&mut src, n)?;
    Ok(times.into_iter().zip(values).collect())
}

/// Encode many rollups, compressed by column.
pub fn encode_rollups(rollups: &[Rollup]) -> Result<Vec<u8>, CodecError> {
    let mut out = Vec::new();
    header(&mut out, ROLLUPS_V1, rollups.len());
    let ints = |f: fn(&Rollup) -> i64| rollups.iter().map(f).collect::<Vec<i64>>();
    let floats = |f: fn(&Rollup) -> f64| rollups.iter().map(f).collect::<Vec<f64>>();
    column(&mut out, &ints(|r| r.start_ms))?;
    column(&mut out, &floats(|r| r.min))?;
    column(&mut out, &floats(|r| r.max))?;
    column(&mut out, &floats(|r| r.last))?;
    column(&mut out, &ints(|r| r.last_at_ms))?;
    column(
        &mut out,
        &rollups.iter().map(|r| r.count).collect::<Vec<u32>>(),
    )?;
    Ok(out)
}

pub fn decode_rollups(mut src: &[u8]) -> Result<Vec<Rollup>, CodecError> {
    let n = take_header(&mut src, ROLLUPS_V1)?;
    let start: Vec<i64> = take_column(&mut src, n)?;
    let min: Vec<f64> = take_column(&mut src, n)?;
    let max: Vec<f64> = take_column(&mut src, n)?;
    let last: Vec<f64> = take_column(&mut src, n)?;
    let last_at: Vec<i64> = take_column(&mut src, n)?;
    let count: Vec<u32> = take_column(&mut src, n)?;
    Ok((0..n)
        .map(|i| Rollup {
            start_ms: start[i],
            min: min[i],
            max: max[i],
            last: last[i],
            last_at_ms: last_at[i],
            count: count[i],
        })
        .collect())
}

/// Decode a day's hour rollups: fixed width while the day is a head day (rewritten per
/// sample), compressed (as [`encode_rollups`]) once the day is written whole. A fixed block
/// starts with its first hour's time, whose first byte is 0x00 or 0xFF for every time chrono
/// can hold (±262,000 years is under 2⁵⁷ ms), never the compressed block's tag.
pub fn decode_hours(src: &[u8]) -> Result<Vec<Rollup>, CodecError> {
    if src.first() == Some(&ROLLUPS_V1) {
        decode_rollups(src)
    } else {
        decode_fixed(src)
    }
}

/// Encode rollups at 44 bytes each.
pub fn encode_fixed(rollups: &[Rollup]) -> Vec<u8> {
    let mut out = Vec::with_capacity(rollups.len() * FIXED);
    for r in rollups {
        out.extend_from_slice(&r.start_ms.to_be_bytes());
        out.extend_from_slice(&r.min.to_be_bytes());
        out.extend_from_slice(&r.max.to_be_bytes());
        out.extend_from_slice(&r.last.to_be_bytes());
        out.extend_from_slice(&r.last_at_ms.to_be_bytes());
        out.extend_from_slice(&r.count.to_be_bytes());
    }
    out
}

pub fn decode_fixed(src: &[u8]) -> Result<Vec<Rollup>, CodecError> {
    if !src.len().is_multiple_of(FIXED) {
        return Err(CodecError(format!(
            "a rollup block of {} bytes is not a whole number of rollups",
            src.len()
        )));
    }
    let word = |c: &[u8], i: usize| -> [u8; 8] {
        let mut w = [0; 8];
        w.copy_from_slice(&c[i..i + 8]);
        w
    };
    Ok(src
        .chunks_exact(FIXED)
        .map(|c| Rollup {
            start_ms: i64::from_be_bytes(word(c, 0)),
            min: f64::from_be_bytes(word(c, 8)),
            max: f64::from_be_bytes(word(c, 16)),
            last: f64::from_be_bytes(word(c, 24)),
            last_at_ms: i64::from_be_bytes(word(c, 32)),
            count: u32::from_be_bytes([c[40], c[41], c[42], c[43]]),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::rollup::{Resolution, roll};

    fn day() -> Vec<(i64, f64)> {
        (0..2880)
            .map(|i| {
                (
                    1_780_000_000_000 + i * 30_000 + (i % 3),
                    1000.0 + (i * i / 7) as f64,
                )
            })
            .collect()
    }

    #[test]
    fn blocks_round_trip_and_a_day_of_polls_is_small() {
        let samples = day();
        let raw = encode_raw(&samples).expect("encode");
        assert_eq!(decode_raw(&raw).expect("decode"), samples);
        assert!(raw.len() < 2880 * 4, "{} bytes", raw.len());
        let minutes = roll(&samples, Resolution::Minute);
        let block = encode_rollups(&minutes).expect("encode");
        assert_eq!(decode_rollups(&block).expect("decode"), minutes);
        let hours = roll(&samples, Resolution::Hour);
        assert_eq!(decode_fixed(&encode_fixed(&hours)).expect("decode"), hours);
        let sealed = encode_rollups(&hours).expect("encode");
        assert_eq!(decode_hours(&sealed).expect("decode"), hours);
        assert_eq!(decode_hours(&encode_fixed(&hours)).expect("decode"), hours);
        assert!(
            sealed.len() * 2 < encode_fixed(&hours).len(),
            "{}",
            sealed.len()
        );
        // Before 1970 too: a fixed block's first byte is then 0xFF.
        let old: Vec<Rollup> = roll(&[(-86_400_000, 1.0)], Resolution::Hour);
        assert_eq!(decode_hours(&encode_fixed(&old)).expect("decode"), old);
    }

    #[test]
    fn damaged_blocks_are_errors_not_panics() {
        let raw = encode_raw(&day()).expect("encode");
        for cut in [0, 1, 5, 9, raw.len() / 2, raw.len() - 1] {
            assert!(decode_raw(&raw[..cut]).is_err(), "cut at {cut}");
        }
        let mut flipped = raw.clone();
        flipped[0] = 9;
        assert!(decode_raw(&flipped).is_err());
        assert!(decode_fixed(&[0; 45]).is_err());
    }
}
