//! What clears an unmet guard: the kind of command that would, with the value it needs (the
//! missing document's kind, the subject to sign off…), read from the reason's code and figures.
//!
//! The project page links each reason to the form of that command, the to-do page too, and the
//! to-do list counts a reason as the reader's work when their role may give that command.

use serde_json::Value;
use specflow_engine::definition::CommandKind;
use std::collections::BTreeMap;

/// The command that clears a reason, and the value to choose in its form, by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clearing {
    /// The kind of command.
    pub command: CommandKind,
    /// The field to preset and its value, when the reason names one.
    pub preset: Option<(&'static str, String)>,
    /// The role the definition names to do it, when it names one (the officer who must sign).
    pub by_role: Option<String>,
}

/// What clears the reason `code` with its `figures`; `meeting_waiting` says whether a scheduled
/// meeting waits to be recorded (a vote not held is then recorded, else first scheduled).
pub fn clearing(
    code: &str,
    figures: &BTreeMap<String, Value>,
    meeting_waiting: bool,
) -> Option<Clearing> {
    let figure = |name: &str| -> Option<String> {
        match figures.get(name)? {
            Value::String(text) => Some(text.clone()),
            Value::Array(items) => items.first()?.as_str().map(str::to_string),
            _ => None,
        }
    };
    let plain = |command| Clearing {
        command,
        preset: None,
        by_role: None,
    };
    let with = |command, name: &'static str| Clearing {
        command,
        preset: figure(name).map(|value| (name, value)),
        by_role: None,
    };
    Some(match code {
        "artifacts_missing" => Clearing {
            command: CommandKind::AttachArtifact,
            preset: figure("missing").map(|kind| ("kind", kind)),
            by_role: None,
        },
        "comments_without_disposition" => plain(CommandKind::DisposeComment),
        "sign_off_missing" => Clearing {
            command: CommandKind::SignOff,
            preset: figure("subject").map(|subject| ("subject", subject)),
            by_role: figure("by_role"),
        },
        "field_missing" => with(CommandKind::RecordField, "field"),
        "meeting_not_scheduled" | "notice_too_short" | "wrong_meeting_form" => {
            with(CommandKind::ScheduleMeeting, "motion")
        }
        "vote_not_held" if meeting_waiting => plain(CommandKind::RecordMeeting),
        "vote_not_held" => with(CommandKind::ScheduleMeeting, "motion"),
        "count_too_low" => match figure("counter").as_deref() {
            Some("organisations_consulted") => plain(CommandKind::RecordOrganisationsConsulted),
            Some("comments_recorded") => plain(CommandKind::RecordComment),
            _ => return None,
        },
        _ => return None,
    })
}

/// Whether `role` may give the command that clears a reason under `definition`.
pub fn may_clear(
    clearing: &Clearing,
    definition: &specflow_engine::WorkflowDefinition,
    role: &str,
) -> bool {
    definition
        .roles_for(clearing.command)
        .iter()
        .any(|allowed| allowed == role)
        && clearing.by_role.as_deref().is_none_or(|by| by == role)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::{Clearing, clearing};
    use serde_json::json;
    use specflow_engine::definition::CommandKind;
    use std::collections::BTreeMap;

    fn figures(value: serde_json::Value) -> BTreeMap<String, serde_json::Value> {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn each_reason_names_the_command_that_clears_it() {
        assert_eq!(
            clearing(
                "artifacts_missing",
                &figures(json!({"missing": ["test_report", "minutes"]})),
                false
            ),
            Some(Clearing {
                command: CommandKind::AttachArtifact,
                preset: Some(("kind", "test_report".to_string())),
                by_role: None,
            })
        );
        let sign = clearing(
            "sign_off_missing",
            &figures(json!({"subject": "review_draft_release", "by_role": "chair"})),
            false,
        )
        .unwrap();
        assert_eq!(sign.by_role.as_deref(), Some("chair"));
        assert_eq!(
            clearing("vote_not_held", &BTreeMap::new(), true)
                .unwrap()
                .command,
            CommandKind::RecordMeeting
        );
        assert_eq!(
            clearing("vote_not_held", &BTreeMap::new(), false)
                .unwrap()
                .command,
            CommandKind::ScheduleMeeting
        );
        assert_eq!(
            clearing(
                "count_too_low",
                &figures(json!({"counter": "organisations_consulted"})),
                false
            )
            .unwrap()
            .command,
            CommandKind::RecordOrganisationsConsulted
        );
        assert_eq!(
            clearing("time_in_stage_too_short", &BTreeMap::new(), false),
            None
        );
    }
}
