//! `specflow user create|list|disable|reset-password|calendar`: the accounts people sign in to the
//! pages with, and their calendar feeds.
//!
//! A password is asked for twice on a terminal, without echo, or read from standard input with
//! `--password-stdin` (its first line, so `echo … |` and a file both work); it is checked before
//! the database is opened, and the store keeps only its Argon2id hash.

use super::database::{open, runtime};
use super::principals::scope_text;
use crate::cli::UserCommand;
use anyhow::{Context, bail};
use chrono::{DateTime, Utc};
use specflow_engine::Language;
use specflow_engine::render::write_table;
use specflow_store::accounts::check_password;
use specflow_store::{AccountSummary, Store, StoreOptions};
use std::io::{BufRead, IsTerminal};
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

/// What an account may reach, in words: `every project`, `committee …`, `project CODE`.
async fn scope(store: &Store, account: &AccountSummary) -> anyhow::Result<String> {
    Ok(match (&account.committee, account.project_id) {
        (Some(committee), _) => format!("committee {committee}"),
        (None, Some(project_id)) => match store.project_summary(project_id).await? {
            Some(project) => format!("project {}", project.code),
            None => format!("project {project_id}"),
        },
        (None, None) => "every project".to_string(),
    })
}

/// The new password of `name`: the first line of standard input with `--password-stdin`, or
/// typed twice on the terminal; refused when it is too short (or otherwise unfit).
fn read_password(name: &str, from_stdin: bool) -> anyhow::Result<String> {
    let password = if from_stdin {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .context("reading the password from standard input")?;
        line.trim_end_matches(['\n', '\r']).to_string()
    } else if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password(format!("password for {name}: "))
            .context("reading the password from the terminal")?;
        check_password(&first)?;
        let again = rpassword::prompt_password("the same password again: ")
            .context("reading the password from the terminal")?;
        if first != again {
            bail!("the two passwords differ: nothing was changed");
        }
        first
    } else {
        bail!(
            "standard input is not a terminal, so the password cannot be asked for: pass --password-stdin to read it from standard input"
        );
    };
    check_password(&password)?;
    Ok(password)
}

/// `specflow user ...`
pub fn run(command: UserCommand) -> anyhow::Result<ExitCode> {
    match command {
        UserCommand::Create {
            name,
            role,
            committee,
            project,
            password_stdin,
            database,
        } => {
            let password = read_password(&name, password_stdin)?;
            runtime()?.block_on(async {
                let store = open(&database, without_migrating()).await?;
                let account = store
                    .create_account(
                        &name,
                        role,
                        committee.as_deref(),
                        project.as_deref(),
                        &password,
                    )
                    .await?;
                println!(
                    "created account {} ({}, {}), id {}",
                    account.name,
                    account.role,
                    scope(&store, &account).await?,
                    account.account_id
                );
                store.close().await;
                Ok(ExitCode::SUCCESS)
            })
        }
        UserCommand::List {
            json,
            language,
            database,
        } => runtime()?.block_on(async {
            let language = Language::from(language);
            let store = open(&database, without_migrating()).await?;
            let accounts = store.accounts().await?;
            if json {
                for account in &accounts {
                    println!("{}", serde_json::to_string(account)?);
                }
            } else {
                let mut rows: Vec<[String; 6]> = Vec::with_capacity(accounts.len());
                for account in &accounts {
                    rows.push([
                        account.name.clone(),
                        account.role.name(language).to_string(),
                        scope_text(
                            &store,
                            account.committee.as_deref(),
                            account.project_id,
                            language,
                        )
                        .await?,
                        account.disabled_at.map_or_else(
                            || language.pick("有效", "active").to_string(),
                            |at| {
                                language.pick(
                                    format!("{} 停用", shown(at)),
                                    format!("disabled {}", shown(at)),
                                )
                            },
                        ),
                        shown(account.created_at),
                        shown(account.password_changed_at),
                    ]);
                }
                let mut out = String::new();
                write_table(
                    &mut out,
                    &language.pick(
                        ["名称", "角色", "范围", "状态", "创建", "设置密码"],
                        ["name", "role", "scope", "status", "created", "password set"],
                    ),
                    &rows,
                );
                print!("{out}");
            }
            store.close().await;
            Ok(ExitCode::SUCCESS)
        }),
        UserCommand::Disable { name, database } => runtime()?.block_on(async {
            let store = open(&database, without_migrating()).await?;
            let code = if store.disable_account(&name).await? {
                println!("{name}: disabled; its sessions are ended");
                ExitCode::SUCCESS
            } else {
                match store.account(&name).await? {
                    // Disabling twice is not an error: the account is disabled, as asked.
                    Some(AccountSummary {
                        disabled_at: Some(disabled_at),
                        ..
                    }) => {
                        println!("{name}: already disabled at {}", shown(disabled_at));
                        ExitCode::SUCCESS
                    }
                    _ => {
                        eprintln!("{name}: no account has this name");
                        ExitCode::FAILURE
                    }
                }
            };
            store.close().await;
            Ok(code)
        }),
        UserCommand::Calendar {
            name,
            stop,
            base_url,
            database,
        } => runtime()?.block_on(async {
            let store = open(&database, without_migrating()).await?;
            let code = if stop {
                stop_calendar_feed(&store, &name).await?
            } else {
                renew_calendar_feed(&store, &name, &base_url).await?
            };
            store.close().await;
            Ok(code)
        }),
        UserCommand::ResetPassword {
            name,
            password_stdin,
            database,
        } => {
            let password = read_password(&name, password_stdin)?;
            runtime()?.block_on(async {
                let store = open(&database, without_migrating()).await?;
                let code = if store.reset_password(&name, &password).await? {
                    println!("{name}: password reset; its sessions are ended");
                    ExitCode::SUCCESS
                } else {
                    eprintln!("{name}: no account has this name");
                    ExitCode::FAILURE
                };
                store.close().await;
                Ok(code)
            })
        }
    }
}

/// `specflow user calendar NAME --stop`.
async fn stop_calendar_feed(store: &Store, name: &str) -> anyhow::Result<ExitCode> {
    Ok(if store.revoke_calendar_feed(name).await? {
        println!("{name}: calendar feed stopped; its address no longer works");
        ExitCode::SUCCESS
    } else if store.account(name).await?.is_some() {
        println!("{name}: had no calendar feed");
        ExitCode::SUCCESS
    } else {
        eprintln!("{name}: no account has this name");
        ExitCode::FAILURE
    })
}

/// `specflow user calendar NAME`: a new address, printed once (in Chinese, then in English).
async fn renew_calendar_feed(
    store: &Store,
    name: &str,
    base_url: &str,
) -> anyhow::Result<ExitCode> {
    let Some(secret) = store.renew_calendar_feed(name).await? else {
        eprintln!("{name}: no account has this name, or it is disabled");
        return Ok(ExitCode::FAILURE);
    };
    let url = specflow_web::app::calendar::feed_url(base_url.trim_end_matches('/'), &secret);
    println!("{name}: calendar feed (shown once; any earlier address stops working):");
    println!("  {url}");
    println!("  {url}?lang=en");
    Ok(ExitCode::SUCCESS)
}
