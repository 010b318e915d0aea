//! The API's views of a committee: its state, its composition check and its roll.
//!
//! Each view is written exactly as the engine's type was when the API answered with it (a test
//! compares the two byte for byte), so clients saw no change; from now on the engine may change
//! its types and only the conversions here follow.

use super::{ActorView, LocalizedTextView};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use specflow_engine::committee::policy::Checked;
use specflow_engine::committee::{
    Appointment, Breach, CommitteeProfile, CommitteeState, CompositionCheck, RecordedWaiver,
    RollEntry, Secretariat, Term,
};
use std::collections::BTreeMap;
use utoipa::ToSchema;
use uuid::Uuid;

/// What a committee is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CommitteeProfileView {
    /// Its id.
    pub committee_id: Uuid,
    /// Its code.
    pub code: String,
    /// Its name.
    pub name: LocalizedTextView,
    /// Its field.
    pub field: String,
    /// Whether it is the legal-metrology committee.
    pub legal_metrology: bool,
    /// The composition plan reported to the bureau.
    pub composition_plan: String,
    /// The local day it was formed.
    pub formed_on: NaiveDate,
    /// The policy it was formed under.
    pub policy_id: String,
    /// The policy's version.
    pub policy_version: u32,
}

impl From<CommitteeProfile> for CommitteeProfileView {
    fn from(from: CommitteeProfile) -> CommitteeProfileView {
        CommitteeProfileView {
            committee_id: from.committee_id,
            code: from.code,
            name: from.name.into(),
            field: from.field,
            legal_metrology: from.legal_metrology,
            composition_plan: from.composition_plan,
            formed_on: from.formed_on,
            policy_id: from.policy_id,
            policy_version: from.policy_version,
        }
    }
}

/// A secretariat's organisation and since when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SecretariatView {
    /// The organisation.
    pub organisation: String,
    /// From which local day.
    pub since: NaiveDate,
}

impl From<Secretariat> for SecretariatView {
    fn from(from: Secretariat) -> SecretariatView {
        SecretariatView {
            organisation: from.organisation,
            since: from.since,
        }
    }
}

/// A term of the committee.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TermView {
    /// Its number.
    pub term: u32,
    /// Its first local day.
    pub starts_on: NaiveDate,
    /// Its last local day as planned.
    pub ends_on: NaiveDate,
    /// The instant it ends as planned.
    pub ends_at: DateTime<Utc>,
    /// The instant of the warning.
    pub warn_at: DateTime<Utc>,
    /// Whether the warning was given.
    pub warned: bool,
    /// Its last local day, once it ended (earlier than `ends_on` when ended early).
    pub ended_on: Option<NaiveDate>,
    /// Whether its end-of-term report fell due.
    pub report_due: bool,
    /// The sequence of the record that started it.
    pub started_sequence: u64,
    /// The sequence of the record that ended it, once it ended.
    pub ended_sequence: Option<u64>,
}

impl From<Term> for TermView {
    fn from(from: Term) -> TermView {
        TermView {
            term: from.term,
            starts_on: from.starts_on,
            ends_on: from.ends_on,
            ends_at: from.ends_at,
            warn_at: from.warn_at,
            warned: from.warned,
            ended_on: from.ended_on,
            report_due: from.report_due,
            started_sequence: from.started_sequence,
            ended_sequence: from.ended_sequence,
        }
    }
}

/// One appointment of a person for a term.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AppointmentView {
    /// The person, as named on rolls and votes.
    pub person: String,
    /// The organisation they come from.
    pub organisation: String,
    /// Their professional title level, one of the policy's.
    pub title_level: String,
    /// Whether they are administrative staff (行政管理人员).
    pub administrative: bool,
    /// Whether they are a metrology professional (计量技术专业人员).
    pub metrology_professional: bool,
    /// Their role in the committee, one of the policy's.
    pub role: String,
    /// The term.
    pub term: u32,
    /// The first local day in office.
    pub effective_on: NaiveDate,
    /// Whether it was a reappointment.
    pub reappointment: bool,
    /// The first local day no longer in office, when they resigned.
    pub resigned_on: Option<NaiveDate>,
    /// The rules it breaks under a waiver.
    pub waived_rules: Vec<String>,
    /// When it was recorded.
    pub recorded_at: DateTime<Utc>,
    /// The sequence of the record that appointed them.
    pub recorded_sequence: u64,
    /// The sequence of the record of their resignation, if any.
    pub resigned_sequence: Option<u64>,
}

impl From<Appointment> for AppointmentView {
    fn from(from: Appointment) -> AppointmentView {
        AppointmentView {
            person: from.member.person,
            organisation: from.member.organisation,
            title_level: from.member.title_level,
            administrative: from.member.administrative,
            metrology_professional: from.member.metrology_professional,
            role: from.member.role,
            term: from.term,
            effective_on: from.effective_on,
            reappointment: from.reappointment,
            resigned_on: from.resigned_on,
            waived_rules: from.waived_rules,
            recorded_at: from.recorded_at,
            recorded_sequence: from.recorded_sequence,
            resigned_sequence: from.resigned_sequence,
        }
    }
}

/// A waiver of a composition rule, as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RecordedWaiverView {
    /// The rule's code.
    pub rule: String,
    /// Whom it covers (a person or an organisation); the whole committee when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// The reason given.
    pub reason: String,
    /// Who grants it (the bureau's decision and its number).
    pub authority: String,
    /// How far it relaxes a rule that sets a most: the count it allows. Absent for rules without
    /// a most, and for waivers recorded before bounds existed (which cover any count).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub up_to: Option<u32>,
    /// When it was recorded.
    pub recorded_at: DateTime<Utc>,
    /// Who recorded it.
    pub recorded_by: ActorView,
    /// The sequence of its record.
    pub recorded_sequence: u64,
}

impl From<RecordedWaiver> for RecordedWaiverView {
    fn from(from: RecordedWaiver) -> RecordedWaiverView {
        RecordedWaiverView {
            rule: from.waiver.rule,
            subject: from.waiver.subject,
            reason: from.waiver.reason,
            authority: from.waiver.authority,
            up_to: from.waiver.up_to,
            recorded_at: from.recorded_at,
            recorded_by: from.recorded_by.into(),
            recorded_sequence: from.recorded_sequence,
        }
    }
}

/// A committee's state: its profile, secretariat, terms, appointments and waivers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CommitteeStateView {
    /// The committee, once formed.
    pub profile: Option<CommitteeProfileView>,
    /// The secretariat's organisation, once named.
    pub secretariat: Option<SecretariatView>,
    /// The terms, in order.
    pub terms: Vec<TermView>,
    /// Every appointment, in the order recorded.
    pub appointments: Vec<AppointmentView>,
    /// Every waiver, in the order recorded.
    pub waivers: Vec<RecordedWaiverView>,
    /// Records applied.
    pub sequence: u64,
    /// The instant of the last record.
    pub updated_at: Option<DateTime<Utc>>,
}

impl From<CommitteeState> for CommitteeStateView {
    fn from(from: CommitteeState) -> CommitteeStateView {
        CommitteeStateView {
            profile: from.profile.map(Into::into),
            secretariat: from.secretariat.map(Into::into),
            terms: from.terms.into_iter().map(Into::into).collect(),
            appointments: from.appointments.into_iter().map(Into::into).collect(),
            waivers: from.waivers.into_iter().map(Into::into).collect(),
            sequence: from.sequence,
            updated_at: from.updated_at,
        }
    }
}

/// When a composition rule is judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CheckedView {
    /// On each appointment (an appointment that would break it is refused unless waived).
    Appointment,
    /// Only on the whole composition.
    Composition,
}

impl From<Checked> for CheckedView {
    fn from(from: Checked) -> CheckedView {
        match from {
            Checked::Appointment => CheckedView::Appointment,
            Checked::Composition => CheckedView::Composition,
        }
    }
}

/// A composition rule broken, waived or not.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct BreachView {
    /// The rule's code.
    pub rule: String,
    /// The rule's name.
    pub rule_name: LocalizedTextView,
    /// Where the rule comes from.
    pub source: String,
    /// When the rule is judged.
    pub checked: CheckedView,
    /// The person or organisation concerned, for rules about one of them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// The persons counted.
    pub persons: Vec<String>,
    /// The figures: what was counted and the limit.
    #[schema(value_type = Object)]
    pub figures: BTreeMap<String, serde_json::Value>,
    /// The breach in words.
    pub message: LocalizedTextView,
    /// The waiver that covers it, if the bureau recorded one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waived_by: Option<RecordedWaiverView>,
}

impl From<Breach> for BreachView {
    fn from(from: Breach) -> BreachView {
        BreachView {
            rule: from.rule,
            rule_name: from.rule_name.into(),
            source: from.source,
            checked: from.checked.into(),
            subject: from.subject,
            persons: from.persons,
            figures: from.figures,
            message: from.message.into(),
            waived_by: from.waived_by.map(Into::into),
        }
    }
}

/// The composition of a committee on a day, judged against every rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CompositionView {
    /// The committee's code.
    pub committee: String,
    /// The local day judged.
    pub on: NaiveDate,
    /// The term covering it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub term: Option<u32>,
    /// The members in office that day.
    pub members: Vec<AppointmentView>,
    /// Every term started by then.
    #[serde(default)]
    pub terms: Vec<TermView>,
    /// Every rule broken, waived or not.
    pub breaches: Vec<BreachView>,
    /// Every waiver recorded by then.
    pub waivers: Vec<RecordedWaiverView>,
    /// Whether every breach is covered by a waiver.
    pub compliant: bool,
}

impl From<CompositionCheck> for CompositionView {
    fn from(from: CompositionCheck) -> CompositionView {
        CompositionView {
            committee: from.committee,
            on: from.on,
            term: from.term,
            members: from.members.into_iter().map(Into::into).collect(),
            terms: from.terms.into_iter().map(Into::into).collect(),
            breaches: from.breaches.into_iter().map(Into::into).collect(),
            waivers: from.waivers.into_iter().map(Into::into).collect(),
            compliant: from.compliant,
        }
    }
}

/// A person on the roll of a meeting held on a day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RollEntryView {
    /// The person.
    pub person: String,
    /// Their organisation.
    pub organisation: String,
    /// Their role.
    pub role: String,
    /// Whether the role votes (counts toward quorum and result).
    pub votes: bool,
}

impl From<RollEntry> for RollEntryView {
    fn from(from: RollEntry) -> RollEntryView {
        RollEntryView {
            person: from.person,
            organisation: from.organisation,
            role: from.role,
            votes: from.votes,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::{CommitteeStateView, CompositionView, RollEntryView};
    use chrono::{DateTime, NaiveDate, TimeZone, Utc};
    use specflow_engine::committee::{
        CommitteeCommand, CommitteePolicy, CommitteeState, CommitteeWaiver, MemberProfile,
        check_composition, decide, roll_on,
    };
    use specflow_engine::{Actor, LocalizedText};
    use uuid::Uuid;

    fn day(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    fn at(text: &str) -> DateTime<Utc> {
        Utc.from_utc_datetime(&day(text).and_hms_opt(2, 0, 0).unwrap())
    }

    fn member(person: &str, organisation: &str, role: &str) -> MemberProfile {
        MemberProfile {
            person: person.into(),
            organisation: organisation.into(),
            title_level: "senior".into(),
            administrative: false,
            metrology_professional: true,
            role: role.into(),
        }
    }

    /// A committee that reaches every part of the state: a secretariat, two terms, members
    /// appointed, reappointed and resigned, a waiver covering a breach and a breach left open.
    fn committee(policy: &CommitteePolicy) -> CommitteeState {
        let commands = [
            (
                "2026-01-05",
                CommitteeCommand::Form {
                    committee_id: Uuid::from_u128(7),
                    code: "SH-TC-01".into(),
                    name: LocalizedText::new("上海市长度计量技术委员会", "Shanghai Length"),
                    field: "length".into(),
                    legal_metrology: false,
                    composition_plan: "沪市监计量〔2026〕1号".into(),
                    formed_on: day("2026-01-05"),
                },
            ),
            (
                "2026-01-05",
                CommitteeCommand::AssignSecretariat {
                    organisation: "Shanghai Institute of Measurement".into(),
                    since: day("2026-01-05"),
                },
            ),
            (
                "2026-01-05",
                CommitteeCommand::StartTerm {
                    starts_on: day("2026-01-05"),
                    ends_on: Some(day("2026-12-31")),
                },
            ),
            (
                "2026-01-06",
                CommitteeCommand::Waive(CommitteeWaiver {
                    rule: "max_per_organisation".into(),
                    subject: Some("org-a".into()),
                    reason: "the field has few experts".into(),
                    authority: "沪市监计量〔2026〕9号".into(),
                    up_to: Some(4),
                }),
            ),
        ];
        let mut state = CommitteeState::new();
        let mut run = |when: &str, command: CommitteeCommand| {
            let actor = Actor::new("bureau-li", "supervisor");
            for event in decide(&state, policy, &command, &actor, at(when)).unwrap() {
                state.apply(&event);
            }
        };
        for (when, command) in commands {
            run(when, command);
        }
        for (index, person) in ["a1", "a2", "a3", "a4"].into_iter().enumerate() {
            let role = if index == 0 { "chair" } else { "member" };
            let command = CommitteeCommand::Appoint {
                member: member(person, "org-a", role),
                term: None,
                effective_on: day("2026-01-06"),
            };
            run("2026-01-06", command);
        }
        run(
            "2026-03-01",
            CommitteeCommand::Resign {
                person: "a4".into(),
                effective_on: day("2026-03-01"),
                reason: "retired".into(),
            },
        );
        run(
            "2027-01-04",
            CommitteeCommand::StartTerm {
                starts_on: day("2027-01-04"),
                ends_on: None,
            },
        );
        run(
            "2027-01-04",
            CommitteeCommand::Reappoint {
                member: member("a1", "org-a", "chair"),
                term: None,
                effective_on: day("2027-01-04"),
            },
        );
        state
    }

    /// The API's views of a committee are written exactly as the engine's types were when the
    /// API answered with them, so moving to the views changed no client's JSON; and they read
    /// back.
    #[test]
    fn the_committee_views_are_written_as_the_engine_types_were() {
        let policy = CommitteePolicy::from_toml(
            "committees/policy.toml",
            include_str!("../../../../../workflows/committees/policy.toml"),
        )
        .unwrap();
        let state = committee(&policy);
        assert_eq!(state.terms.len(), 2);
        assert!(
            state
                .appointments
                .iter()
                .any(|each| each.resigned_on.is_some())
        );
        let engine_json = serde_json::to_string(&state).unwrap();
        let view = CommitteeStateView::from(state.clone());
        assert_eq!(serde_json::to_string(&view).unwrap(), engine_json);
        assert_eq!(
            serde_json::from_str::<CommitteeStateView>(&engine_json).unwrap(),
            view
        );
        for on in ["2026-02-01", "2027-02-01"] {
            let check = check_composition(&state, &policy, day(on));
            let engine_json = serde_json::to_string(&check).unwrap();
            let view = CompositionView::from(check);
            assert_eq!(serde_json::to_string(&view).unwrap(), engine_json);
            assert_eq!(
                serde_json::from_str::<CompositionView>(&engine_json).unwrap(),
                view
            );
            let roll = roll_on(&state, &policy, day(on));
            let engine_json = serde_json::to_string(&roll).unwrap();
            let view: Vec<RollEntryView> = roll.into_iter().map(Into::into).collect();
            assert_eq!(serde_json::to_string(&view).unwrap(), engine_json);
        }
        let check = check_composition(&state, &policy, day("2026-02-01"));
        assert!(
            check
                .breaches
                .iter()
                .any(|breach| breach.waived_by.is_some())
        );
        assert!(
            check
                .breaches
                .iter()
                .any(|breach| breach.waived_by.is_none())
        );
    }
}
