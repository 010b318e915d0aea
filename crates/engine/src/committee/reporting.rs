//! The committee's composition as a report's section: who was in office at a period's start and
//! end, what changed in between and the waivers in force, each change and waiver citing the
//! sequence of its committee record.
//!
//! The mapping lives on the committee's side because the report only takes a
//! [`CompositionSection`] as given: the report module knows nothing of committee logs, and the
//! committee module already knows the report's types it supplies. It is a pure function of
//! values the store reads (the composition checks at both ends and the changes within), so the
//! same records always give the same section, whatever day it is computed.

use super::{Appointment, CommitteePolicy, CompositionChanges, CompositionCheck, RecordedWaiver};
use crate::report::{
    CompositionChange, CompositionChangeKind, CompositionMember, CompositionSection,
    CompositionWaiver,
};
use crate::text::LocalizedText;
use chrono::NaiveDate;

/// The composition section of a report over a period.
///
/// `at_start` is the composition judged on the period's first day as the log stood when that day
/// began, `at_end` the one judged on its last day as the log stood at the period's end, and
/// `changes` what changed within the period as the log stood at its end. Role and rule names come
/// from the policy (the code itself when the policy no longer knows it); waivers are those in force
/// at the period's end, that is every waiver recorded by then.
pub fn composition_section(
    policy: &CommitteePolicy,
    at_start: &CompositionCheck,
    at_end: &CompositionCheck,
    changes: &CompositionChanges,
) -> CompositionSection {
    let mut section_changes: Vec<CompositionChange> = Vec::new();
    for appointment in &changes.appointed {
        section_changes.push(change(
            policy,
            appointment,
            appointment.effective_on,
            if appointment.reappointment {
                CompositionChangeKind::Reappointed
            } else {
                CompositionChangeKind::Appointed
            },
            Some(appointment.recorded_sequence),
        ));
    }
    for appointment in &changes.resigned {
        if let Some(resigned_on) = appointment.resigned_on {
            section_changes.push(change(
                policy,
                appointment,
                resigned_on,
                CompositionChangeKind::Resigned,
                appointment.resigned_sequence,
            ));
        }
    }
    // A term's end takes every member still serving in it out of office: those in office at the
    // period's start or appointed since, unless they resigned before the term's last day.
    let mut candidates: Vec<&Appointment> = at_start.members.iter().collect();
    for appointment in &changes.appointed {
        if !candidates
            .iter()
            .any(|known| known.recorded_sequence == appointment.recorded_sequence)
        {
            candidates.push(appointment);
        }
    }
    for term in &changes.terms_ended {
        let Some(ended_on) = term.ended_on else {
            continue;
        };
        for appointment in &candidates {
            let resigned_before_end = changes.resigned.iter().any(|resigned| {
                resigned.recorded_sequence == appointment.recorded_sequence
                    && resigned
                        .resigned_on
                        .is_some_and(|resigned_on| resigned_on <= ended_on)
            });
            if appointment.term == term.term && !resigned_before_end {
                section_changes.push(change(
                    policy,
                    appointment,
                    ended_on,
                    CompositionChangeKind::TermEnded,
                    term.ended_sequence,
                ));
            }
        }
    }
    // A stable sort: members leaving with one term keep the order they were appointed in.
    section_changes.sort_by_key(|change| (change.on, change.sequence));
    CompositionSection {
        at_start: at_start
            .members
            .iter()
            .map(|appointment| member(policy, at_start, appointment))
            .collect(),
        at_end: at_end
            .members
            .iter()
            .map(|appointment| member(policy, at_end, appointment))
            .collect(),
        changes: section_changes,
        waivers: at_end
            .waivers
            .iter()
            .map(|recorded| waiver(policy, recorded))
            .collect(),
    }
}

/// The name of a composition rule for people: the policy's, or its code when the policy no longer
/// has it (a waiver recorded under an older policy).
pub fn rule_name(policy: &CommitteePolicy, code: &str) -> LocalizedText {
    policy
        .rule(code)
        .map_or_else(|| LocalizedText::new(code, code), |rule| rule.name.clone())
}

fn member(
    policy: &CommitteePolicy,
    check: &CompositionCheck,
    appointment: &Appointment,
) -> CompositionMember {
    CompositionMember {
        person: appointment.member.person.clone(),
        organisation: appointment.member.organisation.clone(),
        role: policy.role_name(&appointment.member.role),
        administrative: appointment.member.administrative,
        term_started_on: appointment.effective_on,
        term_ends_on: check
            .terms
            .iter()
            .find(|term| term.term == appointment.term)
            .map(super::Term::last_day),
    }
}

fn change(
    policy: &CommitteePolicy,
    appointment: &Appointment,
    on: NaiveDate,
    kind: CompositionChangeKind,
    sequence: Option<u64>,
) -> CompositionChange {
    CompositionChange {
        on,
        kind,
        person: appointment.member.person.clone(),
        organisation: appointment.member.organisation.clone(),
        role: policy.role_name(&appointment.member.role),
        sequence,
    }
}

fn waiver(policy: &CommitteePolicy, recorded: &RecordedWaiver) -> CompositionWaiver {
    CompositionWaiver {
        rule: rule_name(policy, &recorded.waiver.rule),
        reason: recorded.waiver.reason.clone(),
        authority: recorded.waiver.authority.clone(),
        recorded_on: recorded
            .recorded_at
            .with_timezone(&policy.local_utc_offset)
            .date_naive(),
        sequence: Some(recorded.recorded_sequence),
    }
}

// A test's fixtures are known to parse: a failure to is the test failing.
#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::command::Actor;
    use crate::committee::{
        CommitteeEvent, CommitteeEventBody, CommitteeState, CommitteeWaiver, MemberProfile,
        check_composition,
    };
    use chrono::{DateTime, Utc};
    use uuid::Uuid;

    const POLICY_TOML: &str = include_str!("../../../../workflows/committees/policy.toml");

    fn day(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().to_utc()
    }

    fn event(when: &str, body: CommitteeEventBody) -> CommitteeEvent {
        CommitteeEvent {
            occurred_at: at(when),
            actor: Actor::new("bureau", "bureau"),
            body,
        }
    }

    fn appointed(person: &str, role: &str, effective_on: &str) -> CommitteeEventBody {
        CommitteeEventBody::MemberAppointed {
            member: MemberProfile {
                person: person.to_string(),
                organisation: format!("{person} institute"),
                title_level: "senior".to_string(),
                administrative: false,
                metrology_professional: true,
                role: role.to_string(),
            },
            term: 1,
            effective_on: day(effective_on),
            waived_rules: Vec::new(),
        }
    }

    /// A committee formed in 2025 with a term to 2028, a chair and a member from before 2026, a
    /// member appointed and one resigning in 2026, and a waiver recorded in 2026.
    fn history() -> Vec<CommitteeEvent> {
        vec![
            event(
                "2025-01-02T02:00:00Z",
                CommitteeEventBody::CommitteeFormed {
                    committee_id: Uuid::nil(),
                    code: "SH-TC-09".to_string(),
                    name: LocalizedText::new("测试委员会", "test committee"),
                    field: "length".to_string(),
                    legal_metrology: false,
                    composition_plan: "plan 1".to_string(),
                    formed_on: day("2025-01-02"),
                    policy_id: "shanghai-committee-policy".to_string(),
                    policy_version: 1,
                },
            ),
            event(
                "2025-01-02T03:00:00Z",
                CommitteeEventBody::TermStarted {
                    term: 1,
                    starts_on: day("2025-01-02"),
                    ends_on: day("2028-12-31"),
                    ends_at: at("2028-12-31T16:00:00Z"),
                    warn_at: at("2028-10-02T16:00:00Z"),
                    waived_rules: Vec::new(),
                },
            ),
            event(
                "2025-01-03T02:00:00Z",
                appointed("甲", "chair", "2025-01-03"),
            ),
            event(
                "2025-01-03T03:00:00Z",
                appointed("乙", "member", "2025-01-03"),
            ),
            event(
                "2026-03-01T02:00:00Z",
                appointed("丙", "member", "2026-03-01"),
            ),
            event(
                "2026-06-01T02:00:00Z",
                CommitteeEventBody::MemberResigned {
                    person: "乙".to_string(),
                    effective_on: day("2026-06-01"),
                    reason: "retired".to_string(),
                },
            ),
            // Recorded at 20:00 UTC on 6 July, which is already 7 July in Shanghai.
            event(
                "2026-07-06T20:00:00Z",
                CommitteeEventBody::WaiverRecorded(CommitteeWaiver {
                    rule: "vice_chairs_at_least".to_string(),
                    subject: None,
                    reason: "being recruited".to_string(),
                    authority: "沪市监计量〔2026〕9号".to_string(),
                    up_to: None,
                }),
            ),
        ]
    }

    fn replayed(events: &[CommitteeEvent]) -> CommitteeState {
        let mut state = CommitteeState::new();
        for each in events {
            state.apply(each);
        }
        state
    }

    #[test]
    fn the_section_lists_members_at_both_ends_changes_and_waivers_with_their_sequences() {
        let policy = CommitteePolicy::from_toml("policy.toml", POLICY_TOML).unwrap();
        let events = history();
        let at_start_state = replayed(&events[..4]);
        let at_end_state = replayed(&events);
        let at_start = check_composition(&at_start_state, &policy, day("2026-01-01"));
        let at_end = check_composition(&at_end_state, &policy, day("2026-12-31"));
        let changes = at_end_state.changes_within(
            day("2026-01-01"),
            day("2026-12-31"),
            policy.local_utc_offset,
        );
        let section = composition_section(&policy, &at_start, &at_end, &changes);

        let persons = |members: &[CompositionMember]| {
            members
                .iter()
                .map(|member| member.person.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(persons(&section.at_start), ["甲", "乙"]);
        assert_eq!(persons(&section.at_end), ["甲", "丙"]);
        assert_eq!(section.at_start[0].role, policy.role_name("chair"));
        assert_eq!(section.at_end[1].term_ends_on, Some(day("2028-12-31")));

        let changes: Vec<_> = section
            .changes
            .iter()
            .map(|change| {
                (
                    change.on,
                    change.kind,
                    change.person.as_str(),
                    change.sequence,
                )
            })
            .collect();
        assert_eq!(
            changes,
            [
                (
                    day("2026-03-01"),
                    CompositionChangeKind::Appointed,
                    "丙",
                    Some(5)
                ),
                (
                    day("2026-06-01"),
                    CompositionChangeKind::Resigned,
                    "乙",
                    Some(6)
                ),
            ]
        );
        assert_eq!(section.waivers.len(), 1);
        assert_eq!(section.waivers[0].sequence, Some(7));
        assert_eq!(section.waivers[0].recorded_on, day("2026-07-07"));
        assert_eq!(
            section.waivers[0].rule,
            rule_name(&policy, "vice_chairs_at_least")
        );
        assert_ne!(section.waivers[0].rule.en, "vice_chairs_at_least");
    }

    #[test]
    fn a_term_ending_within_the_period_takes_its_remaining_members_out_of_office() {
        let policy = CommitteePolicy::from_toml("policy.toml", POLICY_TOML).unwrap();
        let mut events = history();
        events.push(event(
            "2026-09-30T16:00:00Z",
            CommitteeEventBody::TermEnded {
                term: 1,
                ended_on: day("2026-09-30"),
                reason: Some("reorganised".to_string()),
                fell_due_at: None,
            },
        ));
        let at_start = check_composition(&replayed(&events[..4]), &policy, day("2026-01-01"));
        let end_state = replayed(&events);
        let at_end = check_composition(&end_state, &policy, day("2026-12-31"));
        let changes = end_state.changes_within(
            day("2026-01-01"),
            day("2026-12-31"),
            policy.local_utc_offset,
        );
        let section = composition_section(&policy, &at_start, &at_end, &changes);
        assert!(section.at_end.is_empty());
        let ended: Vec<_> = section
            .changes
            .iter()
            .filter(|change| change.kind == CompositionChangeKind::TermEnded)
            .map(|change| (change.person.as_str(), change.sequence))
            .collect();
        // 乙 resigned before the term ended, so only 甲 and 丙 leave with it.
        assert_eq!(ended, [("甲", Some(8)), ("丙", Some(8))]);
    }
}
