//! `specflow todo`: the token's to-do list through the API (`GET /api/v1/todo`): what it can do
//! now, the deadlines of the next 30 days earliest first, what blocks its projects, and for the
//! bureau the overdue count, the extension requests waiting for a decision and the frozen
//! projects. People get tables; `--json` prints the API's document on one line.

use super::client::{Client, day, finish, json_line};
use super::database::runtime;
use crate::cli::ClientArgs;
use specflow_engine::Language;
use specflow_engine::render::write_table;
use specflow_web::app::todo::{Supervision, TodoDeadline, TodoList};
use std::process::ExitCode;

/// `specflow todo`.
pub fn run(args: &ClientArgs) -> anyhow::Result<ExitCode> {
    runtime()?.block_on(async {
        finish(
            async {
                let client = Client::new(args)?;
                let list: TodoList = client.get(client.url(&["todo"], &[])?).await?;
                if args.json {
                    println!("{}", json_line(&list)?);
                } else {
                    let language = if client.language == "en" {
                        Language::En
                    } else {
                        Language::Zh
                    };
                    print!("{}", tables(&list, language));
                }
                Ok(())
            }
            .await,
            args.json,
        )
    })
}

/// Days left in words: `还有 3 天`, `已逾期 2 天`.
fn days_text(deadline: &TodoDeadline, language: Language) -> String {
    match deadline.days_left {
        days if days < 0 => language.pick(
            format!("已逾期 {} 天", -days),
            format!("{} day(s) overdue", -days),
        ),
        0 => language.pick("今天到期", "due today").to_string(),
        days => language.pick(format!("还有 {days} 天"), format!("{days} day(s) left")),
    }
}

/// The list as tables for people, one section after another.
fn tables(list: &TodoList, language: Language) -> String {
    let mut out = String::new();
    if let Some(supervision) = &list.supervision {
        out.push_str(&language.pick(
            format!(
                "逾期项目 {} 个（冻结 {} 个）；逾期看板：`specflow overdue`\n",
                supervision.overdue, supervision.frozen_total
            ),
            format!(
                "{} overdue project(s) ({} frozen); the board: specflow overdue\n",
                supervision.overdue, supervision.frozen_total
            ),
        ));
    }
    ready_table(&mut out, list, language);
    deadlines_table(&mut out, list, language);
    if let Some(supervision) = &list.supervision {
        supervision_tables(&mut out, supervision, language);
    }
    blocked_lines(&mut out, list, language);
    if list.truncated {
        out.push('\n');
        out.push_str(&language.pick(
            format!(
                "项目太多：只检查了前 {} 个未结束的项目。\n",
                list.projects_examined
            ),
            format!(
                "Too many projects: only the first {} open projects were examined.\n",
                list.projects_examined
            ),
        ));
    }
    out
}

/// A section's title, a blank line before every one but the first.
fn heading(out: &mut String, language: Language, zh: String, en: String) {
    if !out.is_empty() {
        out.push('\n');
    }
    out.push_str(&language.pick(zh, en));
    out.push('\n');
}

fn ready_table(out: &mut String, list: &TodoList, language: Language) {
    heading(
        out,
        language,
        format!("现在可以做（{}）", list.ready.len()),
        format!("Ready for you now ({})", list.ready.len()),
    );
    if !list.ready.is_empty() {
        let rows: Vec<[String; 4]> = list
            .ready
            .iter()
            .map(|item| {
                [
                    item.project.code.clone(),
                    item.project.stage_name.clone(),
                    item.action.clone(),
                    item.name.clone(),
                ]
            })
            .collect();
        let headers = language.pick(
            ["项目", "阶段", "操作代码", "操作"],
            ["project", "stage", "action", "name"],
        );
        write_table(out, &headers, &rows);
    }
}

fn deadlines_table(out: &mut String, list: &TodoList, language: Language) {
    heading(
        out,
        language,
        format!("{} 天内到期（{}）", list.horizon_days, list.deadlines.len()),
        format!(
            "Due within {} days ({})",
            list.horizon_days,
            list.deadlines.len()
        ),
    );
    if !list.deadlines.is_empty() {
        let rows: Vec<[String; 4]> = list
            .deadlines
            .iter()
            .map(|deadline| {
                [
                    deadline.due_on.to_string(),
                    days_text(deadline, language),
                    deadline.name.clone(),
                    deadline.project.code.clone(),
                ]
            })
            .collect();
        let headers = language.pick(
            ["到期日", "剩余", "期限", "项目"],
            ["due on", "left", "deadline", "project"],
        );
        write_table(out, &headers, &rows);
    }
}

fn supervision_tables(out: &mut String, supervision: &Supervision, language: Language) {
    heading(
        out,
        language,
        format!(
            "待决定的延期申请（{}）",
            supervision.extension_requests.len()
        ),
        format!(
            "Extension requests waiting ({})",
            supervision.extension_requests.len()
        ),
    );
    if !supervision.extension_requests.is_empty() {
        let rows: Vec<[String; 5]> = supervision
            .extension_requests
            .iter()
            .map(|request| {
                [
                    request.project.code.clone(),
                    request.deadline_name.clone(),
                    request.current_due_on.to_string(),
                    request.requested_due_on.to_string(),
                    request.request_id.clone(),
                ]
            })
            .collect();
        let headers = language.pick(
            ["项目", "期限", "原到期日", "申请延至", "申请编号"],
            ["project", "deadline", "due on", "asked for", "request"],
        );
        write_table(out, &headers, &rows);
    }
    heading(
        out,
        language,
        format!("已冻结的项目（{}）", supervision.frozen.len()),
        format!("Frozen projects ({})", supervision.frozen.len()),
    );
    if !supervision.frozen.is_empty() {
        let rows: Vec<[String; 3]> = supervision
            .frozen
            .iter()
            .map(|frozen| {
                [
                    frozen.project.code.clone(),
                    frozen.deadline_name.clone(),
                    day(frozen.since),
                ]
            })
            .collect();
        let headers = language.pick(
            ["项目", "冻结原因（期限）", "冻结日期"],
            ["project", "frozen by", "frozen on"],
        );
        write_table(out, &headers, &rows);
    }
}

fn blocked_lines(out: &mut String, list: &TodoList, language: Language) {
    heading(
        out,
        language,
        format!("受阻的操作（{}）", list.blocked.len()),
        format!("Blocked actions ({})", list.blocked.len()),
    );
    for item in &list.blocked {
        out.push_str(&format!(
            "{} {} → {} ({}{})\n",
            item.project.code,
            item.name,
            item.to_name,
            if item.role_names.is_empty() {
                item.roles.join(", ")
            } else {
                item.role_names.join(language.pick("、", ", "))
            },
            if item.yours {
                language.pick("，您可执行", ", yours")
            } else {
                ""
            }
        ));
        for guard in &item.guards {
            out.push_str(&format!("  - {} [{}]\n", guard.message, guard.code));
        }
    }
}
