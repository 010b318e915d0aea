//! `specflow committee …`: committees as audited records, through the HTTP API.
//!
//! Like the project client, it talks to a running service with a bearer token and never opens the
//! database. Writes print the records they appended; a refusal prints every rule broken (with
//! the policy's source) and exits 1. `check` prints every breach, and the waiver covering it if
//! the bureau recorded one, and exits 1 when a breach is not waived.

use super::client::{Client, Failure, finish, json_line, mark, or_dash, print_json_lines};
use super::database::runtime;
use crate::cli::{ClientArgs, CommitteeCommand, MemberArgs};
use reqwest::Method;
use serde_json::{Value, json};
use specflow_engine::audit::canonical_instant;
use specflow_engine::render::write_table;
use specflow_web::api::committees::{
    CommitteeHistory, CommitteeStateAnswer, CommitteeVerification, CommitteeWriteAnswer,
    CompositionAnswer, RollAnswer,
};
use specflow_web::api::wire::CommitteeSummary;
use std::process::ExitCode;

/// `specflow committee ...`
pub fn run(command: CommitteeCommand) -> anyhow::Result<ExitCode> {
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
        finish(outcome).map(|code| if code == ExitCode::SUCCESS { exit } else { code })
    })
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
            "{}: records {} to {}, head {}",
            answer.code, answer.first_sequence, answer.last_sequence, answer.head_hash
        );
    }
    Ok(())
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
    let state = &answer.state;
    match &state.profile {
        Some(profile) => println!(
            "{} {} ({}), formed {}, {} record(s), as of {}",
            profile.code,
            in_language(args, &profile.name.zh, &profile.name.en),
            profile.field,
            profile.formed_on,
            state.sequence,
            canonical_instant(answer.as_of)
        ),
        None => println!("not formed as of {}", canonical_instant(answer.as_of)),
    }
    if let Some(secretariat) = &state.secretariat {
        println!(
            "secretariat: {} since {}",
            secretariat.organisation, secretariat.since
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
    write_table(&mut out, &["term", "starts", "ends", "ended"], &terms);
    let appointments: Vec<[String; 5]> = state
        .appointments
        .iter()
        .map(|appointment| {
            [
                appointment.person.clone(),
                appointment.organisation.clone(),
                appointment.role.clone(),
                appointment.term.to_string(),
                or_dash(appointment.resigned_on),
            ]
        })
        .collect();
    out.push('\n');
    write_table(
        &mut out,
        &["person", "organisation", "role", "term", "resigned"],
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
    let mut out = String::new();
    write_table(&mut out, &["code", "name", "field", "legal", "term"], &rows);
    print!("{out}");
    println!("{} committee(s)", items.len());
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
    println!(
        "{} on {} (term {}): {} member(s)",
        check.committee,
        check.on,
        or_dash(check.term),
        check.members.len()
    );
    for breach in &check.breaches {
        let status = match &breach.waived_by {
            None => "BREACH".to_string(),
            Some(waiver) => format!("waived by {} ({})", waiver.authority, waiver.reason),
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
            "  waiver: {} {}{bound} by {}: {}",
            waiver.rule,
            waiver.subject.as_deref().unwrap_or("-"),
            waiver.authority,
            waiver.reason
        );
    }
    if check.breaches.is_empty() {
        println!("  every rule holds");
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
    let rows: Vec<[String; 4]> = answer
        .roll
        .iter()
        .map(|entry| {
            [
                entry.person.clone(),
                entry.organisation.clone(),
                entry.role.clone(),
                mark(entry.votes),
            ]
        })
        .collect();
    let mut out = String::new();
    write_table(
        &mut out,
        &["person", "organisation", "role", "votes"],
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
    let rows: Vec<[String; 5]> = records
        .iter()
        .map(|record| {
            [
                record.sequence.to_string(),
                canonical_instant(record.recorded_at),
                record.actor_id.clone(),
                record.event_type.clone(),
                record.hash.to_hex().chars().take(12).collect(),
            ]
        })
        .collect();
    let mut out = String::new();
    write_table(
        &mut out,
        &["seq", "recorded at", "actor", "event", "hash"],
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
    if args.json {
        println!("{}", json_line(&answer)?);
    } else if answer.valid {
        println!(
            "verified: {} record(s), head {}",
            or_dash(answer.records),
            answer.head_hash.as_deref().unwrap_or("-")
        );
    } else {
        match &answer.failure {
            Some(failure) => println!("NOT VERIFIED: {failure}"),
            None => println!("NOT VERIFIED"),
        }
    }
    Ok(())
}
