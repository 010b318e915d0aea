//! `decide`: all the rules. A command, an actor and an instant in; events or a rejection out.
//!
//! `decide` reads the state and the definition and never changes either; the caller appends the
//! events it returns and folds them with [`ProjectState::apply`]. It checks everything it can and
//! reports every reason at once: a wrong role and two missing artifacts come back together.

use crate::command::{
    Actor, Command, Disposition, FieldValue, MeetingRecord, NewProject, VoteChoice,
};
use crate::definition::{CommandKind, FieldType, Transition, WorkflowDefinition};
use crate::event::{Event, EventBody};
use crate::guard::{self, Situation, local_date};
use crate::rejection::{Rejection, Unmet};
use crate::state::ProjectState;
use crate::text::LocalizedText;
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::HashSet;

/// An action that may be fired from the current stage, and what stands in its way.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AvailableAction {
    /// The action's code.
    pub action: String,
    /// Its name.
    pub name: LocalizedText,
    /// The stage it leads to.
    pub to: String,
    /// That stage's name.
    pub to_name: LocalizedText,
    /// The roles that may fire it.
    pub roles: Vec<String>,
    /// Whether it needs a reason in words.
    pub requires_reason: bool,
    /// Whether it cancels the project.
    pub cancels: bool,
    /// Every reason the actor cannot fire it now; empty when the button can be pressed.
    pub unmet: Vec<Unmet>,
}

impl AvailableAction {
    /// Whether the actor can fire it now.
    pub fn is_ready(&self) -> bool {
        self.unmet.is_empty()
    }
}

fn reject(code: &str, zh: String, en: String) -> Rejection {
    Rejection::single(Unmet::new(code, LocalizedText::new(zh, en)))
}

fn invalid(field: &str, zh: String, en: String) -> Unmet {
    Unmet::new("invalid_input", LocalizedText::new(zh, en)).with("field", field)
}

fn role_unmet(
    definition: &WorkflowDefinition,
    actor: &Actor,
    allowed: &[String],
    what: &LocalizedText,
) -> Unmet {
    let role = definition.role_name(&actor.role);
    let allowed_names: Vec<LocalizedText> = allowed
        .iter()
        .map(|role| definition.role_name(role))
        .collect();
    let zh: Vec<&str> = allowed_names.iter().map(|name| name.zh.as_str()).collect();
    let en: Vec<&str> = allowed_names.iter().map(|name| name.en.as_str()).collect();
    let (allowed_zh, allowed_en) = if allowed.is_empty() {
        ("任何角色均不可".to_string(), "no role may".to_string())
    } else {
        (zh.join("、"), en.join(", "))
    };
    Unmet::new(
        "role_not_permitted",
        LocalizedText::new(
            format!("{}无权{}；可执行的角色：{}", role.zh, what.zh, allowed_zh),
            format!(
                "The role {} may not {}; roles that may: {}",
                role.en, what.en, allowed_en
            ),
        ),
    )
    .with("role", actor.role.as_str())
    .with("allowed_roles", allowed.to_vec())
}

fn check_permission(
    definition: &WorkflowDefinition,
    actor: &Actor,
    kind: CommandKind,
    reasons: &mut Vec<Unmet>,
) {
    let allowed = definition.roles_for(kind);
    if !allowed.iter().any(|role| role == &actor.role) {
        let what = command_words(kind);
        reasons.push(role_unmet(definition, actor, allowed, &what));
    }
}

fn command_words(kind: CommandKind) -> LocalizedText {
    let (zh, en) = match kind {
        CommandKind::CreateProject => ("创建项目", "create a project"),
        CommandKind::AttachArtifact => ("上传附件", "attach an artifact"),
        CommandKind::RecordOrganisationsConsulted => {
            ("记录征求意见单位", "record organisations consulted")
        }
        CommandKind::RecordComment => ("记录意见", "record a comment"),
        CommandKind::DisposeComment => ("处理意见", "record a comment's disposition"),
        CommandKind::ScheduleMeeting => ("安排会议", "schedule a meeting"),
        CommandKind::RecordMeeting => ("记录会议及表决", "record a meeting and its votes"),
        CommandKind::SignOff => ("签署", "sign off"),
        CommandKind::RecordField => ("记录事项", "record a field"),
        CommandKind::RecordPublication => ("记录发布信息", "record the publication"),
        CommandKind::RecordWaiver => ("记录豁免", "record a waiver"),
        CommandKind::FixPlan => ("下达计划", "fix the plan"),
        CommandKind::RequestExtension => ("申请延期", "request an extension"),
        CommandKind::DecideExtension => ("批准或拒绝延期", "grant or refuse an extension"),
        CommandKind::LiftFreeze => ("解除冻结", "lift a freeze"),
        CommandKind::MigrateDefinition => {
            ("迁移流程定义版本", "migrate to a new definition version")
        }
    };
    LocalizedText::new(zh, en)
}

fn blank(text: &str) -> bool {
    text.trim().is_empty()
}

fn is_sha256(text: &str) -> bool {
    text.len() == 64
        && text
            .bytes()
            .all(|byte| byte.is_ascii_digit() || (b'a'..=b'f').contains(&byte))
}

fn event(now: DateTime<Utc>, actor: &Actor, body: EventBody) -> Event {
    Event {
        occurred_at: now,
        actor: actor.clone(),
        body,
    }
}

/// Decides a command: the events it causes, or every reason it is refused.
pub fn decide(
    state: &ProjectState,
    definition: &WorkflowDefinition,
    command: &Command,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<Vec<Event>, Rejection> {
    if let Command::CreateProject(project) = command {
        return decide_create(state, definition, project, actor, now);
    }
    let Some(project) = &state.project else {
        return Err(reject(
            "project_not_created",
            "项目尚未创建".to_string(),
            "The project has not been created".to_string(),
        ));
    };
    if let Command::MigrateDefinition { to_version } = command {
        return decide_migration(state, definition, *to_version, actor, now);
    }
    if project.definition_id != definition.id || project.definition_version != definition.version {
        return Err(Rejection::single(
            Unmet::new(
                "definition_mismatch",
                LocalizedText::new(
                    format!(
                        "项目使用流程定义 {} 第{}版，而非 {} 第{}版",
                        project.definition_id,
                        project.definition_version,
                        definition.id,
                        definition.version
                    ),
                    format!(
                        "The project follows definition {} version {}, not {} version {}",
                        project.definition_id,
                        project.definition_version,
                        definition.id,
                        definition.version
                    ),
                ),
            )
            .with(
                "project_definition",
                format!("{}@{}", project.definition_id, project.definition_version),
            ),
        ));
    }
    let stage = state.stage();
    if definition.stage(stage).is_some_and(|stage| stage.terminal) {
        let name = definition.stage_name(stage);
        return Err(Rejection::single(
            Unmet::new(
                "project_ended",
                LocalizedText::new(
                    format!("项目已处于终止阶段「{}」，不再接受操作", name.zh),
                    format!(
                        "The project has ended ({}); it takes no further commands",
                        name.en
                    ),
                ),
            )
            .with("stage", stage),
        ));
    }
    if let Some(last) = state.last_event_at
        && now < last
    {
        return Err(Rejection::single(
            Unmet::new(
                "out_of_order",
                LocalizedText::new(
                    format!("命令时间{}早于项目最后一条记录的时间{}", now.to_rfc3339(), last.to_rfc3339()),
                    format!(
                        "The command is dated {}, before the project's last record at {}: time cannot run backwards in the log",
                        now.to_rfc3339(),
                        last.to_rfc3339()
                    ),
                ),
            )
            .with("last_event_at", last.to_rfc3339()),
        ));
    }
    if let Some(freeze) = &state.frozen {
        let allowed_while_frozen = match command {
            Command::Cancel { .. }
            | Command::RequestExtension { .. }
            | Command::GrantExtension { .. }
            | Command::RefuseExtension { .. }
            | Command::LiftFreeze { .. } => true,
            Command::FireAction { action, .. } => definition
                .transition_from(stage, action)
                .is_some_and(|transition| transition.cancels),
            _ => false,
        };
        if !allowed_while_frozen {
            let deadline = definition
                .deadline(&freeze.deadline)
                .map(|rule| rule.name.clone())
                .unwrap_or_else(|| {
                    LocalizedText::new(freeze.deadline.clone(), freeze.deadline.clone())
                });
            return Err(Rejection::single(
                Unmet::new(
                    "project_frozen",
                    LocalizedText::new(
                        format!("项目因「{}」逾期已被冻结：在监管部门解除冻结前，只能申请延期或撤销项目", deadline.zh),
                        format!(
                            "The project is frozen because the {} is overdue: until the bureau lifts the freeze, only an extension or cancellation is possible",
                            deadline.en
                        ),
                    ),
                )
                .with("deadline", freeze.deadline.as_str())
                .with("frozen_since", freeze.since.to_rfc3339()),
            ));
        }
    }
    let today = local_date(now, definition.local_utc_offset);
    let situation = Situation {
        state,
        definition,
        actor,
        today,
    };
    let mut reasons = Vec::new();
    let body = match command {
        Command::CreateProject(project) => {
            return decide_create(state, definition, project, actor, now);
        }
        Command::FireAction { action, reason } => {
            let Some(transition) = definition.transition_from(stage, action) else {
                return Err(unknown_action(state, definition, action));
            };
            return fire(transition, reason.as_deref(), &situation, now);
        }
        Command::Cancel { reason } => {
            let Some(transition) = definition
                .outgoing(stage)
                .find(|transition| transition.cancels)
            else {
                let name = definition.stage_name(stage);
                return Err(Rejection::single(
                    Unmet::new(
                        "cannot_cancel",
                        LocalizedText::new(
                            format!("项目处于「{}」阶段，不能撤销", name.zh),
                            format!("A project in {} cannot be cancelled", name.en),
                        ),
                    )
                    .with("stage", stage),
                ));
            };
            return fire(transition, Some(reason.as_str()), &situation, now);
        }
        Command::AttachArtifact(artifact) => {
            check_permission(definition, actor, CommandKind::AttachArtifact, &mut reasons);
            if !definition
                .artifact_kinds
                .iter()
                .any(|kind| kind.code == artifact.kind)
            {
                let kinds: Vec<&str> = definition
                    .artifact_kinds
                    .iter()
                    .map(|kind| kind.code.as_str())
                    .collect();
                reasons.push(invalid(
                    "kind",
                    format!(
                        "未知的附件类型「{}」；可用类型：{}",
                        artifact.kind,
                        kinds.join("、")
                    ),
                    format!(
                        "Unknown artifact kind '{}'; kinds are: {}",
                        artifact.kind,
                        kinds.join(", ")
                    ),
                ));
            }
            if blank(&artifact.file_name) {
                reasons.push(invalid(
                    "file_name",
                    "文件名为空".to_string(),
                    "The file name is empty".to_string(),
                ));
            }
            if !is_sha256(&artifact.sha256) {
                reasons.push(invalid(
                    "sha256",
                    format!("「{}」不是64位小写十六进制的SHA-256摘要", artifact.sha256),
                    format!(
                        "'{}' is not a SHA-256 digest of 64 lowercase hexadecimal digits",
                        artifact.sha256
                    ),
                ));
            }
            if state.artifacts.iter().any(|attached| {
                attached.artifact.kind == artifact.kind
                    && attached.artifact.sha256 == artifact.sha256
            }) {
                reasons.push(
                    Unmet::new(
                        "artifact_already_attached",
                        LocalizedText::new(
                            "同一文件已作为该类型附件上传".to_string(),
                            "This very file is already attached as this kind".to_string(),
                        ),
                    )
                    .with("sha256", artifact.sha256.as_str()),
                );
            }
            EventBody::ArtifactAttached(artifact.clone())
        }
        Command::RecordOrganisationsConsulted { organisations } => {
            check_permission(
                definition,
                actor,
                CommandKind::RecordOrganisationsConsulted,
                &mut reasons,
            );
            let mut seen = HashSet::new();
            let mut new_names = Vec::new();
            for name in organisations {
                let name = name.trim();
                if name.is_empty() {
                    reasons.push(invalid(
                        "organisations",
                        "单位名称不能为空".to_string(),
                        "An organisation's name is empty".to_string(),
                    ));
                    continue;
                }
                if !state.organisations_consulted.contains(name) && seen.insert(name) {
                    new_names.push(name.to_string());
                }
            }
            if new_names.is_empty() && reasons.is_empty() {
                reasons.push(Unmet::new(
                    "nothing_new",
                    LocalizedText::new(
                        "所列单位均已记录".to_string(),
                        "Every organisation listed is already recorded".to_string(),
                    ),
                ));
            }
            EventBody::OrganisationsConsultedRecorded {
                organisations: new_names,
            }
        }
        Command::RecordComment(comment) => {
            check_permission(definition, actor, CommandKind::RecordComment, &mut reasons);
            if blank(&comment.comment_id) {
                reasons.push(invalid(
                    "comment_id",
                    "意见编号为空".to_string(),
                    "The comment id is empty".to_string(),
                ));
            } else if state.has_comment(&comment.comment_id) {
                reasons.push(invalid(
                    "comment_id",
                    format!("意见编号「{}」已存在", comment.comment_id),
                    format!(
                        "A comment with id '{}' is already recorded",
                        comment.comment_id
                    ),
                ));
            }
            if blank(&comment.organisation) {
                reasons.push(invalid(
                    "organisation",
                    "提出意见的单位为空".to_string(),
                    "The commenting organisation is empty".to_string(),
                ));
            }
            if blank(&comment.text) {
                reasons.push(invalid(
                    "text",
                    "意见内容为空".to_string(),
                    "The comment's text is empty".to_string(),
                ));
            }
            EventBody::CommentRecorded(comment.clone())
        }
        Command::DisposeComment {
            comment_id,
            disposition,
            reason,
        } => {
            check_permission(definition, actor, CommandKind::DisposeComment, &mut reasons);
            if !state.has_comment(comment_id) {
                reasons.push(invalid(
                    "comment_id",
                    format!("没有编号为「{comment_id}」的意见"),
                    format!("No comment has the id '{comment_id}'"),
                ));
            }
            if *disposition == Disposition::NotAccepted && reason.as_deref().is_none_or(blank) {
                reasons.push(invalid(
                    "reason",
                    "未采纳的意见须说明理由".to_string(),
                    "A comment not accepted needs a reason".to_string(),
                ));
            }
            EventBody::CommentDisposed {
                comment_id: comment_id.clone(),
                disposition: *disposition,
                reason: reason.clone(),
            }
        }
        Command::ScheduleMeeting(schedule) => {
            check_permission(
                definition,
                actor,
                CommandKind::ScheduleMeeting,
                &mut reasons,
            );
            check_motion(definition, &schedule.motion, &mut reasons);
            if blank(&schedule.meeting_id) {
                reasons.push(invalid(
                    "meeting_id",
                    "会议编号为空".to_string(),
                    "The meeting id is empty".to_string(),
                ));
            } else if state
                .scheduled_meetings
                .iter()
                .any(|meeting| meeting.schedule.meeting_id == schedule.meeting_id)
            {
                reasons.push(invalid(
                    "meeting_id",
                    format!("会议编号「{}」已存在", schedule.meeting_id),
                    format!(
                        "A meeting with id '{}' is already scheduled",
                        schedule.meeting_id
                    ),
                ));
            }
            if schedule.documents_sent_on > schedule.meeting_on {
                reasons.push(invalid(
                    "documents_sent_on",
                    format!(
                        "文件送达日期{}晚于会议日期{}",
                        schedule.documents_sent_on, schedule.meeting_on
                    ),
                    format!(
                        "The documents are sent on {}, after the meeting on {}",
                        schedule.documents_sent_on, schedule.meeting_on
                    ),
                ));
            }
            EventBody::MeetingScheduled(schedule.clone())
        }
        Command::RecordMeeting(record) => {
            check_permission(definition, actor, CommandKind::RecordMeeting, &mut reasons);
            check_motion(definition, &record.motion, &mut reasons);
            check_meeting(state, record, today, &mut reasons);
            check_drafting_unit_members(definition, record, &mut reasons);
            EventBody::MeetingRecorded(Box::new(record.clone()))
        }
        Command::SignOff { subject } => {
            check_permission(definition, actor, CommandKind::SignOff, &mut reasons);
            if !definition
                .sign_offs
                .iter()
                .any(|item| &item.code == subject)
            {
                let known: Vec<&str> = definition
                    .sign_offs
                    .iter()
                    .map(|item| item.code.as_str())
                    .collect();
                reasons.push(invalid(
                    "subject",
                    format!("未知的签署事项「{subject}」；可签署：{}", known.join("、")),
                    format!(
                        "Unknown sign-off '{subject}'; sign-offs are: {}",
                        known.join(", ")
                    ),
                ));
            }
            EventBody::SignedOff {
                subject: subject.clone(),
            }
        }
        Command::RecordField { field, value } => {
            check_permission(definition, actor, CommandKind::RecordField, &mut reasons);
            match definition.field(field) {
                None => {
                    let known: Vec<&str> = definition
                        .fields
                        .iter()
                        .map(|item| item.code.as_str())
                        .collect();
                    reasons.push(invalid(
                        "field",
                        format!("未知的事项「{field}」；可记录：{}", known.join("、")),
                        format!("Unknown field '{field}'; fields are: {}", known.join(", ")),
                    ));
                }
                Some(definition_field) => {
                    let matches = matches!(
                        (definition_field.value_type, value),
                        (FieldType::Text, FieldValue::Text(_))
                            | (FieldType::Date, FieldValue::Date(_))
                            | (FieldType::Project, FieldValue::Project(_))
                    );
                    if !matches {
                        reasons.push(invalid(
                            "value",
                            format!("「{}」的取值类型不符", definition_field.name.zh),
                            format!(
                                "The value of '{}' has the wrong type",
                                definition_field.name.en
                            ),
                        ));
                    }
                    if let FieldValue::Text(text) = value
                        && blank(text)
                    {
                        reasons.push(invalid(
                            "value",
                            "取值为空".to_string(),
                            "The value is empty".to_string(),
                        ));
                    }
                }
            }
            EventBody::FieldRecorded {
                field: field.clone(),
                value: value.clone(),
            }
        }
        Command::RecordPublication(publication) => {
            check_permission(
                definition,
                actor,
                CommandKind::RecordPublication,
                &mut reasons,
            );
            if blank(&publication.specification_number) {
                reasons.push(invalid(
                    "specification_number",
                    "规范编号为空".to_string(),
                    "The specification number is empty".to_string(),
                ));
            }
            if publication.effective_date < publication.publication_date {
                reasons.push(invalid(
                    "effective_date",
                    format!(
                        "实施日期{}早于发布日期{}",
                        publication.effective_date, publication.publication_date
                    ),
                    format!(
                        "The effective date {} is before the publication date {}",
                        publication.effective_date, publication.publication_date
                    ),
                ));
            }
            EventBody::PublicationRecorded(publication.clone())
        }
        Command::RecordWaiver(waiver) => {
            check_permission(definition, actor, CommandKind::RecordWaiver, &mut reasons);
            match definition.transition_from(stage, &waiver.action) {
                None => reasons.extend(unknown_action(state, definition, &waiver.action).reasons),
                Some(transition) => match transition
                    .guards
                    .iter()
                    .find(|guard| guard.id == waiver.guard)
                {
                    None => {
                        let ids: Vec<&str> = transition
                            .guards
                            .iter()
                            .map(|guard| guard.id.as_str())
                            .collect();
                        reasons.push(invalid(
                            "guard",
                            format!(
                                "「{}」没有条件「{}」；其条件为：{}",
                                transition.name.zh,
                                waiver.guard,
                                ids.join("、")
                            ),
                            format!(
                                "'{}' has no guard '{}'; its guards are: {}",
                                transition.name.en,
                                waiver.guard,
                                ids.join(", ")
                            ),
                        ));
                    }
                    Some(guard) if !guard.waivable_by.iter().any(|role| role == &actor.role) => {
                        reasons.push(role_unmet(
                            definition,
                            actor,
                            &guard.waivable_by,
                            &LocalizedText::new(
                                format!("豁免条件「{}」", guard.id),
                                format!("waive the guard '{}'", guard.id),
                            ),
                        ));
                    }
                    Some(_) => {}
                },
            }
            if blank(&waiver.authority) {
                reasons.push(invalid(
                    "authority",
                    "豁免依据为空".to_string(),
                    "The waiver's authority is empty".to_string(),
                ));
            }
            if blank(&waiver.reason) {
                reasons.push(invalid(
                    "reason",
                    "豁免理由为空".to_string(),
                    "The waiver's reason is empty".to_string(),
                ));
            }
            EventBody::WaiverRecorded(waiver.clone())
        }
        Command::FixPlan { due_dates } => {
            check_permission(definition, actor, CommandKind::FixPlan, &mut reasons);
            check_plan(definition, due_dates, today, &mut reasons);
            EventBody::PlanFixed {
                due_dates: due_dates.clone(),
            }
        }
        Command::RequestExtension {
            request_id,
            deadline,
            new_due_on,
            reason,
        } => {
            check_permission(
                definition,
                actor,
                CommandKind::RequestExtension,
                &mut reasons,
            );
            if blank(request_id)
                || state
                    .extension_requests
                    .iter()
                    .any(|request| &request.request_id == request_id)
            {
                reasons.push(invalid(
                    "request_id",
                    format!("延期申请编号「{request_id}」为空或已存在"),
                    format!("The extension request id '{request_id}' is empty or already used"),
                ));
            }
            if blank(reason) {
                reasons.push(invalid(
                    "reason",
                    "延期理由为空".to_string(),
                    "The reason is empty".to_string(),
                ));
            }
            let current_due_on = match state
                .open_deadline(deadline)
                .and_then(|entry| entry.times.map(|times| (entry, times)))
            {
                None => {
                    reasons.push(invalid(
                        "deadline",
                        format!("没有正在计时的期限「{deadline}」"),
                        format!("No deadline '{deadline}' is running"),
                    ));
                    today
                }
                Some((entry, times)) => {
                    let may_decide = definition
                        .roles_for(CommandKind::DecideExtension)
                        .contains(&actor.role);
                    check_extension(
                        definition,
                        entry,
                        times,
                        *new_due_on,
                        today,
                        !may_decide,
                        &mut reasons,
                    );
                    times.due_on
                }
            };
            EventBody::ExtensionRequested {
                request_id: request_id.clone(),
                deadline: deadline.clone(),
                current_due_on,
                requested_due_on: *new_due_on,
                reason: reason.clone(),
            }
        }
        Command::GrantExtension { request_id, reason }
        | Command::RefuseExtension { request_id, reason } => {
            let granting = matches!(command, Command::GrantExtension { .. });
            check_permission(
                definition,
                actor,
                CommandKind::DecideExtension,
                &mut reasons,
            );
            if blank(reason) {
                reasons.push(invalid(
                    "reason",
                    "决定理由为空".to_string(),
                    "The grounds are empty".to_string(),
                ));
            }
            let request = state
                .extension_requests
                .iter()
                .find(|request| &request.request_id == request_id);
            let Some(request) = request.filter(|request| request.decision.is_none()) else {
                reasons.push(invalid(
                    "request_id",
                    format!("没有待决定的延期申请「{request_id}」"),
                    format!("No pending extension request '{request_id}'"),
                ));
                return Err(Rejection { reasons });
            };
            if !granting {
                EventBody::ExtensionRefused {
                    request_id: request_id.clone(),
                    deadline: request.deadline.clone(),
                    reason: reason.clone(),
                }
            } else {
                let running = state
                    .open_deadline(&request.deadline)
                    .and_then(|entry| entry.times.map(|times| (entry, times)));
                let rule = definition.deadline(&request.deadline);
                match (running, rule) {
                    (Some((entry, times)), Some(rule)) => {
                        check_extension(
                            definition,
                            entry,
                            times,
                            request.requested_due_on,
                            today,
                            false,
                            &mut reasons,
                        );
                        match crate::deadline::extended_times(
                            rule,
                            request.requested_due_on,
                            definition,
                        ) {
                            Ok(times) => EventBody::ExtensionGranted {
                                request_id: request_id.clone(),
                                deadline: request.deadline.clone(),
                                times,
                                reason: reason.clone(),
                            },
                            Err(error) => {
                                reasons.push(Unmet::new(
                                    "deadline_not_computable",
                                    LocalizedText::new(
                                        format!("无法计算新的期限：{error}"),
                                        format!("The new deadline cannot be computed: {error}"),
                                    ),
                                ));
                                return Err(Rejection { reasons });
                            }
                        }
                    }
                    _ => {
                        reasons.push(invalid(
                            "request_id",
                            format!("延期申请「{request_id}」所涉期限已不在计时"),
                            format!("The deadline of request '{request_id}' is no longer running"),
                        ));
                        return Err(Rejection { reasons });
                    }
                }
            }
        }
        Command::LiftFreeze { reason } => {
            check_permission(definition, actor, CommandKind::LiftFreeze, &mut reasons);
            if state.frozen.is_none() {
                reasons.push(Unmet::new(
                    "not_frozen",
                    LocalizedText::new(
                        "项目未被冻结".to_string(),
                        "The project is not frozen".to_string(),
                    ),
                ));
            }
            if blank(reason) {
                reasons.push(invalid(
                    "reason",
                    "解除冻结理由为空".to_string(),
                    "The reason is empty".to_string(),
                ));
            }
            EventBody::FreezeLifted {
                reason: reason.clone(),
            }
        }
        Command::MigrateDefinition { to_version } => {
            return decide_migration(state, definition, *to_version, actor, now);
        }
    };
    if reasons.is_empty() {
        Ok(vec![event(now, actor, body)])
    } else {
        Err(Rejection { reasons })
    }
}

fn check_motion(definition: &WorkflowDefinition, motion: &str, reasons: &mut Vec<Unmet>) {
    if !definition.motions.iter().any(|item| item.code == motion) {
        let known: Vec<&str> = definition
            .motions
            .iter()
            .map(|item| item.code.as_str())
            .collect();
        reasons.push(invalid(
            "motion",
            format!("未知的表决事项「{motion}」；可用：{}", known.join("、")),
            format!(
                "Unknown motion '{motion}'; motions are: {}",
                known.join(", ")
            ),
        ));
    }
}

fn check_meeting(
    state: &ProjectState,
    record: &MeetingRecord,
    today: chrono::NaiveDate,
    reasons: &mut Vec<Unmet>,
) {
    if record.held_on > today {
        reasons.push(invalid(
            "held_on",
            format!(
                "会议日期{}在今天（{today}）之后，尚不能记录",
                record.held_on
            ),
            format!(
                "The meeting is dated {}, after today ({today}); it cannot be recorded yet",
                record.held_on
            ),
        ));
    }
    // A meeting recorded under a scheduled id must be that meeting: the notice guard counted on its
    // schedule, so holding it earlier, on another motion or in another form would sidestep it.
    if let Some(scheduled) = state
        .scheduled_meetings
        .iter()
        .find(|meeting| meeting.schedule.meeting_id == record.meeting_id)
    {
        let schedule = &scheduled.schedule;
        if schedule.motion != record.motion || schedule.form != record.form {
            reasons.push(invalid(
                "meeting_id",
                format!("会议「{}」安排的表决事项或形式与记录不符", record.meeting_id),
                format!(
                    "The meeting '{}' was scheduled for another motion or form; schedule a new meeting instead",
                    record.meeting_id
                ),
            ));
        }
        if record.held_on < schedule.meeting_on {
            reasons.push(invalid(
                "held_on",
                format!("会议「{}」安排于{}，不能记录为更早的{}举行", record.meeting_id, schedule.meeting_on, record.held_on),
                format!(
                    "The meeting '{}' was scheduled for {}; it cannot be recorded as held earlier, on {}",
                    record.meeting_id, schedule.meeting_on, record.held_on
                ),
            ));
        }
    }
    if blank(&record.meeting_id) {
        reasons.push(invalid(
            "meeting_id",
            "会议编号为空".to_string(),
            "The meeting id is empty".to_string(),
        ));
    } else if state
        .meetings
        .iter()
        .any(|meeting| meeting.record.meeting_id == record.meeting_id)
    {
        reasons.push(invalid(
            "meeting_id",
            format!("会议「{}」已记录", record.meeting_id),
            format!("The meeting '{}' is already recorded", record.meeting_id),
        ));
    }
    if record.roll.is_empty() {
        reasons.push(invalid(
            "roll",
            "表决名册为空".to_string(),
            "The voting roll is empty".to_string(),
        ));
    }
    let mut roll = HashSet::new();
    for member in &record.roll {
        if blank(member) || !roll.insert(member.as_str()) {
            reasons.push(invalid(
                "roll",
                format!("表决名册中「{member}」为空或重复"),
                format!("'{member}' is empty or listed twice on the voting roll"),
            ));
        }
    }
    let mut present = HashSet::new();
    for member in &record.present {
        if !roll.contains(member.as_str()) {
            reasons.push(invalid(
                "present",
                format!("出席者「{member}」不在表决名册上；通讯成员和特邀代表请列入非表决出席者"),
                format!(
                    "'{member}' is listed as present but is not on the voting roll; corresponding members and invited representatives go in non_voting_present"
                ),
            ));
        }
        if !present.insert(member.as_str()) {
            reasons.push(invalid(
                "present",
                format!("出席者「{member}」重复"),
                format!("'{member}' is listed as present twice"),
            ));
        }
    }
    for participant in &record.non_voting_present {
        if roll.contains(participant.person.as_str()) {
            reasons.push(invalid(
                "non_voting_present",
                format!(
                    "「{}」在表决名册上，不能同时列为非表决出席者",
                    participant.person
                ),
                format!(
                    "'{}' is on the voting roll and cannot also attend as non-voting",
                    participant.person
                ),
            ));
        }
    }
    let mut voted = HashSet::new();
    for vote in &record.votes {
        if !present.contains(vote.member.as_str()) {
            reasons.push(invalid(
                "votes",
                format!("「{}」不是出席的表决委员，其投票不能计入", vote.member),
                format!(
                    "'{}' is not a voting member present; their vote cannot count",
                    vote.member
                ),
            ));
        }
        if !voted.insert(vote.member.as_str()) {
            reasons.push(invalid(
                "votes",
                format!("「{}」投票两次", vote.member),
                format!("'{}' voted twice", vote.member),
            ));
        }
    }
    if let Some(minutes) = &record.minutes_sha256
        && !state
            .artifacts
            .iter()
            .any(|attached| &attached.artifact.sha256 == minutes)
    {
        reasons.push(invalid(
            "minutes_sha256",
            format!("会议纪要{minutes}尚未作为附件上传"),
            format!("The minutes {minutes} are not an attached artifact; attach them first"),
        ));
    }
}

/// Members flagged as belonging to the project's drafting unit must be on the roll, and when the
/// definition says they abstain, a vote for or against from one of them is refused.
fn check_drafting_unit_members(
    definition: &WorkflowDefinition,
    record: &MeetingRecord,
    reasons: &mut Vec<Unmet>,
) {
    for member in &record.drafting_unit_members {
        if !record.roll.contains(member) {
            reasons.push(invalid(
                "drafting_unit_members",
                format!("起草单位委员「{member}」不在表决名册上"),
                format!(
                    "'{member}' is flagged as from the drafting unit but is not on the voting roll"
                ),
            ));
        }
    }
    if definition.drafting_unit_members != crate::definition::DraftingUnitMembers::Abstain {
        return;
    }
    for vote in &record.votes {
        if vote.choice != VoteChoice::Abstain && record.drafting_unit_members.contains(&vote.member)
        {
            reasons.push(
                Unmet::new(
                    "drafting_unit_member_must_abstain",
                    LocalizedText::new(
                        format!("「{}」是起草单位的委员，应当回避（弃权），不能投赞成或反对票", vote.member),
                        format!("'{}' belongs to the project's drafting unit and must abstain: their vote for or against cannot be recorded", vote.member),
                    ),
                )
                .with("member", vote.member.clone()),
            );
        }
    }
}

fn decide_create(
    state: &ProjectState,
    definition: &WorkflowDefinition,
    project: &NewProject,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<Vec<Event>, Rejection> {
    if state.project.is_some() {
        return Err(reject(
            "project_already_exists",
            "项目已存在".to_string(),
            "The project already exists".to_string(),
        ));
    }
    let mut reasons = Vec::new();
    check_permission(definition, actor, CommandKind::CreateProject, &mut reasons);
    if project.definition_id != definition.id || project.definition_version != definition.version {
        reasons.push(invalid(
            "definition_version",
            format!(
                "项目指定流程定义 {}@{}，但提供的是 {}@{}",
                project.definition_id,
                project.definition_version,
                definition.id,
                definition.version
            ),
            format!(
                "The project names definition {}@{}, but {}@{} was given",
                project.definition_id,
                project.definition_version,
                definition.id,
                definition.version
            ),
        ));
    }
    if !definition
        .specification_kinds
        .iter()
        .any(|kind| kind.code == project.specification_kind)
    {
        let known: Vec<&str> = definition
            .specification_kinds
            .iter()
            .map(|kind| kind.code.as_str())
            .collect();
        reasons.push(invalid(
            "specification_kind",
            format!(
                "未知的规范类型「{}」；可用：{}",
                project.specification_kind,
                known.join("、")
            ),
            format!(
                "Unknown specification kind '{}'; kinds are: {}",
                project.specification_kind,
                known.join(", ")
            ),
        ));
    }
    for (field, value, zh, en) in [
        ("code", &project.code, "项目编号", "code"),
        ("title.zh", &project.title.zh, "中文名称", "Chinese title"),
        ("committee", &project.committee, "技术委员会", "committee"),
        (
            "drafting_unit",
            &project.drafting_unit,
            "起草单位",
            "drafting unit",
        ),
    ] {
        if blank(value) {
            reasons.push(invalid(
                field,
                format!("{zh}为空"),
                format!("The {en} is empty"),
            ));
        }
    }
    if !blank(&project.code) && !definition.code_matches(&project.specification_kind, &project.code)
    {
        let format = definition.code_format.clone().unwrap_or_default();
        let example = definition
            .format_code(&project.specification_kind, 2026, 7)
            .unwrap_or_default();
        reasons.push(invalid(
            "code",
            format!(
                "项目编号「{}」不符合格式 {format}（例如 {example}）",
                project.code
            ),
            format!(
                "The code '{}' does not have the format {format} (for example {example})",
                project.code
            ),
        ));
    }
    if !reasons.is_empty() {
        return Err(Rejection { reasons });
    }
    let mut events = vec![event(
        now,
        actor,
        EventBody::ProjectCreated {
            project: Box::new(project.clone()),
            stage: definition.initial_stage.clone(),
        },
    )];
    let follow_up = crate::deadline::events_on_entering(
        state,
        definition,
        "",
        &definition.initial_stage,
        None,
        now,
    );
    events.extend(follow_up.into_iter().map(|body| event(now, actor, body)));
    Ok(events)
}

fn unknown_action(
    state: &ProjectState,
    definition: &WorkflowDefinition,
    action: &str,
) -> Rejection {
    let stage = state.stage();
    let available: Vec<&str> = definition
        .outgoing(stage)
        .map(|transition| transition.action.as_str())
        .collect();
    let name = definition.stage_name(stage);
    Rejection::single(
        Unmet::new(
            "unknown_action",
            LocalizedText::new(
                format!(
                    "「{}」阶段没有操作「{action}」；可用操作：{}",
                    name.zh,
                    available.join("、")
                ),
                format!(
                    "There is no action '{action}' from {}; available actions: {}",
                    name.en,
                    available.join(", ")
                ),
            ),
        )
        .with("action", action)
        .with("stage", stage)
        .with("available", available),
    )
}

/// Every unmet reason for firing `transition` now, and the guards a waiver covers.
fn unmet_for(
    transition: &Transition,
    situation: &Situation<'_>,
    reason: Option<&str>,
) -> (Vec<Unmet>, Vec<String>) {
    let mut unmet = Vec::new();
    let actor = situation.actor;
    if !transition.roles.iter().any(|role| role == &actor.role) {
        unmet.push(role_unmet(
            situation.definition,
            actor,
            &transition.roles,
            &LocalizedText::new(
                format!("执行「{}」", transition.name.zh),
                format!("fire '{}'", transition.name.en),
            ),
        ));
    }
    if transition.requires_reason && reason.is_none_or(blank) {
        unmet.push(Unmet::new(
            "reason_required",
            LocalizedText::new(
                format!("「{}」须说明理由", transition.name.zh),
                format!("'{}' needs a reason", transition.name.en),
            ),
        ));
    }
    let mut waived = Vec::new();
    let visit = situation.state.current_visit();
    for guard in &transition.guards {
        let before = unmet.len();
        guard::check(guard, situation, &mut unmet);
        if unmet.len() > before {
            let waiver_recorded = situation.state.waivers.iter().any(|entry| {
                entry.visit == visit
                    && entry.waiver.action == transition.action
                    && entry.waiver.guard == guard.id
            });
            if waiver_recorded {
                unmet.truncate(before);
                waived.push(guard.id.clone());
            }
        }
    }
    (unmet, waived)
}

fn fire(
    transition: &Transition,
    reason: Option<&str>,
    situation: &Situation<'_>,
    now: DateTime<Utc>,
) -> Result<Vec<Event>, Rejection> {
    let (unmet, waived_guards) = unmet_for(transition, situation, reason);
    if !unmet.is_empty() {
        return Err(Rejection { reasons: unmet });
    }
    let from = situation.state.stage().to_string();
    let follow_up = crate::deadline::events_on_entering(
        situation.state,
        situation.definition,
        &from,
        &transition.to,
        Some(&transition.action),
        now,
    );
    let body = if transition.cancels {
        EventBody::ProjectCancelled {
            action: transition.action.clone(),
            from,
            to: transition.to.clone(),
            reason: reason.unwrap_or_default().trim().to_string(),
        }
    } else {
        EventBody::ActionFired {
            action: transition.action.clone(),
            from,
            to: transition.to.clone(),
            reason: reason.map(|reason| reason.trim().to_string()),
            waived_guards,
        }
    };
    let mut events = Vec::with_capacity(1 + follow_up.len());
    events.push(event(now, situation.actor, body));
    events.extend(
        follow_up
            .into_iter()
            .map(|body| event(now, situation.actor, body)),
    );
    Ok(events)
}

/// Every action from the current stage, with every reason `actor` cannot fire it `now`.
///
/// A page shows each as a button, disabled with its reasons when `unmet` is not empty.
pub fn available_actions(
    state: &ProjectState,
    definition: &WorkflowDefinition,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Vec<AvailableAction> {
    let stage = state.stage();
    if state.project.is_none() || definition.stage(stage).is_none_or(|stage| stage.terminal) {
        return Vec::new();
    }
    let situation = Situation {
        state,
        definition,
        actor,
        today: local_date(now, definition.local_utc_offset),
    };
    definition
        .outgoing(stage)
        .map(|transition| {
            // The reason is typed when the button is pressed, so it is not a reason to disable it.
            let (unmet, _) = unmet_for(transition, &situation, Some("reason given on firing"));
            AvailableAction {
                action: transition.action.clone(),
                name: transition.name.clone(),
                to: transition.to.clone(),
                to_name: definition.stage_name(&transition.to),
                roles: transition.roles.clone(),
                requires_reason: transition.requires_reason,
                cancels: transition.cancels,
                unmet,
            }
        })
        .collect()
}

fn check_plan(
    definition: &WorkflowDefinition,
    due_dates: &std::collections::BTreeMap<String, chrono::NaiveDate>,
    today: chrono::NaiveDate,
    reasons: &mut Vec<Unmet>,
) {
    if due_dates.is_empty() {
        reasons.push(invalid(
            "due_dates",
            "计划未给出任何期限".to_string(),
            "The plan sets no date".to_string(),
        ));
    }
    for (deadline, due_on) in due_dates {
        // The limit is checked when the deadline starts (the plan cannot stretch it), since a
        // later stage's clock has not started yet when the plan is fixed.
        let Some(rule) = definition.deadline(deadline).filter(|rule| rule.planned) else {
            let planned: Vec<&str> = definition
                .deadlines
                .iter()
                .filter(|rule| rule.planned)
                .map(|rule| rule.id.as_str())
                .collect();
            reasons.push(invalid(
                "due_dates",
                format!(
                    "计划不能设定期限「{deadline}」；可设定：{}",
                    planned.join("、")
                ),
                format!(
                    "The plan cannot set the deadline '{deadline}'; it can set: {}",
                    planned.join(", ")
                ),
            ));
            continue;
        };
        if *due_on <= today {
            reasons.push(invalid(
                "due_dates",
                format!("「{}」的计划日期{due_on}不在今天之后", rule.name.zh),
                format!(
                    "The planned date {due_on} of the {} is not after today",
                    rule.name.en
                ),
            ));
        }
    }
}

fn check_extension(
    definition: &WorkflowDefinition,
    entry: &crate::state::DeadlineEntry,
    times: crate::event::DeadlineTimes,
    new_due_on: chrono::NaiveDate,
    today: chrono::NaiveDate,
    check_lead_time: bool,
    reasons: &mut Vec<Unmet>,
) {
    let rules = &definition.extensions;
    let calendar = definition.working_calendar();
    if new_due_on <= times.due_on {
        reasons.push(invalid(
            "new_due_on",
            format!("申请的日期{new_due_on}不晚于现有期限{}", times.due_on),
            format!(
                "The date asked for, {new_due_on}, is not after the current deadline {}",
                times.due_on
            ),
        ));
    }
    if let Some(max_count) = rules.max_count
        && entry.extensions_granted >= max_count
    {
        reasons.push(
            Unmet::new(
                "too_many_extensions",
                LocalizedText::new(
                    format!(
                        "该期限已延期{}次，最多{max_count}次",
                        entry.extensions_granted
                    ),
                    format!(
                        "This deadline was extended {} time(s); at most {max_count} are allowed",
                        entry.extensions_granted
                    ),
                ),
            )
            .with("granted", entry.extensions_granted)
            .with("max_count", max_count),
        );
    }
    if let (Some(max_total), Some(original)) = (rules.max_total, entry.original_due_on) {
        match max_total.add_to(original, calendar) {
            Ok(latest) if new_due_on > latest => reasons.push(
                Unmet::new(
                    "extension_too_long",
                    LocalizedText::new(
                        format!("延期总计不得超过{}（原期限{original}，最晚{latest}）", max_total.describe_zh()),
                        format!("Extensions may add at most {} in all (original deadline {original}, at the latest {latest})", max_total.describe_en()),
                    ),
                )
                .with("latest", latest.to_string()),
            ),
            Ok(_) => {}
            Err(error) => reasons.push(Unmet::new(
                "deadline_not_computable",
                LocalizedText::new(format!("无法计算期限：{error}"), format!("The deadline cannot be computed: {error}")),
            )),
        }
    }
    if check_lead_time && let Some(lead) = rules.request_at_least_before {
        match lead.subtract_from(times.due_on, calendar) {
            Ok(last_day) if today > last_day => reasons.push(
                Unmet::new(
                    "extension_requested_too_late",
                    LocalizedText::new(
                        format!("延期须在期限（{}）前至少{}申请，即不晚于{last_day}", times.due_on, lead.describe_zh()),
                        format!("An extension must be requested at least {} before the deadline ({}), that is by {last_day}", lead.describe_en(), times.due_on),
                    ),
                )
                .with("last_day", last_day.to_string()),
            ),
            Ok(_) => {}
            Err(error) => reasons.push(Unmet::new(
                "deadline_not_computable",
                LocalizedText::new(format!("无法计算期限：{error}"), format!("The deadline cannot be computed: {error}")),
            )),
        }
    }
}

/// Moves a project to `new_definition`, refused when its current stage or a running
/// obligation (a deadline, a scheduled meeting's motion, a pending waiver) does not exist there.
fn decide_migration(
    state: &ProjectState,
    new_definition: &WorkflowDefinition,
    to_version: u32,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<Vec<Event>, Rejection> {
    let Some(project) = &state.project else {
        return Err(reject(
            "project_not_created",
            "项目尚未创建".to_string(),
            "The project has not been created".to_string(),
        ));
    };
    let mut reasons = Vec::new();
    check_permission(
        new_definition,
        actor,
        CommandKind::MigrateDefinition,
        &mut reasons,
    );
    if new_definition.id != project.definition_id || new_definition.version != to_version {
        reasons.push(invalid(
            "to_version",
            format!(
                "提供的流程定义是 {}@{}，不是 {}@{to_version}",
                new_definition.id, new_definition.version, project.definition_id
            ),
            format!(
                "The definition given is {}@{}, not {}@{to_version}",
                new_definition.id, new_definition.version, project.definition_id
            ),
        ));
    }
    if to_version <= project.definition_version {
        reasons.push(invalid(
            "to_version",
            format!(
                "只能迁移到更新的版本（当前第{}版）",
                project.definition_version
            ),
            format!(
                "A project can only move to a newer version (it follows version {})",
                project.definition_version
            ),
        ));
    }
    let mut missing = Vec::new();
    let stage = state.stage();
    if new_definition.stage(stage).is_none() {
        missing.push(format!("stage '{stage}'"));
    }
    for entry in state.deadlines.iter().filter(|entry| entry.is_open()) {
        if new_definition.deadline(&entry.deadline).is_none() {
            missing.push(format!("deadline '{}'", entry.deadline));
        }
    }
    for meeting in &state.scheduled_meetings {
        if !new_definition
            .motions
            .iter()
            .any(|motion| motion.code == meeting.schedule.motion)
        {
            missing.push(format!("motion '{}'", meeting.schedule.motion));
        }
    }
    let visit = state.current_visit();
    for waiver in state.waivers.iter().filter(|waiver| waiver.visit == visit) {
        let exists = new_definition
            .transition_from(stage, &waiver.waiver.action)
            .is_some_and(|transition| {
                transition
                    .guards
                    .iter()
                    .any(|guard| guard.id == waiver.waiver.guard)
            });
        if !exists {
            missing.push(format!(
                "guard '{}' of action '{}'",
                waiver.waiver.guard, waiver.waiver.action
            ));
        }
    }
    if !missing.is_empty() {
        reasons.push(
            Unmet::new(
                "migration_incompatible",
                LocalizedText::new(
                    format!("新版本中不存在：{}", missing.join("、")),
                    format!("The new version lacks: {}", missing.join(", ")),
                ),
            )
            .with("missing", missing),
        );
    }
    if !reasons.is_empty() {
        return Err(Rejection { reasons });
    }
    Ok(vec![event(
        now,
        actor,
        EventBody::DefinitionMigrated {
            from_version: project.definition_version,
            to_version,
        },
    )])
}
