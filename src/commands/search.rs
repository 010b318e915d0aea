//! `specflow search TEXT`: projects found through the API (`GET /api/v1/search`), best first,
//! each with its code, title, stage and where the text matched (the match in 【】 brackets on a
//! terminal); `--json` prints the API's document on one line.

use super::client::{Client, finish, json_line};
use super::database::runtime;
use crate::cli::ClientArgs;
use specflow_engine::Language;
use specflow_engine::render::write_table;
use specflow_web::app::search::SearchAnswer;
use std::process::ExitCode;

/// `specflow search`.
pub fn run(text: &str, limit: usize, args: &ClientArgs) -> anyhow::Result<ExitCode> {
    runtime()?.block_on(async {
        finish(
            async {
                let client = Client::new(args)?;
                let url = client.url(
                    &["search"],
                    &[("q", text.to_string()), ("limit", limit.to_string())],
                )?;
                let answer: SearchAnswer = client.get(url).await?;
                if args.json {
                    println!("{}", json_line(&answer)?);
                } else {
                    let language = if client.language == "en" {
                        Language::En
                    } else {
                        Language::Zh
                    };
                    print!("{}", table(&answer, language));
                }
                Ok(())
            }
            .await,
            args.json,
        )
    })
}

/// The hits as a table, or a sentence when there are none.
fn table(answer: &SearchAnswer, language: Language) -> String {
    if answer.hits.is_empty() {
        return format!(
            "{}\n",
            language.pick(
                "没有找到您能查看的项目。",
                "No project you may see matches."
            )
        );
    }
    let rows: Vec<[String; 4]> = answer
        .hits
        .iter()
        .map(|hit| {
            [
                hit.code.clone(),
                hit.title.clone(),
                hit.stage_name.clone(),
                format!(
                    "{}{}{}【{}】{}",
                    hit.field_name,
                    language.pick("：", ": "),
                    hit.before,
                    hit.matched,
                    hit.after
                ),
            ]
        })
        .collect();
    let mut out = String::new();
    write_table(
        &mut out,
        &language.pick(
            ["编号", "名称", "阶段", "匹配"],
            ["code", "title", "stage", "match"],
        ),
        &rows,
    );
    out
}
