//! The API's client: `specflow project list|show|create`, `advance`, `overdue` and `history`.
//!
//! These commands talk to a running service over HTTP with a bearer token, never to the
//! database, so they work from any machine and are held to the token's role and scope. People get
//! tables; scripts pass `--json` and get the API's own documents. A refusal prints the problem
//! document's words (each unmet guard of a blocked action) and exits 1.

use super::database::runtime;
use crate::cli::{ClientArgs, ProjectCommand};
use reqwest::{Method, Url};
use serde_json::{Value, json};
use specflow_engine::render::write_table;
use std::process::ExitCode;

/// The largest page the API serves; the client follows cursors for the rest.
const PAGE: u32 = 500;

/// Why a request came to nothing: printed to the user, then exit 1.
pub(super) enum Failure {
    /// The service answered with a problem document.
    Problem(Value),
    /// Anything else: the server could not be reached, or answered nonsense.
    Other(anyhow::Error),
}

impl From<anyhow::Error> for Failure {
    fn from(error: anyhow::Error) -> Self {
        Failure::Other(error)
    }
}

/// One API connection: where, as whom, in which language.
pub(super) struct Client {
    http: reqwest::Client,
    server: Url,
    token: Option<String>,
    pub(super) language: &'static str,
}

impl Client {
    pub(super) fn new(args: &ClientArgs) -> anyhow::Result<Client> {
        let server = Url::parse(&args.server)
            .map_err(|error| anyhow::anyhow!("--server {} is not a URL: {error}", args.server))?;
        Ok(Client {
            http: reqwest::Client::builder().build()?,
            server,
            token: args.token.clone(),
            language: match args.language {
                crate::cli::LanguageArg::Zh => "zh",
                crate::cli::LanguageArg::En => "en",
            },
        })
    }

    /// The URL of `/api/v1/` and then each segment, escaped as a path segment (codes hold
    /// characters such as `沪` and parentheses).
    pub(super) fn url(&self, segments: &[&str], query: &[(&str, String)]) -> anyhow::Result<Url> {
        let mut url = self.server.clone();
        {
            let mut path = url
                .path_segments_mut()
                .map_err(|()| anyhow::anyhow!("--server {} cannot take a path", self.server))?;
            path.pop_if_empty().extend(["api", "v1"]).extend(segments);
        }
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        Ok(url)
    }

    /// Sends a request and returns its body: JSON, or text when asked (`--csv`).
    pub(super) async fn send(
        &self,
        method: Method,
        url: Url,
        body: Option<Value>,
        if_match: Option<u64>,
    ) -> Result<String, Failure> {
        let mut request = self
            .http
            .request(method, url.clone())
            .header("accept-language", self.language);
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        if let Some(sequence) = if_match {
            request = request.header("if-match", format!("\"{sequence}\""));
        }
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body.to_string());
        }
        let response = request.send().await.map_err(|error| {
            let why = if error.is_connect() {
                "the connection was refused or the host is unreachable; is `specflow serve` running there?"
            } else if error.is_timeout() {
                "it did not answer in time"
            } else {
                "the request failed"
            };
            Failure::Other(anyhow::anyhow!(
                "cannot reach the specflow server at {}: {why} ({error})",
                self.server
            ))
        })?;
        let status = response.status();
        let text = response.text().await.map_err(|error| {
            Failure::Other(anyhow::anyhow!("{url}: unreadable answer: {error}"))
        })?;
        if status.is_success() {
            return Ok(text);
        }
        match serde_json::from_str::<Value>(&text) {
            Ok(problem) if problem.is_object() => Err(Failure::Problem(problem)),
            _ => Err(Failure::Other(anyhow::anyhow!(
                "{url}: {status} {}",
                text.trim()
            ))),
        }
    }

    pub(super) async fn get_json(&self, url: Url) -> Result<Value, Failure> {
        let text = self.send(Method::GET, url.clone(), None, None).await?;
        serde_json::from_str(&text)
            .map_err(|error| Failure::Other(anyhow::anyhow!("{url}: not JSON: {error}")))
    }

    /// Every item of a keyset-paged list, following `next_after`.
    async fn all_items(
        &self,
        segments: &[&str],
        query: &[(&str, String)],
    ) -> Result<Vec<Value>, Failure> {
        let mut items = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let mut query = query.to_vec();
            query.push(("limit", PAGE.to_string()));
            if let Some(after) = &after {
                query.push(("after", after.clone()));
            }
            let page = self.get_json(self.url(segments, &query)?).await?;
            if let Some(page_items) = page["items"].as_array() {
                items.extend(page_items.iter().cloned());
            }
            match page["next_after"].as_str() {
                Some(next) => after = Some(next.to_string()),
                None => return Ok(items),
            }
        }
    }
}

/// A JSON field as table text: strings bare, nothing as `-`.
pub(super) fn text(value: &Value) -> String {
    match value {
        Value::Null => "-".to_string(),
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// A boolean field as a mark.
pub(super) fn mark(value: &Value) -> String {
    if value.as_bool().unwrap_or(false) {
        "yes".to_string()
    } else {
        String::new()
    }
}

/// The day of an RFC 3339 instant, for tables.
fn day(value: &Value) -> String {
    match value.as_str() {
        Some(instant) => instant.chars().take(10).collect(),
        None => "-".to_string(),
    }
}

pub(super) fn print_json_lines(items: &[Value]) -> anyhow::Result<()> {
    for item in items {
        println!("{}", serde_json::to_string(item)?);
    }
    Ok(())
}

/// Prints a refusal in words: the problem's detail, then each unmet guard.
fn print_problem(problem: &Value) {
    let status = problem["status"].as_u64().unwrap_or(0);
    let title = problem["title"].as_str().unwrap_or("error");
    let detail = problem["detail"].as_str().unwrap_or("");
    match problem["unmet"].as_array() {
        // The detail repeats the reasons in one line; one a line reads better.
        Some(unmet) if !unmet.is_empty() => eprintln!("specflow: {title} ({status}):"),
        _ => eprintln!("specflow: {title} ({status}): {detail}"),
    }
    if let Some(unmet) = problem["unmet"].as_array() {
        for reason in unmet {
            let message = reason["message"].as_str().unwrap_or("");
            let code = reason["code"].as_str().unwrap_or("");
            eprintln!("  - {message} [{code}]");
        }
    }
}

/// Turns the outcome of a client command into an exit code, printing any failure.
pub(super) fn finish(outcome: Result<(), Failure>) -> anyhow::Result<ExitCode> {
    match outcome {
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(Failure::Problem(problem)) => {
            print_problem(&problem);
            Ok(ExitCode::FAILURE)
        }
        Err(Failure::Other(error)) => Err(error),
    }
}

/// `specflow project ...`
pub fn project(command: ProjectCommand) -> anyhow::Result<ExitCode> {
    runtime()?.block_on(async {
        finish(match command {
            ProjectCommand::List {
                committee,
                stage,
                overdue,
                client,
            } => list(&client, committee, stage, overdue).await,
            ProjectCommand::Show { code, client } => show(&client, &code).await,
            ProjectCommand::Create {
                code,
                title_zh,
                title_en,
                kind,
                committee,
                drafting_unit,
                definition,
                client,
            } => {
                let body = json!({
                    "code": code,
                    "title": { "zh": title_zh, "en": title_en },
                    "specification_kind": kind,
                    "committee": committee,
                    "drafting_unit": drafting_unit,
                    "definition_id": definition,
                });
                create(&client, body).await
            }
        })
    })
}

async fn list(
    args: &ClientArgs,
    committee: Option<String>,
    stage: Option<String>,
    overdue: bool,
) -> Result<(), Failure> {
    let client = Client::new(args)?;
    let mut query = Vec::new();
    if let Some(committee) = committee {
        query.push(("committee", committee));
    }
    if let Some(stage) = stage {
        query.push(("stage", stage));
    }
    if overdue {
        query.push(("overdue", "true".to_string()));
    }
    let items = client.all_items(&["projects"], &query).await?;
    if args.json {
        print_json_lines(&items)?;
        return Ok(());
    }
    let rows: Vec<[String; 7]> = items
        .iter()
        .map(|item| {
            [
                text(&item["code"]),
                text(
                    &item[if client.language == "en" {
                        "title_en"
                    } else {
                        "title_zh"
                    }],
                ),
                text(&item["stage"]),
                day(&item["stage_since"]),
                day(&item["overdue_since"]),
                mark(&item["frozen"]),
                text(&item["committee"]),
            ]
        })
        .collect();
    let mut out = String::new();
    write_table(
        &mut out,
        &[
            "code",
            "title",
            "stage",
            "since",
            "overdue since",
            "frozen",
            "committee",
        ],
        &rows,
    );
    print!("{out}");
    println!("{} project(s)", items.len());
    Ok(())
}

async fn show(args: &ClientArgs, code: &str) -> Result<(), Failure> {
    let client = Client::new(args)?;
    let project = client
        .get_json(client.url(&["projects", code], &[])?)
        .await?;
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&project).map_err(anyhow::Error::from)?
        );
        return Ok(());
    }
    println!("{}  {}", text(&project["code"]), text(&project["title_zh"]));
    println!("  {}", text(&project["title_en"]));
    println!(
        "stage:      {} ({}) since {}",
        text(&project["stage_name"]),
        text(&project["stage"]),
        day(&project["stage_since"])
    );
    println!("committee:  {}", text(&project["committee"]));
    println!("drafting:   {}", text(&project["drafting_unit"]));
    println!("sequence:   {}", text(&project["head_sequence"]));
    if project["overdue_since"].is_string() {
        println!("overdue since {}", day(&project["overdue_since"]));
    }
    if project["frozen"].as_bool().unwrap_or(false) {
        println!(
            "frozen: only an extension or a cancellation is possible until the freeze is lifted"
        );
    }
    let deadlines: Vec<[String; 5]> = project["deadlines"]
        .as_array()
        .map(|deadlines| {
            deadlines
                .iter()
                .map(|deadline| {
                    [
                        text(&deadline["name"]),
                        text(&deadline["due_on"]),
                        text(&deadline["days_left"]),
                        if deadline["open"].as_bool().unwrap_or(false) {
                            "open"
                        } else {
                            "closed"
                        }
                        .to_string(),
                        mark(&deadline["missed"]),
                    ]
                })
                .collect()
        })
        .unwrap_or_default();
    if !deadlines.is_empty() {
        let mut out = String::new();
        write_table(
            &mut out,
            &["deadline", "due", "days left", "", "missed"],
            &deadlines,
        );
        println!();
        print!("{out}");
    }
    if let Some(actions) = project["available_actions"].as_array() {
        println!();
        println!("actions:");
        for action in actions {
            let ready = action["ready"].as_bool().unwrap_or(false);
            println!(
                "  {} {} ({}) -> {}",
                if ready { "ready  " } else { "blocked" },
                text(&action["action"]),
                text(&action["name"]),
                text(&action["to_name"])
            );
            if let Some(unmet) = action["unmet"].as_array() {
                for reason in unmet {
                    println!("            - {}", text(&reason["message"]));
                }
            }
        }
    }
    Ok(())
}

async fn create(args: &ClientArgs, body: Value) -> Result<(), Failure> {
    let client = Client::new(args)?;
    let answer = client
        .send(
            Method::POST,
            client.url(&["projects"], &[])?,
            Some(body),
            None,
        )
        .await?;
    let answer: Value = serde_json::from_str(&answer).map_err(anyhow::Error::from)?;
    if args.json {
        println!("{answer}");
    } else {
        println!(
            "created project {} (sequence {})",
            text(&answer["project_id"]),
            text(&answer["last_sequence"])
        );
    }
    Ok(())
}

/// `specflow advance CODE ACTION`.
pub fn advance(
    args: &ClientArgs,
    code: &str,
    action: &str,
    reason: Option<String>,
    expect: Option<u64>,
) -> anyhow::Result<ExitCode> {
    runtime()?.block_on(async {
        finish(
            async {
                let client = Client::new(args)?;
                let url = client.url(&["projects", code, "actions", action], &[])?;
                let body = reason.map(|reason| json!({ "reason": reason }));
                let answer = client.send(Method::POST, url, body, expect).await?;
                let answer: Value = serde_json::from_str(&answer).map_err(anyhow::Error::from)?;
                if args.json {
                    println!("{answer}");
                } else {
                    println!(
                        "{code}: {action} done (records {} to {})",
                        text(&answer["first_sequence"]),
                        text(&answer["last_sequence"])
                    );
                }
                Ok(())
            }
            .await,
        )
    })
}

/// `specflow overdue`.
pub fn overdue(
    args: &ClientArgs,
    committee: Option<String>,
    sort: Option<String>,
    csv: bool,
) -> anyhow::Result<ExitCode> {
    runtime()?.block_on(async {
        finish(
            async {
                let client = Client::new(args)?;
                let mut query = Vec::new();
                if let Some(committee) = committee {
                    query.push(("committee", committee));
                }
                if let Some(sort) = sort {
                    query.push(("sort", sort));
                }
                if csv {
                    // The server streams every page of the CSV itself.
                    query.push(("format", "csv".to_string()));
                    let url = client.url(&["overdue"], &query)?;
                    print!("{}", client.send(Method::GET, url, None, None).await?);
                    return Ok(());
                }
                let items = client.all_items(&["overdue"], &query).await?;
                if args.json {
                    print_json_lines(&items)?;
                    return Ok(());
                }
                let rows: Vec<[String; 7]> = items
                    .iter()
                    .map(|item| {
                        [
                            text(&item["code"]),
                            text(&item["title_zh"]),
                            text(&item["stage"]),
                            day(&item["overdue_since"]),
                            text(&item["days_overdue"]),
                            mark(&item["escalated"]),
                            mark(&item["frozen"]),
                        ]
                    })
                    .collect();
                let mut out = String::new();
                write_table(
                    &mut out,
                    &[
                        "code",
                        "title",
                        "stage",
                        "overdue since",
                        "days",
                        "escalated",
                        "frozen",
                    ],
                    &rows,
                );
                print!("{out}");
                println!("{} overdue project(s)", items.len());
                Ok(())
            }
            .await,
        )
    })
}

/// `specflow history CODE`: the records, or the state as of an instant or a sequence.
pub fn history(
    args: &ClientArgs,
    code: &str,
    as_of: Option<String>,
    sequence: Option<u64>,
) -> anyhow::Result<ExitCode> {
    runtime()?.block_on(async {
        finish(
            async {
                let client = Client::new(args)?;
                if as_of.is_some() || sequence.is_some() {
                    let mut query = Vec::new();
                    if let Some(as_of) = as_of {
                        query.push(("as_of", as_of));
                    }
                    if let Some(sequence) = sequence {
                        query.push(("sequence", sequence.to_string()));
                    }
                    let url = client.url(&["projects", code, "state"], &query)?;
                    let state = client.get_json(url).await?;
                    if args.json {
                        println!("{state}");
                    } else {
                        println!(
                            "{code} at {}: stage {}",
                            match (&state["sequence"], &state["as_of"]) {
                                (Value::Null, as_of) => text(as_of),
                                (sequence, _) => format!("sequence {}", text(sequence)),
                            },
                            text(&state["stage"])
                        );
                    }
                    return Ok(());
                }
                let mut records = Vec::new();
                let mut after = 0u64;
                loop {
                    let query = [("after", after.to_string()), ("limit", PAGE.to_string())];
                    let url = client.url(&["projects", code, "history"], &query)?;
                    let page = client.get_json(url).await?;
                    if let Some(page_records) = page["records"].as_array() {
                        records.extend(page_records.iter().cloned());
                    }
                    match page["next_after_sequence"].as_u64() {
                        Some(next) => after = next,
                        None => break,
                    }
                }
                if args.json {
                    print_json_lines(&records)?;
                    return Ok(());
                }
                let rows: Vec<[String; 4]> = records
                    .iter()
                    .map(|record| {
                        [
                            text(&record["sequence"]),
                            text(&record["recorded_at"]),
                            format!(
                                "{} ({})",
                                text(&record["actor_id"]),
                                text(&record["actor_role"])
                            ),
                            text(&record["event_type"]),
                        ]
                    })
                    .collect();
                let mut out = String::new();
                write_table(&mut out, &["seq", "recorded at", "by", "event"], &rows);
                print!("{out}");
                Ok(())
            }
            .await,
        )
    })
}
