//! The work forms of a project's page: one for every command the engine accepts besides firing
//! an action, shown only to those whose role and scope allow it.
//!
//! Each form posts to `/projects/{project}/forms/{form}`; the fields become the engine's command
//! here, and the command is carried out by the same use-cases as the API's (`carry_out`,
//! `attach_upload`, `roll_from_committee`), so a form can do nothing the API would refuse.
//! A refused form is shown again on the project's page with what the user typed and every reason
//! beside the field it concerns (or above the form, for the engine's reasons), with status 422;
//! nothing is written.
//!
//! A form is a [`FormKind`]: its address, title and permission are in one table, its fields in
//! one `render_*` function and its command in one `parse_*` function, so a new command needs a
//! variant, a renderer and a parser.

use super::layout::Words;
use super::session::CSRF_FIELD;
use crate::app::problem::Problem;
use chrono::NaiveDate;
use maud::{Markup, html};
use specflow_engine::command::{
    Artifact, Comment, MeetingRecord, MeetingSchedule, NonVotingParticipant, Publication, Vote,
    Waiver,
};
use specflow_engine::committee::RollEntry;
use specflow_engine::definition::{CommandKind, FieldType, MeetingForm};
use specflow_engine::records::{Disposition, FieldValue, VoteChoice};
use specflow_engine::{Command, Language, LocalizedText, ProjectState, WorkflowDefinition};
use specflow_store::ProjectSummary;
use specflow_store::auth::{Principal, can_write_project, is_read_only};
use std::collections::BTreeMap;
use uuid::Uuid;

/// A form's fields as posted: every value of each name, in order.
pub(super) type Values = BTreeMap<String, Vec<String>>;

/// Reads an `application/x-www-form-urlencoded` body into [`Values`].
pub(super) fn values_of(body: &[u8]) -> Values {
    let mut values = Values::new();
    for (name, value) in form_urlencoded::parse(body) {
        values
            .entry(name.into_owned())
            .or_default()
            .push(value.into_owned());
    }
    values
}

/// The first value of a field, trimmed, or `None` when absent or blank.
pub(super) fn value<'values>(values: &'values Values, name: &str) -> Option<&'values str> {
    values
        .get(name)
        .and_then(|all| all.first())
        .map(|text| text.trim())
        .filter(|text| !text.is_empty())
}

/// One thing wrong with a submitted form: beside its field, or above the form when `field` is
/// `None`.
#[derive(Debug, Clone)]
pub(super) struct FieldProblem {
    /// The field's name, as in the form.
    pub field: Option<String>,
    /// What is wrong, in both languages.
    pub message: LocalizedText,
}

impl FieldProblem {
    fn at(field: &str, zh: impl Into<String>, en: impl Into<String>) -> FieldProblem {
        FieldProblem {
            field: Some(field.to_string()),
            message: LocalizedText::new(zh, en),
        }
    }

    /// The problems of a refusal: the field it names, or the engine's every reason.
    pub fn from_problem(problem: &Problem) -> Vec<FieldProblem> {
        let field = problem
            .extensions
            .get("field")
            .and_then(|field| field.as_str())
            .map(str::to_string);
        if problem.unmet.is_empty() {
            return vec![FieldProblem {
                field,
                message: problem.detail.clone(),
            }];
        }
        problem
            .unmet
            .iter()
            .map(|unmet| FieldProblem {
                field: None,
                message: unmet.message.clone(),
            })
            .collect()
    }
}

/// A refused form, to show again with what was typed and why.
#[derive(Debug, Clone)]
pub(super) struct Retry {
    /// The form.
    pub form: FormKind,
    /// What was typed.
    pub values: Values,
    /// Why it was refused.
    pub problems: Vec<FieldProblem>,
}

/// The forms, one per kind of command (firing an action and cancelling are the action buttons).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum FormKind {
    /// Upload a document.
    Attach,
    /// Record a comment.
    Comment,
    /// Dispose of a comment, or change its disposition.
    Dispose,
    /// Record organisations consulted.
    Consulted,
    /// Sign off.
    SignOff,
    /// Schedule a meeting or a vote by letter.
    ScheduleMeeting,
    /// Record a meeting held, with its roll and votes.
    RecordMeeting,
    /// Ask for a deadline's extension.
    RequestExtension,
    /// Grant or refuse an extension.
    DecideExtension,
    /// Lift a freeze.
    LiftFreeze,
    /// Record a field.
    RecordField,
    /// Record publication.
    Publication,
    /// Fix the plan's dates.
    FixPlan,
    /// Record a waiver of a guard.
    Waiver,
    /// Move to a newer definition version.
    Migrate,
}

impl FormKind {
    /// Every form, in the order the page shows them.
    pub const ALL: [FormKind; 15] = [
        FormKind::Attach,
        FormKind::Comment,
        FormKind::Dispose,
        FormKind::Consulted,
        FormKind::SignOff,
        FormKind::ScheduleMeeting,
        FormKind::RecordMeeting,
        FormKind::RequestExtension,
        FormKind::DecideExtension,
        FormKind::LiftFreeze,
        FormKind::RecordField,
        FormKind::Publication,
        FormKind::FixPlan,
        FormKind::Waiver,
        FormKind::Migrate,
    ];

    /// The form's address segment and anchor (`form-…`).
    pub fn slug(self) -> &'static str {
        match self {
            FormKind::Attach => "attach",
            FormKind::Comment => "comment",
            FormKind::Dispose => "dispose",
            FormKind::Consulted => "consulted",
            FormKind::SignOff => "sign-off",
            FormKind::ScheduleMeeting => "schedule-meeting",
            FormKind::RecordMeeting => "record-meeting",
            FormKind::RequestExtension => "request-extension",
            FormKind::DecideExtension => "decide-extension",
            FormKind::LiftFreeze => "lift-freeze",
            FormKind::RecordField => "record-field",
            FormKind::Publication => "publication",
            FormKind::FixPlan => "fix-plan",
            FormKind::Waiver => "waiver",
            FormKind::Migrate => "migrate",
        }
    }

    /// The form named by an address segment.
    pub fn from_slug(slug: &str) -> Option<FormKind> {
        FormKind::ALL.into_iter().find(|kind| kind.slug() == slug)
    }

    /// The kind of command whose roles the definition sets for this form.
    pub fn permission(self) -> CommandKind {
        match self {
            FormKind::Attach => CommandKind::AttachArtifact,
            FormKind::Comment => CommandKind::RecordComment,
            FormKind::Dispose => CommandKind::DisposeComment,
            FormKind::Consulted => CommandKind::RecordOrganisationsConsulted,
            FormKind::SignOff => CommandKind::SignOff,
            FormKind::ScheduleMeeting => CommandKind::ScheduleMeeting,
            FormKind::RecordMeeting => CommandKind::RecordMeeting,
            FormKind::RequestExtension => CommandKind::RequestExtension,
            FormKind::DecideExtension => CommandKind::DecideExtension,
            FormKind::LiftFreeze => CommandKind::LiftFreeze,
            FormKind::RecordField => CommandKind::RecordField,
            FormKind::Publication => CommandKind::RecordPublication,
            FormKind::FixPlan => CommandKind::FixPlan,
            FormKind::Waiver => CommandKind::RecordWaiver,
            FormKind::Migrate => CommandKind::MigrateDefinition,
        }
    }

    /// The form's title.
    pub fn title(self, words: Words) -> &'static str {
        let (zh, en) = match self {
            FormKind::Attach => ("上传文件", "Upload a document"),
            FormKind::Comment => ("记录意见", "Record a comment"),
            FormKind::Dispose => ("处理意见", "Dispose of a comment"),
            FormKind::Consulted => ("记录征求意见单位", "Record organisations consulted"),
            FormKind::SignOff => ("签署", "Sign off"),
            FormKind::ScheduleMeeting => {
                ("安排会议或函审", "Schedule a meeting or a vote by letter")
            }
            FormKind::RecordMeeting => ("记录会议与表决", "Record a meeting and its vote"),
            FormKind::RequestExtension => ("申请延期", "Request an extension"),
            FormKind::DecideExtension => ("批准或驳回延期", "Grant or refuse an extension"),
            FormKind::LiftFreeze => ("解除冻结", "Lift the freeze"),
            FormKind::RecordField => ("记录事项", "Record a field"),
            FormKind::Publication => ("记录发布", "Record publication"),
            FormKind::FixPlan => ("确定计划日期", "Fix the plan's dates"),
            FormKind::Waiver => ("记录豁免", "Record a waiver"),
            FormKind::Migrate => ("迁移到新版工作流", "Migrate to a newer workflow version"),
        };
        words.pick(zh, en)
    }

    /// Whether the principal's role and scope allow this form on the project.
    pub fn allowed(
        self,
        definition: &WorkflowDefinition,
        summary: &ProjectSummary,
        principal: &Principal,
    ) -> bool {
        !is_read_only(principal)
            && can_write_project(principal, &summary.committee, summary.project_id).is_allowed()
            && definition
                .roles_for(self.permission())
                .iter()
                .any(|role| role == principal.role.workflow_role())
    }
}

/// Everything the forms of one project's page are drawn from.
pub(super) struct Desk<'page> {
    /// The project's definition.
    pub definition: &'page WorkflowDefinition,
    /// The project's state.
    pub project: &'page ProjectState,
    /// The project's row.
    pub summary: &'page ProjectSummary,
    /// Who reads the page.
    pub principal: &'page Principal,
    /// The session's CSRF token.
    pub csrf: &'page str,
    /// The project's page address.
    pub base: &'page str,
    /// The largest file the store accepts, in bytes.
    pub max_upload_bytes: u64,
    /// The committee's roll on each scheduled meeting's day, by meeting id.
    pub rolls: &'page BTreeMap<String, Vec<RollEntry>>,
    /// The form the page was opened for (`?form=…`), with values to preset (`kind`, `subject`…).
    pub opened: Option<(FormKind, &'page Values)>,
    /// A refused form to show again.
    pub retry: Option<&'page Retry>,
    /// Whether the page was opened for the comment table's import (`?form=comment-table`).
    pub table_opened: bool,
    /// The reader's language.
    pub words: Words,
}

impl Desk<'_> {
    /// The value to show in a field: what was typed in a refused form, else a preset, else `default`.
    fn shown(&self, form: FormKind, name: &str, default: &str) -> String {
        if let Some(retry) = self.retry.filter(|retry| retry.form == form) {
            return value(&retry.values, name).unwrap_or_default().to_string();
        }
        if let Some((_, presets)) = self.opened.filter(|(opened, _)| *opened == form)
            && let Some(preset) = value(presets, name)
        {
            return preset.to_string();
        }
        default.to_string()
    }

    /// Every value typed in a multi-valued field of a refused form.
    fn shown_all(&self, form: FormKind, name: &str) -> Vec<String> {
        self.retry
            .filter(|retry| retry.form == form)
            .and_then(|retry| retry.values.get(name).cloned())
            .unwrap_or_default()
    }

    /// The problems of a refused form beside `field`.
    fn problems(&self, form: FormKind, field: &str) -> Markup {
        let Some(retry) = self.retry.filter(|retry| retry.form == form) else {
            return html! {};
        };
        html! {
            @for problem in retry.problems.iter().filter(|problem| problem.field.as_deref() == Some(field)) {
                p.field-error role="alert" { (problem.message.get(self.words.0)) }
            }
        }
    }

    /// The problems of a refused form that concern no one field, above it.
    fn general_problems(&self, form: FormKind) -> Markup {
        let Some(retry) = self.retry.filter(|retry| retry.form == form) else {
            return html! {};
        };
        let general: Vec<&FieldProblem> = retry
            .problems
            .iter()
            .filter(|problem| problem.field.is_none())
            .collect();
        html! {
            @if !general.is_empty() {
                div.form-errors role="alert" {
                    p { (self.words.pick("未能完成，原因：", "Not done, because:")) }
                    ul { @for problem in general { li { (problem.message.get(self.words.0)) } } }
                }
            }
        }
    }

    fn is_open(&self, form: FormKind) -> bool {
        self.retry.is_some_and(|retry| retry.form == form)
            || self.opened.is_some_and(|(opened, _)| opened == form)
    }
}

/// The forms the reader may use on this project, each folded until opened.
pub(super) fn work_section(desk: &Desk<'_>) -> Markup {
    let forms: Vec<FormKind> = FormKind::ALL
        .into_iter()
        .filter(|form| form.allowed(desk.definition, desk.summary, desk.principal))
        // A refused or opened form is shown even with nothing to act on, so its reasons are seen.
        .filter(|form| applies(*form, desk) || desk.is_open(*form))
        .collect();
    let words = desk.words;
    html! {
        @if forms.is_empty() {
            p.muted { (words.pick("您在此项目上没有可填写的表单。", "You have no forms to fill in on this project.")) }
        } @else {
            div.work-forms {
                @for form in forms {
                    details.work-form id=(format!("form-{}", form.slug())) open[desk.is_open(form)] {
                        summary { (form.title(words)) }
                        (form_body(form, desk))
                    }
                    // Many comments at once, from the table drafting groups keep, beside the one.
                    @if form == FormKind::Comment {
                        details.work-form #form-comment-table open[desk.table_opened] {
                            summary { (words.pick("导入意见汇总处理表", "Import the comment disposition table")) }
                            (super::comment_table::upload_form(&format!("{}/forms/comment-table", desk.base), desk.csrf, words))
                        }
                    }
                }
            }
        }
    }
}

/// Whether a form has anything to act on in the project's state (no decision form without a
/// request, no freeze to lift on a project that is not frozen).
fn applies(form: FormKind, desk: &Desk<'_>) -> bool {
    let project = desk.project;
    match form {
        FormKind::Dispose => !project.comments.is_empty(),
        FormKind::RecordMeeting => !unheld_meetings(project).is_empty(),
        FormKind::RequestExtension => project.deadlines.iter().any(|entry| entry.is_open()),
        FormKind::DecideExtension => pending_requests(project).next().is_some(),
        FormKind::LiftFreeze => project.frozen.is_some(),
        FormKind::FixPlan => desk.definition.deadlines.iter().any(|rule| rule.planned),
        FormKind::Waiver => desk
            .definition
            .outgoing(project.stage())
            .any(|transition| !transition.guards.is_empty()),
        _ => true,
    }
}

fn unheld_meetings(project: &ProjectState) -> Vec<&MeetingSchedule> {
    project
        .scheduled_meetings
        .iter()
        .map(|scheduled| &scheduled.schedule)
        .filter(|schedule| {
            !project
                .meetings
                .iter()
                .any(|held| held.record.meeting_id == schedule.meeting_id)
        })
        .collect()
}

fn pending_requests(
    project: &ProjectState,
) -> impl Iterator<Item = &specflow_engine::state::ExtensionRequestEntry> {
    project
        .extension_requests
        .iter()
        .filter(|request| request.decision.is_none())
}

/// The `<form>` element around a form's fields, with its CSRF token, command id and the sequence
/// the page was drawn at (a stale page is refused with 409 rather than acting on news it lacks).
fn form_frame(form: FormKind, desk: &Desk<'_>, multipart: bool, fields: Markup) -> Markup {
    let action = format!("{}/forms/{}", desk.base, form.slug());
    let enctype = if multipart {
        "multipart/form-data"
    } else {
        "application/x-www-form-urlencoded"
    };
    html! {
        (desk.general_problems(form))
        form.work method="post" action=(action) enctype=(enctype) {
            input type="hidden" name=(CSRF_FIELD) value=(desk.csrf);
            input type="hidden" name="command_id" value=(Uuid::new_v4());
            input type="hidden" name="sequence" value=(desk.summary.head_sequence);
            (fields)
            p { button type="submit" { (form.title(desk.words)) } }
        }
    }
}

fn field_id(form: FormKind, name: &str) -> String {
    format!("{}-{}", form.slug(), name.replace([':', '.'], "-"))
}

fn text_input(desk: &Desk<'_>, form: FormKind, name: &str, label: &str, required: bool) -> Markup {
    let id = field_id(form, name);
    html! {
        p {
            label for=(id) { (label) }
            input id=(id) type="text" name=(name) value=(desk.shown(form, name, "")) required[required];
            (desk.problems(form, name))
        }
    }
}

fn textarea(desk: &Desk<'_>, form: FormKind, name: &str, label: &str, required: bool) -> Markup {
    let id = field_id(form, name);
    html! {
        p {
            label for=(id) { (label) }
            textarea id=(id) name=(name) rows="3" required[required] { (desk.shown(form, name, "")) }
            (desk.problems(form, name))
        }
    }
}

fn date_input(desk: &Desk<'_>, form: FormKind, name: &str, label: &str, default: &str) -> Markup {
    let id = field_id(form, name);
    html! {
        p {
            label for=(id) { (label) }
            input id=(id) type="date" name=(name) value=(desk.shown(form, name, default)) required;
            (desk.problems(form, name))
        }
    }
}

fn select(
    desk: &Desk<'_>,
    form: FormKind,
    name: &str,
    label: &str,
    options: &[(String, String)],
) -> Markup {
    let id = field_id(form, name);
    let chosen = desk.shown(form, name, "");
    // A list that offers an empty choice (the minutes' "(none)") is optional: marked required,
    // the browser would refuse to send the form with that choice.
    let required = !options.iter().any(|(code, _)| code.is_empty());
    html! {
        p {
            label for=(id) { (label) }
            select id=(id) name=(name) required[required] {
                @for (code, text) in options {
                    option value=(code) selected[*code == chosen] { (text) }
                }
            }
            (desk.problems(form, name))
        }
    }
}

fn named_options(
    items: &[specflow_engine::definition::NamedItem],
    language: Language,
) -> Vec<(String, String)> {
    items
        .iter()
        .map(|item| (item.code.clone(), item.name.get(language).to_string()))
        .collect()
}

/// The next number not yet used as an id among `used`, prefixed: the id a new comment, meeting
/// or request is offered (the user may type another).
fn next_id<'id>(prefix: &str, used: impl Iterator<Item = &'id str>) -> String {
    let used: std::collections::BTreeSet<&str> = used.collect();
    (1..)
        .map(|number| format!("{prefix}{number}"))
        .find(|candidate| !used.contains(candidate.as_str()))
        .unwrap_or_else(|| format!("{prefix}{}", Uuid::new_v4().simple()))
}

fn form_body(form: FormKind, desk: &Desk<'_>) -> Markup {
    match form {
        FormKind::Attach => render_attach(desk),
        FormKind::Comment => render_comment(desk),
        FormKind::Dispose => render_dispose(desk),
        FormKind::Consulted => render_consulted(desk),
        FormKind::SignOff => render_sign_off(desk),
        FormKind::ScheduleMeeting => render_schedule(desk),
        FormKind::RecordMeeting => render_record_meeting(desk),
        FormKind::RequestExtension => render_request_extension(desk),
        FormKind::DecideExtension => render_decide_extension(desk),
        FormKind::LiftFreeze => render_lift_freeze(desk),
        FormKind::RecordField => render_record_field(desk),
        FormKind::Publication => render_publication(desk),
        FormKind::FixPlan => render_fix_plan(desk),
        FormKind::Waiver => render_waiver(desk),
        FormKind::Migrate => render_migrate(desk),
    }
}

fn render_attach(desk: &Desk<'_>) -> Markup {
    let form = FormKind::Attach;
    let words = desk.words;
    let limit_mib = desk.max_upload_bytes as f64 / (1024.0 * 1024.0);
    let kinds = named_options(&desk.definition.artifact_kinds, words.0);
    let id = field_id(form, "file");
    form_frame(
        form,
        desk,
        true,
        html! {
            (select(desk, form, "kind", words.pick("文件类别", "Kind of document"), &kinds))
            p {
                label for=(id) { (words.pick("文件", "File")) }
                input id=(id) type="file" name="file" required;
                span.muted { " " (words.pick("大小上限 ", "At most ")) (format!("{limit_mib:.0} MiB")) }
                (desk.problems(form, "file"))
            }
            p.muted { (words.pick("同类文件的新版本会取代列表中的旧版本；旧版本仍保留在审计记录中。", "A new version of a kind replaces the old one in the list; the old one stays in the audit log.")) }
        },
    )
}

fn render_comment(desk: &Desk<'_>) -> Markup {
    let form = FormKind::Comment;
    let words = desk.words;
    let next = next_id(
        "",
        desk.project.comments.iter().map(|entry| entry.comment_id),
    );
    let id = field_id(form, "comment_id");
    form_frame(
        form,
        desk,
        false,
        html! {
            p {
                label for=(id) { (words.pick("意见编号", "Comment number")) }
                input id=(id) type="text" name="comment_id" value=(desk.shown(form, "comment_id", &next)) required;
                (desk.problems(form, "comment_id"))
            }
            (text_input(desk, form, "organisation", words.pick("提出单位", "Organisation"), true))
            (text_input(desk, form, "clause", words.pick("章条（可选）", "Clause (optional)"), false))
            (textarea(desk, form, "text", words.pick("意见内容", "Comment"), true))
        },
    )
}

fn disposition_options(words: Words) -> Vec<(String, String)> {
    [
        Disposition::Accepted,
        Disposition::PartlyAccepted,
        Disposition::NotAccepted,
    ]
    .into_iter()
    .map(|disposition| {
        (
            disposition_code(disposition).to_string(),
            disposition.name().get(words.0).to_string(),
        )
    })
    .collect()
}

fn disposition_code(disposition: Disposition) -> &'static str {
    match disposition {
        Disposition::Accepted => "accepted",
        Disposition::PartlyAccepted => "partly_accepted",
        Disposition::NotAccepted => "not_accepted",
    }
}

fn render_dispose(desk: &Desk<'_>) -> Markup {
    let form = FormKind::Dispose;
    let words = desk.words;
    // Comments still without a disposition come first: they are what blocks the project.
    let mut comments: Vec<(String, String)> = Vec::new();
    for open_first in [true, false] {
        for entry in desk.project.comments.iter() {
            if entry.disposition.is_none() == open_first {
                let state = if open_first {
                    words.pick("（未处理）", " (no disposition)")
                } else {
                    words.pick("（改变处理）", " (change)")
                };
                comments.push((
                    entry.comment_id.to_string(),
                    format!("{} · {}{state}", entry.comment_id, entry.organisation),
                ));
            }
        }
    }
    form_frame(
        form,
        desk,
        false,
        html! {
            (select(desk, form, "comment", words.pick("意见", "Comment"), &comments))
            (select(desk, form, "disposition", words.pick("处理结果", "Disposition"), &disposition_options(words)))
            (textarea(desk, form, "reason", words.pick("理由（不采纳时必填）", "Reason (required when not accepted)"), false))
        },
    )
}

fn render_consulted(desk: &Desk<'_>) -> Markup {
    let form = FormKind::Consulted;
    let words = desk.words;
    form_frame(
        form,
        desk,
        false,
        html! {
            (textarea(desk, form, "organisations", words.pick("征求意见单位（每行一个）", "Organisations consulted (one per line)"), true))
        },
    )
}

fn render_sign_off(desk: &Desk<'_>) -> Markup {
    let form = FormKind::SignOff;
    let words = desk.words;
    // Each subject with the officer whose signature the definition's guards ask for, so nobody
    // signs what another must.
    let subjects: Vec<(String, String)> = desk
        .definition
        .sign_offs
        .iter()
        .map(|item| {
            let mut signers: Vec<String> = Vec::new();
            for transition in &desk.definition.transitions {
                collect_signers(&transition.guards, &item.code, &mut signers);
            }
            let names: Vec<String> = signers
                .iter()
                .map(|role| desk.definition.role_name(role).get(words.0).to_string())
                .collect();
            let label = if names.is_empty() {
                item.name.get(words.0).to_string()
            } else {
                format!(
                    "{}{}{}{}",
                    item.name.get(words.0),
                    words.pick("（由", " (by the "),
                    names.join(words.pick("、", ", ")),
                    words.pick("签署）", ")")
                )
            };
            (item.code.clone(), label)
        })
        .collect();
    form_frame(
        form,
        desk,
        false,
        html! {
            (select(desk, form, "subject", words.pick("签署事项", "What is signed off"), &subjects))
            p.muted { (words.pick("签署以您的身份记入审计记录。", "The sign-off is recorded in your name in the audit log.")) }
        },
    )
}

/// The motions the guards (nested ones too) vote on or give notice of, each once.
fn collect_motions(guards: &[specflow_engine::definition::Guard], motions: &mut Vec<String>) {
    use specflow_engine::definition::GuardRule;
    for guard in guards {
        match &guard.rule {
            GuardRule::VoteHeld { motion, .. }
            | GuardRule::VotePasses { motion, .. }
            | GuardRule::NoticeBeforeMeeting { motion, .. }
                if !motions.contains(motion) =>
            {
                motions.push(motion.clone());
            }
            GuardRule::All(inner) | GuardRule::Any(inner) => collect_motions(inner, motions),
            GuardRule::Not(inner) => {
                collect_motions(std::slice::from_ref(inner.as_ref()), motions);
            }
            _ => {}
        }
    }
}

/// The roles the guards (nested ones too) ask to sign off `subject`, each once.
fn collect_signers(
    guards: &[specflow_engine::definition::Guard],
    subject: &str,
    signers: &mut Vec<String>,
) {
    use specflow_engine::definition::GuardRule;
    for guard in guards {
        match &guard.rule {
            GuardRule::SignedOff {
                subject: signed,
                by_role,
            } if signed == subject && !signers.contains(by_role) => signers.push(by_role.clone()),
            GuardRule::All(inner) | GuardRule::Any(inner) => {
                collect_signers(inner, subject, signers);
            }
            GuardRule::Not(inner) => {
                collect_signers(std::slice::from_ref(inner.as_ref()), subject, signers);
            }
            _ => {}
        }
    }
}

fn meeting_form_options(words: Words) -> Vec<(String, String)> {
    vec![
        (
            "meeting".to_string(),
            words.pick("会议审查", "meeting").to_string(),
        ),
        (
            "letter".to_string(),
            words.pick("函审", "vote by letter").to_string(),
        ),
    ]
}

fn render_schedule(desk: &Desk<'_>) -> Markup {
    let form = FormKind::ScheduleMeeting;
    let words = desk.words;
    let next = next_id(
        "M",
        desk.project
            .scheduled_meetings
            .iter()
            .map(|scheduled| scheduled.schedule.meeting_id.as_str()),
    );
    // The motions the current stage's guards vote on come first, so the list starts at the one
    // the stage needs.
    let mut motions = named_options(&desk.definition.motions, words.0);
    let mut wanted = Vec::new();
    for transition in desk.definition.outgoing(desk.project.stage()) {
        collect_motions(&transition.guards, &mut wanted);
    }
    motions.sort_by_key(|(code, _)| !wanted.contains(code));
    form_frame(
        form,
        desk,
        false,
        html! {
            input type="hidden" name="meeting_id" value=(desk.shown(form, "meeting_id", &next));
            (select(desk, form, "motion", words.pick("表决事项", "Motion"), &motions))
            (select(desk, form, "form", words.pick("形式", "Form"), &meeting_form_options(words)))
            (date_input(desk, form, "meeting_on", words.pick("会议（或函审截止）日期", "Meeting (or letter vote closing) date"), ""))
            (date_input(desk, form, "documents_sent_on", words.pick("文件送达日期", "Documents sent on"), ""))
        },
    )
}

fn render_record_meeting(desk: &Desk<'_>) -> Markup {
    let form = FormKind::RecordMeeting;
    let words = desk.words;
    let meetings = unheld_meetings(desk.project);
    let chosen = desk.shown(form, "meeting_id", "");
    let meeting = meetings
        .iter()
        .find(|meeting| meeting.meeting_id == chosen)
        .or(meetings.first());
    let Some(meeting) = meeting else {
        return html! {
            (desk.general_problems(form))
            p.muted { (words.pick("没有尚未记录的会议。", "No meeting is waiting to be recorded.")) }
        };
    };
    let roll = desk.rolls.get(&meeting.meeting_id);
    let present = desk.shown_all(form, "present");
    let minutes: Vec<(String, String)> =
        std::iter::once((String::new(), words.pick("（无）", "(none)").to_string()))
            .chain(desk.project.artifacts.iter().map(|attached| {
                (
                    attached.artifact.sha256.clone(),
                    format!(
                        "{} · {}",
                        desk.definition
                            .artifact_kind_name(&attached.artifact.kind)
                            .get(words.0),
                        attached.artifact.file_name
                    ),
                )
            }))
            .collect();
    let choices = [
        ("", words.pick("—", "—")),
        ("in_favour", words.pick("赞成", "in favour")),
        ("against", words.pick("反对", "against")),
        ("abstain", words.pick("弃权", "abstain")),
    ];
    form_frame(
        form,
        desk,
        false,
        html! {
            input type="hidden" name="meeting_id" value=(meeting.meeting_id);
            p {
                (desk.definition.motion_name(&meeting.motion).get(words.0))
                " · " (meeting.meeting_on.format("%Y-%m-%d"))
            }
            (date_input(desk, form, "held_on", words.pick("召开（或函审截止）日期", "Held (or letter vote closed) on"), &meeting.meeting_on.format("%Y-%m-%d").to_string()))
            @match roll {
                Some(roll) if !roll.is_empty() => {
                    div.table-wrap { table.roll {
                        caption { (words.pick("表决委员名册（取自技术委员会在会议当日的记录）", "Voting members (from the committee's record on the meeting's day)")) }
                        thead { tr {
                            th scope="col" { (words.pick("委员", "Member")) }
                            th scope="col" { (words.pick("单位", "Organisation")) }
                            th scope="col" { (words.pick("出席", "Present")) }
                            th scope="col" { (words.pick("表决", "Vote")) }
                        } }
                        tbody {
                            @for entry in roll.iter().filter(|entry| entry.votes) {
                                @let vote_name = format!("vote:{}", entry.person);
                                @let vote = desk.shown(form, &vote_name, "");
                                tr {
                                    th scope="row" { (entry.person) }
                                    td { (entry.organisation) }
                                    td { input type="checkbox" name="present" value=(entry.person) aria-label=(format!("{} {}", words.pick("出席", "present"), entry.person)) checked[present.contains(&entry.person)]; }
                                    td {
                                        select name=(vote_name) aria-label=(format!("{} {}", words.pick("表决", "vote"), entry.person)) {
                                            @for (code, text) in choices {
                                                option value=(code) selected[code == vote] { (text) }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    } }
                    (desk.problems(form, "roll"))
                    (desk.problems(form, "present"))
                    (desk.problems(form, "votes"))
                },
                _ => {
                    p.muted { (words.pick("技术委员会在该日没有在任表决委员的记录；请先在技术委员会页面记录委员。", "The committee has no voting member on record for that day; record its members on the committee's page first.")) }
                },
            }
            (textarea(desk, form, "non_voting", words.pick("列席人员（每行：姓名，身份）", "Non-voting attendees (one per line: name, capacity)"), false))
            (select(desk, form, "minutes", words.pick("会议纪要（先上传）", "Minutes (upload first)"), &minutes))
        },
    )
}

fn render_request_extension(desk: &Desk<'_>) -> Markup {
    let form = FormKind::RequestExtension;
    let words = desk.words;
    let deadlines: Vec<(String, String)> = desk
        .project
        .deadlines
        .iter()
        .filter(|entry| entry.is_open())
        .map(|entry| {
            let name = desk.definition.deadline(&entry.deadline).map_or_else(
                || entry.deadline.clone(),
                |rule| rule.name.get(words.0).to_string(),
            );
            let due = entry
                .times
                .map(|times| format!(" · {} {}", words.pick("到期日", "due on"), times.due_on))
                .unwrap_or_default();
            (entry.deadline.clone(), format!("{name}{due}"))
        })
        .collect();
    let next = next_id(
        "X",
        desk.project
            .extension_requests
            .iter()
            .map(|request| request.request_id.as_str()),
    );
    form_frame(
        form,
        desk,
        false,
        html! {
            input type="hidden" name="request_id" value=(desk.shown(form, "request_id", &next));
            (select(desk, form, "deadline", words.pick("期限", "Deadline"), &deadlines))
            (date_input(desk, form, "new_due_on", words.pick("申请延至", "New due date"), ""))
            (textarea(desk, form, "reason", words.pick("理由", "Reason"), true))
        },
    )
}

fn render_decide_extension(desk: &Desk<'_>) -> Markup {
    let form = FormKind::DecideExtension;
    let words = desk.words;
    let requests: Vec<(String, String)> = pending_requests(desk.project)
        .map(|request| {
            (
                request.request_id.clone(),
                format!(
                    "{} · {} {} → {} · {}",
                    request.request_id,
                    desk.definition
                        .deadline(&request.deadline)
                        .map_or(request.deadline.as_str(), |rule| rule.name.get(words.0)),
                    request.current_due_on,
                    request.requested_due_on,
                    request.reason
                ),
            )
        })
        .collect();
    let decisions = vec![
        (
            String::new(),
            words.pick("（请选择）", "(choose)").to_string(),
        ),
        ("grant".to_string(), words.pick("批准", "grant").to_string()),
        (
            "refuse".to_string(),
            words.pick("驳回", "refuse").to_string(),
        ),
    ];
    form_frame(
        form,
        desk,
        false,
        html! {
            (select(desk, form, "request", words.pick("延期申请", "Request"), &requests))
            (select(desk, form, "decision", words.pick("决定", "Decision"), &decisions))
            (textarea(desk, form, "reason", words.pick("理由", "Grounds"), true))
        },
    )
}

fn render_lift_freeze(desk: &Desk<'_>) -> Markup {
    let form = FormKind::LiftFreeze;
    form_frame(
        form,
        desk,
        false,
        textarea(
            desk,
            form,
            "reason",
            desk.words.pick("理由", "Reason"),
            true,
        ),
    )
}

fn render_record_field(desk: &Desk<'_>) -> Markup {
    let form = FormKind::RecordField;
    let words = desk.words;
    let fields: Vec<(String, String)> = desk
        .definition
        .fields
        .iter()
        .map(|field| {
            let kind = match field.value_type {
                FieldType::Text => words.pick("文字", "text"),
                FieldType::Date => words.pick("日期 YYYY-MM-DD", "date YYYY-MM-DD"),
                FieldType::Project => words.pick("项目编号", "project code"),
            };
            (
                field.code.clone(),
                format!("{}（{kind}）", field.name.get(words.0)),
            )
        })
        .collect();
    form_frame(
        form,
        desk,
        false,
        html! {
            (select(desk, form, "field", words.pick("事项", "Field"), &fields))
            (textarea(desk, form, "value", words.pick("内容", "Value"), true))
        },
    )
}

fn render_publication(desk: &Desk<'_>) -> Markup {
    let form = FormKind::Publication;
    let words = desk.words;
    form_frame(
        form,
        desk,
        false,
        html! {
            (text_input(desk, form, "specification_number", words.pick("规范编号", "Specification number"), true))
            (date_input(desk, form, "publication_date", words.pick("发布日期", "Publication date"), ""))
            (date_input(desk, form, "effective_date", words.pick("实施日期", "Effective date"), ""))
        },
    )
}

fn render_fix_plan(desk: &Desk<'_>) -> Markup {
    let form = FormKind::FixPlan;
    let words = desk.words;
    let planned = desk.definition.deadlines.iter().filter(|rule| rule.planned);
    form_frame(
        form,
        desk,
        false,
        html! {
            p.muted { (words.pick("计划日期不得晚于工作流规定的期限；留空的期限不变。", "A planned date may not be later than the workflow allows; deadlines left blank are unchanged.")) }
            @for rule in planned {
                @let name = format!("due:{}", rule.id);
                @let id = field_id(form, &name);
                @let current = desk.project.plan.get(&rule.id).map(|day| day.format("%Y-%m-%d").to_string()).unwrap_or_default();
                p {
                    label for=(id) { (rule.name.get(words.0)) }
                    input id=(id) type="date" name=(name) value=(desk.shown(form, &name, &current));
                    (desk.problems(form, &name))
                }
            }
        },
    )
}

fn render_waiver(desk: &Desk<'_>) -> Markup {
    let form = FormKind::Waiver;
    let words = desk.words;
    let mut guards: Vec<(String, String)> = Vec::new();
    for transition in desk.definition.outgoing(desk.project.stage()) {
        for guard in &transition.guards {
            let described = guard
                .description
                .as_ref()
                .map_or(guard.id.as_str(), |text| text.get(words.0));
            guards.push((
                format!("{}/{}", transition.action, guard.id),
                format!("{} · {described}", transition.name.get(words.0)),
            ));
        }
    }
    form_frame(
        form,
        desk,
        false,
        html! {
            (select(desk, form, "guard", words.pick("豁免的条件", "Guard waived"), &guards))
            (text_input(desk, form, "authority", words.pick("依据（文件及文号）", "Authority (decision and its number)"), true))
            (textarea(desk, form, "reason", words.pick("理由", "Reason"), true))
        },
    )
}

fn render_migrate(desk: &Desk<'_>) -> Markup {
    let form = FormKind::Migrate;
    let words = desk.words;
    let id = field_id(form, "to_version");
    let next = (desk.summary.definition_version + 1).to_string();
    form_frame(
        form,
        desk,
        false,
        html! {
            p {
                label for=(id) { (words.pick("目标版本", "Version to move to")) }
                input id=(id) type="number" min=(next) name="to_version" value=(desk.shown(form, "to_version", &next)) required;
                (desk.problems(form, "to_version"))
            }
        },
    )
}

/// What was typed, made into the engine's command; every field problem at once when it cannot
/// be. An upload's command is made by `attach_upload` from the file, not here.
pub(super) fn command_of(
    form: FormKind,
    values: &Values,
    project: &ProjectState,
    definition: &WorkflowDefinition,
) -> Result<Command, Vec<FieldProblem>> {
    let mut problems = Vec::new();
    let command =
        match form {
            FormKind::Attach => parse_attach(values, &mut problems),
            FormKind::Comment => parse_comment(values, &mut problems),
            FormKind::Dispose => parse_dispose(values, &mut problems),
            FormKind::Consulted => parse_consulted(values, &mut problems),
            FormKind::SignOff => required(values, "subject", &mut problems)
                .map(|subject| Command::SignOff { subject }),
            FormKind::ScheduleMeeting => parse_schedule(values, &mut problems),
            FormKind::RecordMeeting => parse_record_meeting(values, project, &mut problems),
            FormKind::RequestExtension => parse_request_extension(values, &mut problems),
            FormKind::DecideExtension => parse_decide_extension(values, &mut problems),
            FormKind::LiftFreeze => required(values, "reason", &mut problems)
                .map(|reason| Command::LiftFreeze { reason }),
            FormKind::RecordField => parse_record_field(values, definition, &mut problems),
            FormKind::Publication => parse_publication(values, &mut problems),
            FormKind::FixPlan => parse_fix_plan(values, &mut problems),
            FormKind::Waiver => parse_waiver(values, &mut problems),
            FormKind::Migrate => parse_migrate(values, &mut problems),
        };
    match command {
        Some(command) if problems.is_empty() => Ok(command),
        _ => Err(problems),
    }
}

fn required(values: &Values, name: &str, problems: &mut Vec<FieldProblem>) -> Option<String> {
    match value(values, name) {
        Some(text) => Some(text.to_string()),
        None => {
            problems.push(FieldProblem::at(name, "此项必填", "This is required"));
            None
        }
    }
}

fn optional(values: &Values, name: &str) -> Option<String> {
    value(values, name).map(str::to_string)
}

fn date(values: &Values, name: &str, problems: &mut Vec<FieldProblem>) -> Option<NaiveDate> {
    let text = required(values, name, problems)?;
    match NaiveDate::parse_from_str(&text, "%Y-%m-%d") {
        Ok(day) => Some(day),
        Err(_) => {
            problems.push(FieldProblem::at(
                name,
                format!("「{text}」不是 YYYY-MM-DD 格式的日期"),
                format!("\"{text}\" is not a date in the form YYYY-MM-DD"),
            ));
            None
        }
    }
}

fn parse_attach(values: &Values, problems: &mut Vec<FieldProblem>) -> Option<Command> {
    // The digest and size are the file's, filled in by `attach_upload`; here only the kind.
    let kind = required(values, "kind", problems)?;
    Some(Command::AttachArtifact(Artifact {
        kind,
        file_name: String::new(),
        size_bytes: 0,
        sha256: String::new(),
    }))
}

fn parse_comment(values: &Values, problems: &mut Vec<FieldProblem>) -> Option<Command> {
    let comment_id = required(values, "comment_id", problems);
    let organisation = required(values, "organisation", problems);
    let text = required(values, "text", problems);
    Some(Command::RecordComment(Comment {
        comment_id: comment_id?,
        organisation: organisation?,
        clause: optional(values, "clause"),
        text: text?,
    }))
}

fn disposition_of(
    values: &Values,
    name: &str,
    problems: &mut Vec<FieldProblem>,
) -> Option<Disposition> {
    let text = required(values, name, problems)?;
    let disposition = match text.as_str() {
        "accepted" | "采纳" => Disposition::Accepted,
        "partly_accepted" | "部分采纳" => Disposition::PartlyAccepted,
        "not_accepted" | "不采纳" | "未采纳" => Disposition::NotAccepted,
        _ => {
            problems.push(FieldProblem::at(
                name,
                format!("「{text}」不是处理结果：应为采纳、部分采纳或不采纳"),
                format!(
                    "\"{text}\" is not a disposition: accepted, partly accepted or not accepted"
                ),
            ));
            return None;
        }
    };
    Some(disposition)
}

fn parse_dispose(values: &Values, problems: &mut Vec<FieldProblem>) -> Option<Command> {
    let comment_id = required(values, "comment", problems);
    let disposition = disposition_of(values, "disposition", problems);
    let reason = optional(values, "reason");
    if disposition == Some(Disposition::NotAccepted) && reason.is_none() {
        problems.push(FieldProblem::at(
            "reason",
            "不采纳的意见须说明理由",
            "A comment not accepted needs a reason",
        ));
    }
    Some(Command::DisposeComment {
        comment_id: comment_id?,
        disposition: disposition?,
        reason,
    })
}

fn parse_consulted(values: &Values, problems: &mut Vec<FieldProblem>) -> Option<Command> {
    let text = required(values, "organisations", problems)?;
    let organisations: Vec<String> = text
        .lines()
        .flat_map(|line| line.split(['；', ';']))
        .map(str::trim)
        .filter(|name| !name.is_empty())
        .map(str::to_string)
        .collect();
    Some(Command::RecordOrganisationsConsulted { organisations })
}

fn meeting_form_of(
    values: &Values,
    name: &str,
    problems: &mut Vec<FieldProblem>,
) -> Option<MeetingForm> {
    match required(values, name, problems)?.as_str() {
        "meeting" => Some(MeetingForm::Meeting),
        "letter" => Some(MeetingForm::Letter),
        other => {
            problems.push(FieldProblem::at(
                name,
                format!("「{other}」不是会议形式"),
                format!("\"{other}\" is not a form of meeting"),
            ));
            None
        }
    }
}

fn parse_schedule(values: &Values, problems: &mut Vec<FieldProblem>) -> Option<Command> {
    let meeting_id = required(values, "meeting_id", problems);
    let motion = required(values, "motion", problems);
    let form = meeting_form_of(values, "form", problems);
    let meeting_on = date(values, "meeting_on", problems);
    let documents_sent_on = date(values, "documents_sent_on", problems);
    Some(Command::ScheduleMeeting(MeetingSchedule {
        meeting_id: meeting_id?,
        motion: motion?,
        form: form?,
        meeting_on: meeting_on?,
        documents_sent_on: documents_sent_on?,
    }))
}

fn parse_record_meeting(
    values: &Values,
    project: &ProjectState,
    problems: &mut Vec<FieldProblem>,
) -> Option<Command> {
    let meeting_id = required(values, "meeting_id", problems)?;
    let Some(schedule) = unheld_meetings(project)
        .into_iter()
        .find(|schedule| schedule.meeting_id == meeting_id)
    else {
        problems.push(FieldProblem::at(
            "meeting_id",
            format!("没有尚未记录的会议 {meeting_id}"),
            format!("There is no meeting {meeting_id} still to record"),
        ));
        return None;
    };
    let held_on = date(values, "held_on", problems);
    let present: Vec<String> = values.get("present").cloned().unwrap_or_default();
    let mut votes = Vec::new();
    for (name, chosen) in values {
        let Some(member) = name.strip_prefix("vote:") else {
            continue;
        };
        let choice = match chosen.first().map(|text| text.trim()) {
            Some("in_favour") => VoteChoice::InFavour,
            Some("against") => VoteChoice::Against,
            Some("abstain") => VoteChoice::Abstain,
            _ => continue,
        };
        if !present.iter().any(|person| person == member) {
            problems.push(FieldProblem::at(
                "votes",
                format!("{member} 未出席，不能表决：请勾选出席或清除其表决"),
                format!(
                    "{member} is not marked present and cannot vote: tick present or clear the vote"
                ),
            ));
        }
        votes.push(Vote {
            member: member.to_string(),
            choice,
        });
    }
    let mut non_voting_present = Vec::new();
    for line in optional(values, "non_voting").unwrap_or_default().lines() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let mut parts = line.splitn(2, [',', '，']);
        let person = parts.next().unwrap_or_default().trim().to_string();
        let capacity = parts.next().unwrap_or_default().trim().to_string();
        if capacity.is_empty() {
            problems.push(FieldProblem::at(
                "non_voting",
                format!("「{line}」：请写成“姓名，身份”"),
                format!("\"{line}\": write it as \"name, capacity\""),
            ));
            continue;
        }
        non_voting_present.push(NonVotingParticipant { person, capacity });
    }
    Some(Command::RecordMeeting(MeetingRecord {
        meeting_id,
        motion: schedule.motion.clone(),
        form: schedule.form,
        held_on: held_on?,
        // Filled from the committee's record of that day by `roll_from_committee`.
        roll: Vec::new(),
        present,
        non_voting_present,
        votes,
        minutes_sha256: optional(values, "minutes"),
        drafting_unit_members: Vec::new(),
    }))
}

fn parse_request_extension(values: &Values, problems: &mut Vec<FieldProblem>) -> Option<Command> {
    let request_id = required(values, "request_id", problems);
    let deadline = required(values, "deadline", problems);
    let new_due_on = date(values, "new_due_on", problems);
    let reason = required(values, "reason", problems);
    Some(Command::RequestExtension {
        request_id: request_id?,
        deadline: deadline?,
        new_due_on: new_due_on?,
        reason: reason?,
    })
}

fn parse_decide_extension(values: &Values, problems: &mut Vec<FieldProblem>) -> Option<Command> {
    let request_id = required(values, "request", problems);
    let decision = required(values, "decision", problems);
    let reason = required(values, "reason", problems);
    match decision?.as_str() {
        "grant" => Some(Command::GrantExtension {
            request_id: request_id?,
            reason: reason?,
        }),
        "refuse" => Some(Command::RefuseExtension {
            request_id: request_id?,
            reason: reason?,
        }),
        other => {
            problems.push(FieldProblem::at(
                "decision",
                format!("「{other}」不是决定：应为批准或驳回"),
                format!("\"{other}\" is not a decision: grant or refuse"),
            ));
            None
        }
    }
}

fn parse_record_field(
    values: &Values,
    definition: &WorkflowDefinition,
    problems: &mut Vec<FieldProblem>,
) -> Option<Command> {
    let field = required(values, "field", problems)?;
    let text = required(values, "value", problems)?;
    let value_type = definition
        .fields
        .iter()
        .find(|known| known.code == field)
        .map_or(FieldType::Text, |known| known.value_type);
    let value = match value_type {
        FieldType::Text => FieldValue::Text(text),
        FieldType::Date => match NaiveDate::parse_from_str(&text, "%Y-%m-%d") {
            Ok(day) => FieldValue::Date(day),
            Err(_) => {
                problems.push(FieldProblem::at(
                    "value",
                    format!("此事项是日期：「{text}」不是 YYYY-MM-DD 格式"),
                    format!("This field is a date: \"{text}\" is not in the form YYYY-MM-DD"),
                ));
                return None;
            }
        },
        FieldType::Project => match Uuid::parse_str(&text) {
            Ok(project) => FieldValue::Project(project),
            Err(_) => {
                problems.push(FieldProblem::at(
                    "value",
                    format!("此事项是项目：「{text}」不是项目编号（UUID）"),
                    format!("This field is a project: \"{text}\" is not a project id (UUID)"),
                ));
                return None;
            }
        },
    };
    Some(Command::RecordField { field, value })
}

fn parse_publication(values: &Values, problems: &mut Vec<FieldProblem>) -> Option<Command> {
    let number = required(values, "specification_number", problems);
    let publication_date = date(values, "publication_date", problems);
    let effective_date = date(values, "effective_date", problems);
    Some(Command::RecordPublication(Publication {
        specification_number: number?,
        publication_date: publication_date?,
        effective_date: effective_date?,
    }))
}

fn parse_fix_plan(values: &Values, problems: &mut Vec<FieldProblem>) -> Option<Command> {
    let mut due_dates = BTreeMap::new();
    for name in values.keys() {
        let Some(deadline) = name.strip_prefix("due:") else {
            continue;
        };
        if value(values, name).is_none() {
            continue;
        }
        if let Some(day) = date(values, name, problems) {
            due_dates.insert(deadline.to_string(), day);
        }
    }
    if due_dates.is_empty() && problems.is_empty() {
        problems.push(FieldProblem {
            field: None,
            message: LocalizedText::new("请至少填写一个计划日期", "Give at least one planned date"),
        });
    }
    Some(Command::FixPlan { due_dates })
}

fn parse_waiver(values: &Values, problems: &mut Vec<FieldProblem>) -> Option<Command> {
    let guard = required(values, "guard", problems);
    let authority = required(values, "authority", problems);
    let reason = required(values, "reason", problems);
    let guard = guard?;
    let Some((action, guard)) = guard.split_once('/') else {
        problems.push(FieldProblem::at(
            "guard",
            "请从列表中选择条件",
            "Choose the guard from the list",
        ));
        return None;
    };
    Some(Command::RecordWaiver(Waiver {
        action: action.to_string(),
        guard: guard.to_string(),
        authority: authority?,
        reason: reason?,
    }))
}

fn parse_migrate(values: &Values, problems: &mut Vec<FieldProblem>) -> Option<Command> {
    let text = required(values, "to_version", problems)?;
    match text.parse::<u32>() {
        Ok(to_version) => Some(Command::MigrateDefinition { to_version }),
        Err(_) => {
            problems.push(FieldProblem::at(
                "to_version",
                format!("「{text}」不是版本号"),
                format!("\"{text}\" is not a version number"),
            ));
            None
        }
    }
}

/// The form that clears an unmet guard, by the reason's code and figures (`app::clearing`),
/// with the value to choose in it. `meeting_waiting` says whether a scheduled meeting waits to
/// be recorded.
pub(super) fn clearing_form(
    code: &str,
    figures: &BTreeMap<String, serde_json::Value>,
    meeting_waiting: bool,
) -> Option<(FormKind, Option<(&'static str, String)>)> {
    let clearing = crate::app::clearing::clearing(code, figures, meeting_waiting)?;
    let form = FormKind::ALL
        .into_iter()
        .find(|form| form.permission() == clearing.command)?;
    Some((form, clearing.preset))
}

/// The project page's address opened at a form, with a value chosen in it.
pub(super) fn form_address(base: &str, form: FormKind, preset: Option<&(&str, String)>) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    query.append_pair("form", form.slug());
    if let Some((name, value)) = preset {
        query.append_pair(name, value);
    }
    format!("{base}?{}#form-{}", query.finish(), form.slug())
}
