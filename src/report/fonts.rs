//! Embedded fonts (DejaVu, see `src/assets/fonts/LICENSE-DejaVu.txt`), registered with
//! plotters once, so charts and screenshots render text on machines with no fonts installed.

use std::sync::Once;

pub const SANS: &[u8] = include_bytes!("../assets/fonts/DejaVuSans.ttf");
pub const MONO: &[u8] = include_bytes!("../assets/fonts/DejaVuSansMono.ttf");

/// The family names charts use.
pub const SANS_FAMILY: &str = "sans-serif";
pub const MONO_FAMILY: &str = "monospace";

/// Register the embedded fonts under [`SANS_FAMILY`] and [`MONO_FAMILY`] (idempotent).
pub fn register() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        use plotters::style::{FontStyle, register_font};
        // The bytes are valid TrueType files shipped with the binary; registration can only
        // fail on invalid data, in which case text would be missing, not the program.
        let _ = register_font(SANS_FAMILY, FontStyle::Normal, SANS);
        let _ = register_font(SANS_FAMILY, FontStyle::Bold, SANS);
        let _ = register_font(MONO_FAMILY, FontStyle::Normal, MONO);
        let _ = register_font(MONO_FAMILY, FontStyle::Bold, MONO);
    });
}
