//! Downsampling a long series to what a screen column can show: a chart never loads every
//! sample of a months-long series, only a bucket per column.
//!
//! Min/max buckets: the x range is cut into one bucket per column, and each bucket keeps its
//! lowest and highest point, in x order. Spikes and dips survive (an average would hide a
//! failure spike); the output has at most two points per column whatever the input length.
//! One pass, no allocation beyond the output.

type Point = (f64, f64);
type Bucket = (usize, Point, Point);

/// Reduce `points` (sorted by x) to at most `2 * buckets` points over `[x0, x1]`.
/// Points outside the range are dropped; an empty range or zero buckets gives nothing.
pub fn min_max(points: &[(f64, f64)], x0: f64, x1: f64, buckets: usize) -> Vec<(f64, f64)> {
    if buckets == 0 || x1.partial_cmp(&x0) != Some(std::cmp::Ordering::Greater) || points.is_empty()
    {
        return Vec::new();
    }
    if points.len() <= 2 * buckets {
        return points
            .iter()
            .copied()
            .filter(|(x, _)| *x >= x0 && *x <= x1)
            .collect();
    }
    let width = (x1 - x0) / buckets as f64;
    let mut out = Vec::with_capacity(2 * buckets);
    // (bucket, lowest point, highest point) of the bucket being filled.
    let mut current: Option<Bucket> = None;
    let flush = |out: &mut Vec<(f64, f64)>, lo: (f64, f64), hi: (f64, f64)| {
        if lo == hi {
            out.push(lo);
        } else if lo.0 <= hi.0 {
            out.push(lo);
            out.push(hi);
        } else {
            out.push(hi);
            out.push(lo);
        }
    };
    for &(x, y) in points {
        if x < x0 || x > x1 || y.is_nan() {
            continue;
        }
        let b = (((x - x0) / width) as usize).min(buckets - 1);
        match &mut current {
            Some((cb, lo, hi)) if *cb == b => {
                if y < lo.1 {
                    *lo = (x, y);
                }
                if y > hi.1 {
                    *hi = (x, y);
                }
            }
            _ => {
                if let Some((_, lo, hi)) = current.take() {
                    flush(&mut out, lo, hi);
                }
                current = Some((b, (x, y), (x, y)));
            }
        }
    }
    if let Some((_, lo, hi)) = current {
        flush(&mut out, lo, hi);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_million_points_become_two_per_column_and_keep_the_spike() {
        let mut points: Vec<(f64, f64)> =
            (0..1_000_000).map(|i| (i as f64 / 1000.0, 0.5)).collect();
        points[654_321].1 = 0.99;
        points[123_456].1 = 0.01;
        let out = min_max(&points, 0.0, 1000.0, 200);
        assert!(out.len() <= 400, "{}", out.len());
        assert!(out.iter().any(|p| p.1 == 0.99), "the spike survives");
        assert!(out.iter().any(|p| p.1 == 0.01), "the dip survives");
        assert!(out.windows(2).all(|w| w[0].0 <= w[1].0), "x order");
    }

    #[test]
    fn short_series_pass_through_and_degenerate_input_gives_nothing() {
        let pts = [(0.0, 0.1), (1.0, 0.2), (2.0, 0.3)];
        assert_eq!(min_max(&pts, 0.0, 2.0, 10), pts.to_vec());
        assert!(min_max(&pts, 1.0, 1.0, 10).is_empty());
        assert!(min_max(&pts, 0.0, 2.0, 0).is_empty());
        assert!(min_max(&[], 0.0, 2.0, 10).is_empty());
    }
}
