//! Properties that hold for any sequence of commands, sensible or not.
//!
//! Random steps (mostly plausible commands by the roles allowed to give them, with nonsense mixed
//! in: unknown actions and roles, blank or odd strings, bad digests, impossible votes and dates)
//! go through `decide` and `apply`, with the clock moving forwards and the scheduler's `tick`
//! running before each step, as the service runs them. Then:
//!
//! - replaying the recorded events gives exactly the state of the live run;
//! - every stage change in the log is an `action_fired` or `project_cancelled` event whose
//!   transition leaves the previous stage in the definition, and deciding that action again on
//!   the state just before it, by the same actor at the same instant, is accepted and gives the
//!   very events the log holds;
//! - every event passes the structural check an auditor's replay makes, in time order;
//! - nothing panics.
//!
//! Runs are up to 120 steps, since a lifecycle needs dozens of accepted commands to get past
//! the comment resolution; 256 cases of each still take a few seconds.

use crate::support::*;
use chrono::{DateTime, Duration, Utc};
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;
use specflow_engine::command::{
    Artifact, Comment, Disposition, FieldValue, NewProject, Publication, Waiver,
};
use specflow_engine::definition::{CommandKind, MeetingForm};
use specflow_engine::{
    Actor, Command, Event, EventBody, ProjectState, WorkflowDefinition, decide, tick,
};
use std::collections::BTreeMap;
use uuid::Uuid;

/// Who gives a command.
#[derive(Debug, Clone)]
enum Who {
    /// One of the roles the command allows (the first or second person in it).
    Allowed(u8, bool),
    /// Any role of the definition.
    AnyRole(u8),
    /// A role the definition does not know.
    Stranger,
}

/// What is asked, as indices into the definition's lists, resolved against the state at run time.
#[derive(Debug, Clone)]
enum What {
    Create(u8),
    FireOutgoing(u8, Option<String>),
    FireAnything(u8, Option<String>),
    Cancel(String),
    Attach {
        kind: u8,
        version: u8,
        bad_digest: bool,
    },
    Consult {
        first: u8,
        count: u8,
    },
    Comment {
        id: u8,
        text: String,
    },
    Dispose {
        id: u8,
        disposition: u8,
        reason: Option<String>,
    },
    Schedule {
        id: u8,
        motion: u8,
        letter: bool,
        notice_days: u8,
        in_days: u8,
    },
    Meeting {
        id: u8,
        motion: u8,
        letter: bool,
        ballot: (u8, u8, u8, u8, u8, u8),
        passing: bool,
        outsider: bool,
    },
    SignOff(u8),
    Field {
        field: u8,
        value: u8,
        text: String,
    },
    Publication {
        in_days: i8,
        effective_after: i16,
    },
    Waiver {
        action: u8,
        guard: u8,
    },
    FixPlan {
        deadline: u8,
        in_days: u16,
    },
    RequestExtension {
        deadline: u8,
        by_days: u16,
        reason: String,
    },
    DecideExtension {
        request: u8,
        grant: bool,
        reason: String,
    },
    LiftFreeze(String),
    Migrate(u8),
}

#[derive(Debug, Clone)]
struct Step {
    /// How far the clock moves before the step, in hours.
    advance_hours: u32,
    who: Who,
    what: What,
}

fn odd_text() -> impl Strategy<Value = String> + Clone {
    prop_oneof![
        4 => "[a-z一-龥]{1,8}",
        1 => Just(String::new()),
        1 => Just("   ".to_string()),
        1 => "\\PC{0,6}",
    ]
}

fn who() -> impl Strategy<Value = Who> {
    prop_oneof![
        12 => (any::<u8>(), any::<bool>()).prop_map(|(index, second)| Who::Allowed(index, second)),
        2 => any::<u8>().prop_map(Who::AnyRole),
        1 => Just(Who::Stranger),
    ]
}

fn what() -> impl Strategy<Value = What> {
    let reason = || proptest::option::of(odd_text());
    prop_oneof![
        2 => any::<u8>().prop_map(What::Create),
        60 => (any::<u8>(), reason()).prop_map(|(index, reason)| What::FireOutgoing(index, reason)),
        4 => (any::<u8>(), reason()).prop_map(|(index, reason)| What::FireAnything(index, reason)),
        1 => odd_text().prop_map(What::Cancel),
        40 => (any::<u8>(), 0..3u8, proptest::bool::weighted(0.05))
            .prop_map(|(kind, version, bad_digest)| What::Attach { kind, version, bad_digest }),
        12 => (0..30u8, 0..26u8).prop_map(|(first, count)| What::Consult { first, count }),
        5 => (0..6u8, odd_text()).prop_map(|(id, text)| What::Comment { id, text }),
        12 => (any::<u8>(), 0..3u8, reason())
            .prop_map(|(id, disposition, reason)| What::Dispose { id, disposition, reason }),
        10 => (0..40u8, any::<u8>(), proptest::bool::weighted(0.2), 0..90u8, 0..60u8).prop_map(
            |(id, motion, letter, notice_days, in_days)| What::Schedule { id, motion, letter, notice_days, in_days }
        ),
        20 => (
            0..40u8,
            any::<u8>(),
            proptest::bool::weighted(0.2),
            (0..20u8, 0..20u8, 0..20u8, 0..20u8, 0..20u8, 0..3u8),
            any::<bool>(),
            proptest::bool::weighted(0.05),
        )
            .prop_map(|(id, motion, letter, ballot, passing, outsider)| What::Meeting {
                id, motion, letter, ballot, passing, outsider,
            }),
        15 => any::<u8>().prop_map(What::SignOff),
        10 => (any::<u8>(), 0..6u8, odd_text()).prop_map(|(field, value, text)| What::Field { field, value, text }),
        8 => (-5..40i8, -30..300i16).prop_map(|(in_days, effective_after)| What::Publication { in_days, effective_after }),
        4 => (any::<u8>(), any::<u8>()).prop_map(|(action, guard)| What::Waiver { action, guard }),
        3 => (any::<u8>(), 0..900u16).prop_map(|(deadline, in_days)| What::FixPlan { deadline, in_days }),
        3 => (any::<u8>(), 0..500u16, odd_text())
            .prop_map(|(deadline, by_days, reason)| What::RequestExtension { deadline, by_days, reason }),
        3 => (0..4u8, any::<bool>(), odd_text())
            .prop_map(|(request, grant, reason)| What::DecideExtension { request, grant, reason }),
        2 => odd_text().prop_map(What::LiftFreeze),
        1 => (0..4u8).prop_map(What::Migrate),
    ]
}

fn step() -> impl Strategy<Value = Step> {
    (
        prop_oneof![3 => 0..48u32, 2 => 0..(24 * 20u32), 1 => 0..(24 * 60u32)],
        who(),
        what(),
    )
        .prop_map(|(advance_hours, who, what)| Step {
            advance_hours,
            who,
            what,
        })
}

fn pick<T: Clone>(items: &[T], index: u8) -> Option<T> {
    if items.is_empty() {
        None
    } else {
        items.get(usize::from(index) % items.len()).cloned()
    }
}

fn codes(items: &[specflow_engine::definition::NamedItem]) -> Vec<String> {
    items.iter().map(|item| item.code.clone()).collect()
}

/// What the guards of the actions open now name: artifact kinds, motions and fields. The
/// generator leans towards them, so that random runs get past the first stages.
#[derive(Default)]
struct Needs {
    artifact_kinds: Vec<String>,
    motions: Vec<String>,
    fields: Vec<String>,
    sign_offs: Vec<String>,
}

fn collect_needs(guard: &specflow_engine::definition::Guard, needs: &mut Needs) {
    use specflow_engine::definition::{DateRef, GuardRule};
    match &guard.rule {
        GuardRule::ArtifactsPresent { artifact_kinds } => {
            needs.artifact_kinds.extend(artifact_kinds.iter().cloned());
        }
        GuardRule::NoticeBeforeMeeting { motion, .. }
        | GuardRule::VoteHeld { motion, .. }
        | GuardRule::VotePasses { motion, .. } => needs.motions.push(motion.clone()),
        GuardRule::FieldRecorded { field } => needs.fields.push(field.clone()),
        GuardRule::SignedOff { subject, .. } => needs.sign_offs.push(subject.clone()),
        GuardRule::DateOrder { earlier, later, .. } => {
            for date in [earlier, later] {
                if let DateRef::Field(field) = date {
                    needs.fields.push(field.clone());
                }
            }
        }
        GuardRule::All(inner) | GuardRule::Any(inner) => {
            for guard in inner {
                collect_needs(guard, needs);
            }
        }
        GuardRule::Not(inner) => collect_needs(inner, needs),
        _ => {}
    }
}

fn needs(state: &ProjectState, definition: &WorkflowDefinition) -> Needs {
    let mut needs = Needs::default();
    for transition in definition.outgoing(state.stage()) {
        for guard in &transition.guards {
            collect_needs(guard, &mut needs);
        }
    }
    needs
        .artifact_kinds
        .retain(|kind| !state.has_artifact(kind));
    needs
}

/// An item the guards need three times in four, if there is one, else any item.
fn pick_leaning(needed: &[String], all: &[String], index: u8) -> String {
    if !index.is_multiple_of(4) && !needed.is_empty() {
        pick(needed, index / 4).unwrap_or_default()
    } else {
        pick(all, index / 4).unwrap_or_default()
    }
}

/// The command a step asks for in this state, and the roles allowed to give it.
fn materialise(
    step: &Step,
    state: &ProjectState,
    definition: &WorkflowDefinition,
    now: DateTime<Utc>,
) -> (Command, Vec<String>) {
    let today = now.with_timezone(&definition.local_utc_offset).date_naive();
    let days = |count: i64| today + Duration::days(count);
    let roles = |kind: CommandKind| definition.roles_for(kind).to_vec();
    let outgoing: Vec<_> = definition.outgoing(state.stage()).collect();
    // Cancelling has commands of its own; firing "an action open now" means moving on.
    let onwards: Vec<_> = outgoing
        .iter()
        .copied()
        .filter(|transition| !transition.cancels)
        .collect();
    let needs = needs(state, definition);
    let mut actions: Vec<String> = definition
        .transitions
        .iter()
        .map(|transition| transition.action.clone())
        .collect();
    actions.push("teleport".to_string());
    let meeting_id = |id: u8| format!("m{id}");
    match &step.what {
        What::Create(kind) => {
            let mut kinds = codes(&definition.specification_kinds);
            kinds.push("novel".to_string());
            let kind = pick(&kinds, *kind).unwrap_or_default();
            (
                Command::CreateProject(NewProject {
                    project_id: Uuid::from_u128(42),
                    code: definition
                        .format_code(&kind, 2026, 1)
                        .unwrap_or_else(|| "P-1".to_string()),
                    title: specflow_engine::LocalizedText::new("题目", "title"),
                    specification_kind: kind,
                    committee: "TC".to_string(),
                    drafting_unit: "Unit".to_string(),
                    definition_id: definition.id.clone(),
                    definition_version: definition.version,
                    flags: Default::default(),
                }),
                roles(CommandKind::CreateProject),
            )
        }
        What::FireOutgoing(index, reason) => match pick(&onwards, *index) {
            Some(transition) => (
                Command::FireAction {
                    action: transition.action.clone(),
                    reason: reason.clone(),
                },
                transition.roles.clone(),
            ),
            None => (
                Command::FireAction {
                    action: pick(&actions, *index).unwrap_or_default(),
                    reason: reason.clone(),
                },
                Vec::new(),
            ),
        },
        What::FireAnything(index, reason) => (
            Command::FireAction {
                action: pick(&actions, *index).unwrap_or_default(),
                reason: reason.clone(),
            },
            Vec::new(),
        ),
        What::Cancel(reason) => (
            Command::Cancel {
                reason: reason.clone(),
            },
            outgoing
                .iter()
                .find(|transition| transition.cancels)
                .map(|transition| transition.roles.clone())
                .unwrap_or_default(),
        ),
        What::Attach {
            kind,
            version,
            bad_digest,
        } => {
            let mut kinds = codes(&definition.artifact_kinds);
            kinds.push("photo".to_string());
            let kind = pick_leaning(&needs.artifact_kinds, &kinds, *kind);
            let mut artifact: Artifact = artifact_version(&kind, u32::from(*version));
            if *bad_digest {
                artifact.sha256 = artifact.sha256.to_uppercase();
            }
            (
                Command::AttachArtifact(artifact),
                roles(CommandKind::AttachArtifact),
            )
        }
        What::Consult { first, count } => (
            Command::RecordOrganisationsConsulted {
                organisations: organisation_names(
                    usize::from(*first),
                    usize::from(*first) + usize::from(*count),
                ),
            },
            roles(CommandKind::RecordOrganisationsConsulted),
        ),
        What::Comment { id, text } => (
            Command::RecordComment(Comment {
                comment_id: format!("c{id}"),
                organisation: "单位01".to_string(),
                clause: None,
                text: text.clone(),
            }),
            roles(CommandKind::RecordComment),
        ),
        What::Dispose {
            id,
            disposition,
            reason,
        } => (
            Command::DisposeComment {
                comment_id: pick_leaning(
                    &state
                        .comments
                        .iter()
                        .filter(|entry| entry.disposition.is_none())
                        .map(|entry| entry.comment_id.to_string())
                        .collect::<Vec<_>>(),
                    &[format!("c{id}")],
                    *id,
                ),
                disposition: match disposition {
                    0 => Disposition::Accepted,
                    1 => Disposition::PartlyAccepted,
                    _ => Disposition::NotAccepted,
                },
                reason: reason.clone(),
            },
            roles(CommandKind::DisposeComment),
        ),
        What::Schedule {
            id,
            motion,
            letter,
            notice_days,
            in_days,
        } => {
            let motion = pick_leaning(&needs.motions, &codes(&definition.motions), *motion);
            let form = if *letter {
                MeetingForm::Letter
            } else {
                MeetingForm::Meeting
            };
            let meeting_on = days(i64::from(*in_days));
            let mut schedule =
                meeting_schedule(&meeting_id(*id), &motion, form, "2025-01-01", "2025-01-01");
            schedule.meeting_on = meeting_on;
            schedule.documents_sent_on = meeting_on - Duration::days(i64::from(*notice_days));
            (
                Command::ScheduleMeeting(schedule),
                roles(CommandKind::ScheduleMeeting),
            )
        }
        What::Meeting {
            id,
            motion,
            letter,
            ballot,
            passing,
            outsider,
        } => {
            let motion = pick_leaning(&needs.motions, &codes(&definition.motions), *motion);
            let form = if *letter {
                MeetingForm::Letter
            } else {
                MeetingForm::Meeting
            };
            let (roll, present, in_favour, against, abstain, non_voting) = *ballot;
            let ballot = if *passing {
                Ballot {
                    roll: 15,
                    present: 12,
                    in_favour: 10,
                    against: 1,
                    abstain: 1,
                    non_voting: usize::from(non_voting),
                }
            } else {
                Ballot {
                    roll: usize::from(roll),
                    present: usize::from(present),
                    in_favour: usize::from(in_favour),
                    against: usize::from(against),
                    abstain: usize::from(abstain),
                    non_voting: usize::from(non_voting),
                }
            };
            let mut record = meeting_record(&meeting_id(*id), &motion, form, "2025-01-01", ballot);
            record.held_on = today;
            if *outsider {
                record.votes.push(specflow_engine::command::Vote {
                    member: "外来者".to_string(),
                    choice: specflow_engine::command::VoteChoice::InFavour,
                });
            }
            (
                Command::RecordMeeting(record),
                roles(CommandKind::RecordMeeting),
            )
        }
        What::SignOff(subject) => {
            let mut subjects = codes(&definition.sign_offs);
            subjects.push("good_vibes".to_string());
            let subject = pick_leaning(&needs.sign_offs, &subjects, *subject);
            // Who signs matters to the guard: prefer a role a guard asks for.
            let by_roles: Vec<String> = definition
                .transitions
                .iter()
                .flat_map(|transition| &transition.guards)
                .filter_map(|guard| match &guard.rule {
                    specflow_engine::definition::GuardRule::SignedOff {
                        subject: wanted,
                        by_role,
                    } if wanted == &subject => Some(by_role.clone()),
                    _ => None,
                })
                .collect();
            let allowed = if by_roles.is_empty() {
                roles(CommandKind::SignOff)
            } else {
                by_roles
            };
            (Command::SignOff { subject }, allowed)
        }
        What::Field { field, value, text } => {
            let mut fields: Vec<String> = definition
                .fields
                .iter()
                .map(|field| field.code.clone())
                .collect();
            fields.push("colour".to_string());
            let field = pick_leaning(&needs.fields, &fields, *field);
            let value = match value {
                0 => FieldValue::Text(text.clone()),
                1 => FieldValue::Date(days(-i64::from(text.len() as u8))),
                2 => FieldValue::Project(Uuid::from_u128(7)),
                _ => match definition.field(&field).map(|field| field.value_type) {
                    Some(specflow_engine::definition::FieldType::Date) => {
                        FieldValue::Date(days(-1))
                    }
                    Some(specflow_engine::definition::FieldType::Project) => {
                        FieldValue::Project(Uuid::from_u128(7))
                    }
                    _ => FieldValue::Text("记录".to_string()),
                },
            };
            (
                Command::RecordField { field, value },
                roles(CommandKind::RecordField),
            )
        }
        What::Publication {
            in_days,
            effective_after,
        } => {
            let publication_date = days(i64::from(*in_days));
            (
                Command::RecordPublication(Publication {
                    specification_number: "JJF(沪) 1-2025".to_string(),
                    publication_date,
                    effective_date: publication_date + Duration::days(i64::from(*effective_after)),
                }),
                roles(CommandKind::RecordPublication),
            )
        }
        What::Waiver { action, guard } => {
            let transition = pick(&outgoing, *action);
            let (action, guard, allowed) = match transition {
                Some(transition) => {
                    let guard = pick(&transition.guards, *guard);
                    (
                        transition.action.clone(),
                        guard
                            .as_ref()
                            .map(|guard| guard.id.clone())
                            .unwrap_or_else(|| "none".to_string()),
                        guard.map(|guard| guard.waivable_by).unwrap_or_default(),
                    )
                }
                None => ("teleport".to_string(), "none".to_string(), Vec::new()),
            };
            (
                Command::RecordWaiver(Waiver {
                    action,
                    guard,
                    authority: "沪市监〔2025〕1号".to_string(),
                    reason: "紧急".to_string(),
                }),
                if allowed.is_empty() {
                    roles(CommandKind::RecordWaiver)
                } else {
                    allowed
                },
            )
        }
        What::FixPlan { deadline, in_days } => {
            let mut ids: Vec<String> = definition
                .deadlines
                .iter()
                .map(|rule| rule.id.clone())
                .collect();
            ids.push("someday".to_string());
            let mut due_dates = BTreeMap::new();
            due_dates.insert(
                pick(&ids, *deadline).unwrap_or_default(),
                days(i64::from(*in_days)),
            );
            (Command::FixPlan { due_dates }, roles(CommandKind::FixPlan))
        }
        What::RequestExtension {
            deadline,
            by_days,
            reason,
        } => {
            let running: Vec<_> = state
                .deadlines
                .iter()
                .filter(|entry| entry.is_open())
                .collect();
            let (deadline, due_on) = match pick(&running, *deadline) {
                Some(entry) => (
                    entry.deadline.clone(),
                    entry.times.map_or(today, |times| times.due_on),
                ),
                None => ("someday".to_string(), today),
            };
            (
                Command::RequestExtension {
                    request_id: format!("x{}", state.extension_requests.len() % 3),
                    deadline,
                    new_due_on: due_on + Duration::days(i64::from(*by_days)),
                    reason: reason.clone(),
                },
                roles(CommandKind::RequestExtension),
            )
        }
        What::DecideExtension {
            request,
            grant,
            reason,
        } => {
            let request_id = format!("x{request}");
            let command = if *grant {
                Command::GrantExtension {
                    request_id,
                    reason: reason.clone(),
                }
            } else {
                Command::RefuseExtension {
                    request_id,
                    reason: reason.clone(),
                }
            };
            (command, roles(CommandKind::DecideExtension))
        }
        What::LiftFreeze(reason) => (
            Command::LiftFreeze {
                reason: reason.clone(),
            },
            roles(CommandKind::LiftFreeze),
        ),
        What::Migrate(version) => (
            Command::MigrateDefinition {
                to_version: u32::from(*version),
            },
            roles(CommandKind::MigrateDefinition),
        ),
    }
}

fn actor_for(who: &Who, allowed: &[String], definition: &WorkflowDefinition) -> Actor {
    let all: Vec<String> = codes(&definition.roles);
    match who {
        Who::Allowed(index, second) => {
            let role = pick(allowed, *index)
                .or_else(|| pick(&all, *index))
                .unwrap_or_default();
            let person = if *second { 2 } else { 1 };
            Actor::new(format!("{role}.{person}"), role)
        }
        Who::AnyRole(index) => {
            let role = pick(&all, *index).unwrap_or_default();
            Actor::new(format!("{role}.1"), role)
        }
        Who::Stranger => Actor::new("stranger", "janitor"),
    }
}

/// Runs the steps as the service would: tick, then decide and apply; returns the log and the
/// live state.
fn run(steps: &[Step], definition: &WorkflowDefinition) -> (Vec<Event>, ProjectState) {
    let mut state = ProjectState::new();
    let mut log: Vec<Event> = Vec::new();
    let mut now = at("2025-01-06");
    for (index, step) in steps.iter().enumerate() {
        now += Duration::hours(i64::from(step.advance_hours));
        for event in tick(&state, definition, now) {
            state.apply(&event);
            log.push(event);
        }
        // The first step creates the project, so that runs get somewhere; later creations are
        // refused, since the project exists.
        let step = if index == 0 {
            &Step {
                advance_hours: step.advance_hours,
                who: Who::Allowed(0, false),
                what: What::Create(0),
            }
        } else {
            step
        };
        let (command, allowed) = materialise(step, &state, definition, now);
        let actor = actor_for(&step.who, &allowed, definition);
        if let Ok(events) = decide(&state, definition, &command, &actor, now) {
            for event in events {
                state.apply(&event);
                log.push(event);
            }
        }
    }
    (log, state)
}

fn stage_change(event: &EventBody) -> Option<(&str, &str, &str, Option<String>, bool)> {
    match event {
        EventBody::ActionFired {
            action,
            from,
            to,
            reason,
            ..
        } => Some((action, from, to, reason.clone(), false)),
        EventBody::ProjectCancelled {
            action,
            from,
            to,
            reason,
        } => Some((action, from, to, Some(reason.clone()), true)),
        _ => None,
    }
}

/// Checks the log against the definition; an error says which event broke what.
fn check_log(
    log: &[Event],
    live: &ProjectState,
    definition: &WorkflowDefinition,
) -> Result<(), String> {
    let replayed = ProjectState::replay(log);
    if &replayed != live {
        return Err("replaying the log does not give the live state".to_string());
    }
    // `apply_owned` is the same fold over owned events (a parser's), written by the same macro.
    let mut replayed_owned = ProjectState::new();
    for event in log.iter().cloned() {
        replayed_owned.apply_owned(event);
    }
    if &replayed_owned != live {
        return Err("replaying the log's events owned does not give the live state".to_string());
    }
    if let Some(index) = log
        .windows(2)
        .position(|pair| pair[1].occurred_at < pair[0].occurred_at)
    {
        return Err(format!("event {} happened before event {index}", index + 1));
    }
    let mut before = ProjectState::new();
    for (index, event) in log.iter().enumerate() {
        before
            .check_applicable(&event.body)
            .map_err(|problem| format!("event {index} ({}): {problem}", event.body.type_name()))?;
        let mut after = before.clone();
        after.apply(event);
        let changed = before.project.is_some() && after.stage() != before.stage();
        match stage_change(&event.body) {
            None if changed => {
                return Err(format!(
                    "event {index} ({}) changed the stage from {} to {}",
                    event.body.type_name(),
                    before.stage(),
                    after.stage()
                ));
            }
            None => {}
            Some((action, from, to, reason, cancels)) => {
                let transition = definition
                    .transition_from(before.stage(), action)
                    .ok_or_else(|| {
                        format!(
                            "event {index}: no transition '{action}' from '{}'",
                            before.stage()
                        )
                    })?;
                if from != before.stage() || to != transition.to || transition.cancels != cancels {
                    return Err(format!(
                        "event {index}: '{action}' recorded {from} -> {to}, the definition says {} -> {}",
                        before.stage(),
                        transition.to
                    ));
                }
                let command = Command::FireAction {
                    action: action.to_string(),
                    reason,
                };
                let again = decide(
                    &before,
                    definition,
                    &command,
                    &event.actor,
                    event.occurred_at,
                )
                .map_err(|rejection| {
                    format!(
                        "event {index}: '{action}' by {} is refused when decided again:\n{}",
                        event.actor.id,
                        explain(&rejection)
                    )
                })?;
                let recorded = log.get(index..index + again.len()).unwrap_or_default();
                if again.as_slice() != recorded {
                    return Err(format!(
                        "event {index}: deciding '{action}' again gives other events"
                    ));
                }
            }
        }
        before = after;
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 256,
        // An integration test has no lib.rs for the default place; keep failures beside this file.
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource("regressions"))),
        ..ProptestConfig::default()
    })]

    #[test]
    fn any_metrology_history_replays_and_every_stage_change_is_justified(
        steps in proptest::collection::vec(step(), 1..120)
    ) {
        let (log, live) = run(&steps, metrology());
        if let Err(problem) = check_log(&log, &live, metrology()) {
            prop_assert!(false, "{problem}");
        }
    }

    #[test]
    fn any_iso_history_replays_and_every_stage_change_is_justified(
        steps in proptest::collection::vec(step(), 1..120)
    ) {
        let (log, live) = run(&steps, iso());
        if let Err(problem) = check_log(&log, &live, iso()) {
            prop_assert!(false, "{problem}");
        }
    }

    #[test]
    fn a_mangled_definition_is_refused_or_loaded_and_never_panics(
        cuts in proptest::collection::vec((any::<u16>(), 0..4u8, "\\PC{0,3}"), 1..6)
    ) {
        let mut lines: Vec<String> = METROLOGY_TOML.lines().map(str::to_string).collect();
        for (position, edit, text) in cuts {
            let index = usize::from(position) % lines.len().max(1);
            match edit {
                0 => {
                    lines.remove(index);
                }
                1 => {
                    let copy = lines[index].clone();
                    lines.insert(index, copy);
                }
                2 => lines[index].push_str(&text),
                _ => {
                    let line = &lines[index];
                    let keep: String = line.chars().take(line.chars().count() / 2).collect();
                    lines[index] = format!("{keep}{text}");
                }
            }
        }
        let text = lines.join("\n");
        match WorkflowDefinition::from_toml("mangled.toml", &text) {
            Ok(_) => {}
            Err(error) => {
                prop_assert!(!error.problems.is_empty());
                for problem in &error.problems {
                    if let Some(line) = problem.line {
                        prop_assert!(line >= 1 && line <= text.lines().count() + 1, "{problem}");
                    }
                }
            }
        }
    }
}

/// The generator reaches far enough into the lifecycle for the properties to mean something.
#[test]
fn random_histories_reach_the_later_stages() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let strategy = proptest::collection::vec(step(), 120);
    let mut deepest = std::collections::BTreeSet::new();
    for _ in 0..200 {
        let steps = strategy
            .new_tree(&mut runner)
            .map(|tree| tree.current())
            .unwrap_or_default();
        let (log, live) = run(&steps, metrology());
        if let Err(problem) = check_log(&log, &live, metrology()) {
            panic!("{problem}");
        }
        for visit in &live.visits {
            deepest.insert(visit.stage.clone());
        }
    }
    for stage in [
        "proposal",
        "drafting",
        "consultation",
        "resolution",
        "review",
        "cancelled",
    ] {
        assert!(
            deepest.contains(stage),
            "no run reached {stage}: {deepest:?}"
        );
    }
}
