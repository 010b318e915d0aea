//! Who a token or an account is, in the reader's language: its role, its scope and whether it
//! still works, as `token list` and `user list` print them.

use specflow_engine::Language;
use specflow_store::Store;
use uuid::Uuid;

/// What a principal may reach, in words: every project, a committee's, or one project's.
pub(super) async fn scope_text(
    store: &Store,
    committee: Option<&str>,
    project_id: Option<Uuid>,
    language: Language,
) -> anyhow::Result<String> {
    Ok(match (committee, project_id) {
        (Some(committee), _) => language.pick(
            format!("技术委员会 {committee}"),
            format!("committee {committee}"),
        ),
        (None, Some(project_id)) => {
            let code = match store.project_summary(project_id).await? {
                Some(project) => project.code,
                None => project_id.to_string(),
            };
            language.pick(format!("项目 {code}"), format!("project {code}"))
        }
        (None, None) => language.pick("全部项目", "every project").to_string(),
    })
}
