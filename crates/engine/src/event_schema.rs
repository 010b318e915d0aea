//! The JSON Schema of every event type a log holds, generated from the event types themselves
//! with `schemars`, so that the schema cannot drift from what specflow writes.
//!
//! The schemas are published beside the audit format (`docs/schemas/`): one document per kind
//! of log, a `oneOf` with one branch per event type, told apart by the event's `type`.
//! With them an auditor's verifier can read every event and check that it "could have happened
//! in the state the earlier records built" without specflow's source (`docs/audit-format.md`).
//! A test regenerates them and compares them with the committed files.

use crate::committee::CommitteeEventBody;
use crate::event::EventBody;

/// The JSON Schema of a project log's `event` text, as a JSON value.
pub fn project_event_schema() -> serde_json::Value {
    schemars::schema_for!(EventBody).to_value()
}

/// The JSON Schema of a committee log's `event` text, as a JSON value.
pub fn committee_event_schema() -> serde_json::Value {
    schemars::schema_for!(CommitteeEventBody).to_value()
}

/// A schema as the committed file holds it: pretty-printed, with a final newline.
pub fn schema_text(schema: &serde_json::Value) -> String {
    let mut text = serde_json::to_string_pretty(schema).unwrap_or_default();
    text.push('\n');
    text
}
