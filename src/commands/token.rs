//! `specflow token create|list|revoke`: the bearer tokens of the HTTP API.
//!
//! `create` prints the token alone on standard output (so a script can capture it) and says on
//! standard error what it is for and that it is never shown again: the store keeps its hash only.

use super::database::{open, runtime};
use super::principals::scope_text;
use crate::cli::TokenCommand;
use anyhow::Context;
use chrono::{DateTime, Utc};
use specflow_engine::Language;
use specflow_engine::render::write_table;
use specflow_store::{ProjectFilter, TokenSummary};
use specflow_store::{Store, StoreOptions};
use std::process::ExitCode;

fn without_migrating() -> StoreOptions {
    StoreOptions {
        migrate: false,
        ..StoreOptions::default()
    }
}

fn shown(instant: DateTime<Utc>) -> String {
    // A local time to the minute in Asia/Shanghai, as every table people read shows instants.
    super::client::local_time(instant)
}

/// What a token may reach, in words: `every project`, `committee …`, `project CODE`.
async fn scope(store: &Store, token: &TokenSummary) -> anyhow::Result<String> {
    Ok(match (&token.committee, token.project_id) {
        (Some(committee), _) => format!("committee {committee}"),
        (None, Some(project_id)) => match store.project_summary(project_id).await? {
            Some(project) => format!("project {}", project.code),
            None => format!("project {project_id}"),
        },
        (None, None) => "every project".to_string(),
    })
}

/// A token's status in words.
fn status_text(status: specflow_store::TokenStatus, language: Language) -> &'static str {
    use specflow_store::TokenStatus;
    match status {
        TokenStatus::Active => language.pick("有效", "active"),
        TokenStatus::Expired => language.pick("已过期", "expired"),
        TokenStatus::Revoked => language.pick("已撤销", "revoked"),
    }
}

/// `specflow token ...`
pub fn run(command: TokenCommand) -> anyhow::Result<ExitCode> {
    runtime()?.block_on(async {
        match command {
            TokenCommand::Create {
                name,
                role,
                committee,
                project,
                expires_in,
                database,
            } => {
                let store = open(&database, without_migrating()).await?;
                let expires_at = match expires_in {
                    Some(length) => {
                        let length = chrono::Duration::from_std(length).ok();
                        let expires_at = length.and_then(|length| {
                            store.clock().now().checked_add_signed(length)
                        });
                        Some(expires_at.context("--expires-in is too far in the future")?)
                    }
                    None => None,
                };
                let (created, token) = store
                    .create_token(
                        &name,
                        role,
                        committee.as_deref(),
                        project.as_deref(),
                        expires_at,
                    )
                    .await?;
                let expiry = token
                    .expires_at
                    .map_or_else(|| "never expires".to_string(), |at| format!("expires {}", shown(at)));
                eprintln!(
                    "created token {} ({}, {}; {expiry}), id {}",
                    token.name,
                    token.role,
                    scope(&store, &token).await?,
                    token.token_id
                );
                if let Some(committee) = &token.committee {
                    let filter = ProjectFilter {
                        committee: Some(committee.clone()),
                        ..ProjectFilter::default()
                    };
                    if store.list_projects(&filter, None, 1).await?.items.is_empty() {
                        eprintln!(
                            "note: no project of committee `{committee}` exists yet; committees are matched exactly, so check the spelling"
                        );
                    }
                }
                eprintln!(
                    "this token is shown once and never again (specflow keeps only its SHA-256): store it now"
                );
                println!("{}", created.bearer());
                store.close().await;
                Ok(ExitCode::SUCCESS)
            }
            TokenCommand::List {
                json,
                language,
                database,
            } => {
                let language = Language::from(language);
                let store = open(&database, without_migrating()).await?;
                let tokens = store.tokens().await?;
                if json {
                    for token in &tokens {
                        println!("{}", serde_json::to_string(token)?);
                    }
                } else {
                    let mut rows: Vec<[String; 7]> = Vec::with_capacity(tokens.len());
                    for token in &tokens {
                        let never = || language.pick("从不", "never").to_string();
                        rows.push([
                            token.name.clone(),
                            token.role.name(language).to_string(),
                            scope_text(
                                &store,
                                token.committee.as_deref(),
                                token.project_id,
                                language,
                            )
                            .await?,
                            status_text(token.status, language).to_string(),
                            shown(token.created_at),
                            token.expires_at.map(shown).unwrap_or_else(never),
                            token.last_used_at.map(shown).unwrap_or_else(never),
                        ]);
                    }
                    let mut out = String::new();
                    write_table(
                        &mut out,
                        &language.pick(
                            ["名称", "角色", "范围", "状态", "创建", "到期", "最近使用"],
                            ["name", "role", "scope", "status", "created", "expires", "last used"],
                        ),
                        &rows,
                    );
                    print!("{out}");
                }
                store.close().await;
                Ok(ExitCode::SUCCESS)
            }
            TokenCommand::Revoke { name, database } => {
                let store = open(&database, without_migrating()).await?;
                let code = if store.revoke_token(&name).await? {
                    println!("{name}: revoked");
                    ExitCode::SUCCESS
                } else {
                    match store.token(&name).await? {
                        // Revoking twice is not an error: the token is revoked, as asked.
                        Some(TokenSummary {
                            revoked_at: Some(revoked_at),
                            ..
                        }) => {
                            println!("{name}: already revoked at {}", shown(revoked_at));
                            ExitCode::SUCCESS
                        }
                        _ => {
                            eprintln!("{name}: no token has this name or id");
                            ExitCode::FAILURE
                        }
                    }
                };
                store.close().await;
                Ok(code)
            }
        }
    })
}
