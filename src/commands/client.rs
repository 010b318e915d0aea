//! The API's client: `specflow project list|show|create`, `advance`, `overdue` and `history`
//! (whose lists also download as CSV or an Excel workbook, `export.rs`).
//!
//! These commands talk to a running service over HTTP with a bearer token, never to the
//! database, so they work from any machine and are held to the token's role and scope. People get
//! tables; scripts pass `--json` and get the API's own documents. A refusal prints the problem
//! document's words (each unmet guard of a blocked action) and exits 1.

use super::database::runtime;
use crate::cli::{ClientArgs, ExportArgs, ProjectCommand};
use chrono::{DateTime, Utc};
use reqwest::{Method, Url};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use specflow_engine::Language;
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

    /// The language the user chose, for words printed here.
    pub(super) fn words(&self) -> Language {
        Language::from_tag(self.language)
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
        let bytes = self.send_raw(method, url.clone(), body, if_match).await?;
        String::from_utf8(bytes)
            .map_err(|error| Failure::Other(anyhow::anyhow!("{url}: unreadable answer: {error}")))
    }

    /// Reads `url` as bytes: a download (a CSV or a workbook).
    pub(super) async fn download(&self, url: Url) -> Result<Vec<u8>, Failure> {
        self.send_raw(Method::GET, url, None, None).await
    }

    /// Sends a request and returns its answer's body as it came, or the failure it reports.
    async fn send_raw(
        &self,
        method: Method,
        url: Url,
        body: Option<(&str, Vec<u8>)>,
        if_match: Option<u64>,
    ) -> Result<Vec<u8>, Failure> {
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
        let bytes = response.bytes().await.map_err(|error| {
            Failure::Other(anyhow::anyhow!("{url}: unreadable answer: {error}"))
        })?;
        if status.is_success() {
            return Ok(bytes.to_vec());
        }
        match serde_json::from_slice::<ProblemDocument>(&bytes) {
            Ok(problem) => Err(Failure::Problem(problem)),
            _ => Err(Failure::Other(anyhow::anyhow!(
                "{url}: {status} {}",
                String::from_utf8_lossy(&bytes).trim()
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

/// A flag as a mark, the same in every language.
pub(super) fn mark(flag: bool) -> String {
    if flag {
        "✓".to_string()
    } else {
        String::new()
    }
}

/// The offset of the local days people read: Asia/Shanghai, the zone of the shipped definitions,
/// which keeps UTC+8 all year. The API writes instants in UTC; a person reads the local date.
pub(super) fn local_offset() -> chrono::FixedOffset {
    use chrono::Offset;
    chrono::FixedOffset::east_opt(8 * 3600).unwrap_or_else(|| Utc.fix())
}

/// The local date of an instant, for tables (`2026-03-01`).
pub(super) fn day(instant: DateTime<Utc>) -> String {
    instant
        .with_timezone(&local_offset())
        .format("%Y-%m-%d")
        .to_string()
}

/// The day a deadline was due on, from the instant it fell due: a deadline falls due at the
/// start of the local day after its due day (`deadline.rs`), so the due day is the local date just
/// before that instant, the date the to-do list and the pages show as "due on".
pub(super) fn due_day(fell_due_at: DateTime<Utc>) -> String {
    day(fell_due_at - chrono::Duration::microseconds(1))
}

/// An instant as a local time without seconds (`2026-03-01 09:00`).
pub(super) fn local_time(instant: DateTime<Utc>) -> String {
    instant
        .with_timezone(&local_offset())
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

/// A stage's name when the server gave one, else its code.
fn stage_label(name: Option<&String>, code: &str) -> String {
    name.cloned().unwrap_or_else(|| code.to_string())
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

/// Turns the outcome of a client command into an exit code, printing any failure: in words on
/// standard error, or with `--json` as a JSON document on standard output (the API's problem
/// document, every unmet guard in `unmet`; `{"error": …}` when the server could not answer), so
/// that a script reading JSON gets JSON either way. A failure exits 1.
pub(super) fn finish(outcome: Result<(), Failure>, json: bool) -> anyhow::Result<ExitCode> {
    match outcome {
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(Failure::Problem(problem)) if json => {
            println!("{}", json_line(&problem)?);
            Ok(ExitCode::FAILURE)
        }
        Err(Failure::Problem(problem)) => {
            print_problem(&problem);
            Ok(ExitCode::FAILURE)
        }
        Err(Failure::Other(error)) if json && !is_closed_pipe(&error) => {
            println!("{}", json!({ "error": format!("{error:#}") }));
            Ok(ExitCode::FAILURE)
        }
        Err(Failure::Other(error)) => Err(error),
    }
}

/// Whether an error comes from writing into a closed pipe, which `main` ends quietly.
fn is_closed_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// `specflow project ...`
pub fn project(command: ProjectCommand) -> anyhow::Result<ExitCode> {
    let json = match &command {
        ProjectCommand::List { client, export, .. } => {
            client.json || export.format == Some(crate::cli::ExportFormatArg::Json)
        }
        ProjectCommand::Show { client, .. } | ProjectCommand::Create { client, .. } => client.json,
    };
    runtime()?.block_on(async {
        let outcome = match command {
            ProjectCommand::List {
                committee,
                stage,
                overdue,
                flag,
                export,
                client,
            } => {
                let filters = ListFilters {
                    committee,
                    stage,
                    overdue,
                    flag,
                };
                list(&export.client_args(&client), filters, &export).await
            }
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
        };
        finish(outcome, json)
    })
}

/// The filters of `project list`.
struct ListFilters {
    committee: Option<String>,
    stage: Option<String>,
    overdue: bool,
    flag: Option<String>,
}

async fn list(args: &ClientArgs, filters: ListFilters, export: &ExportArgs) -> Result<(), Failure> {
    let download = export.download(false)?;
    let client = Client::new(args)?;
    let mut query = Vec::new();
    if let Some(flag) = filters.flag {
        query.push(("flag", flag));
    }
    if let Some(committee) = filters.committee {
        query.push(("committee", committee));
    }
    if let Some(stage) = filters.stage {
        query.push(("stage", stage));
    }
    if filters.overdue {
        query.push(("overdue", "true".to_string()));
    }
    if let Some(download) = download {
        return download.fetch(&client, &["projects"], &query).await;
    }
    let items = client
        .all_items::<ProjectListPage>(&["projects"], &query)
        .await?;
    if args.json {
        print_json_lines(&items)?;
        return Ok(());
    }
    let language = client.words();
    let rows: Vec<[String; 7]> = items
        .iter()
        .map(|item| {
            [
                item.code.clone(),
                language.pick(&item.title_zh, &item.title_en).clone(),
                stage_label(item.stage_name.as_ref(), &item.stage),
                day(item.stage_since),
                or_dash(item.overdue_since.map(due_day)),
                mark(item.frozen),
                item.committee.clone(),
            ]
        })
        .collect();
    let mut out = String::new();
    write_table(
        &mut out,
        &language.pick(
            [
                "编号",
                "名称",
                "阶段",
                "进入阶段",
                "逾期（到期日）",
                "冻结",
                "技术委员会",
            ],
            [
                "code",
                "title",
                "stage",
                "since",
                "overdue (due on)",
                "frozen",
                "committee",
            ],
        ),
        &rows,
    );
    print!("{out}");
    println!(
        "{}",
        language.pick(
            format!("共 {} 个项目", items.len()),
            format!("{} project(s)", items.len())
        )
    );
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
    print!("{}", project_text(&project, client.words()));
    Ok(())
}

/// `project show` for people: the project's facts, its deadlines and its actions, in `language`.
fn project_text(project: &ProjectDetail, language: Language) -> String {
    use std::fmt::Write as _;
    let summary = &project.summary;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}  {}",
        summary.code,
        language.pick(&summary.title_zh, &summary.title_en)
    );
    // The Chinese title is the specification's own; English readers get it beside theirs.
    if language == Language::En {
        let _ = writeln!(out, "  {}", summary.title_zh);
    }
    let label = |zh: &'static str, en: &'static str| language.pick(zh, en);
    let _ = writeln!(
        out,
        "{}{}{}",
        label("阶段：    ", "stage:      "),
        project.stage_name,
        language.pick(
            format!("（{} 起）", day(summary.stage_since)),
            format!(" since {}", day(summary.stage_since))
        )
    );
    let _ = writeln!(
        out,
        "{}{}",
        label("技术委员会：", "committee:  "),
        summary.committee
    );
    let _ = writeln!(
        out,
        "{}{}",
        label("起草单位：", "drafting:   "),
        summary.drafting_unit
    );
    let _ = writeln!(
        out,
        "{}{}",
        label("记录序号：", "sequence:   "),
        summary.head_sequence
    );
    if !summary.flags.is_empty() {
        let _ = writeln!(
            out,
            "{}{}",
            label("项目标记：", "flags:      "),
            summary.flags.join(", ")
        );
    }
    if let Some(overdue_since) = summary.overdue_since {
        let _ = writeln!(
            out,
            "{}",
            language.pick(
                format!("已逾期（到期日 {}）", due_day(overdue_since)),
                format!("overdue (due on {})", due_day(overdue_since))
            )
        );
    }
    if summary.frozen {
        let _ = writeln!(
            out,
            "{}",
            label(
                "已冻结：解除冻结前只能申请延期或撤销项目",
                "frozen: only an extension or a cancellation is possible until the freeze is lifted"
            )
        );
    }
    let state = &project.state;
    if let Some(publication) = &state.publication {
        let _ = writeln!(
            out,
            "{}",
            language.pick(
                format!(
                    "规范编号：{}，{} 发布，{} 实施",
                    publication.specification_number,
                    publication.publication_date,
                    publication.effective_date
                ),
                format!(
                    "specification {}, published {}, effective {}",
                    publication.specification_number,
                    publication.publication_date,
                    publication.effective_date
                )
            )
        );
    }
    if let Some(reexamination) = state.reexamination.as_ref().filter(|entry| !entry.settled) {
        let _ = writeln!(
            out,
            "{}",
            language.pick(
                format!("下次复审：{}", reexamination.times.due_on),
                format!("next re-examination due on {}", reexamination.times.due_on)
            )
        );
    }
    write_artifacts(&mut out, state, language);
    write_deadlines(&mut out, project, language);
    write_actions(&mut out, project, language);
    out
}

/// The attached documents as a table, when there are any.
fn write_artifacts(
    out: &mut String,
    state: &specflow_web::api::wire::ProjectStateView,
    language: Language,
) {
    if !state.artifacts.is_empty() {
        let artifacts: Vec<[String; 5]> = state
            .artifacts
            .iter()
            .map(|artifact| {
                [
                    artifact.kind.clone(),
                    artifact.file_name.clone(),
                    specflow_engine::human_size(artifact.size_bytes),
                    day(artifact.attached_at),
                    artifact.sha256.chars().take(12).collect(),
                ]
            })
            .collect();
        out.push('\n');
        write_table(
            out,
            &language.pick(
                ["文件类别", "文件名", "大小", "附上日期", "SHA-256"],
                ["kind", "file", "size", "attached on", "SHA-256"],
            ),
            &artifacts,
        );
    }
}

/// The deadlines as a table, when there are any.
fn write_deadlines(out: &mut String, project: &ProjectDetail, language: Language) {
    let label = |zh: &'static str, en: &'static str| language.pick(zh, en);
    let deadlines: Vec<[String; 5]> = project
        .deadlines
        .iter()
        .map(|deadline| {
            [
                deadline.name.clone(),
                or_dash(deadline.due_on),
                or_dash(deadline.days_left),
                if deadline.open {
                    label("进行中", "open")
                } else {
                    label("已结束", "closed")
                }
                .to_string(),
                mark(deadline.missed),
            ]
        })
        .collect();
    if !deadlines.is_empty() {
        out.push('\n');
        write_table(
            out,
            &language.pick(
                ["期限", "到期日", "剩余天数", "状态", "已错过"],
                ["deadline", "due on", "days left", "", "missed"],
            ),
            &deadlines,
        );
    }
}

/// The available actions, each blocked one with its unmet guards.
fn write_actions(out: &mut String, project: &ProjectDetail, language: Language) {
    use std::fmt::Write as _;
    let label = |zh: &'static str, en: &'static str| language.pick(zh, en);
    out.push('\n');
    let _ = writeln!(out, "{}", label("可执行的操作：", "actions:"));
    for action in &project.available_actions {
        let _ = writeln!(
            out,
            "  {} {} ({}) → {}",
            if action.ready {
                label("可执行", "ready  ")
            } else {
                label("受阻  ", "blocked")
            },
            action.action,
            action.name,
            action.to_name
        );
        for reason in &action.unmet {
            let _ = writeln!(out, "            - {}", reason.message);
        }
    }
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
            "{}",
            client.words().pick(
                format!(
                    "已创建项目 {}（记录 {}）",
                    answer.project_id, answer.last_sequence
                ),
                format!(
                    "created project {} (sequence {})",
                    answer.project_id, answer.last_sequence
                )
            )
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
                        "{}",
                        client.words().pick(
                            format!(
                                "{code}：已执行 {action}（记录 {}–{}）",
                                answer.first_sequence, answer.last_sequence
                            ),
                            format!(
                                "{code}: {action} done (records {} to {})",
                                answer.first_sequence, answer.last_sequence
                            )
                        )
                    );
                }
                Ok(())
            }
            .await,
            args.json,
        )
    })
}

/// `specflow overdue`.
pub fn overdue(
    args: &ClientArgs,
    committee: Option<String>,
    sort: Option<String>,
    csv: bool,
    export: &ExportArgs,
) -> anyhow::Result<ExitCode> {
    let args = &export.client_args(args);
    let download = export.download(csv)?;
    let printed_json = args.json && download.is_none();
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
                if let Some(download) = download {
                    // The server writes every page of the CSV or the workbook itself.
                    return download.fetch(&client, &["overdue"], &query).await;
                }
                let items = client
                    .all_items::<OverduePage>(&["overdue"], &query)
                    .await?;
                if args.json {
                    print_json_lines(&items)?;
                    return Ok(());
                }
                let language = client.words();
                let rows: Vec<[String; 7]> = items
                    .iter()
                    .map(|item| {
                        [
                            item.code.clone(),
                            language.pick(&item.title_zh, &item.title_en).clone(),
                            stage_label(item.stage_name.as_ref(), &item.stage),
                            due_day(item.overdue_since),
                            item.days_overdue.to_string(),
                            mark(item.escalated),
                            mark(item.frozen),
                        ]
                    })
                    .collect();
                let mut out = String::new();
                write_table(
                    &mut out,
                    &language.pick(
                        [
                            "编号",
                            "名称",
                            "阶段",
                            "到期日",
                            "逾期天数",
                            "已上报",
                            "冻结",
                        ],
                        [
                            "code",
                            "title",
                            "stage",
                            "due on",
                            "days",
                            "escalated",
                            "frozen",
                        ],
                    ),
                    &rows,
                );
                print!("{out}");
                println!(
                    "{}",
                    language.pick(
                        format!("共 {} 个逾期项目", items.len()),
                        format!("{} overdue project(s)", items.len())
                    )
                );
                Ok(())
            }
            .await,
            printed_json,
        )
    })
}

/// `specflow history CODE`: the records, or the state as of an instant or a sequence.
pub fn history(
    args: &ClientArgs,
    code: &str,
    (as_of, sequence): (Option<String>, Option<u64>),
    export: &ExportArgs,
) -> anyhow::Result<ExitCode> {
    let args = &export.client_args(args);
    let download = export.download(false)?;
    if download.is_some() && (as_of.is_some() || sequence.is_some()) {
        anyhow::bail!(
            "--format csv and xlsx export the whole log; --as-of and --sequence show one state"
        );
    }
    runtime()?.block_on(async {
        finish(
            async {
                let client = Client::new(args)?;
                if let Some(download) = download {
                    return download
                        .fetch(&client, &["projects", code, "history"], &[])
                        .await;
                }
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
                        let language = client.words();
                        let point = match (state.sequence, state.as_of) {
                            (Some(sequence), _) => language
                                .pick(format!("记录 {sequence}"), format!("record {sequence}")),
                            (None, as_of) => or_dash(as_of.map(local_time)),
                        };
                        println!(
                            "{}",
                            language.pick(
                                format!(
                                    "{code} 截至 {point}：阶段 {}",
                                    stage_label(
                                        Some(&state.stage_name).filter(|name| !name.is_empty()),
                                        &state.stage
                                    )
                                ),
                                format!(
                                    "{code} as of {point}: stage {}",
                                    stage_label(
                                        Some(&state.stage_name).filter(|name| !name.is_empty()),
                                        &state.stage
                                    )
                                )
                            )
                        );
                    }
                    return Ok(());
                }
                let mut records = Vec::new();
                let mut readable = std::collections::BTreeMap::new();
                let mut after = 0u64;
                loop {
                    let query = [("after", after.to_string()), ("limit", PAGE.to_string())];
                    let url = client.url(&["projects", code, "history"], &query)?;
                    let page: HistoryPage = client.get(url).await?;
                    records.extend(page.records);
                    readable.extend(page.readable.into_iter().map(|line| (line.sequence, line)));
                    match page.next_after_sequence {
                        Some(next) => after = next,
                        None => break,
                    }
                }
                if args.json {
                    print_json_lines(&records)?;
                    return Ok(());
                }
                // The server's words for each record; an older server gives none, and the
                // record's own fields stand in.
                let rows: Vec<[String; 4]> = records
                    .iter()
                    .map(|record| match readable.get(&record.sequence) {
                        Some(line) => [
                            record.sequence.to_string(),
                            line.recorded_at_local.clone(),
                            format!("{} ({})", record.actor_id, line.actor_role_name),
                            line.summary.clone(),
                        ],
                        None => [
                            record.sequence.to_string(),
                            local_time(record.recorded_at),
                            format!("{} ({})", record.actor_id, record.actor_role),
                            record.event_type.clone(),
                        ],
                    })
                    .collect();
                let mut out = String::new();
                write_table(
                    &mut out,
                    &client.words().pick(
                        ["序号", "时间", "执行者", "事件"],
                        ["seq", "recorded at", "by", "event"],
                    ),
                    &rows,
                );
                print!("{out}");
                Ok(())
            }
            .await,
            args.json,
        )
    })
}
