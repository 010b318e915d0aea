//! A person's to-do list: what they can do now, what blocks their projects and what would clear
//! it, the deadlines of the coming days, and for the bureau the extension requests waiting for a
//! decision and the frozen projects.
//!
//! The API's `GET /todo`, the `/todo` page (everyone's home page but an auditor's), the count in
//! the pages' navigation and `specflow todo` all read [`todo_list`], so they show the same items.
//!
//! The projects are read from the projection a page at a time, in the order of their codes, and
//! terminal ones are skipped there without loading anything more; each other project's state comes
//! through the store's cache of states at their heads, so a list read again costs no replay.
//! The work is bounded: at most [`MAX_PROJECTS_EXAMINED`] projects are examined and at most
//! [`MAX_ROWS_SCANNED`] rows read, and the answer says when it stopped short (`truncated`).

use crate::app::AppState;
use crate::app::problem::Problem;
use crate::app::projects::{action_views, deadline_views, visible_projects};
use chrono::{DateTime, Duration, NaiveDate, Offset as _, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use specflow_engine::definition::GuardRule;
use specflow_engine::{Language, WorkflowDefinition};
use specflow_store::ProjectView;
use specflow_store::auth::{Principal, can_supervise, is_read_only};
use std::collections::BTreeMap;
use utoipa::ToSchema;
use uuid::Uuid;

/// How many days ahead a deadline counts as coming: those due within it are listed.
pub const HORIZON_DAYS: i64 = 30;

/// How many non-terminal projects one list examines at most: a supervisor sees every project, and
/// a page must answer in the time of a page.
pub const MAX_PROJECTS_EXAMINED: u32 = 200;

/// How many projection rows (terminal ones included) one list reads at most.
pub const MAX_ROWS_SCANNED: u32 = 2000;

/// How many rows of the projection are read at a time.
const SCAN_PAGE: u32 = 200;

/// The project an item of the list belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TodoProject {
    /// The project's id.
    pub project_id: Uuid,
    /// Its human code.
    pub code: String,
    /// Its title in the request's language.
    pub title: String,
    /// Its committee.
    pub committee: String,
    /// Its current stage's code.
    pub stage: String,
    /// That stage's name in the request's language.
    pub stage_name: String,
}

/// An action the person can fire now: their role may, and every guard holds.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ReadyAction {
    /// The project.
    pub project: TodoProject,
    /// The action's code.
    pub action: String,
    /// Its name in the request's language.
    pub name: String,
    /// The stage it leads to.
    pub to: String,
    /// That stage's name.
    pub to_name: String,
    /// Whether firing it needs a reason in words.
    pub requires_reason: bool,
}

/// One unmet guard of a blocked action, with what the page needs to link it to the form that
/// clears it: the guard's kind and its parameters as the definition gives them.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct BlockingGuard {
    /// The reason's stable code, such as `artifacts_missing`.
    pub code: String,
    /// The guard's id in the definition, when a guard failed.
    pub guard: Option<String>,
    /// The guard's kind, such as `artifacts_present` or `signed_off`.
    pub kind: Option<String>,
    /// The guard's parameters as the definition writes them (for `artifacts_present`, its
    /// `artifact_kinds`); an empty object when the reason is no guard's.
    #[schema(value_type = Object)]
    pub parameters: Value,
    /// The figures behind the reason (for a missing document, the kinds missing).
    #[schema(value_type = Object)]
    pub figures: BTreeMap<String, Value>,
    /// The reason in the request's language.
    pub message: String,
    /// The kind of command that clears it (`attach_artifact`, `sign_off`…), when one does.
    pub cleared_by: Option<String>,
    /// Whether clearing it is this person's work: their role may give the command that clears
    /// it (and, for a sign-off, is the officer the definition names).
    pub yours: bool,
}

/// An action of a project's stage that some guard holds back.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct BlockedAction {
    /// The project.
    pub project: TodoProject,
    /// The action's code.
    pub action: String,
    /// Its name in the request's language.
    pub name: String,
    /// The stage it leads to.
    pub to: String,
    /// That stage's name.
    pub to_name: String,
    /// The roles that may fire it once its guards hold.
    pub roles: Vec<String>,
    /// Those roles' names from the definition, in the list's language.
    #[serde(default)]
    pub role_names: Vec<String>,
    /// Whether the person's role is one of them.
    pub yours: bool,
    /// Every guard that does not hold, each with what would clear it.
    pub guards: Vec<BlockingGuard>,
}

/// An open deadline due within [`HORIZON_DAYS`], or already missed.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TodoDeadline {
    /// The project.
    pub project: TodoProject,
    /// The deadline's id in the definition.
    pub deadline: String,
    /// Its name in the request's language.
    pub name: String,
    /// The local date it is due on, in the definition's time zone.
    pub due_on: NaiveDate,
    /// The instant it is missed (the end of the due date).
    pub due_at: DateTime<Utc>,
    /// The local date its warning goes out, if the rule warns.
    pub warns_on: Option<NaiveDate>,
    /// Local days from today to the due date; negative once it is past.
    pub days_left: i64,
    /// Whether it was missed.
    pub missed: bool,
    /// Whether it was escalated to the bureau.
    pub escalated: bool,
}

/// An extension request waiting for the bureau's decision.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PendingExtension {
    /// The project.
    pub project: TodoProject,
    /// The request's id, which the grant or refusal names.
    pub request_id: String,
    /// The deadline it would move.
    pub deadline: String,
    /// That deadline's name in the request's language.
    pub deadline_name: String,
    /// The due date when it was asked.
    pub current_due_on: NaiveDate,
    /// The due date asked for.
    pub requested_due_on: NaiveDate,
    /// The reason given.
    pub reason: String,
    /// Who asked.
    pub requested_by: String,
    /// When.
    pub requested_at: DateTime<Utc>,
}

/// A frozen project: its escalated deadline froze it until the bureau lifts the freeze.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct FrozenProject {
    /// The project.
    pub project: TodoProject,
    /// The deadline whose escalation froze it.
    pub deadline: String,
    /// That deadline's name in the request's language.
    pub deadline_name: String,
    /// Since when.
    pub since: DateTime<Utc>,
}

/// What only the bureau (those who may supervise) sees.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Supervision {
    /// Overdue projects in the whole database (the overdue board's length).
    pub overdue: u64,
    /// Frozen projects in the whole database.
    pub frozen_total: u64,
    /// Extension requests waiting for a decision, oldest first.
    pub extension_requests: Vec<PendingExtension>,
    /// Frozen projects, longest frozen first.
    pub frozen: Vec<FrozenProject>,
}

/// A person's to-do list.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TodoList {
    /// The person's role.
    pub role: String,
    /// Today, in Asia/Shanghai.
    pub today: NaiveDate,
    /// How many days ahead deadlines are listed.
    pub horizon_days: i64,
    /// Actions the person can fire now, by project code.
    pub ready: Vec<ReadyAction>,
    /// Actions held back by guards, by project code, each guard with what would clear it.
    pub blocked: Vec<BlockedAction>,
    /// Open deadlines due within the horizon or already missed, earliest due first.
    pub deadlines: Vec<TodoDeadline>,
    /// The bureau's part, for those who supervise; absent for everyone else.
    pub supervision: Option<Supervision>,
    /// How many non-terminal projects were examined.
    pub projects_examined: u32,
    /// Whether the list stopped short of the person's projects (more than
    /// [`MAX_PROJECTS_EXAMINED`] open ones, or more than [`MAX_ROWS_SCANNED`] rows).
    pub truncated: bool,
}

impl TodoList {
    /// How many reasons blocking an action are this person's to clear.
    pub fn work_count(&self) -> usize {
        self.blocked
            .iter()
            .flat_map(|action| &action.guards)
            .filter(|guard| guard.yours)
            .count()
    }

    /// How many things wait for the person: actions they can fire, deadlines coming, and for
    /// the bureau extension requests and frozen projects. The navigation shows it.
    pub fn count(&self) -> usize {
        self.ready.len()
            + self.work_count()
            + self.deadlines.len()
            + self.supervision.as_ref().map_or(0, |supervision| {
                supervision.extension_requests.len() + supervision.frozen.len()
            })
    }
}

/// The to-do list of `principal`, in `language`.
///
/// An auditor changes nothing, so their list is empty (their home page is the project list).
pub async fn todo_list(
    state: &AppState,
    principal: &Principal,
    language: Language,
) -> Result<TodoList, Problem> {
    let now = state.store.clock().now();
    let supervises = can_supervise(principal).is_allowed();
    let mut list = TodoList {
        role: principal.role.to_string(),
        today: now.with_timezone(&shanghai()).date_naive(),
        horizon_days: HORIZON_DAYS,
        ready: Vec::new(),
        blocked: Vec::new(),
        deadlines: Vec::new(),
        supervision: None,
        projects_examined: 0,
        truncated: false,
    };
    if is_read_only(principal) {
        return Ok(list);
    }
    let mut supervision = Supervision {
        overdue: 0,
        frozen_total: 0,
        extension_requests: Vec::new(),
        frozen: Vec::new(),
    };
    if supervises {
        // One aggregate over the projection: the figures hold for every project, examined or not.
        for count in state.store.stage_counts().await? {
            supervision.overdue += count.overdue;
            supervision.frozen_total += count.frozen;
        }
    }
    let limits = ScanLimits {
        projects: MAX_PROJECTS_EXAMINED,
        rows: MAX_ROWS_SCANNED,
    };
    let scan = for_each_open_project(state, principal, limits, |view| {
        let project = Examined {
            view,
            principal,
            language,
            now,
        };
        project.gather(&mut list);
        if supervises {
            project.gather_supervision(&mut supervision);
        }
    })
    .await?;
    list.projects_examined = scan.examined;
    list.truncated = scan.truncated;
    list.deadlines.sort_by(|a, b| {
        (a.due_on, a.due_at, &a.project.code).cmp(&(b.due_on, b.due_at, &b.project.code))
    });
    if supervises {
        supervision.extension_requests.sort_by(|a, b| {
            (a.requested_at, &a.project.code).cmp(&(b.requested_at, &b.project.code))
        });
        supervision
            .frozen
            .sort_by(|a, b| (a.since, &a.project.code).cmp(&(b.since, &b.project.code)));
        list.supervision = Some(supervision);
    }
    Ok(list)
}

/// How much of the projection one scan of a person's projects may read.
#[derive(Debug, Clone, Copy)]
pub struct ScanLimits {
    /// Open projects examined at most.
    pub projects: u32,
    /// Projection rows read at most, terminal ones included.
    pub rows: u32,
}

/// How a scan ended.
#[derive(Debug, Clone, Copy, Default)]
pub struct ScanOutcome {
    /// The open projects examined.
    pub examined: u32,
    /// Whether it stopped at a limit before the last project.
    pub truncated: bool,
}

/// Visits each open project `principal` may see, in the order of their codes: read from the
/// projection a page at a time, terminal ones skipped there, each other one's state through the
/// store's cache at its head. Stops at `limits`, saying so.
pub async fn for_each_open_project(
    state: &AppState,
    principal: &Principal,
    limits: ScanLimits,
    mut visit: impl FnMut(&ProjectView),
) -> Result<ScanOutcome, Problem> {
    let mut outcome = ScanOutcome::default();
    let mut after: Option<String> = None;
    let mut scanned: u32 = 0;
    loop {
        let page = visible_projects(
            state,
            principal,
            specflow_store::ProjectFilter::default(),
            after.as_deref(),
            SCAN_PAGE,
        )
        .await?;
        for summary in page.items {
            scanned += 1;
            // The projection says which projects have ended: nothing of theirs is to do.
            if summary.terminal {
                continue;
            }
            if outcome.examined == limits.projects {
                outcome.truncated = true;
                return Ok(outcome);
            }
            outcome.examined += 1;
            let view = state.store.project_view_of(summary).await?;
            visit(&view);
        }
        match page.next_after {
            None => return Ok(outcome),
            Some(_) if scanned >= limits.rows => {
                outcome.truncated = true;
                return Ok(outcome);
            }
            Some(next) => after = Some(next),
        }
    }
}

/// Where pages and lists that span projects take "today": Asia/Shanghai, UTC+8 all year.
pub(crate) fn shanghai() -> chrono::FixedOffset {
    chrono::FixedOffset::east_opt(8 * 3600).unwrap_or_else(|| Utc.fix())
}

/// One project being examined for a person's list.
struct Examined<'a> {
    view: &'a ProjectView,
    principal: &'a Principal,
    language: Language,
    now: DateTime<Utc>,
}

impl Examined<'_> {
    fn definition(&self) -> &WorkflowDefinition {
        &self.view.definition
    }

    fn project(&self) -> TodoProject {
        let summary = &self.view.summary;
        TodoProject {
            project_id: summary.project_id,
            code: summary.code.clone(),
            title: self
                .language
                .pick(&summary.title_zh, &summary.title_en)
                .to_string(),
            committee: summary.committee.clone(),
            stage: summary.stage.clone(),
            stage_name: self
                .definition()
                .stage_name(&summary.stage)
                .get(self.language)
                .to_string(),
        }
    }

    fn deadline_name(&self, deadline: &str) -> String {
        self.definition().deadline(deadline).map_or_else(
            || deadline.to_string(),
            |rule| rule.name.get(self.language).to_string(),
        )
    }

    /// The project's ready and blocked actions and its coming deadlines.
    fn gather(&self, list: &mut TodoList) {
        let state = &self.view.state;
        let role = self.principal.role.workflow_role();
        for action in action_views(
            state,
            self.definition(),
            self.principal,
            self.language,
            self.now,
        ) {
            // Cancelling is always open to the bureau and never a thing to do.
            if action.cancels {
                continue;
            }
            if action.ready {
                list.ready.push(ReadyAction {
                    project: self.project(),
                    action: action.action,
                    name: action.name,
                    to: action.to,
                    to_name: action.to_name,
                    requires_reason: action.requires_reason,
                });
                continue;
            }
            // Who may fire it is not a block of the project: only the guards are.
            let guards: Vec<BlockingGuard> = action
                .unmet
                .into_iter()
                .filter(|unmet| unmet.code != "role_not_permitted")
                .map(|unmet| self.blocking_guard(&action.action, unmet))
                .collect();
            if guards.is_empty() {
                continue;
            }
            list.blocked.push(BlockedAction {
                project: self.project(),
                yours: action.roles.iter().any(|candidate| candidate == role),
                action: action.action,
                name: action.name,
                to: action.to,
                to_name: action.to_name,
                role_names: action
                    .roles
                    .iter()
                    .map(|role| {
                        self.definition()
                            .role_name(role)
                            .get(self.language)
                            .to_string()
                    })
                    .collect(),
                roles: action.roles,
                guards,
            });
        }
        let offset = self.definition().local_utc_offset;
        // Days are the definition's local days, as `days_left` counts them.
        let last_day = self.now.with_timezone(&offset).date_naive() + Duration::days(HORIZON_DAYS);
        for deadline in deadline_views(state, self.definition(), self.language, self.now) {
            let (Some(due_on), Some(due_at), Some(days_left)) =
                (deadline.due_on, deadline.due_at, deadline.days_left)
            else {
                continue;
            };
            if !deadline.open || due_on > last_day {
                continue;
            }
            let warns_on = state
                .deadlines
                .iter()
                .find(|entry| entry.deadline == deadline.deadline && entry.is_open())
                .and_then(|entry| entry.times)
                .and_then(|times| times.warn_at)
                .map(|at| at.with_timezone(&offset).date_naive());
            list.deadlines.push(TodoDeadline {
                project: self.project(),
                deadline: deadline.deadline,
                name: deadline.name,
                due_on,
                due_at,
                warns_on,
                days_left,
                missed: deadline.missed,
                escalated: deadline.escalated,
            });
        }
    }

    /// An unmet reason with its guard's kind and parameters, looked up in the definition.
    fn blocking_guard(
        &self,
        action: &str,
        unmet: crate::app::projects::UnmetView,
    ) -> BlockingGuard {
        let guard = unmet.guard.as_deref().and_then(|id| {
            self.definition()
                .transition_from(&self.view.summary.stage, action)
                .and_then(|transition| transition.guards.iter().find(|guard| guard.id == id))
        });
        let parameters = guard.map_or_else(
            || Value::Object(serde_json::Map::new()),
            |guard| guard_parameters(&guard.rule),
        );
        let meeting_waiting = self.view.state.scheduled_meetings.iter().any(|meeting| {
            !self
                .view
                .state
                .meetings
                .iter()
                .any(|held| held.record.meeting_id == meeting.schedule.meeting_id)
        });
        let writable = specflow_store::auth::can_write_project(
            self.principal,
            &self.view.summary.committee,
            self.view.summary.project_id,
        )
        .is_allowed();
        let clearing = crate::app::clearing::clearing(&unmet.code, &unmet.figures, meeting_waiting);
        let yours = writable
            && clearing.as_ref().is_some_and(|clearing| {
                crate::app::clearing::may_clear(
                    clearing,
                    self.definition(),
                    self.principal.role.workflow_role(),
                )
            });
        BlockingGuard {
            cleared_by: clearing.map(|clearing| clearing.command.code().to_string()),
            yours,
            code: unmet.code,
            kind: guard.map(|guard| guard.rule.kind_code().to_string()),
            guard: unmet.guard,
            parameters,
            figures: unmet.figures,
            message: unmet.message,
        }
    }

    /// The project's extension requests waiting for a decision, and its freeze.
    fn gather_supervision(&self, supervision: &mut Supervision) {
        let state = &self.view.state;
        for request in &state.extension_requests {
            // A request still counts while its deadline runs; once it has closed there is
            // nothing left to extend.
            let running = state
                .deadlines
                .iter()
                .any(|entry| entry.deadline == request.deadline && entry.is_open());
            if request.decision.is_some() || !running {
                continue;
            }
            supervision.extension_requests.push(PendingExtension {
                project: self.project(),
                request_id: request.request_id.clone(),
                deadline: request.deadline.clone(),
                deadline_name: self.deadline_name(&request.deadline),
                current_due_on: request.current_due_on,
                requested_due_on: request.requested_due_on,
                reason: request.reason.clone(),
                requested_by: request.requested_by.id.clone(),
                requested_at: request.requested_at,
            });
        }
        if let Some(freeze) = &state.frozen {
            supervision.frozen.push(FrozenProject {
                project: self.project(),
                deadline: freeze.deadline.clone(),
                deadline_name: self.deadline_name(&freeze.deadline),
                since: freeze.since,
            });
        }
    }
}

/// A guard's parameters as the definition writes them, without its kind.
///
/// Written field by field: the rule's own `Serialize` nests without end for composite guards
/// (an internally tagged enum holding itself), so it cannot be instantiated; a composite names
/// its inner guards by id and kind.
fn guard_parameters(rule: &GuardRule) -> Value {
    let inner = |guard: &specflow_engine::definition::Guard| json!({ "id": guard.id, "kind": guard.rule.kind_code() });
    match rule {
        GuardRule::ArtifactsPresent { artifact_kinds } => {
            json!({ "artifact_kinds": artifact_kinds })
        }
        GuardRule::TimeInStageAtLeast { minimum } => json!({ "minimum": minimum.to_string() }),
        GuardRule::NoticeBeforeMeeting { motion, minimum } => {
            json!({ "motion": motion, "minimum": minimum.to_string() })
        }
        GuardRule::CountAtLeast { counter, minimum } => {
            json!({ "counter": counter, "minimum": minimum })
        }
        GuardRule::CommentsAllDisposed => json!({}),
        GuardRule::VoteHeld { motion, form } => json!({ "motion": motion, "form": form }),
        GuardRule::VotePasses {
            motion,
            quorum,
            in_favour,
            against,
        } => json!({
            "motion": motion,
            "quorum": quorum,
            "in_favour": in_favour,
            "against": against,
        }),
        GuardRule::SignedOff { subject, by_role } => {
            json!({ "subject": subject, "by_role": by_role })
        }
        GuardRule::DifferentActor { than_action } => json!({ "than_action": than_action }),
        GuardRule::FieldRecorded { field } => json!({ "field": field }),
        GuardRule::DateOrder {
            earlier,
            later,
            allow_equal,
        } => json!({
            "earlier": earlier,
            "later": later,
            "allow_equal": allow_equal,
        }),
        GuardRule::All(guards) | GuardRule::Any(guards) => {
            json!({ "guards": guards.iter().map(inner).collect::<Vec<_>>() })
        }
        GuardRule::Not(guard) => json!({ "guard": inner(guard) }),
    }
}
