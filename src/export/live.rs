//! The one way a live source (a directory, a database) is read: its client runs on a thread of
//! its own and hands rows over a bounded channel to the caller's thread, which matches them to
//! fields and calls back. Both clients run a runtime of their own, which must not start inside
//! a caller's (a move reads its export from tokio's blocking pool), and the bounded channel
//! makes a slow reader hold the source back instead of filling memory.

use super::ReadError;
use std::sync::mpsc::SyncSender;

/// Run `produce` on its own thread, feeding `consume` here, `capacity` items ahead at most;
/// the producer's outcome is the read's.
pub(super) fn on_own_thread<T: Send>(
    capacity: usize,
    produce: impl FnOnce(&SyncSender<T>) -> Result<(), ReadError> + Send,
    mut consume: impl FnMut(T),
) -> Result<(), ReadError> {
    let (tx, rx) = std::sync::mpsc::sync_channel::<T>(capacity);
    std::thread::scope(|s| {
        // The sender moves to the producer: when it ends, the channel closes and the loop
        // below ends with it.
        let producer = s.spawn(move || produce(&tx));
        for item in rx {
            consume(item);
        }
        producer
            .join()
            .unwrap_or_else(|_| Err(ReadError::Live("the reader stopped unexpectedly".into())))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_item_arrives_in_order_and_the_producers_error_is_the_reads() {
        let mut got = Vec::new();
        let r = on_own_thread(
            2,
            |tx| {
                for i in 0..100 {
                    tx.send(i).map_err(|_| ReadError::Live("closed".into()))?;
                }
                Err(ReadError::Live("stopped at 100".into()))
            },
            |i| got.push(i),
        );
        assert_eq!(got, (0..100).collect::<Vec<_>>());
        assert_eq!(
            r.map_err(|e| e.to_string()),
            Err("stopped at 100".to_string())
        );
    }
}
