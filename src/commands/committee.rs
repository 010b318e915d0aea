//! `specflow committee …`: committees as audited records, through the HTTP API.
//!
//! Like the project client, it talks to a running service with a bearer token and never opens the
//! database. Writes print the records they appended; a refusal prints every rule broken (with
//! the policy's source) and exits 1. `check` prints every breach, and the waiver covering it if
//! the bureau recorded one, and exits 1 when a breach is not waived.

use super::client::{
    Client, Failure, finish, json_line, local_time, mark, or_dash, print_json_lines,
};
use super::database::runtime;
use crate::cli::{ClientArgs, CommitteeCommand, MemberArgs};
use reqwest::Method;
use serde_json::{Value, json};
use specflow_engine::Language;
use specflow_engine::committee::CommitteePolicy;
use specflow_engine::render::write_table;
use specflow_web::api::committees::{
    CommitteeHistory, CommitteeStateAnswer, CommitteeVerification, CommitteeWriteAnswer,
    CompositionAnswer, RollAnswer,
};
use specflow_web::api::wire::CommitteeSummary;
use std::process::ExitCode;
use std::sync::OnceLock;

/// `specflow committee ...`
pub fn run(command: CommitteeCommand) -> anyhow::Result<ExitCode> {
    let json = client_of(&command).json;
    runtime()?.block_on(async {
        let mut exit = ExitCode::SUCCESS;
        let outcome = match command {
            CommitteeCommand::List { client } => list(&client).await,
            CommitteeCommand::Form {
                code,
                name_zh,
                name_en,
                field,
                legal_metrology,
                composition_plan,
                formed_on,
                client,
            } => {
                let body = json!({
                    "code": code,
                    "name": {"zh": name_zh, "en": name_en},
                    "field": field,
                    "legal_metrology": legal_metrology,
                    "composition_plan": composition_plan,
                    "formed_on": formed_on,
                });
                post(&client, &["committees"], body).await
            }
            CommitteeCommand::Appoint {
                committee,
                member,
                client,
            } => post(&client, &["committees", &committee, "appointments"], member_body(&member)).await,
            CommitteeCommand::Reappoint {
                committee,
                member,
                client,
            } => post(&client, &["committees", &committee, "reappointments"], member_body(&member)).await,
            CommitteeCommand::Resign {
                committee,
                person,
                effective_on,
                reason,
                client,
            } => {
                let body = json!({"person": person, "effective_on": effective_on, "reason": reason});
                post(&client, &["committees", &committee, "resignations"], body).await
            }
            CommitteeCommand::Waive {
                committee,
                rule,
                subject,
                up_to,
                reason,
                authority,
                client,
            } => {
                let body = json!({"rule": rule, "subject": subject, "up_to": up_to, "reason": reason, "authority": authority});
                post(&client, &["committees", &committee, "waivers"], body).await
            }
            CommitteeCommand::Secretariat {
                committee,
                organisation,
                since,
                client,
            } => {
                let body = json!({"organisation": organisation, "since": since});
                post(&client, &["committees", &committee, "secretariat"], body).await
            }
            CommitteeCommand::StartTerm {
                committee,
                starts_on,
                ends_on,
                client,
            } => {
                let body = json!({"starts_on": starts_on, "ends_on": ends_on});
                post(&client, &["committees", &committee, "terms"], body).await
            }
            CommitteeCommand::EndTerm {
                committee,
                ended_on,
                reason,
                client,
            } => {
                let body = json!({"ended_on": ended_on, "reason": reason});
                post(&client, &["committees", &committee, "terms", "end"], body).await
            }
            CommitteeCommand::Check {
                committee,
                as_of,
                client,
            } => check(&client, &committee, as_of, &mut exit).await,
            CommitteeCommand::Show {
                committee,
                as_of,
                client,
            } => show(&client, &committee, as_of).await,
            CommitteeCommand::Roll {
                committee,
                on,
                client,
            } => roll(&client, &committee, on).await,
            CommitteeCommand::History { committee, client } => {
                history(&client, &committee).await
            }
            CommitteeCommand::Verify { committee, client } => {
                verify(&client, &committee, &mut exit).await
            }
        };
        finish(outcome, json).map(|code| if code == ExitCode::SUCCESS { exit } else { code })
    })
}

/// The server, token and output flags a committee command was given.
fn client_of(command: &CommitteeCommand) -> &ClientArgs {
    match command {
        CommitteeCommand::List { client }
        | CommitteeCommand::Form { client, .. }
        | CommitteeCommand::Appoint { client, .. }
        | CommitteeCommand::Reappoint { client, .. }
        | CommitteeCommand::Resign { client, .. }
        | CommitteeCommand::Waive { client, .. }
        | CommitteeCommand::Secretariat { client, .. }
        | CommitteeCommand::StartTerm { client, .. }
        | CommitteeCommand::EndTerm { client, .. }
        | CommitteeCommand::Check { client, .. }
        | CommitteeCommand::Show { client, .. }
        | CommitteeCommand::Roll { client, .. }
        | CommitteeCommand::History { client, .. }
        | CommitteeCommand::Verify { client, .. } => client,
    }
}

fn member_body(member: &MemberArgs) -> Value {
    json!({
        "person": member.person,
        "organisation": member.organisation,
        "title_level": member.title_level,
        "administrative": member.administrative,
        "metrology_professional": member.metrology_professional,
        "role": member.role,
        "term": member.term,
        "effective_on": member.effective_on,
    })
}

async fn post(args: &ClientArgs, segments: &[&str], body: Value) -> Result<(), Failure> {
    let client = Client::new(args)?;
    let url = client.url(segments, &[])?;
    let answer: CommitteeWriteAnswer = client.request(Method::POST, url, Some(body), None).await?;
    if args.json {
        println!("{}", json_line(&answer)?);
    } else {
        println!(
            "{}",
            client.words().pick(
                format!(
                    "{}：已记录 {}–{}，链头哈希 {}",
                    answer.code, answer.first_sequence, answer.last_sequence, answer.head_hash
                ),
                format!(
                    "{}: records {} to {}, head {}",
                    answer.code, answer.first_sequence, answer.last_sequence, answer.head_hash
                )
            )
        );
    }
    Ok(())
}

/// The shipped composition policy, for the names of roles and title levels: the API answers
/// with their codes, and a server runs the shipped policy unless its workflow folder has another
/// (a role the shipped policy does not know is printed as its code).
fn policy() -> Option<&'static CommitteePolicy> {
    static POLICY: OnceLock<Option<CommitteePolicy>> = OnceLock::new();
    POLICY
        .get_or_init(|| {
            let text = crate::workflow_files::embedded("committees/policy.toml")?;
            CommitteePolicy::from_toml("committees/policy.toml", text).ok()
        })
        .as_ref()
}

/// A member role's name in `language`.
fn role_name(code: &str, language: Language) -> String {
    policy().map_or_else(
        || code.to_string(),
        |policy| policy.role_name(code).get(language).to_string(),
    )
}

/// A committee record's kind of event in words.
fn event_words(event_type: &str, language: Language) -> String {
    let (zh, en) = match event_type {
        "committee_formed" => ("组建技术委员会", "committee formed"),
        "secretariat_assigned" => ("指定秘书处", "secretariat assigned"),
        "term_started" => ("换届（新一届开始）", "term started"),
        "member_appointed" => ("聘任委员", "member appointed"),
        "member_reappointed" => ("续聘委员", "member reappointed"),
        "member_resigned" => ("委员辞任", "member resigned"),
        "waiver_recorded" => ("记录组成规则豁免", "waiver recorded"),
        "term_ending_warned" => ("任期即将届满提醒", "term ending soon"),
        "term_ended" => ("任期届满", "term ended"),
        "end_of_term_report_due" => ("届末工作报告到期", "end-of-term report due"),
        other => return other.to_string(),
    };
    language.pick(zh, en).to_string()
}

async fn show(args: &ClientArgs, committee: &str, as_of: Option<String>) -> Result<(), Failure> {
    let client = Client::new(args)?;
    let query: Vec<(&str, String)> = as_of.map(|as_of| ("as_of", as_of)).into_iter().collect();
    let answer: CommitteeStateAnswer = client
        .get(client.url(&["committees", committee], &query)?)
        .await?;
    if args.json {
        println!("{}", json_line(&answer)?);
        return Ok(());
    }
    let language = client.words();
    let state = &answer.state;
    let as_of = local_time(answer.as_of);
    match &state.profile {
        Some(profile) => println!(
            "{}",
            language.pick(
                format!(
                    "{} {}（{}），{} 组建，{} 条记录，截至 {as_of}",
                    profile.code, profile.name.zh, profile.field, profile.formed_on, state.sequence
                ),
                format!(
                    "{} {} ({}), formed {}, {} record(s), as of {as_of}",
                    profile.code, profile.name.en, profile.field, profile.formed_on, state.sequence
                )
            )
        ),
        None => println!(
            "{}",
            language.pick(
                format!("截至 {as_of} 尚未组建"),
                format!("not formed as of {as_of}")
            )
        ),
    }
    if let Some(secretariat) = &state.secretariat {
        println!(
            "{}",
            language.pick(
                format!(
                    "秘书处：{}（{} 起）",
                    secretariat.organisation, secretariat.since
                ),
                format!(
                    "secretariat: {} since {}",
                    secretariat.organisation, secretariat.since
                )
            )
        );
    }
    let terms: Vec<[String; 4]> = state
        .terms
        .iter()
        .map(|term| {
            [
                term.term.to_string(),
                term.starts_on.to_string(),
                term.ends_on.to_string(),
                or_dash(term.ended_on),
            ]
        })
        .collect();
    let mut out = String::new();
    write_table(
        &mut out,
        &language.pick(
            ["届次", "开始", "届满", "提前结束"],
            ["term", "starts", "ends", "ended"],
        ),
        &terms,
    );
    let appointments: Vec<[String; 5]> = state
        .appointments
        .iter()
        .map(|appointment| {
            [
                appointment.person.clone(),
                appointment.organisation.clone(),
                role_name(&appointment.role, language),
                appointment.term.to_string(),
                or_dash(appointment.resigned_on),
            ]
        })
        .collect();
    out.push('\n');
    write_table(
        &mut out,
        &language.pick(
            ["姓名", "单位", "职务", "届次", "辞任日期"],
            ["person", "organisation", "role", "term", "resigned"],
        ),
        &appointments,
    );
    print!("{out}");
    Ok(())
}

/// The Chinese or the English text, as the command line's language asks.
fn in_language<'a>(args: &ClientArgs, zh: &'a str, en: &'a str) -> &'a str {
    if matches!(args.language, crate::cli::LanguageArg::En) {
        en
    } else {
        zh
    }
}

async fn list(args: &ClientArgs) -> Result<(), Failure> {
    let client = Client::new(args)?;
    let items: Vec<CommitteeSummary> = client.get(client.url(&["committees"], &[])?).await?;
    if args.json {
        print_json_lines(&items)?;
        return Ok(());
    }
    let english = matches!(args.language, crate::cli::LanguageArg::En);
    let rows: Vec<[String; 5]> = items
        .iter()
        .map(|item| {
            [
                item.code.clone(),
                if english {
                    item.name.en.clone()
                } else {
                    item.name.zh.clone()
                },
                item.field.clone(),
                mark(item.legal_metrology),
                or_dash(item.current_term),
            ]
        })
        .collect();
    let language = client.words();
    let mut out = String::new();
    write_table(
        &mut out,
        &language.pick(
            ["编号", "名称", "专业领域", "法制计量", "届次"],
            ["code", "name", "field", "legal", "term"],
        ),
        &rows,
    );
    print!("{out}");
    println!(
        "{}",
        language.pick(
            format!("共 {} 个技术委员会", items.len()),
            format!("{} committee(s)", items.len())
        )
    );
    Ok(())
}

async fn check(
    args: &ClientArgs,
    committee: &str,
    as_of: Option<String>,
    exit: &mut ExitCode,
) -> Result<(), Failure> {
    let client = Client::new(args)?;
    let query: Vec<(&str, String)> = as_of.map(|as_of| ("as_of", as_of)).into_iter().collect();
    let answer: CompositionAnswer = client
        .get(client.url(&["committees", committee, "composition"], &query)?)
        .await?;
    let check = &answer.check;
    if !check.compliant {
        *exit = ExitCode::FAILURE;
    }
    if args.json {
        println!("{}", json_line(&answer)?);
        return Ok(());
    }
    let language = client.words();
    println!(
        "{}",
        language.pick(
            format!(
                "{} {}（第 {} 届）：{} 名委员",
                check.committee,
                check.on,
                or_dash(check.term),
                check.members.len()
            ),
            format!(
                "{} on {} (term {}): {} member(s)",
                check.committee,
                check.on,
                or_dash(check.term),
                check.members.len()
            )
        )
    );
    for breach in &check.breaches {
        let status = match &breach.waived_by {
            None => language.pick("未豁免", "BREACH").to_string(),
            Some(waiver) => language.pick(
                format!("已由 {} 豁免（{}）", waiver.authority, waiver.reason),
                format!("waived by {} ({})", waiver.authority, waiver.reason),
            ),
        };
        println!(
            "  - [{}] {} — {status}",
            breach.rule,
            in_language(args, &breach.message.zh, &breach.message.en)
        );
    }
    for waiver in &check.waivers {
        let bound = waiver
            .up_to
            .map(|up_to| {
                let (zh, en) = (format!(" 至多{up_to}人"), format!(" up to {up_to}"));
                in_language(args, &zh, &en).to_string()
            })
            .unwrap_or_default();
        println!(
            "{}",
            language.pick(
                format!(
                    "  豁免：{} {}{bound}，依据 {}：{}",
                    waiver.rule,
                    waiver.subject.as_deref().unwrap_or("-"),
                    waiver.authority,
                    waiver.reason
                ),
                format!(
                    "  waiver: {} {}{bound} by {}: {}",
                    waiver.rule,
                    waiver.subject.as_deref().unwrap_or("-"),
                    waiver.authority,
                    waiver.reason
                )
            )
        );
    }
    if check.breaches.is_empty() {
        println!(
            "{}",
            language.pick("  每条规则都满足", "  every rule holds")
        );
    }
    Ok(())
}

async fn roll(args: &ClientArgs, committee: &str, on: Option<String>) -> Result<(), Failure> {
    let client = Client::new(args)?;
    let query: Vec<(&str, String)> = on.map(|on| ("on", on)).into_iter().collect();
    let answer: RollAnswer = client
        .get(client.url(&["committees", committee, "roll"], &query)?)
        .await?;
    if args.json {
        println!("{}", json_line(&answer)?);
        return Ok(());
    }
    let language = client.words();
    let rows: Vec<[String; 4]> = answer
        .roll
        .iter()
        .map(|entry| {
            [
                entry.person.clone(),
                entry.organisation.clone(),
                role_name(&entry.role, language),
                mark(entry.votes),
            ]
        })
        .collect();
    let mut out = String::new();
    write_table(
        &mut out,
        &language.pick(
            ["姓名", "单位", "职务", "有表决权"],
            ["person", "organisation", "role", "votes"],
        ),
        &rows,
    );
    print!("{out}");
    Ok(())
}

async fn history(args: &ClientArgs, committee: &str) -> Result<(), Failure> {
    let client = Client::new(args)?;
    let answer: CommitteeHistory = client
        .get(client.url(&["committees", committee, "history"], &[])?)
        .await?;
    let records = answer.records;
    if args.json {
        print_json_lines(&records)?;
        return Ok(());
    }
    let language = client.words();
    let rows: Vec<[String; 5]> = records
        .iter()
        .map(|record| {
            [
                record.sequence.to_string(),
                // A record that no longer reads is shown as stored.
                chrono::DateTime::parse_from_rfc3339(&record.recorded_at)
                    .map(|instant| local_time(instant.with_timezone(&chrono::Utc)))
                    .unwrap_or_else(|_| record.recorded_at.clone()),
                record.actor_id.clone(),
                event_words(&record.event_type, language),
                record.hash.chars().take(12).collect(),
            ]
        })
        .collect();
    let mut out = String::new();
    write_table(
        &mut out,
        &language.pick(
            ["序号", "时间", "执行者", "事件", "哈希"],
            ["seq", "recorded at", "actor", "event", "hash"],
        ),
        &rows,
    );
    print!("{out}");
    Ok(())
}

async fn verify(args: &ClientArgs, committee: &str, exit: &mut ExitCode) -> Result<(), Failure> {
    let client = Client::new(args)?;
    let url = client.url(&["committees", committee, "verify"], &[])?;
    let answer: CommitteeVerification = client.request(Method::POST, url, None, None).await?;
    if !answer.valid {
        *exit = ExitCode::FAILURE;
    }
    let language = client.words();
    if args.json {
        println!("{}", json_line(&answer)?);
    } else if answer.valid {
        println!(
            "{}",
            language.pick(
                format!(
                    "校验通过：{} 条记录，链头哈希 {}",
                    or_dash(answer.records),
                    answer.head_hash.as_deref().unwrap_or("-")
                ),
                format!(
                    "verified: {} record(s), head {}",
                    or_dash(answer.records),
                    answer.head_hash.as_deref().unwrap_or("-")
                )
            )
        );
    } else {
        let failure = answer
            .failure
            .as_ref()
            .map(|failure| format!(": {failure}"))
            .unwrap_or_default();
        println!(
            "{}",
            language.pick(
                format!("校验未通过{failure}"),
                format!("NOT VERIFIED{failure}")
            )
        );
    }
    Ok(())
}
