//! Workflow definitions: the stages, transitions, roles and rules of a lifecycle, as data.
//!
//! A definition is loaded from a TOML file under `workflows/` (see [`crate::load`]), validated as a
//! whole, and then never changes: a project pins the `(id, version)` it started with.
//! The engine hard-codes no stage, role, artifact or number; all of them come from here.

mod known;
pub(crate) mod raw;
pub(crate) mod validator;

use crate::calendar::WorkingCalendar;
use crate::duration::DurationSpec;
use crate::fraction::Fraction;
use crate::location::Problem;
use crate::text::LocalizedText;
use chrono::FixedOffset;
use serde::Serialize;
use std::collections::HashMap;
use std::sync::Arc;

pub use crate::records::MeetingForm;
pub(crate) use known::Known;

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

/// A thing a definition names: a role, a kind of specification, a kind of artifact, a motion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NamedItem {
    /// Its code, used in commands and events.
    pub code: String,
    /// Its name for people.
    pub name: LocalizedText,
}

/// A mark a project is given when it is created, which decides whether some guards apply to it
/// beside its specification kind: for example that it is tied to legal or livelihood metrology
/// (lifecycle-rules.md §4), which asks for promotion before the effective date whatever its kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProjectFlag {
    /// Its code, as creation commands and guards' `applies_to_flagged` name it.
    pub code: String,
    /// Its name for people.
    pub name: LocalizedText,
    /// Where the rule that asks for it comes from, if the definition says.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

/// The type of value a recorded field holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldType {
    /// Free text, such as the implementation transition arrangement.
    Text,
    /// A local date, such as the day promotion finished.
    Date,
    /// The id of another project, such as the revision that replaces this one.
    Project,
}

/// A field a project may record, such as the implementation transition arrangement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldDefinition {
    /// Its code.
    pub code: String,
    /// Its name for people.
    pub name: LocalizedText,
    /// The type of value it holds.
    pub value_type: FieldType,
}

/// A stage of the lifecycle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Stage {
    /// Its code, such as `consultation`.
    pub code: String,
    /// Its name for people, such as 征求意见 / public consultation.
    pub name: LocalizedText,
    /// The ISO harmonized stage code it corresponds to, if any.
    pub iso_code: Option<String>,
    /// Whether the lifecycle ends here.
    pub terminal: bool,
}

/// The number a vote threshold is a fraction of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum VoteBase {
    /// Every voting member on the roll (eligible to vote), present or not.
    Roll,
    /// The voting members present.
    Present,
    /// The votes cast for or against; abstentions and silent members excluded.
    VotesCast,
}

/// How a count compares with a threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Comparison {
    /// The count is at least the fraction of the base.
    AtLeast,
    /// The count is more than the fraction of the base (a simple majority is more than 1/2).
    MoreThan,
    /// The count is at most the fraction of the base.
    AtMost,
}

/// A vote threshold: a count compared with a fraction of a base.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Threshold {
    /// How the count compares.
    pub comparison: Comparison,
    /// The fraction.
    pub fraction: Fraction,
    /// What the fraction is of.
    pub of: VoteBase,
}

impl Threshold {
    /// Whether `count` out of `base` meets this threshold. A base of zero meets nothing but
    /// "at most", since no vote can pass with nobody voting.
    pub fn is_met(self, count: u64, base: u64) -> bool {
        match self.comparison {
            Comparison::AtLeast => base > 0 && self.fraction.is_reached_by(count, base),
            Comparison::MoreThan => base > 0 && self.fraction.is_exceeded_by(count, base),
            Comparison::AtMost => !self.fraction.is_exceeded_by(count, base),
        }
    }
}

/// Something a project counts, for a minimum-count guard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Counter {
    /// Distinct organisations the consultation reached.
    OrganisationsConsulted,
    /// Comments recorded.
    CommentsRecorded,
}

/// A date a date-order guard compares.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "date", content = "code")]
pub enum DateRef {
    /// The local date the command is decided on.
    Today,
    /// The publication date recorded by the bureau.
    PublicationDate,
    /// The effective date recorded by the bureau.
    EffectiveDate,
    /// A date-typed field.
    Field(String),
    /// The local date the project last entered a stage.
    StageEntered(String),
}

/// What a guard checks.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "guard")]
pub enum GuardRule {
    /// Artifacts of each of these kinds are attached.
    ArtifactsPresent {
        /// The kinds required.
        artifact_kinds: Vec<String>,
    },
    /// The project has been in its current stage at least this long.
    TimeInStageAtLeast {
        /// The minimum.
        minimum: DurationSpec,
    },
    /// A meeting on `motion` is scheduled and its documents went out at least `minimum` before it.
    NoticeBeforeMeeting {
        /// The motion of the meeting.
        motion: String,
        /// The minimum notice.
        minimum: DurationSpec,
    },
    /// A counter has reached a minimum.
    CountAtLeast {
        /// What is counted.
        counter: Counter,
        /// The minimum.
        minimum: u32,
    },
    /// Every comment recorded has a disposition.
    CommentsAllDisposed,
    /// A meeting on `motion` has been recorded in the current stage (optionally of one form).
    VoteHeld {
        /// The motion voted on.
        motion: String,
        /// The form it must have been held in, if any.
        form: Option<MeetingForm>,
    },
    /// The latest meeting on `motion` in the current stage reached quorum and passed.
    VotePasses {
        /// The motion voted on.
        motion: String,
        /// Voting members present compared with the roll.
        quorum: Option<Threshold>,
        /// Votes in favour compared with their base.
        in_favour: Option<Threshold>,
        /// Votes against compared with their base.
        against: Option<Threshold>,
    },
    /// Someone holding `by_role` signed off `subject` in the current stage.
    SignedOff {
        /// What is signed off.
        subject: String,
        /// The role that must sign.
        by_role: String,
    },
    /// Four eyes: the actor is not the one who last fired `than_action`.
    DifferentActor {
        /// The action whose actor must differ.
        than_action: String,
    },
    /// A field has been recorded.
    FieldRecorded {
        /// The field's code.
        field: String,
    },
    /// One date comes before another.
    DateOrder {
        /// The date that must come first.
        earlier: DateRef,
        /// The date that must come later.
        later: DateRef,
        /// Whether the two may fall on the same day.
        allow_equal: bool,
    },
    /// Every inner guard holds.
    All(Vec<Guard>),
    /// At least one inner guard holds.
    Any(Vec<Guard>),
    /// The inner guard does not hold.
    Not(Box<Guard>),
}

impl GuardRule {
    /// The guard kind's code as written in definitions and used in rejection codes.
    pub fn kind_code(&self) -> &'static str {
        match self {
            GuardRule::ArtifactsPresent { .. } => "artifacts_present",
            GuardRule::TimeInStageAtLeast { .. } => "time_in_stage_at_least",
            GuardRule::NoticeBeforeMeeting { .. } => "notice_before_meeting",
            GuardRule::CountAtLeast { .. } => "count_at_least",
            GuardRule::CommentsAllDisposed => "comments_all_disposed",
            GuardRule::VoteHeld { .. } => "vote_held",
            GuardRule::VotePasses { .. } => "vote_passes",
            GuardRule::SignedOff { .. } => "signed_off",
            GuardRule::DifferentActor { .. } => "different_actor",
            GuardRule::FieldRecorded { .. } => "field_recorded",
            GuardRule::DateOrder { .. } => "date_order",
            GuardRule::All(_) => "all",
            GuardRule::Any(_) => "any",
            GuardRule::Not(_) => "not",
        }
    }
}

/// A guard on a transition: a rule, with the kinds of specification it applies to and who may waive it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Guard {
    /// Its id, unique within the transition; waivers name it.
    pub id: String,
    /// The specification kinds it applies to; empty (with `applies_to_flagged` empty too)
    /// means every project.
    pub applies_to: Vec<String>,
    /// The project flags that make it apply whatever the project's kind: it applies to a project
    /// of a kind in `applies_to` or carrying one of these flags.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub applies_to_flagged: Vec<String>,
    /// The roles that may record a waiver of it; empty means it cannot be waived.
    pub waivable_by: Vec<String>,
    /// What it checks.
    #[serde(flatten)]
    pub rule: GuardRule,
    /// The guard in words, worked out once when the definition is loaded (it depends only on
    /// the definition), since pages and rejections show it again and again.
    #[serde(skip)]
    pub description: Option<LocalizedText>,
}

/// A transition: an action that moves a project from one of several stages to another.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Transition {
    /// The action's code, such as `open_consultation`.
    pub action: String,
    /// The action's name for people.
    pub name: LocalizedText,
    /// The stages it may be fired from.
    pub from: Vec<String>,
    /// The stage it leads to.
    pub to: String,
    /// The roles that may fire it.
    pub roles: Vec<String>,
    /// The guards that must all hold.
    pub guards: Vec<Guard>,
    /// Whether firing it needs a reason in words.
    pub requires_reason: bool,
    /// Whether this is the cancellation of the project (fired by the cancel command).
    pub cancels: bool,
}

/// The kinds of command, other than firing an action, whose roles a definition sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CommandKind {
    /// Create a project.
    CreateProject,
    /// Attach an artifact.
    AttachArtifact,
    /// Record organisations consulted.
    RecordOrganisationsConsulted,
    /// Record a comment.
    RecordComment,
    /// Record a comment's disposition.
    DisposeComment,
    /// Schedule a meeting.
    ScheduleMeeting,
    /// Record a meeting held and its votes.
    RecordMeeting,
    /// Sign something off.
    SignOff,
    /// Record a field.
    RecordField,
    /// Record publication and effective dates.
    RecordPublication,
    /// Record a waiver of a guard.
    RecordWaiver,
    /// Fix the project plan's deadlines.
    FixPlan,
    /// Ask for a deadline to be extended.
    RequestExtension,
    /// Grant or refuse an extension.
    DecideExtension,
    /// Lift the freeze of an overdue project.
    LiftFreeze,
    /// Move a project to a newer version of its definition.
    MigrateDefinition,
}

impl CommandKind {
    /// Every kind, in the order definitions list them.
    pub const ALL: [CommandKind; 16] = [
        CommandKind::CreateProject,
        CommandKind::AttachArtifact,
        CommandKind::RecordOrganisationsConsulted,
        CommandKind::RecordComment,
        CommandKind::DisposeComment,
        CommandKind::ScheduleMeeting,
        CommandKind::RecordMeeting,
        CommandKind::SignOff,
        CommandKind::RecordField,
        CommandKind::RecordPublication,
        CommandKind::RecordWaiver,
        CommandKind::FixPlan,
        CommandKind::RequestExtension,
        CommandKind::DecideExtension,
        CommandKind::LiftFreeze,
        CommandKind::MigrateDefinition,
    ];

    /// The kind's code as written in a definition's `[permissions]` table.
    pub fn code(self) -> &'static str {
        match self {
            CommandKind::CreateProject => "create_project",
            CommandKind::AttachArtifact => "attach_artifact",
            CommandKind::RecordOrganisationsConsulted => "record_organisations_consulted",
            CommandKind::RecordComment => "record_comment",
            CommandKind::DisposeComment => "dispose_comment",
            CommandKind::ScheduleMeeting => "schedule_meeting",
            CommandKind::RecordMeeting => "record_meeting",
            CommandKind::SignOff => "sign_off",
            CommandKind::RecordField => "record_field",
            CommandKind::RecordPublication => "record_publication",
            CommandKind::RecordWaiver => "record_waiver",
            CommandKind::FixPlan => "fix_plan",
            CommandKind::RequestExtension => "request_extension",
            CommandKind::DecideExtension => "decide_extension",
            CommandKind::LiftFreeze => "lift_freeze",
            CommandKind::MigrateDefinition => "migrate_definition",
        }
    }

    /// The kind whose code is `code`.
    pub fn from_code(code: &str) -> Option<CommandKind> {
        CommandKind::ALL
            .into_iter()
            .find(|kind| kind.code() == code)
    }
}

/// A deadline: a limit on how long a project may take from entering one stage until it reaches another.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeadlineRule {
    /// Its id, such as `consultation` or `overall`.
    pub id: String,
    /// Its name for people.
    pub name: LocalizedText,
    /// The stage whose entry starts the clock.
    pub starts_when_entering: String,
    /// The stages whose entry meets it; empty means leaving the start stage meets it.
    pub met_when_entering: Vec<String>,
    /// The longest the definition allows.
    pub limit: DurationSpec,
    /// Whether the project plan may set a shorter length of its own.
    pub planned: bool,
    /// How long before the deadline a warning goes out.
    pub warning_before: Option<DurationSpec>,
    /// How long after the deadline an overdue project is escalated to the bureau.
    pub escalate_after: Option<DurationSpec>,
    /// Whether escalation also freezes the project.
    pub freeze_on_escalation: bool,
}

impl DeadlineRule {
    /// Whether entering `stage` from `from` meets this deadline.
    pub fn is_met_by(&self, from: &str, stage: &str) -> bool {
        if self.met_when_entering.is_empty() {
            from == self.starts_when_entering && stage != self.starts_when_entering
        } else {
            self.met_when_entering
                .iter()
                .any(|candidate| candidate == stage)
        }
    }
}

/// Limits on extending deadlines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct ExtensionRules {
    /// How many extensions one deadline may get; `None` for no limit.
    pub max_count: Option<u32>,
    /// How much one deadline may be extended in all, counted from its original date.
    pub max_total: Option<DurationSpec>,
    /// How long before the deadline a request must come.
    pub request_at_least_before: Option<DurationSpec>,
}

/// Periodic re-examination of a specification in force.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReexaminationRule {
    /// The stage in which the specification is in force.
    pub stage: String,
    /// How long after publication (or the last confirmation) re-examination falls due.
    pub interval: DurationSpec,
    /// The action the scheduler fires to open it.
    pub open_action: String,
    /// The action (a confirmation) that restarts the interval from its own date.
    pub restart_on_action: Option<String>,
    /// How long before it falls due a warning goes out.
    pub warning_before: Option<DurationSpec>,
}

/// The milestones committees report on and the public pages show: the stage whose entry marks
/// each one.
///
/// A report counts a project as proposed, approved or published in a period when it entered the
/// stage named here within the period; a milestone the definition does not name is not counted.
/// Cancellations need no entry: the transitions that cancel say so themselves (`cancels`).
/// The public page of a specification lists every entry of every milestone's stage
/// ([`crate::public`]), from the day the project entered `public_from`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct Milestones {
    /// The stage a project enters when it is proposed (立项申请), such as `proposal`.
    pub proposed: Option<String>,
    /// The stage a project enters when the bureau approves it (立项批准), such as `drafting`.
    pub approved: Option<String>,
    /// The stage a project enters when its draft goes out for comments (征求意见), such as
    /// `consultation`.
    pub consulted: Option<String>,
    /// The stage a project enters when the committee's review passes (审定), such as `approval`.
    pub reviewed: Option<String>,
    /// The stage a project enters when its specification is published, such as `promotion`.
    pub published: Option<String>,
    /// The stage a project enters when its specification takes effect (实施), such as `in_force`.
    pub in_force: Option<String>,
    /// The stage a project enters when it is re-examined (复查), such as `reexamination`.
    pub re_examined: Option<String>,
    /// The stage from whose first entry a project is public (社会监督): its public page shows its
    /// milestones. The `published` stage when the definition names none; no project is public
    /// when it names neither.
    pub public_from: Option<String>,
}

/// A date column of an imported spreadsheet and the stage whose entry its date is: which column
/// means which stage is a rule of the definition, not of the importer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportColumn {
    /// The column's code, such as `approved_on`, which a header may give in place of its name.
    pub column: String,
    /// The column's name, as the template's header shows it.
    pub name: LocalizedText,
    /// The stage a project entered on the column's date, such as `drafting`.
    pub stage: String,
}

/// Who must hear of an event: the service writes one notification per audience.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NotificationRule {
    /// The event types it applies to, such as `deadline_missed`.
    pub on: Vec<String>,
    /// For `action_fired`: only actions entering one of these stages; empty means any stage.
    pub entering: Vec<String>,
    /// The roles that hear of it, such as `drafter`, `secretariat` or `supervisor`.
    pub audiences: Vec<String>,
}

impl NotificationRule {
    /// Whether the rule applies to an event of type `event_type` that entered `entered` (for
    /// `action_fired`).
    pub fn applies_to(&self, event_type: &str, entered: Option<&str>) -> bool {
        self.on.iter().any(|on| on == event_type)
            && (self.entering.is_empty()
                || entered.is_some_and(|stage| self.entering.iter().any(|code| code == stage)))
    }
}

/// A validated workflow definition.
#[derive(Debug, Clone, Serialize)]
pub struct WorkflowDefinition {
    /// Its id, such as `metrology-spec`.
    pub id: String,
    /// Its version; a changed definition gets a new version.
    pub version: u32,
    /// Its title.
    pub title: LocalizedText,
    /// The UTC offset of the local day, such as +08:00 for Asia/Shanghai; days and deadlines are counted in it.
    #[serde(serialize_with = "serialize_offset")]
    pub local_utc_offset: FixedOffset,
    /// The working-day calendar the definition counts working days with, if any.
    pub calendar: Option<String>,
    /// The format of project codes, such as `{prefix}(沪)-{year}-{number}`, if codes have one.
    pub code_format: Option<String>,
    /// The code prefix of each specification kind (such as JJG for verification regulations).
    pub code_prefixes: std::collections::BTreeMap<String, String>,
    /// The stage a new project starts in.
    pub initial_stage: String,
    /// The roles.
    pub roles: Vec<NamedItem>,
    /// The kinds of specification.
    pub specification_kinds: Vec<NamedItem>,
    /// The flags a project may be given at its creation.
    pub project_flags: Vec<ProjectFlag>,
    /// The kinds of artifact.
    pub artifact_kinds: Vec<NamedItem>,
    /// The fields a project may record.
    pub fields: Vec<FieldDefinition>,
    /// The motions meetings vote on.
    pub motions: Vec<NamedItem>,
    /// The things that can be signed off.
    pub sign_offs: Vec<NamedItem>,
    /// The stages, in lifecycle order.
    pub stages: Vec<Stage>,
    /// The transitions.
    pub transitions: Vec<Transition>,
    /// The roles that may issue each kind of command other than an action.
    pub permissions: Vec<(CommandKind, Vec<String>)>,
    /// The deadlines.
    pub deadlines: Vec<DeadlineRule>,
    /// Limits on extensions.
    pub extensions: ExtensionRules,
    /// Periodic re-examination, if the lifecycle has one.
    pub reexamination: Option<ReexaminationRule>,
    /// The milestones reports count.
    pub milestones: Milestones,
    /// The date columns an imported spreadsheet may have, each the date a stage was entered, in
    /// the order of the stages.
    pub import_columns: Vec<ImportColumn>,
    /// Who hears of which events (the service's notification outbox).
    pub notifications: Vec<NotificationRule>,
    /// What members from the project's drafting unit may do in a committee vote.
    pub drafting_unit_members: DraftingUnitMembers,
    /// How members who must abstain (回避) are counted in a vote's quorum and result.
    pub recused_members: RecusedMembers,
    #[serde(skip)]
    pub(crate) outgoing: HashMap<String, Vec<usize>>,
    #[serde(skip)]
    pub(crate) working_calendar: Option<Arc<WorkingCalendar>>,
}

/// What a committee member who belongs to the project's drafting unit may do in its votes
/// (`[votes] drafting_unit_members` in the definition). The service flags such members on the
/// meeting's record from the committee's roll.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DraftingUnitMembers {
    /// They vote like any member (the default when the definition says nothing).
    #[default]
    Vote,
    /// They must abstain (回避): a vote for or against from them is refused.
    Abstain,
}

/// How the members who must abstain (回避, `drafting_unit_members = "abstain"`) are counted
/// when a vote's quorum and result are judged (`[votes] recused_members` in the definition).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RecusedMembers {
    /// They count on the roll and as present, abstaining: under "3/4 of those present" their
    /// abstention weighs like a vote against. The default when the definition says nothing, which
    /// is how definitions written before the setting existed were judged.
    #[default]
    CountedAsPresent,
    /// They are left out of the count: neither on the roll nor present for the vote on the
    /// project, so the quorum and the result are judged among the members who may vote on it.
    Excluded,
}

fn serialize_offset<S: serde::Serializer>(
    offset: &FixedOffset,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.collect_str(offset)
}

impl WorkflowDefinition {
    /// Attaches the working-day calendar named by the definition's `calendar`.
    pub fn with_calendar(mut self, calendar: Arc<WorkingCalendar>) -> WorkflowDefinition {
        self.working_calendar = Some(calendar);
        self
    }

    /// The working-day calendar attached, if any.
    pub fn working_calendar(&self) -> Option<&WorkingCalendar> {
        self.working_calendar.as_deref()
    }

    /// The stage with code `code`.
    pub fn stage(&self, code: &str) -> Option<&Stage> {
        self.stages.iter().find(|stage| stage.code == code)
    }

    /// The name of a stage, or its code when the definition does not know it.
    pub fn stage_name(&self, code: &str) -> LocalizedText {
        self.stage(code)
            .map(|stage| stage.name.clone())
            .unwrap_or_else(|| LocalizedText::new(code, code))
    }

    /// The transitions that may be fired from `stage`, in definition order.
    pub fn outgoing(&self, stage: &str) -> impl Iterator<Item = &Transition> {
        self.outgoing
            .get(stage)
            .into_iter()
            .flatten()
            .filter_map(|index| self.transitions.get(*index))
    }

    /// The transition fired by `action` from `stage`.
    pub fn transition_from(&self, stage: &str, action: &str) -> Option<&Transition> {
        self.outgoing(stage)
            .find(|transition| transition.action == action)
    }

    /// The roles that may issue a kind of command.
    pub fn roles_for(&self, kind: CommandKind) -> &[String] {
        self.permissions
            .iter()
            .find(|(candidate, _)| *candidate == kind)
            .map_or(&[], |(_, roles)| roles.as_slice())
    }

    fn named(items: &[NamedItem], code: &str) -> LocalizedText {
        items
            .iter()
            .find(|item| item.code == code)
            .map(|item| item.name.clone())
            .unwrap_or_else(|| LocalizedText::new(code, code))
    }

    /// The code of project `number` of `year` for a kind, by the definition's format.
    pub fn format_code(&self, kind: &str, year: i32, number: u32) -> Option<String> {
        let format = self.code_format.as_ref()?;
        let prefix = self
            .code_prefixes
            .get(kind)
            .map(String::as_str)
            .unwrap_or_default();
        Some(
            format
                .replace("{prefix}", prefix)
                .replace("{year}", &format!("{year:04}"))
                .replace("{number}", &format!("{number:03}")),
        )
    }

    /// Whether `code` has the definition's format for a project of `kind` (any code does when
    /// the definition sets no format).
    pub fn code_matches(&self, kind: &str, code: &str) -> bool {
        let Some(format) = &self.code_format else {
            return true;
        };
        let prefix = self
            .code_prefixes
            .get(kind)
            .map(String::as_str)
            .unwrap_or_default();
        let mut rest = code;
        let mut template = format.as_str();
        while !template.is_empty() {
            if let Some(after) = template.strip_prefix("{prefix}") {
                let Some(remaining) = rest.strip_prefix(prefix) else {
                    return false;
                };
                rest = remaining;
                template = after;
            } else if let Some(after) = template.strip_prefix("{year}") {
                let digits = rest.chars().take_while(char::is_ascii_digit).count();
                if digits != 4 {
                    return false;
                }
                rest = &rest[4..];
                template = after;
            } else if let Some(after) = template.strip_prefix("{number}") {
                let digits = rest.chars().take_while(char::is_ascii_digit).count();
                if digits == 0 {
                    return false;
                }
                rest = &rest[digits..];
                template = after;
            } else {
                let Some(literal) = template.chars().next() else {
                    break;
                };
                let Some(remaining) = rest.strip_prefix(literal) else {
                    return false;
                };
                rest = remaining;
                template = &template[literal.len_utf8()..];
            }
        }
        rest.is_empty()
    }

    /// The name of a role.
    pub fn role_name(&self, code: &str) -> LocalizedText {
        Self::named(&self.roles, code)
    }

    /// The name of an artifact kind.
    pub fn artifact_kind_name(&self, code: &str) -> LocalizedText {
        Self::named(&self.artifact_kinds, code)
    }

    /// The name of a specification kind.
    pub fn specification_kind_name(&self, code: &str) -> LocalizedText {
        Self::named(&self.specification_kinds, code)
    }

    /// The flag with code `code`.
    pub fn project_flag(&self, code: &str) -> Option<&ProjectFlag> {
        self.project_flags.iter().find(|flag| flag.code == code)
    }

    /// The name of a project flag, or its code when the definition does not know it.
    pub fn project_flag_name(&self, code: &str) -> LocalizedText {
        self.project_flag(code)
            .map(|flag| flag.name.clone())
            .unwrap_or_else(|| LocalizedText::new(code, code))
    }

    /// The name of a motion.
    pub fn motion_name(&self, code: &str) -> LocalizedText {
        Self::named(&self.motions, code)
    }

    /// The name of a sign-off subject.
    pub fn sign_off_name(&self, code: &str) -> LocalizedText {
        Self::named(&self.sign_offs, code)
    }

    /// The deadline with id `id`.
    pub fn deadline(&self, id: &str) -> Option<&DeadlineRule> {
        self.deadlines.iter().find(|deadline| deadline.id == id)
    }

    /// The field with code `code`.
    pub fn field(&self, code: &str) -> Option<&FieldDefinition> {
        self.fields.iter().find(|field| field.code == code)
    }

    /// The name of a field.
    pub fn field_name(&self, code: &str) -> LocalizedText {
        self.field(code)
            .map(|field| field.name.clone())
            .unwrap_or_else(|| LocalizedText::new(code, code))
    }

    /// The name of the action `action` (the first transition that fires it).
    pub fn action_name(&self, action: &str) -> LocalizedText {
        self.transitions
            .iter()
            .find(|transition| transition.action == action)
            .map(|transition| transition.name.clone())
            .unwrap_or_else(|| LocalizedText::new(action, action))
    }
}
