//! The API's client: `specflow project list|show|create`, `advance`, `overdue` and `history`.
//!
//! These commands talk to a running service over HTTP with a bearer token, never to the
//! database, so they work from any machine and are held to the token's role and scope. People get
//! tables; scripts pass `--json` and get the API's own documents. A refusal prints the problem
//! document's words (each unmet guard of a blocked action) and exits 1.

use super::database::runtime;
use crate::cli::{ClientArgs, ProjectCommand};
use chrono::{DateTime, Utc};
use reqwest::{Method, Url};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use specflow_engine::audit::canonical_instant;
use specflow_engine::render::write_table;
use specflow_web::api::audit::StateAnswer;
use specflow_web::api::board::OverduePage;
use specflow_web::api::openapi::ProblemDocument;
use specflow_web::api::projects::ProjectDetail;
use specflow_web::api::wire::{HistoryPage, ProjectListPage};
use specflow_web::app::projects::WriteAnswer;
use std::process::ExitCode;

/// The largest page the API serves; the client follows cursors for the rest.
const PAGE: u32 = 500;

/// Why a request came to nothing: printed to the user, then exit 1.
pub(super) enum Failure {
    /// The service answered with a problem document.
    Problem(ProblemDocument),
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
        let body = body.map(|body| ("application/json", body.to_string().into_bytes()));
        self.send_bytes(method, url, body, if_match).await
    }

    /// Sends a request with a body of any media type (a file uploaded, a table imported) and
    /// returns its answer's body.
    pub(super) async fn send_bytes(
        &self,
        method: Method,
        url: Url,
        body: Option<(&str, Vec<u8>)>,
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
        if let Some((content_type, body)) = body {
            request = request.header("content-type", content_type).body(body);
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
        match serde_json::from_str::<ProblemDocument>(&text) {
            Ok(problem) => Err(Failure::Problem(problem)),
            _ => Err(Failure::Other(anyhow::anyhow!(
                "{url}: {status} {}",
                text.trim()
            ))),
        }
    }

    /// Sends a request and reads its answer as the API's type for it.
    pub(super) async fn request<T: DeserializeOwned>(
        &self,
        method: Method,
        url: Url,
        body: Option<Value>,
        if_match: Option<u64>,
    ) -> Result<T, Failure> {
        let text = self.send(method, url.clone(), body, if_match).await?;
        serde_json::from_str(&text).map_err(|error| {
            Failure::Other(anyhow::anyhow!("{url}: not the answer expected: {error}"))
        })
    }

    /// Reads `url` as the API's type for it.
    pub(super) async fn get<T: DeserializeOwned>(&self, url: Url) -> Result<T, Failure> {
        self.request(Method::GET, url, None, None).await
    }

    /// Every item of a keyset-paged list, following `next_after`.
    async fn all_items<P: KeysetPage>(
        &self,
        segments: &[&str],
        query: &[(&str, String)],
    ) -> Result<Vec<P::Item>, Failure> {
        let mut items = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let mut query = query.to_vec();
            query.push(("limit", PAGE.to_string()));
            if let Some(after) = &after {
                query.push(("after", after.clone()));
            }
            let page: P = self.get(self.url(segments, &query)?).await?;
            let (page_items, next_after) = page.into_parts();
            items.extend(page_items);
            match next_after {
                Some(next) => after = Some(next),
                None => return Ok(items),
            }
        }
    }
}

/// A page of a keyset-paged list: its items and the cursor of the next page.
trait KeysetPage: DeserializeOwned {
    /// What the list holds.
    type Item;
    /// The items, and `after` for the next page (`None` on the last).
    fn into_parts(self) -> (Vec<Self::Item>, Option<String>);
}

impl KeysetPage for ProjectListPage {
    type Item = specflow_web::api::wire::ProjectSummary;
    fn into_parts(self) -> (Vec<Self::Item>, Option<String>) {
        (self.items, self.next_after)
    }
}

impl KeysetPage for OverduePage {
    type Item = specflow_web::app::board::OverdueItem;
    fn into_parts(self) -> (Vec<Self::Item>, Option<String>) {
        (self.items, self.next_after)
    }
}

/// An optional value as table text: nothing as `-`.
pub(super) fn or_dash<T: ToString>(value: Option<T>) -> String {
    value.map_or_else(|| "-".to_string(), |value| value.to_string())
}

/// A flag as a mark.
pub(super) fn mark(flag: bool) -> String {
    if flag {
        "yes".to_string()
    } else {
        String::new()
    }
}

/// The day of an instant, for tables: its UTC date, as the API writes it.
fn day(instant: DateTime<Utc>) -> String {
    instant.format("%Y-%m-%d").to_string()
}

/// An instant as the API writes it.
fn instant_text(instant: DateTime<Utc>) -> String {
    serde_json::to_value(instant)
        .ok()
        .and_then(|value| value.as_str().map(str::to_string))
        .unwrap_or_else(|| instant.to_rfc3339())
}

/// An answer as one line of JSON, its keys in sorted order as scripts have always seen them
/// (through `serde_json::Value`, whose objects keep keys sorted).
pub(super) fn json_line<T: Serialize>(answer: &T) -> anyhow::Result<String> {
    Ok(serde_json::to_value(answer)?.to_string())
}

/// Prints answers as JSON Lines.
pub(super) fn print_json_lines<T: Serialize>(items: &[T]) -> anyhow::Result<()> {
    for item in items {
        println!("{}", json_line(item)?);
    }
    Ok(())
}

/// Prints a refusal in words: the problem's detail, then each unmet guard.
fn print_problem(problem: &ProblemDocument) {
    let ProblemDocument {
        status,
        title,
        detail,
        ..
    } = problem;
    let unmet = problem.unmet.as_deref().unwrap_or_default();
    if unmet.is_empty() {
        eprintln!("specflow: {title} ({status}): {detail}");
    } else {
        // The detail repeats the reasons in one line; one a line reads better.
        eprintln!("specflow: {title} ({status}):");
    }
    for reason in unmet {
        eprintln!("  - {} [{}]", reason.message, reason.code);
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
                flag,
                client,
            } => list(&client, committee, stage, overdue, flag).await,
            ProjectCommand::Show { code, client } => show(&client, &code).await,
            ProjectCommand::Create {
                code,
                title_zh,
                title_en,
                kind,
                committee,
                drafting_unit,
                definition,
                flags,
                client,
            } => {
                let body = json!({
                    "flags": flags,
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
    flag: Option<String>,
) -> Result<(), Failure> {
    let client = Client::new(args)?;
    let mut query = Vec::new();
    if let Some(flag) = flag {
        query.push(("flag", flag));
    }
    if let Some(committee) = committee {
        query.push(("committee", committee));
    }
    if let Some(stage) = stage {
        query.push(("stage", stage));
    }
    if overdue {
        query.push(("overdue", "true".to_string()));
    }
    let items = client
        .all_items::<ProjectListPage>(&["projects"], &query)
        .await?;
    if args.json {
        print_json_lines(&items)?;
        return Ok(());
    }
    let rows: Vec<[String; 7]> = items
        .iter()
        .map(|item| {
            [
                item.code.clone(),
                if client.language == "en" {
                    item.title_en.clone()
                } else {
                    item.title_zh.clone()
                },
                item.stage.clone(),
                day(item.stage_since),
                or_dash(item.overdue_since.map(day)),
                mark(item.frozen),
                item.committee.clone(),
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
    let project: ProjectDetail = client.get(client.url(&["projects", code], &[])?).await?;
    if args.json {
        // Through `Value`, so that the keys stay in the sorted order scripts have always seen.
        let document = serde_json::to_value(&project).map_err(anyhow::Error::from)?;
        println!(
            "{}",
            serde_json::to_string_pretty(&document).map_err(anyhow::Error::from)?
        );
        return Ok(());
    }
    let summary = &project.summary;
    println!("{}  {}", summary.code, summary.title_zh);
    println!("  {}", summary.title_en);
    println!(
        "stage:      {} ({}) since {}",
        project.stage_name,
        summary.stage,
        day(summary.stage_since)
    );
    println!("committee:  {}", summary.committee);
    println!("drafting:   {}", summary.drafting_unit);
    if !summary.flags.is_empty() {
        println!("flags:      {}", summary.flags.join(", "));
    }
    println!("sequence:   {}", summary.head_sequence);
    if let Some(overdue_since) = summary.overdue_since {
        println!("overdue since {}", day(overdue_since));
    }
    if summary.frozen {
        println!(
            "frozen: only an extension or a cancellation is possible until the freeze is lifted"
        );
    }
    let deadlines: Vec<[String; 5]> = project
        .deadlines
        .iter()
        .map(|deadline| {
            [
                deadline.name.clone(),
                or_dash(deadline.due_on),
                or_dash(deadline.days_left),
                if deadline.open { "open" } else { "closed" }.to_string(),
                mark(deadline.missed),
            ]
        })
        .collect();
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
    println!();
    println!("actions:");
    for action in &project.available_actions {
        println!(
            "  {} {} ({}) -> {}",
            if action.ready { "ready  " } else { "blocked" },
            action.action,
            action.name,
            action.to_name
        );
        for reason in &action.unmet {
            println!("            - {}", reason.message);
        }
    }
    Ok(())
}

async fn create(args: &ClientArgs, body: Value) -> Result<(), Failure> {
    let client = Client::new(args)?;
    let answer: WriteAnswer = client
        .request(
            Method::POST,
            client.url(&["projects"], &[])?,
            Some(body),
            None,
        )
        .await?;
    if args.json {
        println!("{}", json_line(&answer)?);
    } else {
        println!(
            "created project {} (sequence {})",
            answer.project_id, answer.last_sequence
        );
    }
    Ok(())
}

/// `specflow advance CODE ACTION`: an action that changes the stage is confirmed first, unless
/// `yes`.
pub fn advance(
    args: &ClientArgs,
    code: &str,
    action: &str,
    reason: Option<String>,
    expect: Option<u64>,
    yes: bool,
) -> anyhow::Result<ExitCode> {
    runtime()?.block_on(async {
        finish(
            async {
                let client = Client::new(args)?;
                if !yes {
                    super::work::confirm_action(&client, code, action).await?;
                }
                let url = client.url(&["projects", code, "actions", action], &[])?;
                let body = reason.map(|reason| json!({ "reason": reason }));
                let answer: WriteAnswer = client.request(Method::POST, url, body, expect).await?;
                if args.json {
                    println!("{}", json_line(&answer)?);
                } else {
                    println!(
                        "{code}: {action} done (records {} to {})",
                        answer.first_sequence, answer.last_sequence
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
                let items = client
                    .all_items::<OverduePage>(&["overdue"], &query)
                    .await?;
                if args.json {
                    print_json_lines(&items)?;
                    return Ok(());
                }
                let rows: Vec<[String; 7]> = items
                    .iter()
                    .map(|item| {
                        [
                            item.code.clone(),
                            item.title_zh.clone(),
                            item.stage.clone(),
                            day(item.overdue_since),
                            item.days_overdue.to_string(),
                            mark(item.escalated),
                            mark(item.frozen),
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
                    let state: StateAnswer = client.get(url).await?;
                    if args.json {
                        println!("{}", json_line(&state)?);
                    } else {
                        println!(
                            "{code} at {}: stage {}",
                            match (state.sequence, state.as_of) {
                                (None, as_of) => or_dash(as_of.map(instant_text)),
                                (Some(sequence), _) => format!("sequence {sequence}"),
                            },
                            state.stage
                        );
                    }
                    return Ok(());
                }
                let mut records = Vec::new();
                let mut after = 0u64;
                loop {
                    let query = [("after", after.to_string()), ("limit", PAGE.to_string())];
                    let url = client.url(&["projects", code, "history"], &query)?;
                    let page: HistoryPage = client.get(url).await?;
                    records.extend(page.records);
                    match page.next_after_sequence {
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
                            record.sequence.to_string(),
                            canonical_instant(record.recorded_at),
                            format!("{} ({})", record.actor_id, record.actor_role),
                            record.event_type.clone(),
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
