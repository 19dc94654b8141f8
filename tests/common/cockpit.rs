//! The cockpit over the sample project, at its fixed moment, on a TestBackend.
#![allow(dead_code)]

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use cutover::tui::app::{Model, Snapshot};
use cutover::tui::theme::Theme;
use cutover::tui::update::{Effect, Input, update};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// Each segment's full chart, by id.
type Charts = BTreeMap<String, Vec<(f64, f64)>>;

/// The sample project's snapshot, and every segment's full chart as the owner answers the
/// detail screen's `chart` request, built once per test binary through the real engine.
fn sample() -> &'static (Snapshot, Charts) {
    static SAMPLE: OnceLock<(Snapshot, Charts)> = OnceLock::new();
    SAMPLE.get_or_init(|| {
        let dir = tempfile::tempdir().expect("tempdir");
        let engine = cutover::sample_project::build(dir.path()).expect("sample project");
        let now = cutover::sample_project::now();
        let snapshot = engine.snapshot(now).expect("snapshot");
        let charts = (snapshot.status.segments.iter())
            .map(|s| {
                (
                    s.id.clone(),
                    engine.client_series(&s.id, now).expect("chart"),
                )
            })
            .collect();
        (snapshot, charts)
    })
}

pub fn snapshot() -> Snapshot {
    sample().0.clone()
}

pub fn model(width: u16, height: u16) -> Model {
    Model::new(
        snapshot(),
        vec![Theme::default_theme()],
        cutover::sample_project::now(),
        (width, height),
    )
}

/// Press a key. The detail screen's chart is answered at once, as the owner would.
pub fn key(m: &mut Model, code: KeyCode) -> Vec<Effect> {
    let effects = update(m, Input::Key(KeyEvent::new(code, KeyModifiers::NONE)));
    for effect in &effects {
        if let Effect::AskChart { segment } = effect {
            let points = sample().1.get(segment).cloned().unwrap_or_default();
            let segment = segment.clone();
            update(m, Input::Chart { segment, points });
        }
    }
    effects
}

pub fn keys(m: &mut Model, text: &str) -> Vec<Effect> {
    let mut effects = Vec::new();
    for c in text.chars() {
        effects.extend(key(m, KeyCode::Char(c)));
    }
    effects
}

/// The status of segment `id` as the model holds it.
pub fn status(m: &Model, id: &str) -> cutover::engine::status::SegmentStatus {
    m.snapshot
        .status
        .segments
        .iter()
        .find(|s| s.id == id)
        .cloned()
        .expect("segment")
}

/// Select the row of a segment by pressing j/k as a user would.
pub fn select(m: &mut Model, id: &str) {
    key(m, KeyCode::Char('g'));
    for _ in 0..m.rows.len() {
        if m.rows.get(m.selected).is_some_and(|r| r.id == id) {
            return;
        }
        key(m, KeyCode::Char('j'));
    }
    panic!("segment {id} not in the rows");
}

pub fn render(m: &Model) -> Buffer {
    let mut terminal = Terminal::new(TestBackend::new(m.width, m.height)).expect("terminal");
    terminal
        .draw(|frame| cutover::tui::view::render(frame, m))
        .expect("draw");
    terminal.backend().buffer().clone()
}

/// The buffer's text, one line per row, trailing spaces trimmed.
pub fn text(buffer: &Buffer) -> String {
    let area = buffer.area;
    let mut out = String::new();
    for y in 0..area.height {
        let mut line = String::new();
        for x in 0..area.width {
            line.push_str(buffer[(x, y)].symbol());
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// Where `needle` starts on screen, as (x, y) in cells.
pub fn find(buffer: &Buffer, needle: &str) -> Option<(u16, u16)> {
    let area = buffer.area;
    for y in 0..area.height {
        let cells: Vec<&str> = (0..area.width).map(|x| buffer[(x, y)].symbol()).collect();
        let line: String = cells.concat();
        if let Some(byte) = line.find(needle) {
            // Map the byte offset back to a cell index.
            let mut acc = 0;
            for (x, c) in cells.iter().enumerate() {
                if acc == byte {
                    return Some((x as u16, y));
                }
                acc += c.len();
            }
        }
    }
    None
}
