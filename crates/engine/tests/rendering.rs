//! Text for people in Chinese: every event's one-line summary and every scenario's simulation
//! report read as Chinese sentences, with only the codes, ids, file names and hashes they quote
//! in Latin letters.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, NaiveDate, Utc};
use specflow_engine::event::{DeadlineOutcome, DeadlineTimes, EVENT_TYPES};
use specflow_engine::records::{
    Artifact, Comment, Disposition, FieldValue, MeetingForm, MeetingRecord, MeetingSchedule,
    NewProject, NonVotingParticipant, Publication, Vote, VoteChoice, Waiver,
};
use specflow_engine::render::{event_summary, simulation_report};
use specflow_engine::scenario::{parse_scenario, simulate};
use specflow_engine::{CalendarError, EventBody, Language, LocalizedText, human_size};
use uuid::Uuid;

use crate::deadlines::deadline_fixtures::metrology;

/// The runs of three or more ASCII letters left in `text` once every quoted value is taken out:
/// English words, in a text meant to be Chinese. `sha256` is the digest's name, as it is written
/// in both languages, and `UTC` the offset's.
fn english_words(text: &str, quoted: &[&str]) -> Vec<String> {
    let mut rest = text.to_string();
    let mut quoted: Vec<&str> = quoted.to_vec();
    // Longest first, so a value is never cut by a shorter one inside it.
    quoted.sort_by_key(|value| std::cmp::Reverse(value.len()));
    for value in quoted.into_iter().chain(["sha256", "UTC"]) {
        rest = rest.replace(value, " ");
    }
    let mut words = Vec::new();
    let mut word = String::new();
    for character in rest.chars().chain([' ']) {
        if character.is_ascii_alphabetic() {
            word.push(character);
        } else {
            if word.len() >= 3 {
                words.push(word.clone());
            }
            word.clear();
        }
    }
    words
}

fn day(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
}

fn instant(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).unwrap().to_utc()
}

fn times(due_on: &str) -> DeadlineTimes {
    DeadlineTimes {
        due_on: day(due_on),
        warn_at: None,
        due_at: instant("2026-07-01T00:00:00+08:00"),
        escalate_at: None,
    }
}

fn meeting(form: MeetingForm) -> EventBody {
    EventBody::MeetingRecorded(Box::new(MeetingRecord {
        meeting_id: "M-EVAL-1".to_string(),
        motion: "proposal_evaluation".to_string(),
        form,
        held_on: day("2026-01-20"),
        roll: vec!["m1".into(), "m2".into(), "m3".into()],
        present: vec!["m1".into(), "m2".into()],
        non_voting_present: vec![NonVotingParticipant {
            person: "guest".to_string(),
            capacity: "invited_representative".to_string(),
        }],
        votes: vec![
            Vote {
                member: "m1".to_string(),
                choice: VoteChoice::InFavour,
            },
            Vote {
                member: "m2".to_string(),
                choice: VoteChoice::Against,
            },
        ],
        minutes_sha256: None,
        drafting_unit_members: Vec::new(),
    }))
}

/// Every event type, and every way each one reads (a deadline met on time and late, a meeting
/// and a vote by letter…), as the metrology definition names its parts.
fn every_event() -> Vec<EventBody> {
    let deadline_set =
        |times: Option<DeadlineTimes>, planned: Option<&str>, problem: Option<String>| {
            EventBody::DeadlineSet {
                deadline: "drafting".to_string(),
                started_on: day("2026-02-02"),
                times,
                planned_due_on: planned.map(day),
                problem,
            }
        };
    let closed = |outcome, days_late| EventBody::DeadlineClosed {
        deadline: "drafting".to_string(),
        outcome,
        days_late,
    };
    vec![
        EventBody::ProjectCreated {
            project: Box::new(NewProject {
                project_id: Uuid::nil(),
                code: "JJG(沪)-2026-001".to_string(),
                title: LocalizedText::new(
                    "电子汽车衡检定规程",
                    "Verification regulation for electronic truck scales",
                ),
                specification_kind: "verification_regulation".to_string(),
                committee: "SH-TC-01".to_string(),
                drafting_unit: "上海市计量测试技术研究院".to_string(),
                definition_id: "metrology-spec".to_string(),
                definition_version: 1,
                flags: Default::default(),
            }),
            stage: "preresearch".to_string(),
            imported: None,
        },
        EventBody::ActionFired {
            action: "close_consultation".to_string(),
            from: "consultation".to_string(),
            to: "resolution".to_string(),
            reason: Some("按期结束".to_string()),
            waived_guards: vec!["consultation_period".to_string()],
        },
        EventBody::ProjectCancelled {
            action: "cancel".to_string(),
            from: "drafting".to_string(),
            to: "cancelled".to_string(),
            reason: "已有国家规范".to_string(),
        },
        EventBody::ArtifactAttached(Artifact {
            kind: "project_proposal".to_string(),
            file_name: "项目建议书.pdf".to_string(),
            size_bytes: 120_000,
            sha256: "7491f300ffbd".repeat(5) + "abcd",
        }),
        EventBody::OrganisationsConsultedRecorded {
            organisations: vec!["中国计量科学研究院".to_string()],
        },
        EventBody::CommentRecorded(Comment {
            comment_id: "C1".to_string(),
            organisation: "中国计量科学研究院".to_string(),
            clause: Some("5.2".to_string()),
            text: "建议增加示意图".to_string(),
        }),
        EventBody::CommentDisposed {
            comment_id: "C1".to_string(),
            disposition: Disposition::PartlyAccepted,
            reason: Some("增加示意图".to_string()),
        },
        EventBody::MeetingScheduled(MeetingSchedule {
            meeting_id: "M-REV-1".to_string(),
            motion: "review".to_string(),
            form: MeetingForm::Meeting,
            meeting_on: day("2026-09-15"),
            documents_sent_on: day("2026-08-10"),
        }),
        EventBody::MeetingScheduled(MeetingSchedule {
            meeting_id: "M-REV-2".to_string(),
            motion: "review".to_string(),
            form: MeetingForm::Letter,
            meeting_on: day("2026-09-15"),
            documents_sent_on: day("2026-08-10"),
        }),
        meeting(MeetingForm::Meeting),
        meeting(MeetingForm::Letter),
        EventBody::SignedOff {
            subject: "completeness_check".to_string(),
        },
        EventBody::FieldRecorded {
            field: "implementation_transition_arrangement".to_string(),
            value: FieldValue::Text("过渡期六个月".to_string()),
        },
        EventBody::PublicationRecorded(Publication {
            specification_number: "JJG(沪) 101-2026".to_string(),
            publication_date: day("2026-11-20"),
            effective_date: day("2027-03-01"),
        }),
        EventBody::WaiverRecorded(Waiver {
            action: "close_consultation".to_string(),
            guard: "consultation_period".to_string(),
            authority: "沪市监计量〔2026〕1号".to_string(),
            reason: "应急项目".to_string(),
        }),
        EventBody::PlanFixed {
            due_dates: BTreeMap::from([("drafting".to_string(), day("2026-06-30"))]),
        },
        deadline_set(Some(times("2026-06-30")), Some("2026-06-30"), None),
        deadline_set(Some(times("2026-06-30")), None, None),
        deadline_set(
            None,
            None,
            Some(
                CalendarError::YearNotOnFile {
                    date: day("2031-01-02"),
                    year: 2031,
                }
                .to_string(),
            ),
        ),
        deadline_set(None, None, Some(CalendarError::NoCalendar.to_string())),
        deadline_set(None, None, None),
        closed(DeadlineOutcome::Met, None),
        closed(DeadlineOutcome::Met, Some(3)),
        closed(DeadlineOutcome::ProjectEnded, None),
        EventBody::DeadlineWarningGiven {
            deadline: "drafting".to_string(),
            due_on: day("2026-06-30"),
            fell_due_at: instant("2026-05-31T00:00:00+08:00"),
        },
        EventBody::DeadlineMissed {
            deadline: "drafting".to_string(),
            due_on: day("2026-06-30"),
            fell_due_at: instant("2026-07-01T00:00:00+08:00"),
        },
        EventBody::ProjectEscalated {
            deadline: "drafting".to_string(),
            due_on: day("2026-06-30"),
            fell_due_at: instant("2026-07-31T00:00:00+08:00"),
        },
        EventBody::ProjectFrozen {
            deadline: "drafting".to_string(),
            fell_due_at: instant("2026-09-01T00:00:00+08:00"),
        },
        EventBody::FreezeLifted {
            reason: "已批准延期".to_string(),
        },
        EventBody::ExtensionRequested {
            request_id: "EXT-1".to_string(),
            deadline: "drafting".to_string(),
            current_due_on: day("2026-06-30"),
            requested_due_on: day("2026-08-31"),
            reason: "需补充试验".to_string(),
        },
        EventBody::ExtensionGranted {
            request_id: "EXT-1".to_string(),
            deadline: "drafting".to_string(),
            times: times("2026-08-31"),
            reason: "同意".to_string(),
        },
        EventBody::ExtensionRefused {
            request_id: "EXT-2".to_string(),
            deadline: "drafting".to_string(),
            reason: "理由不足".to_string(),
        },
        EventBody::ReexaminationScheduled {
            stage: "in_force".to_string(),
            counted_from: day("2026-11-20"),
            times: times("2031-11-20"),
        },
        EventBody::ReexaminationWarningGiven {
            due_on: day("2031-11-20"),
            fell_due_at: instant("2031-08-22T00:00:00+08:00"),
        },
        EventBody::ReexaminationFellDue {
            due_on: day("2031-11-20"),
            fell_due_at: instant("2031-11-21T00:00:00+08:00"),
        },
        EventBody::DefinitionMigrated {
            from_version: 1,
            to_version: 2,
        },
    ]
}

/// What the events above quote as they are: codes, ids, file names and numbers.
const QUOTED: [&str; 9] = [
    "JJG(沪)-2026-001",
    "JJG(沪) 101-2026",
    "项目建议书.pdf",
    "7491f300ffbd",
    "M-EVAL-1",
    "M-REV-1",
    "M-REV-2",
    "EXT-1",
    "EXT-2",
];

// The audit log's sentences were English with Chinese names inserted ("attached 项目建议书 …
// (120000 bytes)", "deadline 起草期限 met on time"): every summary must be Chinese in Chinese.
#[test]
fn every_event_reads_as_a_chinese_sentence_in_chinese() {
    let definition = metrology();
    let events = every_event();
    let covered: BTreeSet<&str> = events.iter().map(EventBody::type_name).collect();
    let every: BTreeSet<&str> = EVENT_TYPES.into_iter().collect();
    assert_eq!(covered, every, "an event type has no case here");
    for event in &events {
        let chinese = event_summary(event, &definition, Language::Zh);
        let words = english_words(&chinese, &QUOTED);
        assert!(
            words.is_empty(),
            "{}: {chinese:?} has English words {words:?}",
            event.type_name()
        );
        let english = event_summary(event, &definition, Language::En);
        assert_ne!(chinese, english, "{}", event.type_name());
    }
}

#[test]
fn an_attached_file_reads_with_its_size_in_human_units_in_both_languages() {
    let definition = metrology();
    let attached = every_event()
        .into_iter()
        .find(|event| event.type_name() == "artifact_attached")
        .unwrap();
    assert_eq!(
        event_summary(&attached, &definition, Language::Zh),
        "附上项目建议书 \"项目建议书.pdf\"（117.2 KB，sha256 7491f300ffbd）"
    );
    assert_eq!(
        event_summary(&attached, &definition, Language::En),
        "attached project proposal \"项目建议书.pdf\" (117.2 KB, sha256 7491f300ffbd)"
    );
    assert_eq!(human_size(120_000), "117.2 KB");
}

#[test]
fn a_meeting_reads_with_its_roll_attendance_and_votes_in_chinese() {
    let definition = metrology();
    assert_eq!(
        event_summary(&meeting(MeetingForm::Meeting), &definition, Language::Zh),
        "立项评估会议 M-EVAL-1 于 2026-01-20 召开（现场会议）：应到 3，实到 2，赞成 1，反对 1，弃权 0，到会不表决 1"
    );
}

#[test]
fn a_calendar_problem_recorded_in_english_reads_in_chinese() {
    let definition = metrology();
    let event = EventBody::DeadlineSet {
        deadline: "drafting".to_string(),
        started_on: day("2026-02-02"),
        times: None,
        planned_due_on: None,
        problem: Some(CalendarError::NoCalendar.to_string()),
    };
    assert_eq!(
        event_summary(&event, &definition, Language::Zh),
        "「起草期限」无法计算：规则按工作日计算，但未附工作日历"
    );
}

/// What people wrote into an event, which the log quotes as written: reasons, authorities, and
/// the ids of extension requests.
fn words_given(body: &EventBody) -> Vec<String> {
    match body {
        EventBody::ActionFired {
            reason: Some(reason),
            ..
        }
        | EventBody::CommentDisposed {
            reason: Some(reason),
            ..
        }
        | EventBody::ProjectCancelled { reason, .. }
        | EventBody::FreezeLifted { reason } => vec![reason.clone()],
        EventBody::WaiverRecorded(waiver) => vec![waiver.reason.clone(), waiver.authority.clone()],
        EventBody::ExtensionRequested {
            request_id, reason, ..
        }
        | EventBody::ExtensionGranted {
            request_id, reason, ..
        }
        | EventBody::ExtensionRefused {
            request_id, reason, ..
        } => vec![request_id.clone(), reason.clone()],
        _ => Vec::new(),
    }
}

macro_rules! scenario_in_chinese {
    ($test:ident, $file:literal) => {
        #[test]
        fn $test() {
            let definition = metrology();
            let text = include_str!(concat!("../../../workflows/scenarios/", $file));
            let scenario = parse_scenario($file, text).unwrap();
            let report = simulate(&definition, &scenario).unwrap();
            let chinese = simulation_report(&report, &definition, Language::Zh);
            // What the report quotes: the project's id, who acted, the definition's id, every
            // record's hash and every artifact's file name and digest, and the codes of reasons.
            let mut quoted: Vec<String> =
                vec![report.project_id.to_string(), definition.id.clone()];
            for record in &report.records {
                quoted.push(record.actor_id.clone());
                quoted.push(record.hash.short().to_string());
                quoted.extend(words_given(&record.to_event().unwrap().body));
            }
            for entry in &report.state.artifacts {
                quoted.push(entry.artifact.file_name.clone());
                quoted.push(entry.artifact.sha256.chars().take(12).collect());
            }
            for outcome in &report.outcomes {
                if let specflow_engine::scenario::StepOutcome::Rejected { step, rejection } =
                    outcome
                {
                    quoted.push(step.actor.id.clone());
                    quoted.extend(rejection.reasons.iter().map(|reason| reason.code.clone()));
                }
            }
            if let Some(project) = &report.state.project {
                quoted.push(project.code.clone());
            }
            if let Some(publication) = &report.state.publication {
                quoted.push(publication.specification_number.clone());
            }
            for meeting in &report.state.meetings {
                quoted.push(meeting.record.meeting_id.clone());
            }
            let quoted: Vec<&str> = quoted.iter().map(String::as_str).collect();
            let words = english_words(&chinese, &quoted);
            assert!(words.is_empty(), "English words {words:?} in\n{chinese}");
        }
    };
}

scenario_in_chinese!(to_in_force_reads_in_chinese, "to-in-force.toml");
scenario_in_chinese!(
    consultation_too_short_reads_in_chinese,
    "consultation-too-short.toml"
);
scenario_in_chinese!(
    review_without_quorum_reads_in_chinese,
    "review-without-quorum.toml"
);
scenario_in_chinese!(review_fails_vote_reads_in_chinese, "review-fails-vote.toml");
scenario_in_chinese!(
    overdue_with_extension_reads_in_chinese,
    "overdue-with-extension.toml"
);
scenario_in_chinese!(
    reexamined_confirmed_reads_in_chinese,
    "reexamined-confirmed.toml"
);
scenario_in_chinese!(
    reexamined_revised_reads_in_chinese,
    "reexamined-revised.toml"
);
scenario_in_chinese!(
    reexamined_withdrawn_reads_in_chinese,
    "reexamined-withdrawn.toml"
);
scenario_in_chinese!(cancelled_reads_in_chinese, "cancelled.toml");
