//! Verifying a project's audit log: the API's verify route and the history page's button.

use crate::app::problem::Problem;
use specflow_engine::audit::VerifyFailure;
use specflow_store::Store;
use uuid::Uuid;

/// What verifying one project found.
#[derive(Debug)]
pub struct ProjectVerification {
    /// The project.
    pub project_id: Uuid,
    /// Whether the chain holds.
    pub valid: bool,
    /// How many records were checked, when it holds.
    pub records: Option<u64>,
    /// The last record's hash, when it holds.
    pub head_hash: Option<String>,
    /// Where and why the chain broke, as the engine's verifier says.
    pub failure: Option<VerifyFailure>,
}

/// Verifies one project's chain; the API's route and the web page's button answer alike.
pub async fn verify_one(store: &Store, project_id: Uuid) -> Result<ProjectVerification, Problem> {
    Ok(match store.verify_project(project_id).await? {
        Ok(chain) => ProjectVerification {
            project_id,
            valid: true,
            records: Some(chain.records),
            head_hash: Some(chain.head_hash.to_hex()),
            failure: None,
        },
        Err(failure) => {
            tracing::error!(%project_id, %failure, "a project's audit log does not verify");
            ProjectVerification {
                project_id,
                valid: false,
                records: None,
                head_hash: None,
                failure: Some(failure),
            }
        }
    })
}
