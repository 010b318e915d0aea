//! The audit log: tampering of any kind is detected at the record tampered with, or earlier.

use proptest::prelude::*;
use specflow_engine::audit::{AuditRecord, ChainFault, Digest256, verify};
use specflow_engine::scenario::{parse_scenario, simulate};

use crate::deadlines::deadline_fixtures::metrology;

fn records() -> Vec<AuditRecord> {
    let scenario = parse_scenario(
        "review-fails-vote.toml",
        include_str!("../../../workflows/scenarios/review-fails-vote.toml"),
    )
    .unwrap();
    simulate(&metrology(), &scenario)
        .unwrap_or_else(|error| panic!("{error}"))
        .records
}

/// Changes one byte (one character, one bit or one unit) of one field of a record.
fn tamper(record: &mut AuditRecord, field: usize, position: usize) {
    fn change_text(text: &mut String, position: usize) {
        let characters: Vec<char> = text.chars().collect();
        if characters.is_empty() {
            text.push('x');
            return;
        }
        let index = position % characters.len();
        let replacement = if characters[index] == 'x' { 'y' } else { 'x' };
        *text = characters
            .iter()
            .enumerate()
            .map(|(at, character)| if at == index { replacement } else { *character })
            .collect();
    }
    fn flip(digest: &mut Digest256, position: usize) {
        digest.0[position % 32] ^= 1 << (position % 8);
    }
    match field % 10 {
        0 => {
            record.project_id =
                uuid::Uuid::from_u128(record.project_id.as_u128() ^ (1 << (position % 128)))
        }
        1 => record.sequence += 1 + (position as u64 % 3),
        2 => record.recorded_at += chrono::Duration::microseconds(1 + (position as i64 % 1000)),
        3 => change_text(&mut record.actor_id, position),
        4 => change_text(&mut record.actor_role, position),
        5 => {
            record.command_id = match record.command_id {
                Some(_) => None,
                None => Some(uuid::Uuid::from_u128(position as u128)),
            }
        }
        6 => change_text(&mut record.event, position),
        7 => record.event_version += 1,
        8 => flip(&mut record.previous_hash, position),
        _ => flip(&mut record.hash, position),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    /// Changing any field of any record makes `verify` fail at that record or earlier.
    #[test]
    fn any_change_to_any_record_is_caught_at_that_record_or_earlier(
        index in 0usize..63,
        field in 0usize..10,
        position in 0usize..10_000,
    ) {
        let mut log = records();
        prop_assume!(index < log.len());
        let sequence = log[index].sequence;
        tamper(&mut log[index], field, position);
        let failure = verify(&log).expect_err("a tampered log must not verify");
        prop_assert!(failure.sequence <= sequence.max(log[index].sequence), "failed at {} for a change at {}", failure.sequence, sequence);
    }

    /// Deleting a record, or swapping two, is caught.
    #[test]
    fn deleting_or_reordering_records_is_caught(first in 0usize..62, second in 0usize..62) {
        let log = records();
        let mut deleted = log.clone();
        deleted.remove(first);
        if first + 1 < log.len() {
            let failure = verify(&deleted).expect_err("a log with a record deleted must not verify");
            prop_assert_eq!(failure.sequence, log[first + 1].sequence);
            let is_gap = matches!(failure.fault, ChainFault::Gap { .. });
            prop_assert!(is_gap, "expected a gap, got {}", failure);
        }
        prop_assume!(first != second);
        let mut swapped = log.clone();
        swapped.swap(first, second);
        prop_assert!(verify(&swapped).is_err());
    }
}

#[test]
fn the_failure_names_the_record_and_the_kind_of_fault() {
    let log = records();
    let mut edited = log.clone();
    edited[10].actor_id = "someone-else".to_string();
    let failure = verify(&edited).unwrap_err();
    assert_eq!(failure.sequence, 11);
    assert!(matches!(failure.fault, ChainFault::HashMismatch { .. }));
    assert!(
        failure.to_string().starts_with("record 11: hash mismatch"),
        "{failure}"
    );

    // An edit that also recomputes the record's own hash breaks the next record's link.
    let mut rehashed = log.clone();
    rehashed[10].actor_id = "someone-else".to_string();
    rehashed[10].hash = rehashed[10].compute_hash();
    let failure = verify(&rehashed).unwrap_err();
    assert_eq!(failure.sequence, 12);
    assert!(matches!(failure.fault, ChainFault::BrokenLink { .. }));

    // A record from another project.
    let mut foreign = log.clone();
    foreign[5].project_id = uuid::Uuid::from_u128(99);
    foreign[5].hash = foreign[5].compute_hash();
    assert!(matches!(
        verify(&foreign).unwrap_err().fault,
        ChainFault::WrongProject { .. }
    ));
}

#[test]
fn an_event_impossible_in_its_state_is_caught_even_with_a_consistent_chain() {
    let log = records();
    // Re-seal the whole chain with record 4's stage change pointing from the wrong stage:
    // every hash and link is consistent, but the event could not have happened.
    let mut events: Vec<specflow_engine::Event> = log
        .iter()
        .map(|record| record.to_event().unwrap())
        .collect();
    if let specflow_engine::EventBody::ActionFired { from, .. } = &mut events[3].body {
        *from = "drafting".to_string();
    } else {
        panic!("record 4 of the scenario is the proposal");
    }
    let forged = specflow_engine::audit::seal_all(log[0].project_id, None, None, &events)
        .unwrap_or_else(|error| panic!("{error}"));
    let failure = verify(&forged).unwrap_err();
    assert_eq!(failure.sequence, 4);
    assert!(
        matches!(failure.fault, ChainFault::InvalidForState { .. }),
        "{failure}"
    );
}

#[test]
fn time_going_backwards_is_caught() {
    let log = records();
    let mut events: Vec<specflow_engine::Event> = log
        .iter()
        .map(|record| record.to_event().unwrap())
        .collect();
    events[8].occurred_at = events[2].occurred_at;
    let forged = specflow_engine::audit::seal_all(log[0].project_id, None, None, &events)
        .unwrap_or_else(|error| panic!("{error}"));
    let failure = verify(&forged).unwrap_err();
    assert_eq!(failure.sequence, 9);
    assert!(matches!(failure.fault, ChainFault::TimeOutOfOrder { .. }));
}

#[test]
fn an_unreadable_event_is_caught() {
    let mut log = records();
    log[2].event = "{\"type\":\"no_such_event\"}".to_string();
    log[2].hash = log[2].compute_hash();
    let failure = verify(&log).unwrap_err();
    assert_eq!(failure.sequence, 3);
    assert!(matches!(failure.fault, ChainFault::UnreadableEvent { .. }));
}

#[test]
fn records_round_trip_through_json_lines_and_still_verify() {
    let log = records();
    let lines: Vec<String> = log
        .iter()
        .map(|record| serde_json::to_string(record).unwrap())
        .collect();
    let parsed: Vec<AuditRecord> = lines
        .iter()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(parsed, log);
    assert!(verify(&parsed).is_ok());
}

/// Regression: replay found a disposition's comment by scanning every comment (quadratic in the
/// number of comments); comments are now indexed by id, which needs ids to be unique in a log
/// that verifies.
#[test]
fn a_log_that_records_a_comment_id_twice_does_not_verify() {
    let log = records();
    let mut events: Vec<specflow_engine::Event> = log
        .iter()
        .map(|record| record.to_event().unwrap())
        .collect();
    let first_comment = events
        .iter()
        .position(|event| matches!(event.body, specflow_engine::EventBody::CommentRecorded(_)))
        .expect("the scenario records comments");
    let duplicate = events[first_comment].clone();
    events.insert(first_comment + 1, duplicate);
    let forged = specflow_engine::audit::seal_all(log[0].project_id, None, None, &events)
        .unwrap_or_else(|error| panic!("{error}"));
    let failure = verify(&forged).unwrap_err();
    assert_eq!(failure.sequence, first_comment as u64 + 2);
    assert!(
        matches!(failure.fault, ChainFault::InvalidForState { .. }),
        "{failure}"
    );
}

/// A chain long enough to be hashed on a second thread: a creation and 3,000 comments.
fn long_chain() -> Vec<AuditRecord> {
    let log = records();
    let created = log[0].to_event().unwrap();
    let mut events = vec![created.clone()];
    for index in 0..3_000 {
        events.push(specflow_engine::Event {
            occurred_at: created.occurred_at + chrono::Duration::minutes(index),
            actor: created.actor.clone(),
            body: specflow_engine::EventBody::CommentRecorded(specflow_engine::command::Comment {
                comment_id: format!("C{index}"),
                organisation: "long chain".to_string(),
                clause: None,
                text: "a comment".to_string(),
            }),
        });
    }
    specflow_engine::audit::seal_all(log[0].project_id, None, None, &events)
        .unwrap_or_else(|error| panic!("{error}"))
}

#[test]
fn a_long_chain_hashed_on_a_second_thread_verifies_and_names_the_first_bad_record() {
    let chain = long_chain();
    assert_eq!(verify(&chain).unwrap().records, 3_001);
    for tampered_at in [700usize, 2_000, 3_000] {
        let mut edited = chain.clone();
        edited[tampered_at].actor_role = "mallory".to_string();
        let failure = verify(&edited).unwrap_err();
        assert_eq!(failure.sequence, tampered_at as u64 + 1);
        assert!(
            matches!(failure.fault, ChainFault::HashMismatch { .. }),
            "{failure}"
        );
    }
    let mut gap = chain.clone();
    gap.remove(1_500);
    assert_eq!(verify(&gap).unwrap_err().sequence, 1_502);
}
