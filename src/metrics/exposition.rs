//! The two text formats a scrape may ask for, written by one writer: Prometheus' text format
//! 0.0.4 (the default, what `curl` and `promtool check metrics` read) and OpenMetrics 1.0.0
//! (what Prometheus asks for first in its `Accept` header).
//!
//! They differ in three places only, all kept here: a counter's family is named without its
//! `_total` in OpenMetrics (its samples keep it), an info family is typed `info` there (a gauge
//! named `…_info` in 0.0.4), and OpenMetrics ends with `# EOF`. Neither crate of the field
//! writes both (`prometheus-client` writes only OpenMetrics, `prometheus` only 0.0.4), and
//! both want their own registry of live metric objects, where cutover exports a view it
//! already holds; so the writer is this file.
//!
//! A value that is not a number (NaN, an infinity) is never written: the sample is left out,
//! as a status leaves out what it does not know.

use std::fmt::Write as _;

/// Which text a scrape gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `text/plain; version=0.0.4`.
    Text,
    /// `application/openmetrics-text; version=1.0.0`.
    OpenMetrics,
}

impl Format {
    /// The format an `Accept` header asks for: OpenMetrics when it names it (with a weight
    /// above zero), else the text format.
    pub fn from_accept(accept: Option<&str>) -> Format {
        let asks = accept.unwrap_or_default().split(',').any(|part| {
            let mut params = part.split(';').map(str::trim);
            let media = params.next().unwrap_or_default();
            let refused = params.any(|p| {
                p.strip_prefix("q=")
                    .and_then(|q| q.parse::<f64>().ok())
                    .is_some_and(|q| q <= 0.0)
            });
            media.eq_ignore_ascii_case("application/openmetrics-text") && !refused
        });
        if asks {
            Format::OpenMetrics
        } else {
            Format::Text
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Text => "text/plain; version=0.0.4; charset=utf-8",
            Format::OpenMetrics => "application/openmetrics-text; version=1.0.0; charset=utf-8",
        }
    }
}

/// A family's type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Gauge,
    /// Its name ends in `_total`.
    Counter,
    /// Its name ends in `_info`; every sample is 1.
    Info,
}

/// The text of one scrape, family by family.
pub struct Exposition {
    format: Format,
    out: String,
    /// The family being written: its samples' name.
    family: String,
}

impl Exposition {
    pub fn new(format: Format) -> Exposition {
        Exposition {
            format,
            out: String::with_capacity(64 * 1024),
            family: String::new(),
        }
    }

    /// Start a family: its HELP and TYPE lines. Its samples follow, before the next family.
    pub fn family(&mut self, name: &str, kind: Kind, help: &str) {
        self.family.clear();
        self.family.push_str(name);
        let (typed, word) = match (self.format, kind) {
            (_, Kind::Gauge) => (name, "gauge"),
            (Format::Text, Kind::Counter) => (name, "counter"),
            (Format::OpenMetrics, Kind::Counter) => {
                (name.strip_suffix("_total").unwrap_or(name), "counter")
            }
            (Format::Text, Kind::Info) => (name, "gauge"),
            (Format::OpenMetrics, Kind::Info) => {
                (name.strip_suffix("_info").unwrap_or(name), "info")
            }
        };
        // OpenMetrics escapes a double quote in HELP text too; 0.0.4 does not.
        let quoted = self.format == Format::OpenMetrics;
        let _ = writeln!(self.out, "# HELP {typed} {}", escape(help, quoted));
        let _ = writeln!(self.out, "# TYPE {typed} {word}");
    }

    /// One sample of the family just started, named as it is (left out when `value` is not a
    /// number).
    pub fn sample(&mut self, labels: &[(&str, &str)], value: f64) {
        if !value.is_finite() {
            return;
        }
        self.out.push_str(&self.family);
        if !labels.is_empty() {
            self.out.push('{');
            for (i, (k, v)) in labels.iter().enumerate() {
                if i > 0 {
                    self.out.push(',');
                }
                let _ = write!(self.out, "{k}=\"{}\"", escape(v, true));
            }
            self.out.push('}');
        }
        // Rust writes the shortest text that reads back as the same f64; whole numbers
        // without a fraction ("1", "1786000000").
        let _ = writeln!(self.out, " {value}");
    }

    /// The text, ended as the format asks.
    pub fn finish(mut self) -> String {
        if self.format == Format::OpenMetrics {
            self.out.push_str("# EOF\n");
        }
        self.out
    }
}

/// A label value or HELP text escaped: backslash and newline always, a double quote when
/// `quoted` (label values; OpenMetrics' HELP).
fn escape(text: &str, quoted: bool) -> std::borrow::Cow<'_, str> {
    if !text.contains(['\\', '\n', '"']) {
        return text.into();
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '"' if quoted => out.push_str("\\\""),
            c => out.push(c),
        }
    }
    out.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prometheus_first_choice_gets_openmetrics_and_curl_gets_text() {
        let prometheus = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
        assert_eq!(Format::from_accept(Some(prometheus)), Format::OpenMetrics);
        assert_eq!(Format::from_accept(None), Format::Text);
        assert_eq!(Format::from_accept(Some("*/*")), Format::Text);
        assert_eq!(
            Format::from_accept(Some("application/openmetrics-text;q=0, text/plain")),
            Format::Text
        );
    }

    #[test]
    fn the_formats_differ_only_where_the_specs_do() {
        for format in [Format::Text, Format::OpenMetrics] {
            let mut e = Exposition::new(format);
            e.family("cutover_log_events_total", Kind::Counter, "Events.");
            e.sample(&[], 12.0);
            e.family("cutover_owner_info", Kind::Info, "The owner.");
            e.sample(&[("role", "watch")], 1.0);
            e.family("cutover_x_ratio", Kind::Gauge, "A ratio.");
            e.sample(&[("segment", "a\"b\\c\nd")], 0.25);
            e.sample(&[("segment", "nan")], f64::NAN);
            e.sample(&[("segment", "inf")], f64::INFINITY);
            let text = e.finish();
            let want_counter = match format {
                Format::Text => "# TYPE cutover_log_events_total counter\n",
                Format::OpenMetrics => "# TYPE cutover_log_events counter\n",
            };
            assert!(text.contains(want_counter), "{text}");
            assert!(text.contains("cutover_log_events_total 12\n"), "{text}");
            assert!(
                text.contains(r#"cutover_x_ratio{segment="a\"b\\c\nd"} 0.25"#),
                "{text}"
            );
            assert!(!text.contains("nan\"") && !text.contains("inf\""), "{text}");
            assert_eq!(text.ends_with("# EOF\n"), format == Format::OpenMetrics);
            let info = match format {
                Format::Text => "# TYPE cutover_owner_info gauge\n",
                Format::OpenMetrics => "# TYPE cutover_owner info\n",
            };
            assert!(text.contains(info), "{text}");
        }
    }
}
