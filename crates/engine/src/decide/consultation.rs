//! The public consultation: the organisations consulted, their comments, and each comment's
//! disposition.
//!
//! Guards count organisations and dispositions, so names must not be blank, an organisation is
//! counted once however often it is listed, comment ids are unique, and a comment not accepted
//! must say why.

use super::reasons::{blank, body_unless, check_permission, invalid};
use crate::command::{Comment, Disposition};
use crate::definition::CommandKind;
use crate::event::EventBody;
use crate::guard::Situation;
use crate::rejection::{Rejection, Unmet};
use crate::text::LocalizedText;
use std::collections::HashSet;

/// Decides recording organisations consulted; only those not recorded yet go into the event.
pub(super) fn decide_organisations_consulted(
    situation: &Situation<'_>,
    organisations: &[String],
) -> Result<EventBody, Rejection> {
    let mut reasons = Vec::new();
    check_permission(
        situation.definition,
        situation.actor,
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
        if !situation.state.organisations_consulted.contains(name) && seen.insert(name) {
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
    body_unless(
        EventBody::OrganisationsConsultedRecorded {
            organisations: new_names,
        },
        reasons,
    )
}

/// Decides recording a comment under a new id.
pub(super) fn decide_record_comment(
    situation: &Situation<'_>,
    comment: &Comment,
) -> Result<EventBody, Rejection> {
    let mut reasons = Vec::new();
    check_permission(
        situation.definition,
        situation.actor,
        CommandKind::RecordComment,
        &mut reasons,
    );
    if blank(&comment.comment_id) {
        reasons.push(invalid(
            "comment_id",
            "意见编号为空".to_string(),
            "The comment id is empty".to_string(),
        ));
    } else if situation.state.has_comment(&comment.comment_id) {
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
    body_unless(EventBody::CommentRecorded(comment.clone()), reasons)
}

/// Decides the disposition of a recorded comment.
pub(super) fn decide_dispose_comment(
    situation: &Situation<'_>,
    comment_id: &str,
    disposition: Disposition,
    reason: Option<&String>,
) -> Result<EventBody, Rejection> {
    let mut reasons = Vec::new();
    check_permission(
        situation.definition,
        situation.actor,
        CommandKind::DisposeComment,
        &mut reasons,
    );
    if !situation.state.has_comment(comment_id) {
        reasons.push(invalid(
            "comment_id",
            format!("没有编号为「{comment_id}」的意见"),
            format!("No comment has the id '{comment_id}'"),
        ));
    }
    if disposition == Disposition::NotAccepted && reason.is_none_or(|reason| blank(reason)) {
        reasons.push(invalid(
            "reason",
            "未采纳的意见须说明理由".to_string(),
            "A comment not accepted needs a reason".to_string(),
        ));
    }
    body_unless(
        EventBody::CommentDisposed {
            comment_id: comment_id.to_string(),
            disposition,
            reason: reason.cloned(),
        },
        reasons,
    )
}
