//! Who a token or an account is, in the reader's language: its role, its scope and whether it
//! still works, as `token list` and `user list` print them.

use specflow_engine::Language;
use specflow_store::Store;
use specflow_store::auth::Role;
use uuid::Uuid;

/// A role's name, as the pages' navigation shows who is signed in.
pub(super) fn role_name(role: Role, language: Language) -> &'static str {
    match role {
        Role::Admin => language.pick("系统管理员", "administrator"),
        Role::Supervisor => language.pick("市场监管局", "supervisor"),
        Role::Secretariat => language.pick("秘书处", "secretariat"),
        Role::Chair => language.pick("主任委员", "chair"),
        Role::Member => language.pick("委员", "member"),
        Role::Drafter => language.pick("起草组", "drafter"),
        Role::Auditor => language.pick("审计", "auditor"),
    }
}

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
