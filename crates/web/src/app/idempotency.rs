//! Command ids from idempotency keys, scoped to the caller and the route.
//!
//! A key is the caller's own: the command id is derived from the caller's subject, the route and
//! the key together (UUID v5), so the same key sent by two callers, or by one caller to two
//! routes, names two commands. A key that is a UUID is derived too: otherwise a caller who learnt
//! another's command id (answers carry it) could send it as a key and be answered with the other
//! caller's outcome. Within one caller and one route, the store keeps the request's fingerprint
//! beside the command id and refuses the id sent again with a different request (422,
//! [`crate::app::problem::ProblemKind::IdempotencyKeyReused`]).

use specflow_store::auth::Principal;
use uuid::Uuid;

/// The namespace of command ids derived from idempotency keys.
const SCOPED_COMMAND_NAMESPACE: Uuid = Uuid::from_u128(0x9d41_2c7e_5a0b_4f83_b6e2_0c5f_1a9d_7e34);

/// The routes a key is scoped to: each names one kind of write, the same from the API and from
/// the pages where both offer it, so a retried form and a retried API call are one command only
/// when they are the same caller's same kind of request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteRoute {
    /// Creating a project.
    CreateProject,
    /// Firing an action.
    FireAction,
    /// Any command as the engine's JSON, or a work form.
    Command,
    /// Uploading an artifact.
    Upload,
    /// Importing a comment table.
    CommentImport,
    /// A committee's command.
    CommitteeCommand,
}

impl WriteRoute {
    /// The route's name in the derivation; never changed, or retries across an upgrade would
    /// become new commands.
    fn name(self) -> &'static str {
        match self {
            WriteRoute::CreateProject => "create-project",
            WriteRoute::FireAction => "fire-action",
            WriteRoute::Command => "command",
            WriteRoute::Upload => "upload",
            WriteRoute::CommentImport => "comment-import",
            WriteRoute::CommitteeCommand => "committee-command",
        }
    }
}

/// The command id of a caller's key on a route.
pub fn scoped_command_id(principal: &Principal, route: WriteRoute, key: &str) -> Uuid {
    // Lengths first, so that no subject, route and key can run together into another's.
    let subject = principal.subject.as_str();
    let route = route.name();
    let name = format!(
        "{}:{subject}{}:{route}{}:{key}",
        subject.len(),
        route.len(),
        key.len()
    );
    Uuid::new_v5(&SCOPED_COMMAND_NAMESPACE, name.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use specflow_store::auth::{Principal, Role};

    fn principal(subject: &str) -> Principal {
        Principal {
            token_id: Uuid::nil(),
            subject: subject.to_string(),
            role: Role::Secretariat,
            committee: Some("TC1".to_string()),
            project_id: None,
        }
    }

    #[test]
    fn keys_are_scoped_to_the_caller_and_the_route() {
        let first = scoped_command_id(&principal("alice"), WriteRoute::CreateProject, "k-1");
        assert_eq!(
            first,
            scoped_command_id(&principal("alice"), WriteRoute::CreateProject, "k-1")
        );
        assert_ne!(
            first,
            scoped_command_id(&principal("bob"), WriteRoute::CreateProject, "k-1")
        );
        assert_ne!(
            first,
            scoped_command_id(&principal("alice"), WriteRoute::Upload, "k-1")
        );
        let uuid = "00000000-0000-0000-0000-000000000007";
        assert_ne!(
            scoped_command_id(&principal("alice"), WriteRoute::Command, uuid),
            Uuid::from_u128(7),
            "a UUID key is scoped like any other"
        );
    }
}
