//! Work over many segments spread on every core. A status or a snapshot of a thousand
//! segments reads each one's day rollups, kept forecast, sources and chart from the store, and
//! each segment's reads are its own: on two cores they take half the time. Results keep the
//! order of their inputs, and the first error (in that order) is the answer.

use crate::store::StoreError;

/// Below this many items the work stays on the calling thread (starting threads would cost
/// more than it saves).
const SPREAD_FROM: usize = 64;

/// `f` of each item, in order, computed on one thread a core (at most 8). Each item is given
/// to exactly one thread.
pub(crate) fn on_every_core<I: Sync, T: Send>(
    items: &[I],
    f: impl Fn(&I) -> Result<T, StoreError> + Sync,
) -> Result<Vec<T>, StoreError> {
    let one = |part: &[I]| part.iter().map(&f).collect::<Result<Vec<T>, _>>();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(8));
    if items.len() < SPREAD_FROM || threads < 2 {
        return one(items);
    }
    let parts: Vec<Result<Vec<T>, StoreError>> = std::thread::scope(|scope| {
        let running: Vec<_> = items
            .chunks(items.len().div_ceil(threads))
            .map(|part| scope.spawn(|| one(part)))
            .collect();
        running
            .into_iter()
            .map(|t| {
                t.join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect()
    });
    let mut out = Vec::with_capacity(items.len());
    for part in parts {
        out.extend(part?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_keep_their_order_and_the_first_error_wins() {
        for n in [0, 5, SPREAD_FROM, 1000] {
            let items: Vec<usize> = (0..n).collect();
            let doubled = on_every_core(&items, |i| Ok(i * 2)).expect("no error");
            assert_eq!(doubled, items.iter().map(|i| i * 2).collect::<Vec<_>>());
        }
        let items: Vec<usize> = (0..1000).collect();
        let failed = on_every_core(&items, |&i| {
            if i % 300 == 299 {
                Err(StoreError::Corrupt {
                    dir: std::path::PathBuf::from("state"),
                    cause: format!("item {i}"),
                })
            } else {
                Ok(i)
            }
        });
        let Err(StoreError::Corrupt { cause, .. }) = failed else {
            panic!("an error was lost");
        };
        assert_eq!(cause, "item 299");
    }
}
