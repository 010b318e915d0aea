//! The work a stage needs, through the HTTP API: `specflow attach`, `comment add|dispose|import|
//! list`, `consulted`, `sign-off`, `meeting schedule|record`, `extension request|grant|refuse`,
//! `freeze lift`, `publication record`, `plan fix`, `field record` and `cancel`, one for each form
//! of the project page.
//!
//! Like the rest of the client they talk to a running service with a bearer token and never open
//! the database: each sends one engine command (`POST /projects/{project}/commands`), a file
//! (`…/artifacts`) or a comment table (`…/comments/import`). People get a sentence or a table in
//! the chosen language; `--json` prints the API's answer. A refusal prints every unmet guard and
//! exits 1. A command that changes the stage (firing an action that moves the project, a
//! cancellation) asks for confirmation on a terminal and, without one, is refused unless `--yes`
//! is given.

use super::client::{Client, Failure, day, finish, json_line, or_dash};
use super::database::runtime;
use crate::cli::{
    ClientArgs, CommentCommand, ExtensionCommand, FieldCommand, FreezeCommand, MeetingCommand,
    PlanCommand, PublicationCommand, WorkCommand, WriteArgs,
};
use anyhow::anyhow;
use reqwest::Method;
use serde_json::{Value, json};
use specflow_engine::Language;
use specflow_engine::render::write_table;
use specflow_web::api::projects::ProjectDetail;
use specflow_web::api::wire::DispositionView;
use specflow_web::app::comment_import::ImportAnswer;
use specflow_web::app::projects::WriteAnswer;
use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;

/// The media type of an XLSX workbook.
const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// `specflow attach|comment|consulted|sign-off|meeting|extension|freeze|publication|plan|field|
/// cancel`.
pub fn run(command: WorkCommand) -> anyhow::Result<ExitCode> {
    let json = client_of(&command).json;
    runtime()?.block_on(async { finish(dispatch(command).await, json) })
}

/// The server, token and output flags a work command was given.
fn client_of(command: &WorkCommand) -> &ClientArgs {
    match command {
        WorkCommand::Attach { write, .. }
        | WorkCommand::Consulted { write, .. }
        | WorkCommand::SignOff { write, .. }
        | WorkCommand::Cancel { write, .. }
        | WorkCommand::Freeze(FreezeCommand::Lift { write, .. })
        | WorkCommand::Publication(PublicationCommand::Record { write, .. })
        | WorkCommand::Plan(PlanCommand::Fix { write, .. })
        | WorkCommand::Field(FieldCommand::Record { write, .. })
        | WorkCommand::Comment(
            CommentCommand::Add { write, .. }
            | CommentCommand::Dispose { write, .. }
            | CommentCommand::Import { write, .. },
        )
        | WorkCommand::Meeting(
            MeetingCommand::Schedule { write, .. } | MeetingCommand::Record { write, .. },
        )
        | WorkCommand::Extension(
            ExtensionCommand::Request { write, .. }
            | ExtensionCommand::Grant { write, .. }
            | ExtensionCommand::Refuse { write, .. },
        ) => &write.client,
        WorkCommand::Comment(CommentCommand::List { client, .. }) => client,
    }
}

async fn dispatch(command: WorkCommand) -> Result<(), Failure> {
    match command {
        WorkCommand::Attach {
            code,
            file,
            kind,
            file_name,
            write,
        } => attach(&write, &code, &file, &kind, file_name).await,
        WorkCommand::Comment(command) => comment(command).await,
        WorkCommand::Consulted {
            code,
            organisations,
            write,
        } => {
            let count = organisations.len();
            let body = json!({"command": "record_organisations_consulted", "organisations": organisations});
            let said = (
                format!("已记录 {count} 个征求意见单位"),
                format!("{count} organisation(s) consulted recorded"),
            );
            send_command(&write, &code, body, said).await
        }
        WorkCommand::SignOff {
            code,
            subject,
            write,
        } => {
            let body = json!({"command": "sign_off", "subject": subject});
            let said = (format!("已签署 {subject}"), format!("{subject} signed off"));
            send_command(&write, &code, body, said).await
        }
        WorkCommand::Meeting(command) => meeting(command).await,
        WorkCommand::Extension(command) => extension(command).await,
        WorkCommand::Freeze(FreezeCommand::Lift {
            code,
            reason,
            write,
        }) => {
            let body = json!({"command": "lift_freeze", "reason": reason});
            let said = ("已解除冻结".to_string(), "freeze lifted".to_string());
            send_command(&write, &code, body, said).await
        }
        WorkCommand::Publication(PublicationCommand::Record {
            code,
            number,
            published_on,
            effective_on,
            write,
        }) => {
            let body = json!({
                "command": "record_publication",
                "specification_number": number,
                "publication_date": published_on,
                "effective_date": effective_on,
            });
            let said = (
                format!("已记录发布：{number}，{published_on} 发布，{effective_on} 实施"),
                format!(
                    "publication recorded: {number}, published {published_on}, effective {effective_on}"
                ),
            );
            send_command(&write, &code, body, said).await
        }
        WorkCommand::Plan(PlanCommand::Fix { code, due, write }) => {
            let mut due_dates = serde_json::Map::new();
            for entry in &due {
                let (deadline, date) = entry.split_once('=').ok_or_else(|| {
                    anyhow!("--due {entry}: write it as DEADLINE=YYYY-MM-DD, such as drafting=2026-06-30")
                })?;
                due_dates.insert(deadline.trim().to_string(), json!(date.trim()));
            }
            let count = due_dates.len();
            let body = json!({"command": "fix_plan", "due_dates": due_dates});
            let said = (
                format!("已下达计划：{count} 个期限"),
                format!("plan fixed: {count} deadline(s)"),
            );
            send_command(&write, &code, body, said).await
        }
        WorkCommand::Field(FieldCommand::Record {
            code,
            field,
            text,
            date,
            project,
            write,
        }) => {
            let value = match (text, date, project) {
                (Some(text), _, _) => json!({"text": text}),
                (_, Some(date), _) => json!({"date": date}),
                (_, _, Some(project)) => json!({"project": project}),
                // clap requires one of the three.
                (None, None, None) => {
                    return Err(anyhow!("give --text, --date or --project").into());
                }
            };
            let body = json!({"command": "record_field", "field": field, "value": value});
            let said = (format!("已记录 {field}"), format!("{field} recorded"));
            send_command(&write, &code, body, said).await
        }
        WorkCommand::Cancel {
            code,
            reason,
            yes,
            write,
        } => {
            if !yes {
                let client = Client::new(&write.client)?;
                let project: ProjectDetail =
                    client.get(client.url(&["projects", &code], &[])?).await?;
                let language = language_of(&client);
                let question = language.pick(
                    format!(
                        "{code}：撤销项目（当前阶段「{}」），撤销后不能恢复。确定吗？[y/N] ",
                        project.stage_name
                    ),
                    format!(
                        "{code}: cancel the project (now in {}); this cannot be undone. Go ahead? [y/N] ",
                        project.stage_name
                    ),
                );
                confirm(language, &question)?;
            }
            let body = json!({"command": "cancel", "reason": reason});
            let said = ("项目已撤销".to_string(), "project cancelled".to_string());
            send_command(&write, &code, body, said).await
        }
    }
}

/// The language the user chose.
fn language_of(client: &Client) -> Language {
    Language::from_tag(client.language)
}

/// A fresh id for something the user did not name: a prefix and eight hexadecimal digits.
fn fresh_id(prefix: &str) -> String {
    format!(
        "{prefix}-{}",
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    )
}

/// Sends one engine command and prints what it did (`said`, in Chinese and English) with the
/// records it appended, or the API's answer with `--json`.
async fn send_command(
    write: &WriteArgs,
    code: &str,
    body: Value,
    said: (String, String),
) -> Result<(), Failure> {
    let client = Client::new(&write.client)?;
    let url = client.url(&["projects", code, "commands"], &[])?;
    let answer: WriteAnswer = client
        .request(Method::POST, url, Some(body), write.expect)
        .await?;
    if write.client.json {
        println!("{}", json_line(&answer)?);
    } else {
        println!(
            "{}",
            done(
                language_of(&client),
                code,
                said,
                answer.first_sequence,
                answer.last_sequence
            )
        );
    }
    Ok(())
}

/// "CODE: what was done (record N)" in the chosen language.
fn done(language: Language, code: &str, said: (String, String), first: u64, last: u64) -> String {
    let records = match (first == last, language) {
        (true, Language::Zh) => format!("记录 {first}"),
        (false, Language::Zh) => format!("记录 {first}–{last}"),
        (true, Language::En) => format!("record {first}"),
        (false, Language::En) => format!("records {first} to {last}"),
    };
    language.pick(
        format!("{code}：{}（{records}）", said.0),
        format!("{code}: {} ({records})", said.1),
    )
}

/// Asks `question` on the terminal; anything but yes stops here. Without a terminal nobody can
/// answer, so the command is refused and the user told to pass `--yes`.
fn confirm(language: Language, question: &str) -> anyhow::Result<()> {
    if !std::io::stdin().is_terminal() {
        return Err(anyhow!(
            "{}",
            language.pick(
                "此命令会改变项目阶段，需要确认：在终端中运行，或加 --yes",
                "this command changes the project's stage and needs confirmation: run it on a terminal, or pass --yes",
            )
        ));
    }
    eprint!("{question}");
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|error| anyhow!("cannot read the answer: {error}"))?;
    if matches!(
        answer.trim().to_lowercase().as_str(),
        "y" | "yes" | "是" | "确定"
    ) {
        Ok(())
    } else {
        Err(anyhow!(
            "{}",
            language.pick("未确认，什么也没做", "not confirmed: nothing was done")
        ))
    }
}

/// Before `specflow advance` fires `action`: when the action is ready and moves the project to
/// another stage (or cancels it), asks for confirmation, saying from which stage to which.
/// An action that is blocked or unknown is sent as it is, and the server says why it is refused.
pub(super) async fn confirm_action(
    client: &Client,
    code: &str,
    action: &str,
) -> Result<(), Failure> {
    let project: ProjectDetail = client.get(client.url(&["projects", code], &[])?).await?;
    let Some(view) = project
        .available_actions
        .iter()
        .find(|view| view.action == action)
    else {
        return Ok(());
    };
    if !view.ready || (!view.cancels && view.to == project.summary.stage) {
        return Ok(());
    }
    let language = language_of(client);
    let question = language.pick(
        format!(
            "{code}：「{}」将使项目从「{}」进入「{}」。确定吗？[y/N] ",
            view.name, project.stage_name, view.to_name
        ),
        format!(
            "{code}: {} moves the project from {} to {}. Go ahead? [y/N] ",
            view.name, project.stage_name, view.to_name
        ),
    );
    Ok(confirm(language, &question)?)
}

/// `specflow attach CODE FILE --kind K`: the file uploaded, stored and attached.
async fn attach(
    write: &WriteArgs,
    code: &str,
    file: &Path,
    kind: &str,
    file_name: Option<String>,
) -> Result<(), Failure> {
    let client = Client::new(&write.client)?;
    let content =
        std::fs::read(file).map_err(|error| anyhow!("cannot read {}: {error}", file.display()))?;
    let file_name = match file_name {
        Some(name) => name,
        None => file
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .ok_or_else(|| anyhow!("{} names no file", file.display()))?,
    };
    let url = client.url(
        &["projects", code, "artifacts"],
        &[("kind", kind.to_string()), ("file_name", file_name.clone())],
    )?;
    let text = client
        .send_bytes(
            Method::POST,
            url,
            Some(("application/octet-stream", content)),
            write.expect,
        )
        .await?;
    let answer: Value = serde_json::from_str(&text)
        .map_err(|error| anyhow!("the upload's answer is not JSON: {error}"))?;
    if write.client.json {
        println!("{answer}");
        return Ok(());
    }
    let number = |name: &str| answer[name].as_u64().unwrap_or_default();
    let sha256 = answer["sha256"].as_str().unwrap_or_default();
    let size = specflow_engine::human_size(number("size_bytes"));
    let said = (
        format!("已附上 {file_name}（{kind}，{size}，SHA-256 {sha256}）"),
        format!("{file_name} attached as {kind} ({size}, SHA-256 {sha256})"),
    );
    println!(
        "{}",
        done(
            language_of(&client),
            code,
            said,
            number("first_sequence"),
            number("last_sequence")
        )
    );
    Ok(())
}

/// `specflow comment ...`
async fn comment(command: CommentCommand) -> Result<(), Failure> {
    match command {
        CommentCommand::Add {
            code,
            organisation,
            clause,
            text,
            id,
            write,
        } => {
            let comment_id = id.unwrap_or_else(|| fresh_id("C"));
            let body = json!({
                "command": "record_comment",
                "comment_id": comment_id,
                "organisation": organisation,
                "clause": clause,
                "text": text,
            });
            let said = (
                format!("已记录意见 {comment_id}"),
                format!("comment {comment_id} recorded"),
            );
            send_command(&write, &code, body, said).await
        }
        CommentCommand::Dispose {
            code,
            comment_id,
            disposition,
            reason,
            write,
        } => {
            let body = json!({
                "command": "dispose_comment",
                "comment_id": comment_id,
                "disposition": disposition,
                "reason": reason,
            });
            let said = (
                format!("意见 {comment_id} 处理为 {disposition}"),
                format!("comment {comment_id} disposed of: {disposition}"),
            );
            send_command(&write, &code, body, said).await
        }
        CommentCommand::Import {
            code,
            file,
            dry_run,
            write,
        } => import(&write, &code, &file, dry_run).await,
        CommentCommand::List {
            code,
            undisposed,
            client,
        } => list_comments(&client, &code, undisposed).await,
    }
}

/// `specflow comment import CODE FILE`: the preview first; a table with any problem is printed
/// with every row's problem and nothing is sent; a clean one is recorded all or none.
async fn import(write: &WriteArgs, code: &str, file: &Path, dry_run: bool) -> Result<(), Failure> {
    let client = Client::new(&write.client)?;
    let language = language_of(&client);
    let content =
        std::fs::read(file).map_err(|error| anyhow!("cannot read {}: {error}", file.display()))?;
    let content_type = if content.starts_with(b"PK\x03\x04") {
        XLSX
    } else {
        "text/csv"
    };
    let segments = ["projects", code, "comments", "import"];
    let preview_url = client.url(&segments, &[("dry_run", "true".to_string())])?;
    let preview = read_import(
        client
            .send_bytes(
                Method::POST,
                preview_url,
                Some((content_type, content.clone())),
                write.expect,
            )
            .await?,
    )?;
    if dry_run || !preview.ready {
        if write.client.json {
            println!("{}", json_line(&preview)?);
        } else {
            print_import(&preview, language);
        }
        if preview.ready {
            return Ok(());
        }
        let count = preview.problems.len()
            + preview
                .rows
                .iter()
                .map(|row| row.problems.len())
                .sum::<usize>();
        return Err(anyhow!(
            "{}",
            language.pick(
                format!("意见汇总处理表有 {count} 处问题，未记录任何意见"),
                format!("the comment table has {count} problem(s); nothing was recorded"),
            )
        )
        .into());
    }
    let url = client.url(&segments, &[])?;
    let answer = read_import(
        client
            .send_bytes(
                Method::POST,
                url,
                Some((content_type, content)),
                write.expect,
            )
            .await?,
    )?;
    if write.client.json {
        println!("{}", json_line(&answer)?);
        return Ok(());
    }
    print_import(&answer, language);
    let said = (
        format!(
            "已记录 {} 条意见，其中 {} 条已处理",
            answer.comments, answer.dispositions
        ),
        format!(
            "{} comment(s) recorded, {} with a disposition",
            answer.comments, answer.dispositions
        ),
    );
    println!(
        "{}",
        done(
            language,
            code,
            said,
            answer.first_sequence.unwrap_or_default(),
            answer.last_sequence.unwrap_or_default()
        )
    );
    Ok(())
}

fn read_import(text: String) -> anyhow::Result<ImportAnswer> {
    serde_json::from_str(&text)
        .map_err(|error| anyhow!("the import's answer is not the one expected: {error}"))
}

/// The rows of an import, each with its problems (or the comment id it gets), then the file's own
/// problems.
fn print_import(answer: &ImportAnswer, language: Language) {
    let rows: Vec<[String; 6]> = answer
        .rows
        .iter()
        .map(|row| {
            [
                row.row.to_string(),
                row.comment_id.clone(),
                row.organisation.clone(),
                or_dash(row.clause.clone()),
                or_dash(row.disposition.clone()),
                if row.problems.is_empty() {
                    language.pick("无", "ok").to_string()
                } else {
                    row.problems
                        .iter()
                        .map(|problem| match &problem.column {
                            Some(column) => format!("{column}: {}", problem.message),
                            None => problem.message.clone(),
                        })
                        .collect::<Vec<_>>()
                        .join("; ")
                },
            ]
        })
        .collect();
    let headers = language.pick(
        ["行", "意见编号", "提出单位", "章条", "处理意见", "问题"],
        [
            "row",
            "comment id",
            "organisation",
            "clause",
            "disposition",
            "problems",
        ],
    );
    let mut out = String::new();
    if !rows.is_empty() {
        write_table(&mut out, &headers, &rows);
    }
    print!("{out}");
    for problem in &answer.problems {
        println!(
            "{}",
            language.pick("文件：", "file: ").to_string() + &problem.message
        );
    }
}

/// `specflow comment list CODE`.
async fn list_comments(args: &ClientArgs, code: &str, undisposed: bool) -> Result<(), Failure> {
    let client = Client::new(args)?;
    let language = language_of(&client);
    let project: ProjectDetail = client.get(client.url(&["projects", code], &[])?).await?;
    let comments: Vec<_> = project
        .state
        .comments
        .iter()
        .filter(|comment| !undisposed || comment.disposition.is_none())
        .collect();
    if args.json {
        for comment in &comments {
            println!("{}", json_line(comment)?);
        }
        return Ok(());
    }
    let rows: Vec<[String; 5]> = comments
        .iter()
        .map(|comment| {
            [
                comment.comment_id.clone(),
                comment.organisation.clone(),
                or_dash(comment.clause.clone()),
                or_dash(comment.disposition.map(|recorded| {
                    let (zh, en) = match recorded.disposition {
                        DispositionView::Accepted => ("采纳", "accepted"),
                        DispositionView::PartlyAccepted => ("部分采纳", "partly accepted"),
                        DispositionView::NotAccepted => ("不采纳", "not accepted"),
                    };
                    language.pick(zh, en).to_string()
                })),
                day(comment.recorded_at),
            ]
        })
        .collect();
    let headers = language.pick(
        ["意见编号", "提出单位", "章条", "处理意见", "记录日期"],
        [
            "comment",
            "organisation",
            "clause",
            "disposition",
            "recorded",
        ],
    );
    let mut out = String::new();
    write_table(&mut out, &headers, &rows);
    print!("{out}");
    let open = comments
        .iter()
        .filter(|comment| comment.disposition.is_none())
        .count();
    println!(
        "{}",
        language.pick(
            format!("共 {} 条意见，{open} 条未处理", comments.len()),
            format!(
                "{} comment(s), {open} without a disposition",
                comments.len()
            ),
        )
    );
    Ok(())
}

/// `specflow meeting ...`
async fn meeting(command: MeetingCommand) -> Result<(), Failure> {
    match command {
        MeetingCommand::Schedule {
            code,
            id,
            motion,
            form,
            on,
            documents_sent_on,
            write,
        } => {
            let meeting_id = id.unwrap_or_else(|| fresh_id("M"));
            let body = json!({
                "command": "schedule_meeting",
                "meeting_id": meeting_id,
                "motion": motion,
                "form": form,
                "meeting_on": on,
                "documents_sent_on": documents_sent_on,
            });
            let said = (
                format!("已安排会议 {meeting_id}（{motion}，{on}）"),
                format!("meeting {meeting_id} scheduled ({motion}, {on})"),
            );
            send_command(&write, &code, body, said).await
        }
        MeetingCommand::Record {
            code,
            id,
            motion,
            form,
            held_on,
            roll,
            present,
            in_favour,
            against,
            abstain,
            non_voting,
            minutes,
            write,
        } => {
            let mut votes = Vec::new();
            for (members, choice) in [
                (&in_favour, "in_favour"),
                (&against, "against"),
                (&abstain, "abstain"),
            ] {
                for member in members {
                    votes.push(json!({"member": member, "choice": choice}));
                }
            }
            // Those who voted were there, unless the user says who was.
            let present: Vec<&String> = if present.is_empty() {
                in_favour.iter().chain(&against).chain(&abstain).collect()
            } else {
                present.iter().collect()
            };
            let mut non_voting_present = Vec::new();
            for entry in &non_voting {
                let (person, capacity) = entry.split_once('=').ok_or_else(|| {
                    anyhow!("--non-voting {entry}: write it as PERSON=CAPACITY, such as hu=corresponding_member")
                })?;
                non_voting_present
                    .push(json!({"person": person.trim(), "capacity": capacity.trim()}));
            }
            let body = json!({
                "command": "record_meeting",
                "meeting_id": id,
                "motion": motion,
                "form": form,
                "held_on": held_on,
                "roll": roll,
                "present": present,
                "non_voting_present": non_voting_present,
                "votes": votes,
                "minutes_sha256": minutes,
            });
            let said = (
                format!(
                    "已记录会议 {id}：赞成 {}，反对 {}，弃权 {}",
                    in_favour.len(),
                    against.len(),
                    abstain.len()
                ),
                format!(
                    "meeting {id} recorded: {} in favour, {} against, {} abstaining",
                    in_favour.len(),
                    against.len(),
                    abstain.len()
                ),
            );
            send_command(&write, &code, body, said).await
        }
    }
}

/// `specflow extension ...`
async fn extension(command: ExtensionCommand) -> Result<(), Failure> {
    match command {
        ExtensionCommand::Request {
            code,
            deadline,
            new_due_on,
            reason,
            id,
            write,
        } => {
            let request_id = id.unwrap_or_else(|| fresh_id("EXT"));
            let body = json!({
                "command": "request_extension",
                "request_id": request_id,
                "deadline": deadline,
                "new_due_on": new_due_on,
                "reason": reason,
            });
            let said = (
                format!("已申请延期 {request_id}：{deadline} 延至 {new_due_on}"),
                format!("extension {request_id} requested: {deadline} to {new_due_on}"),
            );
            send_command(&write, &code, body, said).await
        }
        ExtensionCommand::Grant {
            code,
            request_id,
            reason,
            write,
        } => {
            let body =
                json!({"command": "grant_extension", "request_id": request_id, "reason": reason});
            let said = (
                format!("已批准延期 {request_id}"),
                format!("extension {request_id} granted"),
            );
            send_command(&write, &code, body, said).await
        }
        ExtensionCommand::Refuse {
            code,
            request_id,
            reason,
            write,
        } => {
            let body =
                json!({"command": "refuse_extension", "request_id": request_id, "reason": reason});
            let said = (
                format!("已拒绝延期 {request_id}"),
                format!("extension {request_id} refused"),
            );
            send_command(&write, &code, body, said).await
        }
    }
}
