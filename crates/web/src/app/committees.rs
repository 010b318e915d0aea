//! Committees: which a principal may read, and finding one by id or code, a hidden committee
//! answered as a missing one. The API's committee routes and the committee pages share them.

use crate::app::AppState;
use crate::app::problem::{Problem, refusal};
use specflow_engine::stored_record::RecordKind;
use specflow_store::CommitteeSummary;
use specflow_store::auth::{Access, Principal, can_read_committee};
use uuid::Uuid;

/// Refuses as `access` says, answering a hidden committee as a missing one.
pub fn require_committee(principal: &Principal, access: Access, what: &str) -> Result<(), Problem> {
    match access {
        Access::Allowed => Ok(()),
        Access::Hidden(reason) => {
            tracing::warn!(subject = %principal.subject, role = %principal.role, %reason, status = 404, "refused: hidden");
            Err(Problem::committee_not_found(what))
        }
        forbidden => Err(refusal(principal, forbidden, what)),
    }
}

/// Finds a committee the caller may read: its id and code. A hidden committee is the same 404
/// as a missing one; the pages call this too.
pub async fn readable_committee(
    state: &AppState,
    principal: &Principal,
    id_or_code: &str,
) -> Result<(Uuid, String), Problem> {
    let committee_id = state
        .store
        .resolve_committee(id_or_code)
        .await?
        .ok_or_else(|| Problem::committee_not_found(id_or_code))?;
    let code = committee_code(state, committee_id, id_or_code).await?;
    require_committee(principal, can_read_committee(principal, &code), id_or_code)?;
    Ok((committee_id, code))
}

/// The committee's code as its projection row holds it (written with its records by the same
/// transaction). It is not replayed from the log, so that a record that no longer reads leaves
/// the committee's history and verification answering, and naming that record.
pub async fn committee_code(
    state: &AppState,
    committee_id: Uuid,
    id_or_code: &str,
) -> Result<String, Problem> {
    state
        .store
        .chain_code(RecordKind::Committee, &committee_id.to_string())
        .await?
        .ok_or_else(|| Problem::committee_not_found(id_or_code))
}

/// The committees `principal` may read (`can_read_committee`), by code: the API's list and the
/// pages' list are this one function.
pub async fn visible_committees(
    state: &AppState,
    principal: &Principal,
) -> Result<Vec<CommitteeSummary>, Problem> {
    let all = state.store.list_committees().await?;
    Ok(all
        .into_iter()
        .filter(|committee| can_read_committee(principal, &committee.code).is_allowed())
        .collect())
}

/// Every committee's name by its code, for showing a code with its name (`SH-TC-01
/// 上海市长度计量技术委员会`) where projects carry only the code; committees are few, so one
/// read serves a whole page.
pub async fn committee_names(
    state: &AppState,
) -> Result<std::collections::BTreeMap<String, specflow_engine::LocalizedText>, Problem> {
    Ok(state
        .store
        .list_committees()
        .await?
        .into_iter()
        .map(|committee| (committee.code, committee.name))
        .collect())
}

/// A committee's code followed by its name in `language` when its record has one.
pub fn committee_label(
    names: &std::collections::BTreeMap<String, specflow_engine::LocalizedText>,
    code: &str,
    language: specflow_engine::Language,
) -> String {
    match names.get(code).map(|name| name.get(language)) {
        Some(name) if !name.is_empty() && !code.contains(name) => format!("{code} {name}"),
        _ => code.to_string(),
    }
}
