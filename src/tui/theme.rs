//! Colour themes: semantic slots, not per-widget colours.
//!
//! The default theme is embedded (`themes/default.toml`), so the cockpit runs without any
//! theme file. `light` and `high-contrast` are embedded too; a project may add its own in
//! `<project>/themes/*.toml`. Every file is a partial overlay on the default. A broken file is
//! reported (quoted) and skipped. With `NO_COLOR` set, every slot is the terminal's default and
//! the cockpit relies on text and bold/reverse alone.

use ratatui::style::Color;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;
use std::str::FromStr;

const DEFAULT: &str = include_str!("../../themes/default.toml");
const BUILT_IN: [(&str, &str); 3] = [
    ("default.toml", DEFAULT),
    ("light.toml", include_str!("../../themes/light.toml")),
    (
        "high-contrast.toml",
        include_str!("../../themes/high-contrast.toml"),
    ),
];

/// A palette of semantic slots.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Theme {
    pub name: String,
    /// Ordinary text.
    pub text: Color,
    /// Labels, hints, secondary text.
    pub muted: Color,
    /// Titles, the header, focused borders.
    pub accent: Color,
    /// Background of the selected row.
    pub selected: Color,
    /// Passing gates and successes.
    pub ok: Color,
    /// Unknown gates, pending hooks, holds.
    pub warn: Color,
    /// Failing gates, rollback dialogs, segments behind their projection.
    pub danger: Color,
    pub phase_plan: Color,
    pub phase_test: Color,
    pub phase_gate: Color,
    pub phase_cutover: Color,
    pub phase_done: Color,
    pub rolled_back: Color,
    /// Measured migrated share on the adoption chart.
    pub chart_actual: Color,
    /// S(D) at the planned P.
    pub chart_projection: Color,
    /// The cohort-mix curve.
    pub chart_mix: Color,
    /// Goal line and finish marker.
    pub chart_goal: Color,
    /// The edges of the forecast's range.
    pub chart_band: Color,
    /// False under NO_COLOR: render must not rely on colour alone.
    pub colored: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ThemeFile {
    name: Option<String>,
    #[serde(default)]
    colors: BTreeMap<String, String>,
}

impl Theme {
    fn slot(&mut self, key: &str) -> Option<&mut Color> {
        Some(match key {
            "text" => &mut self.text,
            "muted" => &mut self.muted,
            "accent" => &mut self.accent,
            "selected" => &mut self.selected,
            "ok" => &mut self.ok,
            "warn" => &mut self.warn,
            "danger" => &mut self.danger,
            "phase_plan" => &mut self.phase_plan,
            "phase_test" => &mut self.phase_test,
            "phase_gate" => &mut self.phase_gate,
            "phase_cutover" => &mut self.phase_cutover,
            "phase_done" => &mut self.phase_done,
            "rolled_back" => &mut self.rolled_back,
            "chart_actual" => &mut self.chart_actual,
            "chart_projection" => &mut self.chart_projection,
            "chart_mix" => &mut self.chart_mix,
            "chart_goal" => &mut self.chart_goal,
            "chart_band" => &mut self.chart_band,
            _ => return None,
        })
    }

    fn blank(name: &str) -> Theme {
        let c = Color::Reset;
        Theme {
            name: name.to_string(),
            text: c,
            muted: c,
            accent: c,
            selected: c,
            ok: c,
            warn: c,
            danger: c,
            phase_plan: c,
            phase_test: c,
            phase_gate: c,
            phase_cutover: c,
            phase_done: c,
            rolled_back: c,
            chart_actual: c,
            chart_projection: c,
            chart_mix: c,
            chart_goal: c,
            chart_band: c,
            colored: true,
        }
    }

    /// The embedded default theme.
    pub fn default_theme() -> Theme {
        // The embedded file is checked by a test; should it ever fail, fall back to no colour
        // rather than panic.
        Theme::overlay(Theme::blank("default"), DEFAULT, "themes/default.toml")
            .unwrap_or_else(|_| Theme::blank("default"))
    }

    /// No colours at all (NO_COLOR): every slot is the terminal default.
    pub fn monochrome() -> Theme {
        Theme {
            colored: false,
            ..Theme::blank("no-color")
        }
    }

    /// Apply a theme file's text on top of `base`. Errors quote the bad value and the file.
    pub fn overlay(mut base: Theme, text: &str, origin: &str) -> Result<Theme, String> {
        let file: ThemeFile =
            toml::from_str(text).map_err(|e| format!("{origin}: {}", e.message()))?;
        if let Some(name) = file.name {
            base.name = name;
        }
        for (key, value) in &file.colors {
            let color = Color::from_str(value)
                .map_err(|_| format!("invalid colour '{value}' for '{key}' in {origin}"))?;
            match base.slot(key) {
                Some(slot) => *slot = color,
                None => {
                    return Err(format!(
                        "unknown colour slot '{key}' in {origin}; see themes/default.toml for the slots"
                    ));
                }
            }
        }
        Ok(base)
    }

    /// The colour of a phase label (as shown by `status`: includes `rollback-failed`).
    pub fn phase(&self, phase: crate::model::PhaseShown) -> Color {
        use crate::model::PhaseShown;
        match phase {
            PhaseShown::Plan => self.phase_plan,
            PhaseShown::Test => self.phase_test,
            PhaseShown::Gate => self.phase_gate,
            PhaseShown::Cutover => self.phase_cutover,
            PhaseShown::Done => self.phase_done,
            PhaseShown::RolledBack | PhaseShown::RollbackFailed => self.rolled_back,
        }
    }
}

/// Every available theme, default first, and the problems met loading them.
pub fn load_all(project_dir: &Path) -> (Vec<Theme>, Vec<String>) {
    let default = Theme::default_theme();
    let mut themes = Vec::new();
    let mut problems = Vec::new();
    // (origin, the name it goes by unless it names itself, text)
    let mut sources: Vec<(String, Option<String>, String)> = BUILT_IN
        .iter()
        .map(|(name, text)| {
            (
                format!("themes/{name} (built in)"),
                None,
                (*text).to_string(),
            )
        })
        .collect();
    if let Ok(dir) = std::fs::read_dir(project_dir.join("themes")) {
        let mut files: Vec<_> = dir.filter_map(Result::ok).map(|e| e.path()).collect();
        files.sort();
        for path in files
            .into_iter()
            .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        {
            // Only regular files of a sane size: a FIFO would block the cockpit forever.
            let regular =
                std::fs::metadata(&path).is_ok_and(|m| m.is_file() && m.len() <= 64 * 1024);
            if !regular {
                problems.push(format!(
                    "'{}' is not a regular file of at most 64 KiB; skipped",
                    path.display()
                ));
                continue;
            }
            let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned());
            match std::fs::read_to_string(&path) {
                Ok(text) => sources.push((path.display().to_string(), stem, text)),
                Err(e) => problems.push(format!("cannot read '{}': {e}", path.display())),
            }
        }
    }
    for (origin, stem, text) in sources {
        // A file without `name =` goes by its file name: it never replaces a built-in by
        // accident.
        let mut base = default.clone();
        if let Some(stem) = stem {
            base.name = stem;
        }
        match Theme::overlay(base, &text, &origin) {
            Ok(theme) => {
                // A project file with a built-in's name replaces it.
                themes.retain(|t: &Theme| t.name != theme.name);
                themes.push(theme);
            }
            Err(e) => problems.push(format!("{e}; using the default theme instead")),
        }
    }
    if themes.is_empty() {
        themes.push(default);
    }
    (themes, problems)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_themes_parse_and_set_every_slot() {
        for (name, text) in BUILT_IN {
            let theme = Theme::overlay(Theme::blank("x"), text, name).expect(name);
            assert_ne!(theme.name, "x", "{name} names itself");
            let mut t = theme.clone();
            for slot in [
                "text",
                "muted",
                "accent",
                "ok",
                "warn",
                "danger",
                "chart_goal",
            ] {
                assert!(t.slot(slot).is_some());
            }
        }
        let d = Theme::default_theme();
        assert_eq!(d.danger, Color::Red);
    }

    #[test]
    fn a_broken_theme_is_quoted_and_falls_back() {
        let err = Theme::overlay(
            Theme::default_theme(),
            "[colors]\ndanger = \"#12345\"\n",
            "themes/dark.toml",
        )
        .expect_err("bad colour");
        assert_eq!(
            err,
            "invalid colour '#12345' for 'danger' in themes/dark.toml"
        );
        let err = Theme::overlay(
            Theme::default_theme(),
            "[colors]\ndangr = \"red\"\n",
            "themes/dark.toml",
        )
        .expect_err("bad slot");
        assert!(err.contains("unknown colour slot 'dangr'"), "{err}");
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir(dir.path().join("themes")).expect("mkdir");
        std::fs::write(
            dir.path().join("themes/dark.toml"),
            "name = \"dark\"\n[colors]\ndanger = \"#12345\"\n",
        )
        .expect("write");
        std::fs::write(
            dir.path().join("themes/ocean.toml"),
            "name = \"ocean\"\n[colors]\naccent = \"#0077be\"\n",
        )
        .expect("write");
        let (themes, problems) = load_all(dir.path());
        let names: Vec<&str> = themes.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["default", "light", "high-contrast", "ocean"]);
        assert_eq!(problems.len(), 1);
        assert!(
            problems[0].contains("'#12345'") && problems[0].contains("default theme"),
            "{problems:?}"
        );
        let ocean = &themes[3];
        assert_eq!(ocean.accent, Color::Rgb(0, 0x77, 0xbe));
        assert_eq!(
            ocean.danger,
            Color::Red,
            "unset slots come from the default"
        );
    }
}
