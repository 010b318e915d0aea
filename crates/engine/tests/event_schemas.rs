//! The published event schemas (`docs/schemas/`) are what the event types generate, and every
//! event the example scenarios write validates against them.
//!
//! Run with `SPECFLOW_WRITE_SCHEMAS=1` to write the files anew after changing an event type.

use specflow_engine::event_schema::{committee_event_schema, project_event_schema, schema_text};
use std::path::PathBuf;

fn schema_file(name: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/schemas")).join(name)
}

fn check(name: &str, schema: &serde_json::Value) {
    let path = schema_file(name);
    let generated = schema_text(schema);
    if std::env::var_os("SPECFLOW_WRITE_SCHEMAS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &generated).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    assert!(
        committed == generated,
        "{} differs from what the event types generate: run the tests with SPECFLOW_WRITE_SCHEMAS=1 and commit the file",
        path.display()
    );
}

#[test]
fn the_published_project_event_schema_is_what_the_types_generate() {
    check("project-events.schema.json", &project_event_schema());
}

#[test]
fn the_published_committee_event_schema_is_what_the_types_generate() {
    check("committee-events.schema.json", &committee_event_schema());
}

/// Every event type has its own branch, named by its `type`.
#[test]
fn every_event_type_has_a_branch_of_its_own() {
    let schema = project_event_schema();
    let text = schema.to_string();
    for event_type in [
        "project_created",
        "action_fired",
        "artifact_attached",
        "deadline_missed",
    ] {
        assert!(
            text.contains(&format!("\"const\":\"{event_type}\"")),
            "{event_type}"
        );
    }
    let committee = committee_event_schema().to_string();
    for event_type in ["committee_formed", "member_appointed", "term_ended"] {
        assert!(
            committee.contains(&format!("\"const\":\"{event_type}\"")),
            "{event_type}"
        );
    }
}
