//! Text people read must show what it holds: no character that is invisible
//! or that changes the direction of what follows (which can hide a word, or
//! make `moc.elpmaxe@bob` read as `bob@example.com`).

use icu_properties::props::{BidiControl, DefaultIgnorableCodePoint, GeneralCategory};
use icu_properties::{CodePointMapData, CodePointSetData};

/// The first character of `text` that would not show as itself: a control
/// character (but those in `allowed`, such as line breaks), a format
/// character, a default-ignorable code point (soft hyphen, zero-width
/// space and joiners, variation selectors, fillers), a bidirectional
/// control, or a line or paragraph separator.
pub(super) fn hidden_character(text: &str, allowed: &[char]) -> Option<char> {
    let category = CodePointMapData::<GeneralCategory>::new();
    let ignorable = CodePointSetData::new::<DefaultIgnorableCodePoint>();
    let bidi = CodePointSetData::new::<BidiControl>();
    text.chars().find(|&c| {
        if allowed.contains(&c) {
            return false;
        }
        matches!(
            category.get(c),
            GeneralCategory::Control
                | GeneralCategory::Format
                | GeneralCategory::LineSeparator
                | GeneralCategory::ParagraphSeparator
        ) || ignorable.contains(c)
            || bidi.contains(c)
    })
}

/// What a refusal says of such a character.
pub(super) fn hidden_message(c: char) -> String {
    format!(
        "holds a character that does not show as itself (U+{:04X}: invisible, a control, or one that changes the direction of the text)",
        u32::from(c)
    )
}
