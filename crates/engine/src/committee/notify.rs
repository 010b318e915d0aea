//! Who hears of a committee's term approaching its end and ending, and in which words.
//!
//! The policy's `[terms] audiences` name the roles (the committee's secretariat and the bureau);
//! the service writes one outbox row per audience with the record, as it does for projects.

use super::policy::CommitteePolicy;
use super::{CommitteeEvent, CommitteeEventBody, CommitteeState};
use crate::notify::Notice;
use crate::text::LocalizedText;

/// The notices a committee event calls for: the term's warning, its end and the end-of-term
/// report falling due go to the policy's term audiences; nothing else notifies.
pub fn committee_notices_for(
    policy: &CommitteePolicy,
    state_after: &CommitteeState,
    event: &CommitteeEvent,
) -> Vec<Notice> {
    let (zh_name, en_name) = state_after.profile.as_ref().map_or_else(
        || (String::new(), String::new()),
        |profile| (profile.name.zh.clone(), profile.name.en.clone()),
    );
    let (what_happened, what_next) = match &event.body {
        CommitteeEventBody::TermEndingWarned { term, ends_on, .. } => (
            LocalizedText::new(
                format!("{zh_name}第{term}届任期将于{ends_on}届满"),
                format!("Term {term} of the {en_name} ends on {ends_on}"),
            ),
            LocalizedText::new(
                "请筹备换届：拟定下一届委员名单（可连聘连任），并准备届末工作报告",
                "Prepare the next term: draw up its membership (members may be reappointed) and prepare the end-of-term report",
            ),
        ),
        CommitteeEventBody::TermEnded { term, ended_on, .. } => (
            LocalizedText::new(
                format!("{zh_name}第{term}届任期已于{ended_on}结束"),
                format!("Term {term} of the {en_name} ended on {ended_on}"),
            ),
            LocalizedText::new(
                "请开始下一届任期并记录聘任",
                "Start the next term and record its appointments",
            ),
        ),
        CommitteeEventBody::EndOfTermReportDue {
            term,
            period_from,
            period_to,
        } => (
            LocalizedText::new(
                format!("{zh_name}第{term}届（{period_from}至{period_to}）届末工作报告应予提交"),
                format!(
                    "The end-of-term report of term {term} of the {en_name} ({period_from} to {period_to}) is due"
                ),
            ),
            LocalizedText::new(
                "请秘书处编写届末工作报告并报市场监管局",
                "The secretariat writes the end-of-term report and files it with the bureau",
            ),
        ),
        _ => return Vec::new(),
    };
    policy
        .terms
        .audiences
        .iter()
        .map(|audience| Notice {
            audience: audience.clone(),
            event_type: event.body.type_name().to_string(),
            what_happened: what_happened.clone(),
            what_next: what_next.clone(),
        })
        .collect()
}
