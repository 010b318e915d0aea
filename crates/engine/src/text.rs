//! Text shown to people, in Chinese and English.
//!
//! Every name in a workflow definition and every sentence the engine writes (a guard that is not
//! met, a rejected command) carries both languages, so that a secretariat reads Chinese and an
//! international reader English without the engine knowing which one the page will show.

use serde::{Deserialize, Serialize};

/// A language a person can read specflow's messages in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    /// Simplified Chinese, the default for the Shanghai bureau and its committees.
    #[default]
    Zh,
    /// English.
    En,
}

impl Language {
    /// The one way to choose between a text's two languages: `zh` in Chinese, `en` in English.
    /// Works for anything given in both (string slices, owned strings, formatted text).
    pub fn pick<T>(self, zh: T, en: T) -> T {
        match self {
            Language::Zh => zh,
            Language::En => en,
        }
    }

    /// Picks a language from an HTTP `Accept-Language`-like tag such as `en-GB` or `zh-CN`.
    /// Anything that is not English falls back to Chinese, the product's default.
    pub fn from_tag(tag: &str) -> Language {
        if tag.trim().to_ascii_lowercase().starts_with("en") {
            Language::En
        } else {
            Language::Zh
        }
    }
}

/// A short text in Chinese and English.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, Default, schemars::JsonSchema,
)]
pub struct LocalizedText {
    /// The Chinese text.
    pub zh: String,
    /// The English text.
    pub en: String,
}

impl LocalizedText {
    /// Builds a text from its two languages.
    pub fn new(zh: impl Into<String>, en: impl Into<String>) -> Self {
        LocalizedText {
            zh: zh.into(),
            en: en.into(),
        }
    }

    /// The text in the given language.
    pub fn get(&self, language: Language) -> &str {
        language.pick(&self.zh, &self.en)
    }
}

impl std::fmt::Display for LocalizedText {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(formatter, "{} / {}", self.zh, self.en)
    }
}

/// A code as people type it, made the one way it is stored: Unicode NFKC (full-width brackets,
/// digits and letters become their ASCII forms, as a Chinese input method types them), no space
/// at either end, and one space for any run of spaces inside.
///
/// Codes are normalised before they are looked up and before a new one is checked and recorded,
/// so `JJG（沪）-2026-004 ` and `JJG(沪)-2026-004` are the same project.
pub fn normalise_code(text: &str) -> String {
    use unicode_normalization::UnicodeNormalization as _;
    let folded: String = text.nfkc().collect();
    folded.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod code_tests {
    use super::normalise_code;

    #[test]
    fn codes_typed_with_a_chinese_input_method_are_the_stored_ones() {
        // A Chinese input method types full-width brackets and sometimes digits and spaces.
        assert_eq!(normalise_code("JJG（沪）-2026-004"), "JJG(沪)-2026-004");
        assert_eq!(
            normalise_code(" JJF(沪)-２０２６-０１２　"),
            "JJF(沪)-2026-012"
        );
        assert_eq!(
            normalise_code("SH-TC-03   上海市力学"),
            "SH-TC-03 上海市力学"
        );
        assert_eq!(normalise_code("JJG(沪)-2026-004"), "JJG(沪)-2026-004");
    }
}

/// A size in bytes as people read it: `512 B`, `117.2 KB`, `1.8 MB`, `2.0 GB`.
///
/// Units are powers of 1024, as file managers show them, with one decimal above bytes; the same
/// in both languages, so pages, the command line and the audit log's sentences all agree.
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KB", "MB", "GB", "TB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut divisor: u128 = 1;
    let mut shown = (0, UNITS[0]);
    for unit in UNITS {
        divisor *= 1024;
        // Tenths of the unit, rounded half up; a value that rounds to 1024.0 moves on to the next
        // unit, so no size reads "1024.0 KB".
        shown = ((u128::from(bytes) * 10 + divisor / 2) / divisor, unit);
        if shown.0 < 10 * 1024 {
            break;
        }
    }
    let (tenths, unit) = shown;
    format!("{}.{} {unit}", tenths / 10, tenths % 10)
}

#[cfg(test)]
mod tests {
    use super::human_size;

    #[test]
    fn sizes_read_in_bytes_then_kilobytes_megabytes_and_gigabytes_with_one_decimal() {
        assert_eq!(human_size(0), "0 B");
        assert_eq!(human_size(1023), "1023 B");
        assert_eq!(human_size(1024), "1.0 KB");
        assert_eq!(human_size(120_000), "117.2 KB");
        assert_eq!(human_size(1_900_000), "1.8 MB");
        assert_eq!(human_size(5 * 1024 * 1024 * 1024), "5.0 GB");
    }

    #[test]
    fn a_size_just_under_the_next_unit_reads_in_that_unit_not_as_1024_point_0() {
        assert_eq!(human_size(1024 * 1024 - 1), "1.0 MB");
        assert_eq!(human_size(1024 * 1024 - 60), "1023.9 KB");
    }
}
