//! Keys typed into the real cockpit loop (`cutover::tui::drive`) and the time each one took to
//! reach a drawn frame: what the responsiveness tests measure.

use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use std::time::Instant;

/// Where a test types keys, and the stream the cockpit reads them from.
pub type Typist = tokio::sync::mpsc::UnboundedSender<std::io::Result<Event>>;

/// A key channel: the sender for the typist, the event stream for `drive`.
pub fn channel() -> (
    Typist,
    std::pin::Pin<Box<impl futures_util::Stream<Item = std::io::Result<Event>>>>,
) {
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel::<std::io::Result<Event>>();
    let events = Box::pin(futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|e| (e, rx))
    }));
    (tx, events)
}

/// A plain character key.
pub fn key(c: char) -> std::io::Result<Event> {
    Ok(Event::Key(KeyEvent::new(
        KeyCode::Char(c),
        KeyModifiers::NONE,
    )))
}

/// For each key sent (at `sent[i]`, after `before` keys handled earlier), the milliseconds
/// until the first frame drawn with it handled; `frames` are (when, keys handled so far).
pub fn to_frame(
    sent: &[Instant],
    frames: impl Iterator<Item = (Instant, u64)> + Clone,
    before: u64,
) -> Vec<f64> {
    sent.iter()
        .enumerate()
        .map(|(i, at)| {
            let (t, _) = frames
                .clone()
                .find(|(t, k)| *k > i as u64 + before && t >= at)
                .unwrap_or_else(|| panic!("key {i} never reached the screen"));
            (t - *at).as_secs_f64() * 1000.0
        })
        .collect()
}

/// The `p` quantile (0 to 1) of sorted values.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}
