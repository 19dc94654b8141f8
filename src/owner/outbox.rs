//! The owner sends the notifications (`[[notify]]`): it reads new events of the log, derives
//! each one's message ([`crate::model::notice::from_event`]), and delivers it to every sink
//! that wants it, one message at a time per sink, with retries.
//!
//! * **The log is the outbox.** Each sink keeps a cursor in the state: the last event it has
//!   delivered (a note beside the samples). On start, everything past the cursor is delivered;
//!   so a kill between an event and its delivery delays it, never loses it, and an event is
//!   never sent twice while its delivery is acknowledged before the kill (a kill between the
//!   receiver's answer and the cursor's write sends it again: the body's `event_id` and the
//!   `Idempotency-Key` header let a receiver tell).
//! * **Retries** with backoff (1 s, 2 s, 4 s, 8 s, then every 10 s) while a sink fails; its
//!   failure shows in the cockpit's header and in `status` until a delivery succeeds.
//! * **Sent by long-lived owners** (`watch`, the cockpit, the demo): a one-shot command leaves
//!   what its action calls for to the next one, which finds it past the cursor.
//! * **Quiet.** At most [`BURST`] messages per sink per window (`window`, default 60 s); the
//!   rest are folded into one digest. Guard alarms are one event per alarm, not per evaluation.
//! * **One sender.** On the team backend only the guarding process sends.
//! * A sink added to a project starts from the log's end: it is not sent the history.

use crate::config::{BURST, Sink};
use crate::model::Event;
use crate::model::notice::{Message, Severity, from_event};
use crate::secret::Redactor;
use chrono::{DateTime, Utc};
use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// A sink's delivery state.
struct Outbox {
    sink: Sink,
    /// The last event delivered (or not meant for this sink), as stored.
    cursor: u64,
    /// The last event looked at.
    scanned: u64,
    /// Whether the cursor could be read (a database away at start: read again later; never
    /// taken as a new sink, which would skip the backlog).
    loaded: bool,
    /// Messages to send, with the event each ends at.
    queue: VecDeque<(u64, Message)>,
    sending: bool,
    attempt: u32,
    next_try: Instant,
    sent: VecDeque<Instant>,
    /// The window filled while messages waited: the next send folds them into a digest.
    held_back: bool,
    failing: Option<(DateTime<Utc>, String)>,
}

pub(super) struct Notifier {
    outboxes: Vec<Outbox>,
}

/// A sink's stored cursor; a sink never seen starts at `last` (the log's end), stored. `None`:
/// the state could not be read now.
fn load_cursor(store: &dyn crate::store::Storage, sink: &str, last: u64) -> Option<u64> {
    match store.notes().cursor(sink) {
        Ok(Some(seq)) => Some(seq),
        Ok(None) => {
            store.notes().set_cursor(sink, last).ok()?;
            Some(last)
        }
        Err(_) => None,
    }
}

fn backoff(attempt: u32) -> Duration {
    Duration::from_secs((1u64 << attempt.min(4)).min(10))
}

/// One message standing for several (a burst, folded).
fn digest(project: &str, list: &[(u64, Message)], at: DateTime<Utc>) -> Message {
    let severity = list
        .iter()
        .map(|(_, m)| m.severity)
        .max()
        .unwrap_or(Severity::Info);
    let mut segments: Vec<&str> = list.iter().map(|(_, m)| m.segment.as_str()).collect();
    segments.sort_unstable();
    segments.dedup();
    let mut lines: Vec<String> = list
        .iter()
        .take(20)
        .map(|(_, m)| format!("[{}] {}", m.severity.as_str(), m.title))
        .collect();
    if list.len() > 20 {
        lines.push(format!("… and {} more", list.len() - 20));
    }
    Message {
        project: project.to_string(),
        segment: if segments.len() == 1 {
            segments[0].to_string()
        } else {
            "*".to_string()
        },
        severity,
        kind: "digest".into(),
        title: format!("{} events (folded: too many at once)", list.len()),
        text: format!(
            "{}\nThe audit log has each one: `cutover log`.",
            lines.join("\n")
        ),
        event_id: None,
        at,
        readings: Vec::new(),
    }
}

impl Notifier {
    /// The sinks of a project, each from its stored cursor (or from `last_seq`, the log's end,
    /// for a sink never seen).
    pub(super) fn new(engine: &crate::engine::Engine) -> Notifier {
        let last = engine.last_seq();
        let outboxes = engine
            .project()
            .notify
            .iter()
            .map(|sink| {
                let cursor = load_cursor(engine.store(), &sink.name, last);
                Outbox {
                    sink: sink.clone(),
                    cursor: cursor.unwrap_or(0),
                    scanned: cursor.unwrap_or(0),
                    loaded: cursor.is_some(),
                    queue: VecDeque::new(),
                    sending: false,
                    attempt: 0,
                    next_try: Instant::now(),
                    sent: VecDeque::new(),
                    held_back: false,
                    failing: None,
                }
            })
            .collect();
        Notifier { outboxes }
    }

    /// Queue what new events call for, and start the deliveries that are due.
    pub(super) fn turn(
        &mut self,
        project: &str,
        events: &[Event],
        workdir: &std::path::Path,
        redactor: &Redactor,
        store: &dyn crate::store::Storage,
        running: &mut super::running::Running,
    ) {
        let now = Instant::now();
        for (i, o) in self.outboxes.iter_mut().enumerate() {
            if !o.loaded {
                let last = events.last().map_or(0, |e| e.seq);
                match load_cursor(store, &o.sink.name, last) {
                    Some(c) => (o.cursor, o.scanned, o.loaded) = (c, c, true),
                    None => continue,
                }
            }
            let start = events.partition_point(|e| e.seq <= o.scanned);
            for e in &events[start..] {
                o.scanned = e.seq;
                if let Some(m) = from_event(project, e)
                    && o.sink.wants(&m.segment, m.severity)
                {
                    o.queue.push_back((e.seq, m));
                }
            }
            if o.sending || o.queue.is_empty() || now < o.next_try {
                continue;
            }
            while o
                .sent
                .front()
                .is_some_and(|t| now.duration_since(*t) >= o.sink.window)
            {
                o.sent.pop_front();
            }
            if o.sent.len() >= BURST {
                o.held_back = true;
                continue;
            }
            let (upto, message) = match (o.held_back, o.queue.len()) {
                (true, n) if n > 1 => {
                    let list: Vec<(u64, Message)> = o.queue.iter().cloned().collect();
                    (list[n - 1].0, digest(project, &list, Utc::now()))
                }
                _ => match o.queue.front() {
                    Some((seq, m)) => (*seq, m.clone()),
                    None => continue,
                },
            };
            o.sending = true;
            let (sink, workdir, redactor) =
                (o.sink.clone(), workdir.to_path_buf(), redactor.clone());
            running.delivery(i, async move {
                let r = crate::delivery::deliver(&sink, &message, &workdir, &redactor).await;
                (upto, r)
            });
        }
    }

    /// Take a delivery's outcome. Returns the sink's name and its health if that changed
    /// (`Some(error)`: it started failing; `None`: it delivers again).
    pub(super) fn done(
        &mut self,
        i: usize,
        (upto, result): super::running::Delivered,
        store: &dyn crate::store::Storage,
    ) -> Option<(String, Option<String>)> {
        let o = self.outboxes.get_mut(i)?;
        o.sending = false;
        match result {
            Ok(_) => {
                while o.queue.front().is_some_and(|(seq, _)| *seq <= upto) {
                    o.queue.pop_front();
                }
                o.cursor = o.cursor.max(upto);
                o.held_back = false;
                o.attempt = 0;
                o.sent.push_back(Instant::now());
                let noted = store.notes().set_cursor(&o.sink.name, o.cursor).is_ok();
                if noted {
                    let _ = store.sync();
                }
                o.failing.take().map(|_| (o.sink.name.clone(), None))
            }
            Err(e) => {
                o.attempt += 1;
                o.next_try = Instant::now() + backoff(o.attempt - 1);
                let first = o.failing.is_none();
                let since = o.failing.as_ref().map_or_else(Utc::now, |f| f.0);
                o.failing = Some((since, e.clone()));
                first.then(|| (o.sink.name.clone(), Some(e)))
            }
        }
    }

    /// The sinks failing now: (name, since, last error).
    pub(super) fn failing(&self) -> Vec<crate::engine::status::SinkFailing> {
        self.outboxes
            .iter()
            .filter_map(|o| {
                o.failing
                    .as_ref()
                    .map(|(since, error)| crate::engine::status::SinkFailing {
                        sink: o.sink.name.clone(),
                        since: *since,
                        error: error.clone(),
                        pending: o.queue.len(),
                    })
            })
            .collect()
    }

    pub(super) fn is_empty(&self) -> bool {
        self.outboxes.is_empty()
    }
}
