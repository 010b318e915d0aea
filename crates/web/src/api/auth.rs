//! The bearer extractor: who is calling, or a 401 problem.
//!
//! A handler that takes a [`Caller`] runs only for a valid token: `Authorization: Bearer sft_…`,
//! known, neither revoked nor expired (`Store::authenticate`). Anything else is answered 401 with
//! `WWW-Authenticate: Bearer`, and logged with the token's subject when it is known and the reason.
//! Scoping (which projects the caller may touch) is the handlers' to ask of [`specflow_store::auth`].

use crate::app::AppState;
use crate::app::problem::{Problem, ProblemKind};
use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use specflow_store::auth::Principal;

/// The authenticated caller of a request.
#[derive(Debug, Clone)]
pub struct Caller(pub Principal);

impl FromRequestParts<AppState> for Caller {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Caller, Problem> {
        let Some(value) = parts.headers.get(header::AUTHORIZATION) else {
            tracing::warn!(
                subject = "-",
                reason = "no Authorization header",
                status = 401,
                "refused: not authenticated"
            );
            return Err(Problem::new(
                ProblemKind::Unauthenticated,
                "缺少令牌：请在 Authorization 头中发送 Bearer sft_…",
                "No token: send Authorization: Bearer sft_…",
            ));
        };
        let bearer = value.to_str().ok().and_then(|text| {
            let (scheme, token) = text.trim().split_once(' ')?;
            scheme
                .eq_ignore_ascii_case("bearer")
                .then(|| token.trim().to_string())
        });
        let Some(bearer) = bearer else {
            tracing::warn!(
                subject = "-",
                reason = "the Authorization header is not a bearer token",
                status = 401,
                "refused: not authenticated"
            );
            return Err(Problem::new(
                ProblemKind::Unauthenticated,
                "Authorization 头应为 Bearer 令牌",
                "The Authorization header must carry a Bearer token",
            ));
        };
        let principal = state.store.authenticate(&bearer).await?;
        Ok(Caller(principal))
    }
}
