//! Who a request is, and which projects it may touch: the API's roles, principals and scoping.
//!
//! Deny by default. A request carries a bearer token; the store turns a valid one into a
//! [`Principal`] (`Store::authenticate`), and the HTTP layer asks the functions here before it
//! reads or writes anything. Every function answers [`Access`], and any case it does not know to
//! allow (a committee role without a committee, a drafter without a project) is refused.
//!
//! This module decides only scope: which projects a principal sees and may change at all. Which
//! role may fire which workflow action is the workflow definition's to say and the engine's to
//! check, through the [`Actor`] that [`Principal::actor`] gives it; nothing here repeats it.
//!
//! Pure: no database, no clock, no I/O, so every rule is tested for every role and scope.

use crate::error::StoreError;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use specflow_engine::{Actor, Language, LocalizedText};
use std::str::FromStr;
use uuid::Uuid;

/// What every token starts with, so that a leaked one is recognisable (secret scanners, logs).
pub const TOKEN_PREFIX: &str = "sft_";

/// How many hexadecimal digits follow the prefix: 32 random bytes.
pub const TOKEN_SECRET_HEX_DIGITS: usize = 64;

/// What a token may do, before its scope narrows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Runs specflow itself: sees and may change every project, supervises, but fires no
    /// workflow action unless a definition names the role `admin`.
    Admin,
    /// The bureau: reads and writes every project and supervises (overdue board, extensions,
    /// freezes, cancellations).
    Supervisor,
    /// A committee's secretariat: its committee's projects only.
    Secretariat,
    /// A committee's chair: its committee's projects only.
    Chair,
    /// A committee member: its committee's projects only.
    Member,
    /// A drafting group: its one project only.
    Drafter,
    /// Reads everything and changes nothing.
    Auditor,
}

/// Which kind of scope a role's tokens carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoleScope {
    /// No scope: the role sees every project.
    Everything,
    /// One committee, named when the token is created.
    Committee,
    /// One project, named when the token is created.
    Project,
}

impl Role {
    /// Every role, in the order they are listed to people.
    pub const ALL: [Role; 7] = [
        Role::Admin,
        Role::Supervisor,
        Role::Secretariat,
        Role::Chair,
        Role::Member,
        Role::Drafter,
        Role::Auditor,
    ];

    /// The role's name for people, as the pages' navigation and the command line's tables show
    /// who someone is.
    pub fn name(self, language: Language) -> &'static str {
        match self {
            Role::Admin => language.pick("系统管理员", "administrator"),
            Role::Supervisor => language.pick("市场监管局", "supervisor"),
            Role::Secretariat => language.pick("秘书处", "secretariat"),
            Role::Chair => language.pick("主任委员", "chair"),
            Role::Member => language.pick("委员", "member"),
            Role::Drafter => language.pick("起草组", "drafter"),
            Role::Auditor => language.pick("审计", "auditor"),
        }
    }

    /// The stored (and typed) name: `admin`, `supervisor`, `secretariat`, `chair`, `member`,
    /// `drafter` or `auditor`.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Supervisor => "supervisor",
            Role::Secretariat => "secretariat",
            Role::Chair => "chair",
            Role::Member => "member",
            Role::Drafter => "drafter",
            Role::Auditor => "auditor",
        }
    }

    /// The role code the engine checks against the workflow definition's `roles` lists.
    ///
    /// Each API role is the definition role of the same name; `admin` is deliberately no role
    /// of the shipped definitions, so an administrator's token fires no workflow action and the
    /// engine refuses it with its usual `role_not_permitted` reason. `system` (the scheduler) is
    /// never a token's role: no request can pass for specflow itself.
    pub fn workflow_role(self) -> &'static str {
        self.as_str()
    }

    /// Which scope the role's tokens carry.
    pub fn scope(self) -> RoleScope {
        match self {
            Role::Admin | Role::Supervisor | Role::Auditor => RoleScope::Everything,
            Role::Secretariat | Role::Chair | Role::Member => RoleScope::Committee,
            Role::Drafter => RoleScope::Project,
        }
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(self.as_str())
    }
}

/// A role name that is none of [`Role::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{given}` is not a role: use admin, supervisor, secretariat, chair, member, drafter or auditor"
)]
pub struct UnknownRole {
    /// What was given.
    pub given: String,
}

impl FromStr for Role {
    type Err = UnknownRole;

    fn from_str(text: &str) -> Result<Role, UnknownRole> {
        Role::ALL
            .into_iter()
            .find(|role| role.as_str() == text)
            .ok_or_else(|| UnknownRole {
                given: text.to_string(),
            })
    }
}

/// The authenticated caller of a request: a token or an account (through a session of the
/// pages), its subject, its role and its scope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Principal {
    /// The token's id, or the account's.
    pub token_id: Uuid,
    /// The token's or the account's name: the actor id written into every audit record the
    /// request causes, and the subject of every refusal logged.
    pub subject: String,
    /// What the token may do.
    pub role: Role,
    /// The committee, for secretariat, chair and member tokens.
    pub committee: Option<String>,
    /// The project, for drafter tokens.
    pub project_id: Option<Uuid>,
}

/// Which projects a principal sees, for filtering lists in the database rather than one by one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Visibility<'principal> {
    /// Every project.
    Everything,
    /// The projects of this committee.
    Committee(&'principal str),
    /// This project.
    Project(Uuid),
    /// None: the token's scope is missing (deny by default).
    Nothing,
}

impl Principal {
    /// The actor the engine sees: the token's name as its id, and the role's workflow code
    /// ([`Role::workflow_role`]), so every event records who caused it and in which role.
    pub fn actor(&self) -> Actor {
        Actor::new(self.subject.clone(), self.role.workflow_role())
    }

    /// Which projects the principal sees.
    pub fn visibility(&self) -> Visibility<'_> {
        match (self.role.scope(), &self.committee, self.project_id) {
            (RoleScope::Everything, _, _) => Visibility::Everything,
            (RoleScope::Committee, Some(committee), _) => Visibility::Committee(committee),
            (RoleScope::Project, _, Some(project_id)) => Visibility::Project(project_id),
            (RoleScope::Committee, None, _) | (RoleScope::Project, _, None) => Visibility::Nothing,
        }
    }

    /// The role and scope in words, in both languages, for refusals a person reads:
    /// `sec-wang（委员会 SH-TC-01 的秘书处）`, `sec-wang (secretariat of committee SH-TC-01)`.
    pub fn describe(&self) -> LocalizedText {
        let (subject, zh, en) = (
            &self.subject,
            self.role.name(Language::Zh),
            self.role.name(Language::En),
        );
        match self.visibility() {
            Visibility::Everything => {
                LocalizedText::new(format!("{subject}（{zh}）"), format!("{subject} ({en})"))
            }
            Visibility::Committee(committee) => LocalizedText::new(
                format!("{subject}（技术委员会 {committee} 的{zh}）"),
                format!("{subject} ({en} of committee {committee})"),
            ),
            Visibility::Project(project_id) => LocalizedText::new(
                format!("{subject}（项目 {project_id} 的{zh}）"),
                format!("{subject} ({en} of project {project_id})"),
            ),
            Visibility::Nothing => LocalizedText::new(
                format!("{subject}（{zh}，未限定范围）"),
                format!("{subject} ({en} with no scope)"),
            ),
        }
    }
}

/// The answer to "may this principal do this?".
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Access {
    /// Go ahead.
    Allowed,
    /// Refused, and the caller may know the thing exists: answer 403 with the reason, in both
    /// languages (the answer is in the reader's).
    Forbidden(LocalizedText),
    /// Refused, and the caller must not learn the thing exists: answer 404 as for a project that
    /// does not exist. The reason is for the log only, never for the response.
    Hidden(String),
}

impl Access {
    /// Whether the request may go ahead.
    pub fn is_allowed(&self) -> bool {
        matches!(self, Access::Allowed)
    }

    /// Why it was refused, for the log; `None` when allowed.
    pub fn reason(&self) -> Option<&str> {
        match self {
            Access::Allowed => None,
            Access::Forbidden(reason) => Some(&reason.en),
            Access::Hidden(reason) => Some(reason),
        }
    }
}

/// Whether `principal` may read the project `project_id` of `committee`.
///
/// Admin, supervisor and auditor read every project; secretariat, chair and member their
/// committee's; a drafter its project. Anything else is [`Access::Hidden`]: a project outside a
/// principal's scope is answered as if it did not exist.
pub fn can_read_project(principal: &Principal, committee: &str, project_id: Uuid) -> Access {
    match principal.visibility() {
        Visibility::Everything => Access::Allowed,
        Visibility::Committee(own) if own == committee => Access::Allowed,
        Visibility::Project(own) if own == project_id => Access::Allowed,
        Visibility::Committee(_) => Access::Hidden(format!(
            "{} may not see project {project_id}, which belongs to committee {committee}",
            principal.describe().en
        )),
        Visibility::Project(_) => Access::Hidden(format!(
            "{} may not see project {project_id}, which is not its project",
            principal.describe().en
        )),
        Visibility::Nothing => Access::Hidden(format!(
            "{} may see no project: the token names no {}",
            principal.describe().en,
            missing_scope(principal.role)
        )),
    }
}

/// Whether `principal` may change the project `project_id` of `committee` (fire actions, attach
/// artifacts, record meetings…), before the engine checks the role against the definition.
///
/// A project the principal cannot read stays [`Access::Hidden`]; one it reads but may not change
/// (an auditor's) is [`Access::Forbidden`]. Creating a project is a write to the new project:
/// a committee role may create projects of its own committee only.
pub fn can_write_project(principal: &Principal, committee: &str, project_id: Uuid) -> Access {
    match can_read_project(principal, committee, project_id) {
        Access::Allowed if is_read_only(principal) => Access::Forbidden(LocalizedText::new(
            format!("{}只能查看，不能更改任何项目", principal.describe().zh),
            format!(
                "{} reads every project and changes none",
                principal.describe().en
            ),
        )),
        other => other,
    }
}

/// Whether `principal` may read a committee's reports (annual, end-of-term).
///
/// Whoever reads every project reads every committee's reports; a committee's secretariat, chair
/// and members read their own committee's. Another committee's is [`Access::Hidden`], as its
/// projects are; a drafter, whose scope is one project, is [`Access::Forbidden`]: a report spans
/// the committee's other projects.
pub fn can_read_committee_reports(principal: &Principal, committee: &str) -> Access {
    match principal.visibility() {
        Visibility::Everything => Access::Allowed,
        Visibility::Committee(own) if own == committee => Access::Allowed,
        Visibility::Committee(_) => Access::Hidden(format!(
            "{} may not see committee {committee}'s reports",
            principal.describe().en
        )),
        Visibility::Project(_) => Access::Forbidden(LocalizedText::new(
            format!(
                "{}只能查看一个项目，而技术委员会的报告涵盖其其他项目",
                principal.describe().zh
            ),
            format!(
                "{} sees one project: a committee's report spans its other projects",
                principal.describe().en
            ),
        )),
        Visibility::Nothing => Access::Hidden(format!(
            "{} may see no committee: the token names no {}",
            principal.describe().en,
            missing_scope(principal.role)
        )),
    }
}

/// Whether `principal` may read what spans every project: all audit logs, exports, whole-store
/// verification, statistics. Admin, supervisor and auditor may.
pub fn can_read_everything(principal: &Principal) -> Access {
    match principal.role {
        Role::Admin | Role::Supervisor | Role::Auditor => Access::Allowed,
        Role::Secretariat | Role::Chair | Role::Member | Role::Drafter => {
            Access::Forbidden(LocalizedText::new(
                format!(
                    "{}只能查看自己范围内的项目：只有系统管理员、市场监管局和审计令牌可查看全部项目",
                    principal.describe().zh
                ),
                format!(
                    "{} sees only its own scope: only admin, supervisor and auditor tokens read every project",
                    principal.describe().en
                ),
            ))
        }
    }
}

/// Whether `principal` may supervise: the overdue board, deciding extensions, freezing and
/// cancelling projects. Supervisor and admin may (the engine still checks each action's roles).
pub fn can_supervise(principal: &Principal) -> Access {
    match principal.role {
        Role::Admin | Role::Supervisor => Access::Allowed,
        Role::Secretariat | Role::Chair | Role::Member | Role::Drafter | Role::Auditor => {
            Access::Forbidden(LocalizedText::new(
                format!(
                    "{}不能监督：只有市场监管局和系统管理员令牌可查看逾期看板、决定延期、冻结和撤销",
                    principal.describe().zh
                ),
                format!(
                    "{} may not supervise: only supervisor and admin tokens see the overdue board and decide extensions, freezes and cancellations",
                    principal.describe().en
                ),
            ))
        }
    }
}

/// What a write to a committee's record is, for [`can_write_committee`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommitteeWrite {
    /// Forming it, appointing, reappointing, resignations, the secretariat, waivers: the
    /// bureau's decisions (the guidance has the bureau plan and manage committees).
    Composition,
    /// Starting or ending a term early: the bureau's, or the committee's own secretariat's,
    /// which runs the change of term.
    Term,
}

/// Whether `principal` may read the record of the committee `committee` (its state, composition
/// check, history, verification).
///
/// Admin, supervisor and auditor read every committee; secretariat, chair and member their own.
/// Any other committee, and every committee for a drafter, is [`Access::Hidden`].
pub fn can_read_committee(principal: &Principal, committee: &str) -> Access {
    match principal.visibility() {
        Visibility::Everything => Access::Allowed,
        Visibility::Committee(own) if own == committee => Access::Allowed,
        _ => Access::Hidden(format!(
            "{} may not see committee {committee}",
            principal.describe().en
        )),
    }
}

/// Whether `principal` may write to the record of the committee `committee`.
///
/// Composition records are the bureau's: supervisor and admin. Terms are also the committee's own
/// secretariat's. A committee the principal cannot read stays [`Access::Hidden`]; one it reads
/// but may not change is [`Access::Forbidden`].
pub fn can_write_committee(
    principal: &Principal,
    committee: &str,
    write: CommitteeWrite,
) -> Access {
    match can_read_committee(principal, committee) {
        Access::Allowed => {}
        refused => return refused,
    }
    match (principal.role, write) {
        (Role::Admin | Role::Supervisor, _) | (Role::Secretariat, CommitteeWrite::Term) => {
            Access::Allowed
        }
        (_, CommitteeWrite::Composition) => Access::Forbidden(LocalizedText::new(
            format!(
                "{}不能更改技术委员会的组成：只有市场监管局（市场监管局和系统管理员令牌）组建技术委员会、任命委员和批准豁免",
                principal.describe().zh
            ),
            format!(
                "{} may not change a committee's composition: only the bureau (supervisor and admin tokens) forms committees, appoints members and grants waivers",
                principal.describe().en
            ),
        )),
        (_, CommitteeWrite::Term) => Access::Forbidden(LocalizedText::new(
            format!(
                "{}不能记录换届：只有市场监管局和该技术委员会的秘书处可以",
                principal.describe().zh
            ),
            format!(
                "{} may not record terms: only the bureau and the committee's secretariat do",
                principal.describe().en
            ),
        )),
    }
}

/// Whether `principal` may change nothing at all (an auditor), so the HTTP layer can refuse
/// every non-GET request before looking anything up.
pub fn is_read_only(principal: &Principal) -> bool {
    principal.role == Role::Auditor
}

fn missing_scope(role: Role) -> &'static str {
    match role.scope() {
        RoleScope::Committee => "committee",
        RoleScope::Project => "project",
        RoleScope::Everything => "scope",
    }
}

/// Why a bearer token was not accepted. Every case is answered 401; the variants keep the reason
/// (and, when the token is known, its subject) for the log.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// The text is not shaped like a specflow token at all.
    #[error(
        "the bearer token is not a specflow token: expected `sft_` followed by 64 hexadecimal digits"
    )]
    Malformed,
    /// No token has this secret.
    #[error("the bearer token is unknown")]
    Unknown,
    /// The token was revoked.
    #[error("the token {name} was revoked at {revoked_at}")]
    Revoked {
        /// The token's id.
        token_id: Uuid,
        /// Its name.
        name: String,
        /// When it was revoked.
        revoked_at: DateTime<Utc>,
    },
    /// The token's expiry has passed.
    #[error("the token {name} expired at {expired_at}")]
    Expired {
        /// The token's id.
        token_id: Uuid,
        /// Its name.
        name: String,
        /// When it expired.
        expired_at: DateTime<Utc>,
    },
    /// The store could not answer; the request is refused (deny by default).
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl AuthError {
    /// The subject the refusal is logged with, when the token is known.
    pub fn subject(&self) -> Option<&str> {
        match self {
            AuthError::Revoked { name, .. } | AuthError::Expired { name, .. } => Some(name),
            AuthError::Malformed | AuthError::Unknown | AuthError::Store(_) => None,
        }
    }
}

/// Whether `text` is shaped like a token specflow issues: the prefix and 64 lowercase
/// hexadecimal digits.
pub fn is_token_shaped(text: &str) -> bool {
    text.strip_prefix(TOKEN_PREFIX).is_some_and(|secret| {
        secret.len() == TOKEN_SECRET_HEX_DIGITS
            && secret
                .bytes()
                .all(|byte| matches!(byte, b'0'..=b'9' | b'a'..=b'f'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const COMMITTEE: &str = "SH-TC-01";
    const OTHER_COMMITTEE: &str = "SH-TC-02";

    fn own_project() -> Uuid {
        Uuid::from_u128(1)
    }

    fn other_project() -> Uuid {
        Uuid::from_u128(2)
    }

    /// A principal of `role` with the scope its tokens carry.
    fn principal(role: Role) -> Principal {
        Principal {
            token_id: Uuid::from_u128(99),
            subject: format!("{role}-token"),
            role,
            committee: (role.scope() == RoleScope::Committee).then(|| COMMITTEE.to_string()),
            project_id: (role.scope() == RoleScope::Project).then(own_project),
        }
    }

    /// The four projects every rule is checked against: own committee and own project, own
    /// committee and another project, another committee and own project id, neither.
    fn cases() -> [(&'static str, Uuid); 4] {
        [
            (COMMITTEE, own_project()),
            (COMMITTEE, other_project()),
            (OTHER_COMMITTEE, own_project()),
            (OTHER_COMMITTEE, other_project()),
        ]
    }

    fn kind(access: &Access) -> &'static str {
        match access {
            Access::Allowed => "allowed",
            Access::Forbidden(_) => "forbidden",
            Access::Hidden(_) => "hidden",
        }
    }

    /// Reads and writes of each role on the four projects, in the order of [`cases`].
    fn expected(role: Role) -> ([&'static str; 4], [&'static str; 4]) {
        let all = ["allowed"; 4];
        match role {
            Role::Admin | Role::Supervisor => (all, all),
            Role::Auditor => (all, ["forbidden"; 4]),
            Role::Secretariat | Role::Chair | Role::Member => (
                ["allowed", "allowed", "hidden", "hidden"],
                ["allowed", "allowed", "hidden", "hidden"],
            ),
            // A drafter's scope is its project id alone, whatever committee is claimed for it.
            Role::Drafter => (
                ["allowed", "hidden", "allowed", "hidden"],
                ["allowed", "hidden", "allowed", "hidden"],
            ),
        }
    }

    #[test]
    fn every_role_reads_and_writes_exactly_its_scope() {
        for role in Role::ALL {
            let principal = principal(role);
            let (reads, writes) = expected(role);
            for (index, (committee, project_id)) in cases().into_iter().enumerate() {
                let read = can_read_project(&principal, committee, project_id);
                let write = can_write_project(&principal, committee, project_id);
                assert_eq!(
                    kind(&read),
                    reads[index],
                    "{role} reading {committee}/{project_id}: {read:?}"
                );
                assert_eq!(
                    kind(&write),
                    writes[index],
                    "{role} writing {committee}/{project_id}: {write:?}"
                );
            }
        }
    }

    #[test]
    fn refusals_name_the_subject_its_scope_and_the_project() {
        let drafter = principal(Role::Drafter);
        let hidden = can_read_project(&drafter, COMMITTEE, other_project());
        let reason = hidden.reason().unwrap_or_default();
        assert!(
            reason.contains("drafter-token (drafter of project"),
            "{reason}"
        );
        assert!(reason.contains(&other_project().to_string()), "{reason}");

        let secretariat = principal(Role::Secretariat);
        let hidden = can_write_project(&secretariat, OTHER_COMMITTEE, own_project());
        let reason = hidden.reason().unwrap_or_default();
        assert!(
            reason.contains("secretariat-token (secretariat of committee SH-TC-01)"),
            "{reason}"
        );
        assert!(reason.contains("belongs to committee SH-TC-02"), "{reason}");

        let auditor = principal(Role::Auditor);
        let forbidden = can_write_project(&auditor, COMMITTEE, own_project());
        assert_eq!(
            forbidden.reason(),
            Some("auditor-token (auditor) reads every project and changes none")
        );
        assert_eq!(Access::Allowed.reason(), None);
    }

    #[test]
    fn a_token_missing_its_scope_sees_nothing() {
        for role in [Role::Secretariat, Role::Chair, Role::Member, Role::Drafter] {
            let mut principal = principal(role);
            principal.committee = None;
            principal.project_id = None;
            assert_eq!(principal.visibility(), Visibility::Nothing);
            for (committee, project_id) in cases() {
                assert_eq!(
                    kind(&can_read_project(&principal, committee, project_id)),
                    "hidden"
                );
                assert_eq!(
                    kind(&can_write_project(&principal, committee, project_id)),
                    "hidden"
                );
            }
        }
        // A committee role with a project instead of a committee is not a drafter.
        let mut member = principal(Role::Member);
        member.committee = None;
        member.project_id = Some(own_project());
        assert_eq!(
            kind(&can_read_project(&member, COMMITTEE, own_project())),
            "hidden"
        );
    }

    #[test]
    fn only_admin_supervisor_and_auditor_read_everything() {
        for role in Role::ALL {
            let access = can_read_everything(&principal(role));
            let allowed = matches!(role, Role::Admin | Role::Supervisor | Role::Auditor);
            assert_eq!(access.is_allowed(), allowed, "{role}: {access:?}");
            if !allowed {
                assert!(matches!(access, Access::Forbidden(_)), "{role}: {access:?}");
            }
        }
    }

    #[test]
    fn committee_reports_are_read_by_everyone_who_reads_the_committee_and_no_drafter() {
        for role in Role::ALL {
            let principal = principal(role);
            let own = can_read_committee_reports(&principal, COMMITTEE);
            let other = can_read_committee_reports(&principal, OTHER_COMMITTEE);
            let expected = match role {
                Role::Admin | Role::Supervisor | Role::Auditor => ["allowed", "allowed"],
                Role::Secretariat | Role::Chair | Role::Member => ["allowed", "hidden"],
                Role::Drafter => ["forbidden", "forbidden"],
            };
            assert_eq!(
                [kind(&own), kind(&other)],
                expected,
                "{role}: {own:?} {other:?}"
            );
        }
        let mut unscoped = principal(Role::Secretariat);
        unscoped.committee = None;
        assert_eq!(
            kind(&can_read_committee_reports(&unscoped, COMMITTEE)),
            "hidden"
        );
    }

    #[test]
    fn only_admin_and_supervisor_supervise() {
        for role in Role::ALL {
            let access = can_supervise(&principal(role));
            let allowed = matches!(role, Role::Admin | Role::Supervisor);
            assert_eq!(access.is_allowed(), allowed, "{role}: {access:?}");
            if let Access::Forbidden(reason) = &access {
                assert!(reason.en.contains("may not supervise"), "{reason:?}");
                assert!(reason.zh.contains("不能监督"), "{reason:?}");
            }
        }
    }

    #[test]
    fn only_the_auditor_is_read_only() {
        for role in Role::ALL {
            assert_eq!(
                is_read_only(&principal(role)),
                role == Role::Auditor,
                "{role}"
            );
        }
    }

    #[test]
    fn visibility_follows_the_role_and_its_scope() {
        assert_eq!(
            principal(Role::Supervisor).visibility(),
            Visibility::Everything
        );
        assert_eq!(
            principal(Role::Chair).visibility(),
            Visibility::Committee(COMMITTEE)
        );
        assert_eq!(
            principal(Role::Drafter).visibility(),
            Visibility::Project(own_project())
        );
        // An everything-role ignores a stray scope rather than narrowing to it.
        let mut auditor = principal(Role::Auditor);
        auditor.committee = Some(COMMITTEE.to_string());
        assert_eq!(auditor.visibility(), Visibility::Everything);
    }

    #[test]
    fn the_actor_is_the_token_name_in_its_workflow_role() {
        for role in Role::ALL {
            let actor = principal(role).actor();
            assert_eq!(actor.id, format!("{role}-token"));
            assert_eq!(actor.role, role.as_str());
        }
        // No definition role: the engine refuses workflow actions to an administrator.
        assert_eq!(principal(Role::Admin).actor().role, "admin");
        assert_ne!(principal(Role::Admin).actor().role, "supervisor");
    }

    #[test]
    fn roles_round_trip_and_unknown_ones_list_the_valid_roles() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
            assert_eq!(
                serde_json::to_string(&role).ok(),
                Some(format!("\"{role}\""))
            );
        }
        assert_eq!(
            "bureau".parse::<Role>().err().map(|error| error.to_string()),
            Some("`bureau` is not a role: use admin, supervisor, secretariat, chair, member, drafter or auditor".to_string())
        );
        assert!("Supervisor".parse::<Role>().is_err());
        assert!("system".parse::<Role>().is_err());
    }

    #[test]
    fn only_issued_shapes_are_tokens() {
        let secret = "0123456789abcdef".repeat(4);
        assert!(is_token_shaped(&format!("sft_{secret}")));
        assert!(!is_token_shaped(&secret));
        assert!(!is_token_shaped(&format!("sft_{}", secret.to_uppercase())));
        assert!(!is_token_shaped(&format!("sft_{secret}0")));
        assert!(!is_token_shaped(&format!("sft_{}", &secret[1..])));
        assert!(!is_token_shaped("sft_"));
        assert!(!is_token_shaped(""));
    }

    #[test]
    fn auth_errors_keep_the_subject_when_the_token_is_known() {
        let revoked = AuthError::Revoked {
            token_id: Uuid::from_u128(5),
            name: "sec-wang".to_string(),
            revoked_at: DateTime::UNIX_EPOCH,
        };
        assert_eq!(revoked.subject(), Some("sec-wang"));
        assert_eq!(AuthError::Unknown.subject(), None);
        assert!(AuthError::Malformed.to_string().contains("sft_"));
    }
}
