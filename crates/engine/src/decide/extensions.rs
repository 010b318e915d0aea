//! Extensions and freezes: asking for more time on a running deadline, granting or refusing it,
//! and lifting the freeze an escalated deadline put on a project.
//!
//! The definition's `[extensions]` rules bound how often and by how much a deadline may move,
//! and how long before it falls due a request must come; a grant computes the new instants here,
//! so the event carries them and replay needs no calendar.

use super::reasons::{blank, body_unless, check_permission, invalid};
use crate::definition::{CommandKind, WorkflowDefinition};
use crate::event::{DeadlineTimes, EventBody};
use crate::guard::Situation;
use crate::rejection::{Rejection, Unmet};
use crate::state::{DeadlineEntry, ExtensionRequestEntry};
use crate::text::LocalizedText;
use chrono::NaiveDate;

/// What an extension request asks for, as the command gives it.
pub(super) struct ExtensionAsked<'c> {
    /// The request's id, new and not blank.
    pub request_id: &'c str,
    /// The running deadline to move.
    pub deadline: &'c str,
    /// The date asked for.
    pub new_due_on: NaiveDate,
    /// Why.
    pub reason: &'c str,
}

/// Decides a request to move a running deadline.
pub(super) fn decide_request_extension(
    situation: &Situation<'_>,
    asked: ExtensionAsked<'_>,
) -> Result<EventBody, Rejection> {
    let (state, definition, actor) = (situation.state, situation.definition, situation.actor);
    let ExtensionAsked {
        request_id,
        deadline,
        new_due_on,
        reason,
    } = asked;
    let mut reasons = Vec::new();
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
            .any(|request| request.request_id == request_id)
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
            situation.today
        }
        Some((entry, times)) => {
            // Those who decide extensions may ask late: they would grant it themselves anyway.
            let may_decide = definition
                .roles_for(CommandKind::DecideExtension)
                .contains(&actor.role);
            let limits = ExtensionLimits {
                definition,
                entry,
                times,
                today: situation.today,
                check_lead_time: !may_decide,
            };
            limits.check(new_due_on, &mut reasons);
            times.due_on
        }
    };
    body_unless(
        EventBody::ExtensionRequested {
            request_id: request_id.to_string(),
            deadline: deadline.to_string(),
            current_due_on,
            requested_due_on: new_due_on,
            reason: reason.to_string(),
        },
        reasons,
    )
}

/// Decides granting (`granting`) or refusing a pending extension request.
pub(super) fn decide_extension_decision(
    situation: &Situation<'_>,
    request_id: &str,
    reason: &str,
    granting: bool,
) -> Result<EventBody, Rejection> {
    let (state, definition) = (situation.state, situation.definition);
    let mut reasons = Vec::new();
    check_permission(
        definition,
        situation.actor,
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
        .find(|request| request.request_id == request_id);
    let Some(request) = request.filter(|request| request.decision.is_none()) else {
        reasons.push(invalid(
            "request_id",
            format!("没有待决定的延期申请「{request_id}」"),
            format!("No pending extension request '{request_id}'"),
        ));
        return Err(Rejection { reasons });
    };
    if !granting {
        let body = EventBody::ExtensionRefused {
            request_id: request_id.to_string(),
            deadline: request.deadline.clone(),
            reason: reason.to_string(),
        };
        return body_unless(body, reasons);
    }
    let times = granted_times(situation, request, &mut reasons)?;
    body_unless(
        EventBody::ExtensionGranted {
            request_id: request_id.to_string(),
            deadline: request.deadline.clone(),
            times,
            reason: reason.to_string(),
        },
        reasons,
    )
}

/// The instants of the deadline moved as the request asks; a request whose deadline stopped
/// running, or whose new instants cannot be computed, is refused with the reasons so far.
fn granted_times(
    situation: &Situation<'_>,
    request: &ExtensionRequestEntry,
    reasons: &mut Vec<Unmet>,
) -> Result<DeadlineTimes, Rejection> {
    let definition = situation.definition;
    let running = situation
        .state
        .open_deadline(&request.deadline)
        .and_then(|entry| entry.times.map(|times| (entry, times)));
    let rule = definition.deadline(&request.deadline);
    let (Some((entry, times)), Some(rule)) = (running, rule) else {
        reasons.push(invalid(
            "request_id",
            format!("延期申请「{}」所涉期限已不在计时", request.request_id),
            format!(
                "The deadline of request '{}' is no longer running",
                request.request_id
            ),
        ));
        return Err(Rejection {
            reasons: std::mem::take(reasons),
        });
    };
    let limits = ExtensionLimits {
        definition,
        entry,
        times,
        today: situation.today,
        check_lead_time: false,
    };
    limits.check(request.requested_due_on, reasons);
    crate::deadline::extended_times(rule, request.requested_due_on, definition).map_err(|error| {
        reasons.push(Unmet::new(
            "deadline_not_computable",
            LocalizedText::new(
                format!("无法计算新的期限：{}", error.message().zh),
                format!("The new deadline cannot be computed: {error}"),
            ),
        ));
        Rejection {
            reasons: std::mem::take(reasons),
        }
    })
}

/// Decides lifting a freeze.
pub(super) fn decide_lift_freeze(
    situation: &Situation<'_>,
    reason: &str,
) -> Result<EventBody, Rejection> {
    let mut reasons = Vec::new();
    check_permission(
        situation.definition,
        situation.actor,
        CommandKind::LiftFreeze,
        &mut reasons,
    );
    if situation.state.frozen.is_none() {
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
    body_unless(
        EventBody::FreezeLifted {
            reason: reason.to_string(),
        },
        reasons,
    )
}

/// The running deadline an extension would move, and the definition's limits on moving it.
struct ExtensionLimits<'a> {
    definition: &'a WorkflowDefinition,
    entry: &'a DeadlineEntry,
    times: DeadlineTimes,
    today: NaiveDate,
    /// Whether the request must come the definition's lead time before the deadline.
    check_lead_time: bool,
}

impl ExtensionLimits<'_> {
    /// Every limit that moving the deadline to `new_due_on` would break.
    fn check(&self, new_due_on: NaiveDate, reasons: &mut Vec<Unmet>) {
        let times = self.times;
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
        self.check_count(reasons);
        self.check_total(new_due_on, reasons);
        if self.check_lead_time {
            self.check_lead(reasons);
        }
    }

    fn check_count(&self, reasons: &mut Vec<Unmet>) {
        let granted = self.entry.extensions_granted;
        if let Some(max_count) = self.definition.extensions.max_count
            && granted >= max_count
        {
            reasons.push(
                Unmet::new(
                    "too_many_extensions",
                    LocalizedText::new(
                        format!("该期限已延期{granted}次，最多{max_count}次"),
                        format!(
                            "This deadline was extended {granted} time(s); at most {max_count} are allowed"
                        ),
                    ),
                )
                .with("granted", granted)
                .with("max_count", max_count),
            );
        }
    }

    fn check_total(&self, new_due_on: NaiveDate, reasons: &mut Vec<Unmet>) {
        let (Some(max_total), Some(original)) = (
            self.definition.extensions.max_total,
            self.entry.original_due_on,
        ) else {
            return;
        };
        match max_total.add_to(original, self.definition.working_calendar()) {
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
            Err(error) => reasons.push(not_computable(&error)),
        }
    }

    fn check_lead(&self, reasons: &mut Vec<Unmet>) {
        let Some(lead) = self.definition.extensions.request_at_least_before else {
            return;
        };
        let due_on = self.times.due_on;
        match lead.subtract_from(due_on, self.definition.working_calendar()) {
            Ok(last_day) if self.today > last_day => reasons.push(
                Unmet::new(
                    "extension_requested_too_late",
                    LocalizedText::new(
                        format!("延期须在期限（{due_on}）前至少{}申请，即不晚于{last_day}", lead.describe_zh()),
                        format!("An extension must be requested at least {} before the deadline ({due_on}), that is by {last_day}", lead.describe_en()),
                    ),
                )
                .with("last_day", last_day.to_string()),
            ),
            Ok(_) => {}
            Err(error) => reasons.push(not_computable(&error)),
        }
    }
}

fn not_computable(error: &crate::calendar::CalendarError) -> Unmet {
    Unmet::new(
        "deadline_not_computable",
        LocalizedText::new(
            format!("无法计算期限：{}", error.message().zh),
            format!("The deadline cannot be computed: {error}"),
        ),
    )
}
