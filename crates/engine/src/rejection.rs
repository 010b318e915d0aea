//! Rejections: why a command was refused, every reason at once, in words and in figures.
//!
//! A secretariat told only "condition false" cannot act; a [`Rejection`] lists every unmet guard
//! with a stable machine-readable code, the figures involved (days elapsed, days required, votes
//! counted) and a sentence in Chinese and in English.

use crate::text::{Language, LocalizedText};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// One reason a command cannot be carried out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Unmet {
    /// A stable code for programs, such as `time_in_stage_too_short` or `role_not_permitted`.
    pub code: String,
    /// The id of the guard that is not met, when the reason is a guard.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guard: Option<String>,
    /// The figures involved, by name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub figures: BTreeMap<String, serde_json::Value>,
    /// The reason in words.
    pub message: LocalizedText,
}

impl Unmet {
    /// A reason with a code and a message, and no figures.
    pub fn new(code: &str, message: LocalizedText) -> Unmet {
        Unmet {
            code: code.to_string(),
            guard: None,
            figures: BTreeMap::new(),
            message,
        }
    }

    /// Adds a figure.
    pub fn with(mut self, name: &str, value: impl Into<serde_json::Value>) -> Unmet {
        self.figures.insert(name.to_string(), value.into());
        self
    }

    /// Names the guard the reason comes from.
    pub fn for_guard(mut self, guard: &str) -> Unmet {
        self.guard = Some(guard.to_string());
        self
    }
}

/// A refused command: every reason it was refused.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, thiserror::Error)]
pub struct Rejection {
    /// The reasons, in the order the rules are written.
    pub reasons: Vec<Unmet>,
}

impl Rejection {
    /// A rejection with one reason.
    pub fn single(reason: Unmet) -> Rejection {
        Rejection {
            reasons: vec![reason],
        }
    }

    /// The codes of the reasons, for tests and metrics.
    pub fn codes(&self) -> Vec<&str> {
        self.reasons
            .iter()
            .map(|reason| reason.code.as_str())
            .collect()
    }

    /// The reasons as sentences in one language, one per line.
    pub fn explain(&self, language: Language) -> String {
        self.reasons
            .iter()
            .map(|reason| reason.message.get(language))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.explain(Language::En))
    }
}
