//! `specflow outbox list|retry` and `specflow webhook set|list|remove`: the notification outbox
//! and where it is delivered; and the deliverer that `specflow scheduler` and `serve` run.

use super::database::{open, runtime};
use crate::cli::{ChannelCommand, MailArgs, OutboxCommand, WebhookCommand};
use specflow_engine::render::write_table;
use specflow_jobs::{Deliverer, DeliveryError, DeliveryOptions};
use specflow_store::outbox::ChannelSettings;
use specflow_store::{OutboxFilter, OutboxStatus, RetrySelection};
use specflow_store::{Store, StoreOptions};
use std::process::ExitCode;
use tokio::sync::watch;

/// An audience by its role's name when it is a role (a webhook's audience may be any name).
fn audience_text(audience: &str, language: specflow_engine::Language) -> String {
    match audience.parse::<specflow_store::auth::Role>() {
        Ok(role) => role.name(language).to_string(),
        Err(_) => audience.to_string(),
    }
}

/// The last delivery error: specflow's own waiting reason in the reader's language; a
/// receiver's or the network's answer as it came.
fn error_text(error: Option<&str>, language: specflow_engine::Language) -> String {
    match error {
        Some(specflow_store::outbox::NO_WEBHOOK_ERROR) => language
            .pick(
                "该接收方尚未配置 webhook",
                specflow_store::outbox::NO_WEBHOOK_ERROR,
            )
            .to_string(),
        Some(other) => other.to_string(),
        None => String::new(),
    }
}

/// A notification's status in words.
fn status_text(status: OutboxStatus, language: specflow_engine::Language) -> &'static str {
    match status {
        OutboxStatus::Pending => language.pick("待发送", "pending"),
        OutboxStatus::Delivered => language.pick("已送达", "delivered"),
        OutboxStatus::Dead => language.pick("已放弃", "dead"),
    }
}

/// A deliverer for `store`, sending e-mail through `mail`'s SMTP server when one is named.
fn deliverer(store: &Store, mail: &MailArgs) -> Result<Deliverer, DeliveryError> {
    let deliverer = Deliverer::new(store.clone(), DeliveryOptions::default())?
        .with_public_url(mail.public_url.clone());
    match mail.settings() {
        Some(settings) => deliverer.with_email(&settings),
        None => Ok(deliverer),
    }
}

/// Starts the notification deliverer on its own task; it stops when `shutdown` turns true.
pub fn spawn_deliverer(
    store: &Store,
    mail: &MailArgs,
    shutdown: watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    let store = store.clone();
    let mail = mail.clone();
    tokio::spawn(async move {
        match deliverer(&store, &mail) {
            Ok(deliverer) => {
                deliverer.run(store.outbox_wake(), shutdown).await;
            }
            Err(error) => {
                tracing::error!(%error, "the notification deliverer could not start; notifications stay in the outbox");
            }
        }
    })
}

fn read_only() -> StoreOptions {
    StoreOptions {
        migrate: false,
        ..StoreOptions::default()
    }
}

/// `specflow outbox ...`
pub fn run_outbox(command: OutboxCommand) -> anyhow::Result<ExitCode> {
    runtime()?.block_on(async {
        match command {
            OutboxCommand::List {
                status,
                project,
                audience,
                after,
                limit,
                json,
                language,
                database,
            } => {
                let language = specflow_engine::Language::from(language);
                let store = open(&database, read_only()).await?;
                let project_id = match project {
                    Some(project) => Some(store.resolve_project(&project).await?),
                    None => None,
                };
                let status = status
                    .map(|text| text.parse::<OutboxStatus>())
                    .transpose()?;
                let filter = OutboxFilter {
                    status,
                    project_id,
                    audience,
                };
                let page = store.list_outbox(&filter, after.as_deref(), limit).await?;
                if json {
                    for item in &page.items {
                        println!("{}", serde_json::to_string(item)?);
                    }
                } else {
                    let rows: Vec<[String; 7]> = page
                        .items
                        .iter()
                        .map(|item| {
                            [
                                item.notification_id.clone(),
                                format!("{}#{}", item.project_id, item.sequence),
                                audience_text(&item.audience, language),
                                item.event_type.clone(),
                                status_text(item.status, language).to_string(),
                                item.attempts.to_string(),
                                error_text(item.last_error.as_deref(), language),
                            ]
                        })
                        .collect();
                    let mut out = String::new();
                    write_table(
                        &mut out,
                        &language.pick(
                            [
                                "编号",
                                "记录",
                                "接收方",
                                "事件",
                                "状态",
                                "尝试次数",
                                "最近错误",
                            ],
                            [
                                "id",
                                "record",
                                "audience",
                                "event",
                                "status",
                                "attempts",
                                "last error",
                            ],
                        ),
                        &rows,
                    );
                    print!("{out}");
                    if let Some(next) = &page.next_after {
                        println!(
                            "{}",
                            language.pick(
                                format!("下一页：--after {next}"),
                                format!("more: --after {next}")
                            )
                        );
                    }
                }
                let backlog = store.outbox_backlog().await?;
                eprintln!(
                    "{}",
                    language.pick(
                        format!(
                            "发件箱：待发送 {}，已送达 {}，已放弃 {}",
                            backlog.pending, backlog.delivered, backlog.dead
                        ),
                        format!(
                            "outbox: {} pending, {} delivered, {} dead",
                            backlog.pending, backlog.delivered, backlog.dead
                        )
                    )
                );
                store.close().await;
                Ok(ExitCode::SUCCESS)
            }
            OutboxCommand::Retry {
                ids,
                all_dead,
                database,
            } => {
                let store = open(&database, read_only()).await?;
                let selection = if all_dead {
                    RetrySelection::AllDead
                } else if ids.is_empty() {
                    anyhow::bail!("name the notifications to retry, or pass --all-dead");
                } else {
                    RetrySelection::Notifications(ids)
                };
                let count = store.retry_notifications(&selection).await?;
                println!("{count} dead notification(s) queued again for delivery");
                store.close().await;
                Ok(ExitCode::SUCCESS)
            }
        }
    })
}

/// `specflow webhook ...`
pub fn run_webhook(command: WebhookCommand) -> anyhow::Result<ExitCode> {
    runtime()?.block_on(async {
        match command {
            WebhookCommand::Set {
                audience,
                receiver,
                secret,
                max_attempts,
                timeout,
                database,
            } => {
                let store = open(&database, read_only()).await?;
                let webhook = store
                    .set_webhook(&audience, &receiver, &secret, max_attempts, timeout)
                    .await?;
                println!(
                    "{}: {} (up to {} attempts, {} ms timeout)",
                    webhook.audience, webhook.url, webhook.max_attempts, webhook.timeout_millis
                );
                store.close().await;
                Ok(ExitCode::SUCCESS)
            }
            WebhookCommand::List {
                json,
                language,
                database,
            } => {
                let language = specflow_engine::Language::from(language);
                let store = open(&database, read_only()).await?;
                let webhooks = store.webhooks().await?;
                if json {
                    for webhook in &webhooks {
                        println!("{}", serde_json::to_string(webhook)?);
                    }
                } else {
                    let rows: Vec<[String; 5]> = webhooks
                        .iter()
                        .map(|webhook| {
                            [
                                audience_text(&webhook.audience, language),
                                webhook.url.clone(),
                                webhook.secret.to_string(),
                                webhook.max_attempts.to_string(),
                                format!("{} ms", webhook.timeout_millis),
                            ]
                        })
                        .collect();
                    let mut out = String::new();
                    write_table(
                        &mut out,
                        &language.pick(
                            ["接收方", "地址", "密钥", "尝试次数", "超时"],
                            ["audience", "url", "secret", "attempts", "timeout"],
                        ),
                        &rows,
                    );
                    print!("{out}");
                }
                store.close().await;
                Ok(ExitCode::SUCCESS)
            }
            WebhookCommand::Remove { audience, database } => {
                remove_channel(&database, &audience, "webhook").await
            }
        }
    })
}

/// `specflow channel ...`
pub fn run_channel(command: ChannelCommand) -> anyhow::Result<ExitCode> {
    runtime()?.block_on(async {
        match command {
            ChannelCommand::Set {
                audience,
                kind,
                person,
                events,
                digest,
                address,
                secret,
                language,
                max_attempts,
                timeout,
                database,
            } => {
                if person {
                    let choices = PersonChoices {
                        address: &address,
                        language: language.into(),
                        events: &events,
                        digest,
                    };
                    return set_person_channel(&database, &audience, kind, &choices).await;
                }
                let Some(kind) = kind else {
                    anyhow::bail!("--kind is needed for an audience's channel");
                };
                let settings = ChannelSettings {
                    kind: kind.into(),
                    address: &address,
                    secret: &secret,
                    language: language.into(),
                    max_attempts,
                    timeout,
                };
                set_channel(&database, &audience, &settings).await
            }
            ChannelCommand::List {
                json,
                language,
                database,
            } => list_channels(&database, json, language.into()).await,
            ChannelCommand::Remove {
                audience,
                person: true,
                database,
            } => remove_person_channel(&database, &audience).await,
            ChannelCommand::Remove {
                audience, database, ..
            } => remove_channel(&database, &audience, "channel").await,
            ChannelCommand::Test {
                audience,
                person,
                mail,
                database,
            } => test_channel(&database, &audience, person, &mail).await,
        }
    })
}

/// What `channel set --person` sets.
struct PersonChoices<'a> {
    address: &'a str,
    language: specflow_engine::Language,
    events: &'a [String],
    digest: bool,
}

/// `specflow channel set --person NAME ADDRESS`: the address, whose proving message goes out,
/// and the kinds of event and the digest, checked as the page checks them.
async fn set_person_channel(
    database: &crate::cli::DatabaseArgs,
    name: &str,
    kind: Option<crate::cli::ChannelKindArg>,
    choices: &PersonChoices<'_>,
) -> anyhow::Result<ExitCode> {
    if kind.is_some_and(|kind| !matches!(kind, crate::cli::ChannelKindArg::Email)) {
        anyhow::bail!("a person's own channel is e-mail: leave out --kind or give --kind email");
    }
    let store = open(database, read_only()).await?;
    let outcome = set_person(&store, name, choices).await;
    store.close().await;
    match outcome {
        Ok(message) => {
            println!("{message}");
            Ok(ExitCode::SUCCESS)
        }
        Err(problem) => {
            eprintln!("{name}: {}", problem.detail.get(choices.language));
            Ok(ExitCode::FAILURE)
        }
    }
}

async fn set_person(
    store: &Store,
    name: &str,
    choices: &PersonChoices<'_>,
) -> Result<String, specflow_web::app::problem::Problem> {
    use specflow_store::personal_email::AddressChange;
    use specflow_web::app::personal_email::{check_choices, set_address, set_choices};
    let state = specflow_web::AppState {
        store: store.clone(),
        metrics: specflow_store::metrics::Metrics::shared(),
    };
    let account = store
        .account(name)
        .await?
        .filter(|account| account.disabled_at.is_none())
        .ok_or_else(|| {
            specflow_web::app::problem::Problem::new(
                specflow_web::app::problem::ProblemKind::NotFound,
                format!("没有可用的账户「{name}」"),
                format!("there is no active account {name}"),
            )
        })?;
    // Everything is checked before the address is set, so a refusal leaves nothing half-done.
    check_choices(&state, choices.events).await?;
    specflow_web::app::personal_email::check_address(choices.address)?;
    let change = set_address(&state, &account, choices.address, choices.language).await?;
    set_choices(&state, &account, choices.events, choices.digest).await?;
    let address = choices.address.trim();
    Ok(match change {
        AddressChange::VerificationSent => format!(
            "{name}: a message with a confirmation link is on its way to {address}; nothing else is sent there until it is opened"
        ),
        AddressChange::AlreadyVerified => format!("{name}: {address} (confirmed) kept"),
    })
}

/// `specflow channel remove --person NAME`.
async fn remove_person_channel(
    database: &crate::cli::DatabaseArgs,
    name: &str,
) -> anyhow::Result<ExitCode> {
    let store = open(database, read_only()).await?;
    let removed = store.remove_person_email(name).await;
    store.close().await;
    if removed? {
        println!("{name}: address removed");
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!("{name}: has no e-mail address");
        Ok(ExitCode::FAILURE)
    }
}

/// `specflow channel remove` and `specflow webhook remove` (`what` names it in the message).
async fn remove_channel(
    database: &crate::cli::DatabaseArgs,
    audience: &str,
    what: &str,
) -> anyhow::Result<ExitCode> {
    let store = open(database, read_only()).await?;
    let removed = store.remove_webhook(audience).await;
    store.close().await;
    if removed? {
        println!("{audience}: removed");
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!("{audience}: no {what} is configured for this audience");
        Ok(ExitCode::FAILURE)
    }
}

/// `specflow channel set`.
async fn set_channel(
    database: &crate::cli::DatabaseArgs,
    audience: &str,
    settings: &ChannelSettings<'_>,
) -> anyhow::Result<ExitCode> {
    let store = open(database, read_only()).await?;
    let channel = store.set_channel(audience, settings).await;
    store.close().await;
    let channel = channel?;
    println!(
        "{}: {} {} (up to {} attempts, {} ms timeout)",
        channel.audience, channel.kind, channel.url, channel.max_attempts, channel.timeout_millis
    );
    Ok(ExitCode::SUCCESS)
}

/// `specflow channel list`: a table in `language`, or JSON Lines.
async fn list_channels(
    database: &crate::cli::DatabaseArgs,
    json: bool,
    language: specflow_engine::Language,
) -> anyhow::Result<ExitCode> {
    let store = open(database, read_only()).await?;
    let channels = store.webhooks().await;
    let people = store.person_emails().await;
    store.close().await;
    let (channels, people) = (channels?, people?);
    if json {
        for channel in &channels {
            println!("{}", serde_json::to_string(channel)?);
        }
        for person in &people {
            println!("{}", serde_json::json!({ "person": person }));
        }
        return Ok(ExitCode::SUCCESS);
    }
    print!("{}", people_table(&people, language));
    let rows: Vec<[String; 6]> = channels
        .iter()
        .map(|channel| {
            [
                audience_text(&channel.audience, language),
                channel.kind.to_string(),
                channel.url.clone(),
                match channel.language {
                    specflow_engine::Language::Zh => language.pick("中文", "Chinese"),
                    specflow_engine::Language::En => language.pick("英文", "English"),
                }
                .to_string(),
                channel.max_attempts.to_string(),
                format!("{} ms", channel.timeout_millis),
            ]
        })
        .collect();
    let mut out = String::new();
    write_table(
        &mut out,
        &language.pick(
            ["接收方", "方式", "地址", "语言", "尝试次数", "超时"],
            [
                "audience", "kind", "address", "language", "attempts", "timeout",
            ],
        ),
        &rows,
    );
    print!("{out}");
    Ok(ExitCode::SUCCESS)
}

/// The outbox channel of the account `name`'s confirmed address, or why it has none.
async fn person_channel(store: &Store, name: &str) -> anyhow::Result<String> {
    let Some(account) = store.account(name).await? else {
        anyhow::bail!("there is no such account");
    };
    match store.person_email(account.account_id).await? {
        Some(settings) if settings.verified_at.is_some() => Ok(format!(
            "{}{}",
            specflow_store::personal_email::PERSON_AUDIENCE_PREFIX,
            account.account_id
        )),
        Some(settings) => anyhow::bail!(
            "{} is not confirmed yet: the link sent to it has not been opened",
            settings.address
        ),
        None => anyhow::bail!("has no e-mail address (specflow channel set --person)"),
    }
}

/// People's own e-mail, as `channel list` prints it after the audiences' channels (nothing
/// when nobody has set an address).
fn people_table(
    people: &[specflow_store::personal_email::PersonEmail],
    language: specflow_engine::Language,
) -> String {
    if people.is_empty() {
        return String::new();
    }
    let rows: Vec<[String; 5]> = people
        .iter()
        .map(|person| {
            [
                person.name.clone(),
                person.address.clone(),
                match person.verified_at {
                    Some(at) => at.format("%Y-%m-%d").to_string(),
                    None => language.pick("待确认", "waiting").to_string(),
                },
                language
                    .pick(
                        if person.digest { "是" } else { "否" },
                        if person.digest { "yes" } else { "no" },
                    )
                    .to_string(),
                person.event_types.join(","),
            ]
        })
        .collect();
    let mut out = String::new();
    write_table(
        &mut out,
        &language.pick(
            ["个人", "邮箱", "确认于", "每日摘要", "事件"],
            ["person", "address", "confirmed", "digest", "events"],
        ),
        &rows,
    );
    out.push('\n');
    out
}

/// `specflow channel test`: a test message sent now, and the receiver's answer.
async fn test_channel(
    database: &crate::cli::DatabaseArgs,
    audience: &str,
    person: bool,
    mail: &MailArgs,
) -> anyhow::Result<ExitCode> {
    let store = open(database, read_only()).await?;
    let audience = if person {
        match person_channel(&store, audience).await {
            Ok(channel) => channel,
            Err(error) => {
                store.close().await;
                eprintln!("{audience}: {error}");
                return Ok(ExitCode::FAILURE);
            }
        }
    } else {
        audience.to_string()
    };
    let audience = audience.as_str();
    let targets = store.webhook_targets().await;
    let target = match targets {
        Ok(mut targets) => targets.remove(audience),
        Err(error) => {
            store.close().await;
            return Err(error.into());
        }
    };
    let Some(target) = target else {
        store.close().await;
        eprintln!("{audience}: no channel is configured for this audience");
        return Ok(ExitCode::FAILURE);
    };
    let answer = match deliverer(&store, mail) {
        Ok(deliverer) => deliverer.send_test(audience, &target).await,
        Err(error) => Err(error.to_string()),
    };
    store.close().await;
    Ok(match answer {
        Ok(()) => {
            println!(
                "{audience}: the {} channel accepted the test message",
                target.kind
            );
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!(
                "{audience}: the {} channel did not accept the test message: {error}",
                target.kind
            );
            ExitCode::FAILURE
        }
    })
}
