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
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
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
