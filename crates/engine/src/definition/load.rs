//! Loading a definition: parse the TOML, check the whole of it, report every problem with its place.
//!
//! Validation never stops at the first problem: a person fixing a file wants the full list.
//! It checks references (stages, roles, artifact kinds, fields, motions), the shape of the graph
//! (every stage reachable, every non-terminal stage has a way out, every action has a role),
//! and the values (fractions in (0, 1], well-formed durations, unique codes).

use super::raw::{RawDefinition, RawGuard, RawNamed, RawNotification, RawThreshold};
use super::{
    CommandKind, Comparison, Counter, DateRef, DraftingUnitMembers, FieldDefinition, FieldType,
    Guard, GuardRule, MeetingForm, NamedItem, NotificationRule, Stage, Threshold, Transition,
    VoteBase, WorkflowDefinition,
};
use crate::duration::DurationSpec;
use crate::fraction::Fraction;
use crate::location::{Problem, SourceText};
use chrono::{FixedOffset, Offset, Utc};
use std::collections::{BTreeSet, HashMap, HashSet, VecDeque};
use std::ops::Range;
use toml::Spanned;

/// Every problem found in a definition file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", render_problems(.problems))]
pub struct DefinitionError {
    /// The problems, in the order they appear in the file where the order is known.
    pub problems: Vec<Problem>,
}

fn render_problems(problems: &[Problem]) -> String {
    problems
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

/// The guard kinds a definition may use, for the "unknown guard kind" message.
pub const GUARD_KINDS: [&str; 14] = [
    "artifacts_present",
    "time_in_stage_at_least",
    "notice_before_meeting",
    "count_at_least",
    "comments_all_disposed",
    "vote_held",
    "vote_passes",
    "signed_off",
    "different_actor",
    "field_recorded",
    "date_order",
    "all",
    "any",
    "not",
];

struct Validator<'text> {
    source: SourceText<'text>,
    problems: Vec<Problem>,
}

impl Validator<'_> {
    fn error(&mut self, span: Range<usize>, message: impl Into<String>) {
        self.problems.push(self.source.problem_at(span, message));
    }

    fn error_without_place(&mut self, message: impl Into<String>) {
        self.problems
            .push(self.source.problem_without_place(message));
    }

    fn named_items(&mut self, what: &str, raw: Vec<Spanned<RawNamed>>) -> Vec<NamedItem> {
        let mut seen = HashSet::new();
        let mut items = Vec::with_capacity(raw.len());
        for item in raw {
            let span = item.span();
            let item = item.into_inner();
            let code_span = item.code.span();
            let code = item.code.into_inner();
            self.check_code(what, &code, code_span.clone());
            if !seen.insert(code.clone()) {
                self.error(code_span, format!("duplicate {what} code '{code}'"));
                continue;
            }
            let _ = span;
            items.push(NamedItem {
                code,
                name: item.name,
            });
        }
        items
    }

    fn check_code(&mut self, what: &str, code: &str, span: Range<usize>) {
        let well_formed = !code.is_empty()
            && code.chars().all(|character| {
                character.is_ascii_lowercase()
                    || character.is_ascii_digit()
                    || character == '_'
                    || character == '-'
            });
        if !well_formed {
            self.error(
                span,
                format!(
                    "{what} code '{code}' must be non-empty lowercase letters, digits, '_' or '-'"
                ),
            );
        }
    }
}

struct Known {
    stages: HashSet<String>,
    roles: HashSet<String>,
    specification_kinds: HashSet<String>,
    artifact_kinds: HashSet<String>,
    fields: HashMap<String, FieldType>,
    motions: HashSet<String>,
    sign_offs: HashSet<String>,
    actions: HashSet<String>,
}

/// The roles as written, each checked against the definition's roles; an unknown one is reported
/// at its place as `unknown(role)` followed by the list of roles.
fn checked_roles(
    validator: &mut Validator<'_>,
    known_roles: &HashSet<String>,
    roles: &[Spanned<String>],
    unknown: impl Fn(&str) -> String,
) -> Vec<String> {
    roles
        .iter()
        .map(|role| {
            if !known_roles.contains(role.get_ref()) {
                validator.error(
                    role.span(),
                    format!(
                        "{}; roles are: {}",
                        unknown(role.get_ref()),
                        list(known_roles)
                    ),
                );
            }
            role.get_ref().clone()
        })
        .collect()
}

fn list(items: &HashSet<String>) -> String {
    let mut sorted: Vec<&String> = items.iter().collect();
    sorted.sort();
    sorted
        .iter()
        .map(|item| item.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Loads and validates a definition.
pub fn load(file_name: &str, text: &str) -> Result<WorkflowDefinition, DefinitionError> {
    let source = SourceText::new(file_name, text);
    let raw: RawDefinition = toml::from_str(text).map_err(|error| DefinitionError {
        problems: vec![source.toml_problem(&error)],
    })?;
    let mut validator = Validator {
        source,
        problems: Vec::new(),
    };
    let mut definition = validate(&mut validator, raw);
    if validator.problems.is_empty() {
        definition.describe_guards();
        Ok(definition)
    } else {
        Err(DefinitionError {
            problems: validator.problems,
        })
    }
}

fn validate(validator: &mut Validator<'_>, raw: RawDefinition) -> WorkflowDefinition {
    let id_span = raw.id.span();
    let id = raw.id.into_inner();
    validator.check_code("definition", &id, id_span);
    let version_span = raw.version.span();
    let version = match u32::try_from(*raw.version.get_ref()) {
        Ok(version) if version >= 1 => version,
        _ => {
            validator.error(version_span, "version must be a whole number from 1 up");
            1
        }
    };
    let local_utc_offset = match raw.local_utc_offset.get_ref().parse::<FixedOffset>() {
        Ok(parsed) => parsed,
        Err(_) => {
            validator.error(
                raw.local_utc_offset.span(),
                format!(
                    "local_utc_offset '{}' is not an offset such as +08:00",
                    raw.local_utc_offset.get_ref()
                ),
            );
            Utc.fix()
        }
    };
    let calendar = raw.calendar.map(|calendar| {
        let span = calendar.span();
        let calendar = calendar.into_inner();
        validator.check_code("calendar", &calendar, span);
        calendar
    });

    let roles = validator.named_items("role", raw.roles);
    let mut code_prefixes = std::collections::BTreeMap::new();
    let kinds_as_named: Vec<Spanned<RawNamed>> = raw
        .specification_kinds
        .into_iter()
        .map(|kind| {
            let span = kind.span();
            let kind = kind.into_inner();
            if let Some(prefix) = kind.code_prefix {
                code_prefixes.insert(kind.code.get_ref().clone(), prefix);
            }
            Spanned::new(
                span,
                RawNamed {
                    code: kind.code,
                    name: kind.name,
                },
            )
        })
        .collect();
    let specification_kinds = validator.named_items("specification kind", kinds_as_named);
    let code_format = raw.code_format.map(|format| {
        let span = format.span();
        let format = format.into_inner();
        let mut rest = format.as_str();
        while let Some(start) = rest.find('{') {
            let after = &rest[start..];
            let end = after.find('}').unwrap_or(after.len());
            let placeholder = &after[..(end + 1).min(after.len())];
            if !["{prefix}", "{year}", "{number}"].contains(&placeholder) {
                validator.error(
                    span.clone(),
                    format!("code_format: unknown placeholder '{placeholder}'; use {{prefix}}, {{year}} and {{number}}"),
                );
            }
            rest = &after[placeholder.len().max(1)..];
        }
        if !format.contains("{number}") {
            validator.error(span.clone(), "code_format must contain {number}, so that codes differ".to_string());
        }
        if format.contains("{prefix}") {
            for kind in &specification_kinds {
                if !code_prefixes.contains_key(&kind.code) {
                    validator.error(
                        span.clone(),
                        format!("code_format uses {{prefix}} but specification kind '{}' has no code_prefix", kind.code),
                    );
                }
            }
        }
        format
    });
    let artifact_kinds = validator.named_items("artifact kind", raw.artifact_kinds);
    let motions = validator.named_items("motion", raw.motions);
    let sign_offs = validator.named_items("sign-off", raw.sign_offs);

    let mut fields = Vec::new();
    let mut field_types = HashMap::new();
    for field in raw.fields {
        let field = field.into_inner();
        let code_span = field.code.span();
        let code = field.code.into_inner();
        validator.check_code("field", &code, code_span.clone());
        let value_type = match field.value_type.get_ref().as_str() {
            "text" => FieldType::Text,
            "date" => FieldType::Date,
            "project" => FieldType::Project,
            other => {
                validator.error(
                    field.value_type.span(),
                    format!("field '{code}': unknown type '{other}'; use text, date or project"),
                );
                FieldType::Text
            }
        };
        if field_types.insert(code.clone(), value_type).is_some() {
            validator.error(code_span, format!("duplicate field code '{code}'"));
            continue;
        }
        fields.push(FieldDefinition {
            code,
            name: field.name,
            value_type,
        });
    }

    let mut stages = Vec::new();
    let mut stage_spans = HashMap::new();
    for stage in raw.stages {
        let stage = stage.into_inner();
        let code_span = stage.code.span();
        let code = stage.code.into_inner();
        validator.check_code("stage", &code, code_span.clone());
        if stage_spans
            .insert(code.clone(), code_span.clone())
            .is_some()
        {
            validator.error(code_span, format!("duplicate stage code '{code}'"));
            continue;
        }
        stages.push(Stage {
            code,
            name: stage.name,
            iso_code: stage.iso_code,
            terminal: stage.terminal,
        });
    }
    if stages.is_empty() {
        validator.error_without_place("the definition has no stages");
    }

    let known = Known {
        stages: stages.iter().map(|stage| stage.code.clone()).collect(),
        roles: roles.iter().map(|item| item.code.clone()).collect(),
        specification_kinds: specification_kinds
            .iter()
            .map(|item| item.code.clone())
            .collect(),
        artifact_kinds: artifact_kinds
            .iter()
            .map(|item| item.code.clone())
            .collect(),
        fields: field_types,
        motions: motions.iter().map(|item| item.code.clone()).collect(),
        sign_offs: sign_offs.iter().map(|item| item.code.clone()).collect(),
        actions: raw
            .transitions
            .iter()
            .map(|transition| transition.get_ref().action.get_ref().clone())
            .collect(),
    };

    let initial_span = raw.initial_stage.span();
    let initial_stage = raw.initial_stage.into_inner();
    if !known.stages.contains(&initial_stage) {
        validator.error(
            initial_span,
            format!(
                "initial_stage '{initial_stage}' is not a stage; stages are: {}",
                list(&known.stages)
            ),
        );
    }

    let mut transitions = Vec::new();
    let mut seen_pairs: HashSet<(String, String)> = HashSet::new();
    for transition in raw.transitions {
        let transition_span = transition.span();
        let transition = transition.into_inner();
        let action_span = transition.action.span();
        let action = transition.action.into_inner();
        validator.check_code("action", &action, action_span.clone());
        let mut from = Vec::new();
        let from_span = transition.from.span();
        if transition.from.get_ref().is_empty() {
            validator.error(
                from_span,
                format!("action '{action}': 'from' lists no stage"),
            );
        }
        for stage in transition.from.into_inner() {
            let span = stage.span();
            let stage = stage.into_inner();
            if !known.stages.contains(&stage) {
                validator.error(
                    span.clone(),
                    format!(
                        "action '{action}': unknown stage '{stage}' in 'from'; stages are: {}",
                        list(&known.stages)
                    ),
                );
            }
            if !seen_pairs.insert((stage.clone(), action.clone())) {
                validator.error(
                    span,
                    format!("action '{action}' is defined twice from stage '{stage}'"),
                );
            }
            from.push(stage);
        }
        let to_span = transition.to.span();
        let to = transition.to.into_inner();
        if !known.stages.contains(&to) {
            validator.error(
                to_span,
                format!(
                    "action '{action}': unknown stage '{to}' in 'to'; stages are: {}",
                    list(&known.stages)
                ),
            );
        }
        let roles_span = transition.roles.span();
        let transition_roles = checked_roles(
            validator,
            &known.roles,
            transition.roles.get_ref(),
            |role| format!("action '{action}': unknown role '{role}'"),
        );
        if transition_roles.is_empty() {
            validator.error(
                roles_span,
                format!("action '{action}' can be fired by no role: list at least one in 'roles'"),
            );
        }
        let mut guard_ids = HashSet::new();
        let mut guards = Vec::new();
        for guard in transition.guards {
            if let Some(guard) = convert_guard(validator, &known, &action, guard, &mut guard_ids) {
                guards.push(guard);
            }
        }
        let _ = transition_span;
        transitions.push(Transition {
            action,
            name: transition.name,
            from,
            to,
            roles: transition_roles,
            guards,
            requires_reason: transition.requires_reason || transition.cancels,
            cancels: transition.cancels,
        });
    }

    let mut permissions = Vec::new();
    for (key, roles_value) in raw.permissions {
        let span = roles_value.span();
        let Some(kind) = CommandKind::from_code(&key) else {
            let kinds: Vec<&str> = CommandKind::ALL.iter().map(|kind| kind.code()).collect();
            validator.error(
                span,
                format!(
                    "[permissions]: unknown command '{key}'; commands are: {}",
                    kinds.join(", ")
                ),
            );
            continue;
        };
        let permitted = checked_roles(validator, &known.roles, roles_value.get_ref(), |role| {
            format!("[permissions] {key}: unknown role '{role}'")
        });
        permissions.push((kind, permitted));
    }
    permissions.sort_by_key(|(kind, _)| *kind);

    let deadlines = convert_deadlines(validator, &known, raw.deadlines);
    let extensions = raw
        .extensions
        .map(|extensions| convert_extensions(validator, extensions.into_inner()))
        .unwrap_or_default();
    let reexamination = raw
        .reexamination
        .and_then(|rule| convert_reexamination(validator, &known, rule.into_inner()));

    let milestones = raw
        .milestones
        .map(|milestones| convert_milestones(validator, &known, milestones.into_inner()))
        .unwrap_or_default();

    let notifications = raw
        .notifications
        .into_iter()
        .map(|rule| convert_notification(validator, &known, rule.into_inner()))
        .collect();

    let mut outgoing: HashMap<String, Vec<usize>> = HashMap::new();
    for (index, transition) in transitions.iter().enumerate() {
        for stage in &transition.from {
            outgoing.entry(stage.clone()).or_default().push(index);
        }
    }

    check_graph(
        validator,
        &stages,
        &stage_spans,
        &transitions,
        &outgoing,
        &initial_stage,
    );

    let drafting_unit_members = match raw.votes.map(Spanned::into_inner) {
        None => DraftingUnitMembers::Vote,
        Some(votes) => match votes.drafting_unit_members.get_ref().as_str() {
            _ if votes
                .source
                .as_deref()
                .is_some_and(|source| source.trim().is_empty()) =>
            {
                validator.error(
                    votes.drafting_unit_members.span(),
                    "votes.source is empty: cite where the rule comes from, or leave it out",
                );
                DraftingUnitMembers::Vote
            }
            "vote" => DraftingUnitMembers::Vote,
            "abstain" => DraftingUnitMembers::Abstain,
            other => {
                validator.error(
                    votes.drafting_unit_members.span(),
                    format!(
                        "votes.drafting_unit_members: '{other}' is neither 'vote' nor 'abstain'"
                    ),
                );
                DraftingUnitMembers::Vote
            }
        },
    };
    WorkflowDefinition {
        id,
        version,
        title: raw.title,
        local_utc_offset,
        calendar,
        code_format,
        code_prefixes,
        initial_stage,
        roles,
        specification_kinds,
        artifact_kinds,
        fields,
        motions,
        sign_offs,
        stages,
        transitions,
        permissions,
        deadlines,
        extensions,
        reexamination,
        milestones,
        notifications,
        drafting_unit_members,
        outgoing,
        working_calendar: None,
    }
}

fn convert_notification(
    validator: &mut Validator<'_>,
    known: &Known,
    raw: RawNotification,
) -> NotificationRule {
    let on_span = raw.on.span();
    let mut on = Vec::new();
    for event_type in raw.on.into_inner() {
        let span = event_type.span();
        let event_type = event_type.into_inner();
        if !crate::event::EVENT_TYPES.contains(&event_type.as_str()) {
            validator.error(
                span,
                format!(
                    "[[notifications]]: unknown event type '{event_type}'; event types are: {}",
                    crate::event::EVENT_TYPES.join(", ")
                ),
            );
        }
        on.push(event_type);
    }
    if on.is_empty() {
        validator.error(
            on_span.clone(),
            "[[notifications]]: `on` names no event type".to_string(),
        );
    }
    let mut entering = Vec::new();
    for stage in raw.entering.unwrap_or_default() {
        let span = stage.span();
        let stage = stage.into_inner();
        if !known.stages.contains(&stage) {
            validator.error(
                span,
                format!(
                    "[[notifications]]: unknown stage '{stage}' in `entering`; stages are: {}",
                    list(&known.stages)
                ),
            );
        }
        entering.push(stage);
    }
    if !entering.is_empty() && on.iter().any(|event_type| event_type != "action_fired") {
        validator.error(
            on_span,
            "[[notifications]]: `entering` applies only to `action_fired`; put other event types in a rule of their own".to_string(),
        );
    }
    let audiences_span = raw.audiences.span();
    let audiences = checked_roles(validator, &known.roles, raw.audiences.get_ref(), |role| {
        format!("[[notifications]]: unknown role '{role}' in `audiences`")
    });
    if audiences.is_empty() {
        validator.error(
            audiences_span,
            "[[notifications]]: `audiences` names no role".to_string(),
        );
    }
    NotificationRule {
        on,
        entering,
        audiences,
    }
}

fn check_graph(
    validator: &mut Validator<'_>,
    stages: &[Stage],
    stage_spans: &HashMap<String, Range<usize>>,
    transitions: &[Transition],
    outgoing: &HashMap<String, Vec<usize>>,
    initial_stage: &str,
) {
    let mut reached = BTreeSet::new();
    let mut queue = VecDeque::from([initial_stage.to_string()]);
    while let Some(stage) = queue.pop_front() {
        if !reached.insert(stage.clone()) {
            continue;
        }
        for index in outgoing.get(&stage).into_iter().flatten() {
            if let Some(transition) = transitions.get(*index) {
                queue.push_back(transition.to.clone());
            }
        }
    }
    for stage in stages {
        let span = stage_spans.get(&stage.code).cloned().unwrap_or(0..0);
        if !reached.contains(&stage.code)
            && stages
                .iter()
                .any(|candidate| candidate.code == initial_stage)
        {
            validator.error(
                span.clone(),
                format!(
                    "stage '{}' is unreachable: no transition leads to it from '{initial_stage}'",
                    stage.code
                ),
            );
        }
        let has_way_out = outgoing
            .get(&stage.code)
            .is_some_and(|indices| !indices.is_empty());
        if !stage.terminal && !has_way_out {
            validator.error(
                span.clone(),
                format!(
                    "stage '{}' is not terminal but no transition leaves it: add one, or mark it terminal = true",
                    stage.code
                ),
            );
        }
        if stage.terminal && has_way_out {
            validator.error(
                span,
                format!(
                    "stage '{}' is terminal but transitions leave it",
                    stage.code
                ),
            );
        }
    }
}

fn convert_guard(
    validator: &mut Validator<'_>,
    known: &Known,
    action: &str,
    guard: Spanned<RawGuard>,
    ids: &mut HashSet<String>,
) -> Option<Guard> {
    let span = guard.span();
    let guard = guard.into_inner();
    let kind_span = guard.guard.span();
    let kind = guard.guard.get_ref().clone();
    let context = format!("action '{action}', guard '{kind}'");

    let id = match &guard.id {
        Some(id) => {
            validator.check_code("guard id", id.get_ref(), id.span());
            id.get_ref().clone()
        }
        None => kind.clone(),
    };
    let id_span = guard.id.as_ref().map_or(span.clone(), Spanned::span);
    if !ids.insert(id.clone()) {
        validator.error(
            id_span,
            format!("action '{action}': two guards have the id '{id}'; give one an explicit 'id'"),
        );
    }

    let mut applies_to = Vec::new();
    for kind_code in guard.applies_to.iter().flatten() {
        if !known.specification_kinds.contains(kind_code.get_ref()) {
            validator.error(
                kind_code.span(),
                format!(
                    "{context}: unknown specification kind '{}' in applies_to; kinds are: {}",
                    kind_code.get_ref(),
                    list(&known.specification_kinds)
                ),
            );
        }
        applies_to.push(kind_code.get_ref().clone());
    }
    let waivable_by = checked_roles(
        validator,
        &known.roles,
        guard.waivable_by.as_deref().unwrap_or_default(),
        |role| format!("{context}: unknown role '{role}' in waivable_by"),
    );

    let mut used: Vec<&'static str> = Vec::new();
    macro_rules! take {
        ($field:ident) => {{
            used.push(stringify!($field));
            guard.$field.as_ref()
        }};
    }
    macro_rules! required {
        ($field:ident) => {{
            used.push(stringify!($field));
            match guard.$field.as_ref() {
                Some(value) => Some(value),
                None => {
                    validator.error(
                        span.clone(),
                        format!("{context}: missing '{}'", stringify!($field)),
                    );
                    None
                }
            }
        }};
    }

    // Taken before the match, which moves the inner guards of a combinator out of `guard`.
    let of_span = guard.of.as_ref().map(Spanned::span);
    let rule = match kind.as_str() {
        "artifacts_present" => {
            let kinds = required!(artifact_kinds)?;
            if kinds.get_ref().is_empty() {
                validator.error(
                    kinds.span(),
                    format!("{context}: artifact_kinds lists nothing"),
                );
            }
            let mut artifact_kinds = Vec::new();
            for artifact in kinds.get_ref() {
                if !known.artifact_kinds.contains(artifact.get_ref()) {
                    validator.error(
                        artifact.span(),
                        format!(
                            "{context}: unknown artifact kind '{}'; artifact kinds are: {}",
                            artifact.get_ref(),
                            list(&known.artifact_kinds)
                        ),
                    );
                }
                artifact_kinds.push(artifact.get_ref().clone());
            }
            GuardRule::ArtifactsPresent { artifact_kinds }
        }
        "time_in_stage_at_least" => GuardRule::TimeInStageAtLeast {
            minimum: {
                let minimum_value = required!(minimum)?;
                duration(validator, &context, minimum_value)
            }?,
        },
        "notice_before_meeting" => {
            let motion = {
                let motion_value = required!(motion)?;
                reference(validator, &context, "motion", &known.motions, motion_value)
            };
            let minimum = {
                let minimum_value = required!(minimum)?;
                duration(validator, &context, minimum_value)
            }?;
            GuardRule::NoticeBeforeMeeting { motion, minimum }
        }
        "count_at_least" => {
            let counter = required!(counter)?;
            let counter_value = match counter.get_ref().as_str() {
                "organisations_consulted" => Counter::OrganisationsConsulted,
                "comments_recorded" => Counter::CommentsRecorded,
                other => {
                    validator.error(
                        counter.span(),
                        format!("{context}: unknown counter '{other}'; counters are: organisations_consulted, comments_recorded"),
                    );
                    return None;
                }
            };
            let minimum = required!(minimum)?;
            let minimum_value = match minimum.get_ref().as_integer().map(u32::try_from) {
                Some(Ok(value)) if value >= 1 => value,
                _ => {
                    validator.error(
                        minimum.span(),
                        format!("{context}: minimum must be a whole number from 1 up"),
                    );
                    return None;
                }
            };
            GuardRule::CountAtLeast {
                counter: counter_value,
                minimum: minimum_value,
            }
        }
        "comments_all_disposed" => GuardRule::CommentsAllDisposed,
        "vote_held" => {
            let motion = {
                let motion_value = required!(motion)?;
                reference(validator, &context, "motion", &known.motions, motion_value)
            };
            let form = match take!(form) {
                None => None,
                Some(form) => Some(meeting_form(validator, &context, form)?),
            };
            GuardRule::VoteHeld { motion, form }
        }
        "vote_passes" => {
            let motion = {
                let motion_value = required!(motion)?;
                reference(validator, &context, "motion", &known.motions, motion_value)
            };
            let quorum = take!(quorum)
                .and_then(|raw| threshold(validator, &context, "quorum", raw, VoteBase::Roll));
            let in_favour = take!(in_favour).and_then(|raw| {
                threshold(validator, &context, "in_favour", raw, VoteBase::Present)
            });
            let against = take!(against).and_then(|raw| {
                threshold(validator, &context, "against", raw, VoteBase::VotesCast)
            });
            // Judged on what was written, not on what was valid: a malformed threshold has
            // its own problem and must not also be reported as missing.
            if guard.quorum.is_none() && guard.in_favour.is_none() && guard.against.is_none() {
                validator.error(
                    span.clone(),
                    format!("{context}: give at least one of quorum, in_favour, against"),
                );
            }
            GuardRule::VotePasses {
                motion,
                quorum,
                in_favour,
                against,
            }
        }
        "signed_off" => {
            let subject = {
                let subject_value = required!(subject)?;
                reference(
                    validator,
                    &context,
                    "sign-off",
                    &known.sign_offs,
                    subject_value,
                )
            };
            let by_role = {
                let by_role_value = required!(by_role)?;
                reference(validator, &context, "role", &known.roles, by_role_value)
            };
            GuardRule::SignedOff { subject, by_role }
        }
        "different_actor" => {
            let than_action = {
                let than_action_value = required!(than_action)?;
                reference(
                    validator,
                    &context,
                    "action",
                    &known.actions,
                    than_action_value,
                )
            };
            GuardRule::DifferentActor { than_action }
        }
        "field_recorded" => {
            let field = required!(field)?;
            if !known.fields.contains_key(field.get_ref()) {
                let fields: HashSet<String> = known.fields.keys().cloned().collect();
                validator.error(
                    field.span(),
                    format!(
                        "{context}: unknown field '{}'; fields are: {}",
                        field.get_ref(),
                        list(&fields)
                    ),
                );
            }
            GuardRule::FieldRecorded {
                field: field.get_ref().clone(),
            }
        }
        "date_order" => {
            let earlier = {
                let earlier_value = required!(earlier)?;
                date_ref(validator, known, &context, earlier_value)
            };
            let later = {
                let later_value = required!(later)?;
                date_ref(validator, known, &context, later_value)
            };
            let allow_equal = take!(allow_equal).is_none_or(|value| *value.get_ref());
            GuardRule::DateOrder {
                earlier: earlier?,
                later: later?,
                allow_equal,
            }
        }
        "all" | "any" | "not" => {
            used.push("of");
            let Some(inner) = guard.of else {
                validator.error(
                    span,
                    format!("{context}: missing 'of', the list of inner guards"),
                );
                return None;
            };
            let inner_span = inner.span();
            let mut inner_ids = HashSet::new();
            let inner_guards: Vec<Guard> = inner
                .into_inner()
                .into_iter()
                .filter_map(|inner| convert_guard(validator, known, action, inner, &mut inner_ids))
                .collect();
            match kind.as_str() {
                "all" | "any" if inner_guards.is_empty() => {
                    validator.error(inner_span, format!("{context}: 'of' lists no guard"));
                    return None;
                }
                "all" => GuardRule::All(inner_guards),
                "any" => GuardRule::Any(inner_guards),
                _ => {
                    let mut inner_guards = inner_guards;
                    if inner_guards.len() != 1 {
                        validator.error(
                            inner_span,
                            format!("{context}: 'not' takes exactly one guard in 'of'"),
                        );
                        return None;
                    }
                    GuardRule::Not(Box::new(inner_guards.remove(0)))
                }
            }
        }
        other => {
            validator.error(
                kind_span,
                format!(
                    "{context}: unknown guard kind '{other}'; guard kinds are: {}",
                    GUARD_KINDS.join(", ")
                ),
            );
            return None;
        }
    };

    let present_fields: [(&str, Option<Range<usize>>); 17] = [
        (
            "artifact_kinds",
            guard.artifact_kinds.as_ref().map(Spanned::span),
        ),
        ("minimum", guard.minimum.as_ref().map(Spanned::span)),
        ("motion", guard.motion.as_ref().map(Spanned::span)),
        ("form", guard.form.as_ref().map(Spanned::span)),
        ("counter", guard.counter.as_ref().map(Spanned::span)),
        ("quorum", guard.quorum.as_ref().map(Spanned::span)),
        ("in_favour", guard.in_favour.as_ref().map(Spanned::span)),
        ("against", guard.against.as_ref().map(Spanned::span)),
        ("subject", guard.subject.as_ref().map(Spanned::span)),
        ("by_role", guard.by_role.as_ref().map(Spanned::span)),
        ("than_action", guard.than_action.as_ref().map(Spanned::span)),
        ("field", guard.field.as_ref().map(Spanned::span)),
        ("earlier", guard.earlier.as_ref().map(Spanned::span)),
        ("later", guard.later.as_ref().map(Spanned::span)),
        ("allow_equal", guard.allow_equal.as_ref().map(Spanned::span)),
        ("of", of_span),
        ("guard", None),
    ];
    for (name, field_span) in present_fields {
        if let Some(field_span) = field_span
            && !used.contains(&name)
        {
            validator.error(
                field_span,
                format!("{context}: '{name}' does not apply to this guard kind"),
            );
        }
    }

    Some(Guard {
        id,
        applies_to,
        waivable_by,
        rule,
        description: None,
    })
}

fn reference(
    validator: &mut Validator<'_>,
    context: &str,
    what: &str,
    known: &HashSet<String>,
    value: &Spanned<String>,
) -> String {
    if !known.contains(value.get_ref()) {
        validator.error(
            value.span(),
            format!(
                "{context}: unknown {what} '{}'; known: {}",
                value.get_ref(),
                list(known)
            ),
        );
    }
    value.get_ref().clone()
}

fn duration(
    validator: &mut Validator<'_>,
    context: &str,
    value: &Spanned<toml::Value>,
) -> Option<DurationSpec> {
    let Some(text) = value.get_ref().as_str() else {
        validator.error(
            value.span(),
            format!("{context}: the length must be text such as \"30 days\", \"2 months\" or \"20 working days\""),
        );
        return None;
    };
    match text.parse::<DurationSpec>() {
        Ok(duration) => Some(duration),
        Err(error) => {
            validator.error(value.span(), format!("{context}: {error}"));
            None
        }
    }
}

fn meeting_form(
    validator: &mut Validator<'_>,
    context: &str,
    value: &Spanned<String>,
) -> Option<MeetingForm> {
    match value.get_ref().as_str() {
        "meeting" => Some(MeetingForm::Meeting),
        "letter" => Some(MeetingForm::Letter),
        other => {
            validator.error(
                value.span(),
                format!("{context}: unknown meeting form '{other}'; use meeting or letter"),
            );
            None
        }
    }
}

fn threshold(
    validator: &mut Validator<'_>,
    context: &str,
    name: &str,
    raw: &Spanned<RawThreshold>,
    default_base: VoteBase,
) -> Option<Threshold> {
    let span = raw.span();
    let raw = raw.get_ref();
    let given: Vec<(Comparison, &Spanned<String>)> = [
        (Comparison::AtLeast, raw.at_least.as_ref()),
        (Comparison::MoreThan, raw.more_than.as_ref()),
        (Comparison::AtMost, raw.at_most.as_ref()),
    ]
    .into_iter()
    .filter_map(|(comparison, value)| value.map(|value| (comparison, value)))
    .collect();
    let [(comparison, value)] = given.as_slice() else {
        validator.error(
            span,
            format!("{context}: {name} needs exactly one of at_least, more_than, at_most"),
        );
        return None;
    };
    let fraction = match value.get_ref().parse::<Fraction>() {
        Ok(fraction) => fraction,
        Err(error) => {
            validator.error(value.span(), format!("{context}: {name}: {error}"));
            return None;
        }
    };
    let of = match raw.of.as_ref() {
        None => default_base,
        Some(base) => {
            match base.get_ref().as_str() {
                "roll" => VoteBase::Roll,
                "present" => VoteBase::Present,
                "votes_cast" => VoteBase::VotesCast,
                other => {
                    validator.error(
                    base.span(),
                    format!("{context}: {name}: unknown base '{other}'; use roll, present or votes_cast"),
                );
                    return None;
                }
            }
        }
    };
    Some(Threshold {
        comparison: *comparison,
        fraction,
        of,
    })
}

fn date_ref(
    validator: &mut Validator<'_>,
    known: &Known,
    context: &str,
    value: &Spanned<String>,
) -> Option<DateRef> {
    let text = value.get_ref().as_str();
    let parsed = match text {
        "today" => Some(DateRef::Today),
        "publication_date" => Some(DateRef::PublicationDate),
        "effective_date" => Some(DateRef::EffectiveDate),
        _ => {
            if let Some(field) = text.strip_prefix("field:") {
                match known.fields.get(field) {
                    Some(FieldType::Date) => Some(DateRef::Field(field.to_string())),
                    Some(_) => {
                        validator.error(
                            value.span(),
                            format!("{context}: field '{field}' is not of type date"),
                        );
                        return None;
                    }
                    None => {
                        validator
                            .error(value.span(), format!("{context}: unknown field '{field}'"));
                        return None;
                    }
                }
            } else if let Some(stage) = text.strip_prefix("stage_entered:") {
                if !known.stages.contains(stage) {
                    validator.error(value.span(), format!("{context}: unknown stage '{stage}'"));
                    return None;
                }
                Some(DateRef::StageEntered(stage.to_string()))
            } else {
                None
            }
        }
    };
    if parsed.is_none() {
        validator.error(
            value.span(),
            format!(
                "{context}: unknown date '{text}'; use today, publication_date, effective_date, field:<date field> or stage_entered:<stage>"
            ),
        );
    }
    parsed
}

fn plain_duration(
    validator: &mut Validator<'_>,
    context: &str,
    value: &Spanned<String>,
) -> Option<DurationSpec> {
    match value.get_ref().parse::<DurationSpec>() {
        Ok(duration) => Some(duration),
        Err(error) => {
            validator.error(value.span(), format!("{context}: {error}"));
            None
        }
    }
}

fn convert_deadlines(
    validator: &mut Validator<'_>,
    known: &Known,
    raw: Vec<Spanned<super::raw::RawDeadline>>,
) -> Vec<super::DeadlineRule> {
    let mut ids = HashSet::new();
    let mut deadlines = Vec::new();
    for deadline in raw {
        let deadline = deadline.into_inner();
        let id_span = deadline.id.span();
        let id = deadline.id.into_inner();
        validator.check_code("deadline", &id, id_span.clone());
        if !ids.insert(id.clone()) {
            validator.error(id_span, format!("duplicate deadline id '{id}'"));
            continue;
        }
        let context = format!("deadline '{id}'");
        let start = deadline.starts_when_entering;
        if !known.stages.contains(start.get_ref()) {
            validator.error(
                start.span(),
                format!(
                    "{context}: unknown stage '{}' in starts_when_entering",
                    start.get_ref()
                ),
            );
        }
        let mut met_when_entering = Vec::new();
        for stage in deadline.met_when_entering.into_iter().flatten() {
            if !known.stages.contains(stage.get_ref()) {
                validator.error(
                    stage.span(),
                    format!(
                        "{context}: unknown stage '{}' in met_when_entering",
                        stage.get_ref()
                    ),
                );
            }
            met_when_entering.push(stage.into_inner());
        }
        let limit = plain_duration(validator, &context, &deadline.limit);
        let warning_before = deadline
            .warning_before
            .as_ref()
            .and_then(|value| plain_duration(validator, &context, value));
        let escalate_after = deadline
            .escalate_after
            .as_ref()
            .and_then(|value| plain_duration(validator, &context, value));
        if deadline.freeze_on_escalation && deadline.escalate_after.is_none() {
            validator.error(
                id_span,
                format!("{context}: freeze_on_escalation needs escalate_after, the grace before escalation"),
            );
        }
        let Some(limit) = limit else { continue };
        deadlines.push(super::DeadlineRule {
            id,
            name: deadline.name,
            starts_when_entering: start.into_inner(),
            met_when_entering,
            limit,
            planned: deadline.planned,
            warning_before,
            escalate_after,
            freeze_on_escalation: deadline.freeze_on_escalation,
        });
    }
    deadlines
}

fn convert_extensions(
    validator: &mut Validator<'_>,
    raw: super::raw::RawExtensions,
) -> super::ExtensionRules {
    let context = "[extensions]";
    let max_count = raw
        .max_count
        .and_then(|count| match u32::try_from(*count.get_ref()) {
            Ok(value) => Some(value),
            Err(_) => {
                validator.error(
                    count.span(),
                    format!("{context}: max_count must be a whole number from 0 up"),
                );
                None
            }
        });
    super::ExtensionRules {
        max_count,
        max_total: raw
            .max_total
            .as_ref()
            .and_then(|value| plain_duration(validator, context, value)),
        request_at_least_before: raw
            .request_at_least_before
            .as_ref()
            .and_then(|value| plain_duration(validator, context, value)),
    }
}

fn convert_reexamination(
    validator: &mut Validator<'_>,
    known: &Known,
    raw: super::raw::RawReexamination,
) -> Option<super::ReexaminationRule> {
    let context = "[reexamination]";
    if !known.stages.contains(raw.stage.get_ref()) {
        validator.error(
            raw.stage.span(),
            format!("{context}: unknown stage '{}'", raw.stage.get_ref()),
        );
    }
    for action in [Some(&raw.open_action), raw.restart_on_action.as_ref()]
        .into_iter()
        .flatten()
    {
        if !known.actions.contains(action.get_ref()) {
            validator.error(
                action.span(),
                format!("{context}: unknown action '{}'", action.get_ref()),
            );
        }
    }
    let interval = plain_duration(validator, context, &raw.interval)?;
    let warning_before = raw
        .warning_before
        .as_ref()
        .and_then(|value| plain_duration(validator, context, value));
    Some(super::ReexaminationRule {
        stage: raw.stage.into_inner(),
        interval,
        open_action: raw.open_action.into_inner(),
        restart_on_action: raw.restart_on_action.map(Spanned::into_inner),
        warning_before,
    })
}

fn convert_milestones(
    validator: &mut Validator<'_>,
    known: &Known,
    raw: super::raw::RawMilestones,
) -> super::Milestones {
    let mut checked = |name: &str, stage: Option<Spanned<String>>| {
        let stage = stage?;
        if !known.stages.contains(stage.get_ref()) {
            validator.error(
                stage.span(),
                format!(
                    "[milestones] {name}: unknown stage '{}'; stages are: {}",
                    stage.get_ref(),
                    list(&known.stages)
                ),
            );
            return None;
        }
        Some(stage.into_inner())
    };
    super::Milestones {
        proposed: checked("proposed", raw.proposed),
        approved: checked("approved", raw.approved),
        published: checked("published", raw.published),
    }
}
