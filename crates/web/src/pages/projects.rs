//! The projects a reader may see (the home page), and one project's page: where it is in its
//! lifecycle, its stages and deadlines on a timeline, what the reader may do now and why not,
//! its artifacts, comments and meetings; as it stands, or as it stood at a date or a record.
//!
//! Everything is read as the API reads it: `visible_projects` for the list, `readable_project`
//! for a project (a hidden one is the API's 404), `action_views` and `deadline_views` for what
//! the page shows, and `carry_out` for a fired action, so the engine decides and the store
//! writes exactly as for `POST /api/v1/projects/{project}/actions/{action}`.

use super::forms::{Desk, FormKind, Retry, Values, clearing_form, form_address, work_section};
use super::layout::{self, Words, local_date, local_time};
use super::session::{CSRF_FIELD, SignedIn, read_form};
use crate::app::AppState;
use crate::app::committees::{committee_label, committee_names};
use crate::app::exports::project_list;
use crate::app::filters::{self, GivenFilters};
use crate::app::idempotency::{WriteRoute, scoped_command_id};
use crate::app::moments::Moment;
use crate::app::problem::{Problem, ProblemKind};
use crate::app::projects::{
    ActionView, DeadlineView, action_views, artifact_download, carry_out, deadline_views,
    readable_project, visible_projects, writable_project, writable_target,
};
use crate::app::spreadsheet::{self, SheetFormat};
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, Duration, FixedOffset, NaiveDate, TimeZone, Utc};
use maud::{Markup, html};
use serde::Deserialize;
use specflow_engine::audit::AsOf;
use specflow_engine::definition::MeetingForm;
use specflow_engine::{Command, ProjectState, WorkflowDefinition, human_size};
use specflow_store::auth::Principal;
use specflow_store::{ProjectFilter, ProjectSummary};
use std::collections::BTreeMap;
use uuid::Uuid;

/// How many projects the home page lists at a time.
const HOME_PAGE: u32 = 50;

/// How many comments a page of a project's comments table lists: a long project receives
/// thousands, and the page must stay quick to send and to read; the pager reaches the rest.
const COMMENTS_PER_PAGE: usize = 100;

/// A query string read into `T`, or a 400 page naming the mistake.
pub(super) fn parse_query<T: serde::de::DeserializeOwned + Default>(
    raw: Option<String>,
) -> Result<T, Problem> {
    match raw {
        None => Ok(T::default()),
        Some(raw) => serde_urlencoded::from_str(&raw).map_err(|error| {
            Problem::new(
                ProblemKind::InvalidRequest,
                format!("地址中的查询参数有误：{error}"),
                format!("The address's query is not as expected: {error}"),
            )
        }),
    }
}

/// A filter field as a form sends it: empty means "any".
pub(super) fn given(value: Option<String>) -> Option<String> {
    value
        .map(|value| value.trim().to_string())
        .filter(|value| !value.is_empty())
}

/// A query string from its pairs, leaving out the empty ones.
pub(super) fn query_string(pairs: &[(&str, Option<&str>)]) -> String {
    let mut serializer = form_urlencoded::Serializer::new(String::new());
    for (name, value) in pairs {
        if let Some(value) = value.filter(|value| !value.is_empty()) {
            serializer.append_pair(name, value);
        }
    }
    serializer.finish()
}

/// A stage's name in the reader's language, from the project's definition.
fn stage_name(definition: &WorkflowDefinition, stage: &str, words: Words) -> String {
    definition.stage_name(stage).get(words.0).to_string()
}

/// The query of the home page.
#[derive(Debug, Default, Deserialize)]
struct HomeQuery {
    stage: Option<String>,
    overdue: Option<String>,
    flag: Option<String>,
    after: Option<String>,
}

/// The home page's filters as the store reads them, and whether only overdue projects (or only
/// those not overdue) are asked for.
async fn home_filter(
    state: &AppState,
    query: HomeQuery,
) -> Result<(ProjectFilter, Option<bool>), Problem> {
    let overdue = match given(query.overdue).as_deref() {
        None => None,
        Some("yes") => Some(true),
        Some("no") => Some(false),
        Some(other) => {
            return Err(Problem::invalid(
                "overdue",
                format!("overdue 应为 yes 或 no，收到 {other}"),
                format!("overdue must be yes or no, not {other}"),
            ));
        }
    };
    let resolved = filters::resolve(
        state,
        GivenFilters {
            stage: given(query.stage),
            ..GivenFilters::default()
        },
    )
    .await?;
    let filter = ProjectFilter {
        definition: resolved.definition,
        stage: resolved.stage,
        overdue,
        flag: given(query.flag),
        ..ProjectFilter::default()
    };
    Ok((filter, overdue))
}

/// `GET /projects.xlsx` and `GET /projects.csv`: every project the list's filters select, as the
/// API's export, headers in the reader's language.
async fn projects_export(
    state: &AppState,
    signed_in: &SignedIn,
    raw: Option<String>,
    format: SheetFormat,
) -> Response {
    let answer = async {
        let (filter, _) = home_filter(state, parse_query(raw)?).await?;
        let language = signed_in.viewer.words().0;
        let table = project_list(state, &signed_in.principal, filter, language).await?;
        spreadsheet::download(format, "projects", &[table])
    };
    match answer.await {
        Ok(response) => response,
        Err(problem) => signed_in.viewer.error_page(&problem),
    }
}

/// `GET /projects.xlsx`.
pub async fn projects_xlsx(
    State(state): State<AppState>,
    signed_in: SignedIn,
    RawQuery(raw): RawQuery,
) -> Response {
    projects_export(&state, &signed_in, raw, SheetFormat::Xlsx).await
}

/// `GET /projects.csv`.
pub async fn projects_csv(
    State(state): State<AppState>,
    signed_in: SignedIn,
    RawQuery(raw): RawQuery,
) -> Response {
    projects_export(&state, &signed_in, raw, SheetFormat::Csv).await
}

/// `GET /projects` (and `GET /` for auditors): the projects the reader may see, by code, with
/// filters in the address.
pub async fn home(
    State(state): State<AppState>,
    signed_in: SignedIn,
    RawQuery(raw): RawQuery,
) -> Response {
    match home_body(&state, &signed_in, raw).await {
        Ok(body) => layout::page_response(
            &signed_in.viewer,
            signed_in.viewer.words().pick("项目", "Projects"),
            body,
        ),
        Err(problem) => signed_in.viewer.error_page(&problem),
    }
}

async fn home_body(
    state: &AppState,
    signed_in: &SignedIn,
    raw: Option<String>,
) -> Result<Markup, Problem> {
    let words = signed_in.viewer.words();
    let query: HomeQuery = parse_query(raw)?;
    let stage = given(query.stage.clone());
    let flag = given(query.flag.clone());
    let after = given(query.after.clone());
    let (filter, overdue) = home_filter(state, query).await?;
    let flags = crate::app::projects::known_project_flags(state).await?;
    let page = visible_projects(
        state,
        &signed_in.principal,
        filter,
        after.as_deref(),
        HOME_PAGE,
    )
    .await?;
    let mut rows = Vec::with_capacity(page.items.len());
    let stages = filters::stage_choices(state, words.0).await?;
    for summary in page.items {
        let definition = state
            .store
            .definition(&summary.definition_id, summary.definition_version)
            .await?;
        let name = stage_name(&definition, &summary.stage, words);
        rows.push((summary, name));
    }
    let overdue_text = overdue.map(|overdue| if overdue { "yes" } else { "no" });
    let filters_query = query_string(&[
        ("stage", stage.as_deref()),
        ("overdue", overdue_text),
        ("flag", flag.as_deref()),
    ]);
    let next = page.next_after.as_deref().map(|next_after| {
        query_string(&[
            ("stage", stage.as_deref()),
            ("overdue", overdue_text),
            ("flag", flag.as_deref()),
            ("after", Some(next_after)),
        ])
    });
    let may_create = super::creation::may_create(state, &signed_in.principal).await;
    Ok(html! {
        h1 { (words.pick("我的项目", "My projects")) }
        p.muted { (scope_sentence(&signed_in.principal, words)) }
        @if may_create {
            p { a #new-project href="/projects/new" { (words.pick("新建项目", "New project")) } }
        }
        form.filters method="get" action="/projects" aria-label=(words.pick("筛选项目", "Filter the projects")) {
            p {
                label for="filter-stage" { (words.pick("阶段", "Stage")) }
                select #filter-stage name="stage" {
                    option value="" { (words.pick("全部", "Any")) }
                    @for (workflow, choices) in &stages {
                        optgroup label=(workflow) {
                            @for (value, name) in choices {
                                option value=(value) selected[stage.as_deref() == Some(value.as_str())] { (name) }
                            }
                        }
                    }
                }
            }
            p {
                label for="filter-overdue" { (words.pick("是否逾期", "Overdue")) }
                select #filter-overdue name="overdue" {
                    option value="" { (words.pick("全部", "Any")) }
                    option value="yes" selected[overdue == Some(true)] { (words.pick("逾期", "Overdue")) }
                    option value="no" selected[overdue == Some(false)] { (words.pick("未逾期", "Not overdue")) }
                }
            }
            @if !flags.is_empty() {
                p {
                    label for="filter-flag" { (words.pick("项目标记", "Marked")) }
                    select #filter-flag name="flag" {
                        option value="" { (words.pick("全部", "Any")) }
                        @for known in &flags {
                            option value=(known.code) selected[flag.as_deref() == Some(known.code.as_str())] { (known.name.get(words.0)) }
                        }
                    }
                }
            }
            p { button type="submit" { (words.pick("筛选", "Filter")) } }
        }
        @if rows.is_empty() {
            p.notice { (words.pick("没有符合条件的项目。", "No project matches.")) }
        } @else {
            (layout::downloads("/projects", &filters_query, "projects", words))
            div.table-wrap {
                table {
                    caption.muted { (words.pick("按项目编号排序", "By project code")) }
                    thead { tr {
                        th scope="col" { (words.pick("编号", "Code")) }
                        th scope="col" { (words.pick("名称", "Title")) }
                        th scope="col" { (words.pick("技术委员会", "Committee")) }
                        th scope="col" { (words.pick("阶段", "Stage")) }
                        th scope="col" { (words.pick("下一到期日", "Next due on")) }
                        th scope="col" { (words.pick("状态", "State")) }
                    } }
                    tbody {
                        @for (summary, name) in &rows {
                            tr {
                                td { a href=(format!("/projects/{}", summary.project_id)) { (summary.code) } }
                                td { (title_of(summary, words)) }
                                td { (summary.committee) }
                                td { (name) }
                                td { @if let Some(day) = summary.next_due_on { (day) } @else { "—" } }
                                td { (badges(summary, words)) }
                            }
                        }
                    }
                }
            }
        }
        nav.pager aria-label=(words.pick("翻页", "Pages")) {
            @if after.is_some() { a href="/projects" { (words.pick("第一页", "First page")) } }
            @if let Some(next) = &next { a href=(format!("/projects?{next}")) rel="next" { (words.pick("下一页", "Next page")) } }
        }
    })
}

/// The project's title in the reader's language.
pub(super) fn title_of(summary: &ProjectSummary, words: Words) -> String {
    words.pick(&summary.title_zh, &summary.title_en).to_string()
}

/// A principal's scope in words, under the home page's heading.
fn scope_sentence(principal: &Principal, words: Words) -> String {
    use specflow_store::auth::Visibility;
    match principal.visibility() {
        Visibility::Everything => words
            .pick("您可查看全部项目。", "You see every project.")
            .to_string(),
        Visibility::Committee(committee) => words.0.pick(
            format!("您可查看 {committee} 的项目。"),
            format!("You see the projects of {committee}."),
        ),
        Visibility::Project(_) => words
            .pick("您可查看所起草的项目。", "You see the project you draft.")
            .to_string(),
        Visibility::Nothing => words
            .pick(
                "您的令牌未指定范围，看不到任何项目。",
                "Your token names no scope: you see no project.",
            )
            .to_string(),
    }
}

/// The overdue, escalated, frozen and closed badges of a project.
pub(super) fn badges(summary: &ProjectSummary, words: Words) -> Markup {
    html! {
        @if summary.overdue_since.is_some() { span.badge.late { (words.pick("逾期", "overdue")) } }
        @if summary.escalated { span.badge.warn { (words.pick("已上报", "escalated")) } }
        @if summary.frozen { span.badge.frozen { (words.pick("已冻结", "frozen")) } }
        @if summary.terminal { span.badge.ok { (words.pick("已结束", "closed")) } }
    }
}

/// The query of a project's page: the present, or as of a date or a record.
#[derive(Debug, Default, Deserialize)]
struct ProjectQuery {
    /// A local date: the project as it stood at the end of that day.
    as_of: Option<String>,
    /// A record's sequence: the project as it stood right after it.
    sequence: Option<String>,
    /// The action just fired, for the confirmation.
    done: Option<String>,
    /// The work form just carried out, for the confirmation.
    saved: Option<String>,
    /// Set when the project was just created, for the confirmation.
    created: Option<String>,
    /// The work form to open (`attach`, `sign-off`…), from a blocked action's reason.
    form: Option<String>,
    /// The document kind to preset in the upload form.
    kind: Option<String>,
    /// What to preset in the sign-off form.
    subject: Option<String>,
    /// The field to preset in the field form.
    field: Option<String>,
    /// The motion to preset in the meeting form.
    motion: Option<String>,
    /// The page of the comments table, from 1.
    comments_page: Option<String>,
}

impl ProjectQuery {
    /// The form to open and the values to preset in it.
    fn opened(&self) -> Option<(FormKind, Values)> {
        let form = FormKind::from_slug(self.form.as_deref()?)?;
        let mut presets = Values::new();
        for (name, preset) in [
            ("kind", &self.kind),
            ("subject", &self.subject),
            ("field", &self.field),
            ("motion", &self.motion),
        ] {
            if let Some(preset) = preset {
                presets.insert(name.to_string(), vec![preset.clone()]);
            }
        }
        Some((form, presets))
    }
}

/// `GET /projects/{project}`: the project's page, now or `?as_of=2026-03-01` or `?sequence=12`.
pub async fn project_page(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id_or_code): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    render_project(&state, &signed_in, &id_or_code, raw, None).await
}

/// The project's page, with a refused work form shown again when there is one.
pub(super) async fn render_project(
    state: &AppState,
    signed_in: &SignedIn,
    id_or_code: &str,
    raw: Option<String>,
    retry: Option<&Retry>,
) -> Response {
    match project_body(state, signed_in, id_or_code, raw, retry).await {
        Ok((title, body)) => layout::page_response(&signed_in.viewer, &title, body),
        Err(problem) => signed_in.viewer.error_page(&problem),
    }
}

async fn project_body(
    state: &AppState,
    signed_in: &SignedIn,
    id_or_code: &str,
    raw: Option<String>,
    retry: Option<&Retry>,
) -> Result<(String, Markup), Problem> {
    let words = signed_in.viewer.words();
    let query: ProjectQuery = parse_query(raw)?;
    let project_id = readable_project(state, &signed_in.principal, id_or_code).await?;
    let view = state
        .store
        .project(project_id)
        .await?
        .ok_or_else(|| Problem::project_not_found(id_or_code))?;
    let definition = view.definition.clone();
    let offset = definition.local_utc_offset;
    let moment = Moment::read(
        given(query.as_of.clone()).as_deref(),
        given(query.sequence.clone()).as_deref(),
        offset,
    )?
    .check(
        view.summary.head_sequence,
        view.state.visits.first().map(|visit| visit.entered_at),
        offset,
    )?;
    let now = state.store.clock().now();
    let (project, seen_at) = match moment {
        Moment::Present => (view.state.clone(), now),
        Moment::EndOfDay(_, instant) | Moment::Instant(instant) => (
            state
                .store
                .state_as_of(project_id, AsOf::Instant(instant))
                .await?,
            instant.min(now),
        ),
        Moment::Record(sequence) => {
            let replayed = state
                .store
                .state_as_of(project_id, AsOf::Sequence(sequence))
                .await?;
            let at = replayed.last_event_at.unwrap_or(now);
            (replayed, at)
        }
    };
    let summary = &view.summary;
    let title = format!("{} {}", summary.code, title_of(summary, words));
    let present = matches!(moment, Moment::Present);
    let deadlines = deadline_views(&project, &definition, words.0, seen_at);
    let actions = if present {
        action_views(&project, &definition, &signed_in.principal, words.0, now)
    } else {
        Vec::new()
    };
    let read_only = specflow_store::auth::is_read_only(&signed_in.principal);
    let base = format!("/projects/{project_id}");
    let (shown_address, comments_as_of) = match &moment {
        Moment::Present => (base.clone(), AsOf::Sequence(summary.head_sequence)),
        Moment::EndOfDay(day, instant) => (format!("{base}?as_of={day}"), AsOf::Instant(*instant)),
        Moment::Instant(instant) => (
            format!("{base}?as_of={}", instant.to_rfc3339().replace('+', "%2B")),
            AsOf::Instant(*instant),
        ),
        Moment::Record(sequence) => (
            format!("{base}?sequence={sequence}"),
            AsOf::Sequence(*sequence),
        ),
    };
    let comments = comments_shown(
        state,
        project_id,
        &project,
        comments_as_of,
        query.comments_page.as_deref(),
        &shown_address,
    )
    .await?;
    let as_of_value = match &moment {
        Moment::EndOfDay(day, _) => day.format("%Y-%m-%d").to_string(),
        Moment::Instant(instant) => local_date(*instant, offset),
        _ => String::new(),
    };
    let sequence_value = match &moment {
        Moment::Record(sequence) => sequence.to_string(),
        _ => String::new(),
    };
    let done = done_message(&query, &definition, words);
    let rolls = if present && !read_only {
        meeting_rolls(state, &project, &summary.committee).await?
    } else {
        BTreeMap::new()
    };
    let opened = query.opened();
    let desk = Desk {
        definition: &definition,
        project: &project,
        summary,
        principal: &signed_in.principal,
        csrf: signed_in.viewer.csrf.as_deref().unwrap_or_default(),
        base: &base,
        max_upload_bytes: state.store.options().max_artifact_bytes,
        rolls: &rolls,
        opened: opened.as_ref().map(|(form, presets)| (*form, presets)),
        retry,
        table_opened: query.form.as_deref() == Some("comment-table"),
        words,
    };
    let committee_text =
        committee_label(&committee_names(state).await?, &summary.committee, words.0);
    let body = html! {
        h1 { (summary.code) " " (title_of(summary, words)) }
        @if let Some(done) = &done {
            p.success role="status" { (words.pick("已执行：", "Done: ")) (done) }
        }
        (as_of_banner(&moment, &base, offset, words))
        (overview(&definition, &project, summary, &committee_text, present, &base, words))
        h2 { (words.pick("生命周期", "Lifecycle")) }
        (lifecycle(&definition, &project, words))
        @if present && !read_only {
            // What is done on screen is not printed: the paper shows the project, not its forms.
            h2.no-print { (words.pick("可执行的操作", "Actions")) }
            (actions_block(&actions, &desk))
            h2.no-print #work-heading { (words.pick("办理", "Work")) }
            (work_section(&desk))
        }
        h2 { (words.pick("时间线", "Timeline")) }
        (timeline(&definition, &project, &deadlines, seen_at, words))
        h2 { (words.pick("期限", "Deadlines")) }
        (deadlines_table(&deadlines, offset, words))
        h2 { (words.pick("文件", "Artifacts")) }
        (artifacts_table(&base, &definition, &project, offset, words))
        h2 #comments-heading { (words.pick("意见与处理", "Comments and dispositions")) }
        (comments_table(&project, &comments, offset, words))
        h2 { (words.pick("会议与表决", "Meetings and votes")) }
        (meetings_block(&definition, &project, words))
        h2.no-print { (words.pick("查看历史状态", "See the project as it stood")) }
        (as_of_forms(&base, &as_of_value, &sequence_value, words))
    };
    Ok((title, body))
}

/// The overview card: stage, committee with its name, drafting unit, kind, marks, workflow, the
/// publication and next re-examination once published, the state's badges and the records.
fn overview(
    definition: &WorkflowDefinition,
    project: &ProjectState,
    summary: &ProjectSummary,
    committee_text: &str,
    present: bool,
    base: &str,
    words: Words,
) -> Markup {
    html! {
    section.card aria-labelledby="facts-heading" {
        h2 #facts-heading { (words.pick("概况", "Overview")) }
        dl.facts {
            dt { (words.pick("当前阶段", "Stage")) }
            dd #current-stage { (stage_name(definition, project.stage(), words)) }
            dt { (words.pick("技术委员会", "Committee")) }
            dd { (committee_text) }
            dt { (words.pick("起草单位", "Drafting unit")) }
            dd { (summary.drafting_unit) }
            dt { (words.pick("规范类型", "Kind")) }
            dd { (definition.specification_kind_name(&summary.specification_kind).get(words.0)) }
            @if let Some(created) = &project.project && !created.flags.is_empty() {
                dt { (words.pick("项目标记", "Marked")) }
                dd #project-flags {
                    @for (index, flag) in created.flags.iter().enumerate() {
                        @if index > 0 { (words.pick("、", ", ")) }
                        (definition.project_flag_name(flag).get(words.0))
                    }
                }
            }
            dt { (words.pick("工作流", "Workflow")) }
            dd { (definition.title.get(words.0)) " v" (summary.definition_version) }
            @if let Some(publication) = &project.publication {
                dt { (words.pick("规范编号", "Specification number")) }
                dd #specification-number { (publication.specification_number) }
                dt { (words.pick("发布日期", "Published on")) }
                dd { (publication.publication_date) }
                dt { (words.pick("实施日期", "Effective on")) }
                dd { (publication.effective_date) }
            }
            @if let Some(reexamination) = &project.reexamination {
                dt { (words.pick("下次复审到期日", "Next re-examination due on")) }
                dd #next-reexamination {
                    (reexamination.times.due_on)
                    span.muted { (words.pick("（自 ", " (counted from ")) (reexamination.counted_from) (words.pick(" 起算）", ")")) }
                    @if reexamination.fell_due && !reexamination.settled { " " span.badge.late { (words.pick("已到期", "due")) } }
                }
            }
            dt { (words.pick("状态", "State")) }
            dd {
                @if present { (badges(summary, words)) }
                @if project.frozen.is_some() && !present { span.badge.frozen { (words.pick("已冻结", "frozen")) } }
                @if present && !summary.frozen && summary.overdue_since.is_none() && !summary.terminal { span.badge.ok { (words.pick("正常", "on track")) } }
            }
            dt { (words.pick("记录数", "Records")) }
            dd { (project.events_applied) " · " a href=(format!("{base}/history")) { (words.pick("审计记录与校验", "Audit log and verification")) } }
        }
    }
    }
}

/// The two forms that show the project as it stood: at the end of a date, or after a record.
fn as_of_forms(base: &str, as_of_value: &str, sequence_value: &str, words: Words) -> Markup {
    html! {
    form.filters method="get" action=(base) aria-label=(words.pick("按日期查看历史状态", "As of a date")) {
        p {
            label for="as-of-date" { (words.pick("日期（当日结束时）", "Date (end of day)")) }
            input #as-of-date type="date" name="as_of" value=(as_of_value) required;
        }
        p { button type="submit" #as-of-submit { (words.pick("按日期查看", "Show as of that date")) } }
    }
    form.filters method="get" action=(base) aria-label=(words.pick("按记录查看历史状态", "As of a record")) {
        p {
            label for="as-of-sequence" { (words.pick("记录序号", "Record sequence")) }
            input #as-of-sequence type="number" min="1" name="sequence" value=(sequence_value) required;
        }
        p { button type="submit" { (words.pick("按记录查看", "Show as of that record")) } }
    }
    }
}

/// What the page confirms was just done: an action fired, a form carried out, a comment table
/// imported, the project created.
fn done_message(
    query: &ProjectQuery,
    definition: &WorkflowDefinition,
    words: Words,
) -> Option<String> {
    if let Some(action) = given(query.done.clone()) {
        return Some(definition.action_name(&action).get(words.0).to_string());
    }
    if let Some(form) = given(query.saved.clone()).and_then(|slug| FormKind::from_slug(&slug)) {
        return Some(form.title(words).to_string());
    }
    if query.saved.as_deref() == Some("comment-table") {
        return Some(
            words
                .pick(
                    "导入意见汇总处理表",
                    "Imported the comment disposition table",
                )
                .to_string(),
        );
    }
    given(query.created.clone()).map(|_| words.pick("创建项目", "Created the project").to_string())
}

/// The banner of a page that shows the project as it stood, with the way back to the present.
fn as_of_banner(moment: &Moment, base: &str, offset: FixedOffset, words: Words) -> Markup {
    html! {
    @match &moment {
        Moment::Present => {},
        Moment::EndOfDay(day, _) => {
            p.notice role="status" #as-of-banner {
                (words.pick("历史视图：项目在 ", "History view: the project as it stood at the end of "))
                strong { (day.format("%Y-%m-%d")) }
                (words.pick(" 结束时的状态（只读）。", " (read only)."))
                " " a href=(base) { (words.pick("回到现在", "Back to the present")) }
            }
        },
        Moment::Instant(instant) => {
            p.notice role="status" #as-of-banner {
                (words.pick("历史视图：项目在 ", "History view: the project as it stood at "))
                strong { (local_time(*instant, offset)) }
                (words.pick(" 时的状态（只读）。", " (read only)."))
                " " a href=(base) { (words.pick("回到现在", "Back to the present")) }
            }
        },
        Moment::Record(sequence) => {
            p.notice role="status" #as-of-banner {
                (words.pick("历史视图：项目在第 ", "History view: the project right after record "))
                strong { (sequence) }
                (words.pick(" 号记录之后的状态（只读）。", " (read only)."))
                " " a href=(base) { (words.pick("回到现在", "Back to the present")) }
            }
        },
    }
    }
}

/// The lifecycle as a progress line: every stage of the definition in its order, the visited
/// ones marked and the current one highlighted.
fn lifecycle(definition: &WorkflowDefinition, project: &ProjectState, words: Words) -> Markup {
    let current = project.stage();
    html! {
        ol.lifecycle aria-label=(words.pick("生命周期各阶段", "Stages of the lifecycle")) {
            @for stage in &definition.stages {
                @let visited = project.visits.iter().any(|visit| visit.stage == stage.code);
                @let class = match (stage.code == current, visited, stage.terminal) {
                    (true, _, _) => "current",
                    (false, true, _) => "visited",
                    (false, false, true) => "terminal",
                    (false, false, false) => "",
                };
                @if stage.code == current {
                    li class=(class) aria-current="step" { (stage.name.get(words.0)) }
                } @else {
                    li class=(class) { (stage.name.get(words.0)) }
                }
            }
        }
    }
}

/// The actions of the stage as buttons: a form for each one the reader may fire (it leads to a
/// confirmation page first), and a disabled button with every unmet guard for the others, each
/// reason linked to the form that clears it when the reader may use that form.
fn actions_block(actions: &[ActionView], desk: &Desk<'_>) -> Markup {
    let words = desk.words;
    html! {
        @if actions.is_empty() {
            p.muted { (words.pick("当前阶段没有可执行的操作。", "The current stage offers no action.")) }
        } @else {
            div.actions {
                @for action in actions {
                    div.action id=(format!("action-{}", action.action)) {
                        h3 { (action.name) " → " (action.to_name) }
                        @if action.ready {
                            form method="post" action=(format!("{}/actions/{}", desk.base, action.action)) {
                                input type="hidden" name=(CSRF_FIELD) value=(desk.csrf);
                                // A retried submission (a double click, a resent form) carries
                                // the same command id, so it is carried out once.
                                input type="hidden" name="command_id" value=(Uuid::new_v4());
                                input type="hidden" name="sequence" value=(desk.summary.head_sequence);
                                @if action.requires_reason {
                                    label for=(format!("reason-{}", action.action)) { (words.pick("理由（必填）", "Reason (required)")) }
                                    textarea id=(format!("reason-{}", action.action)) name="reason" required {}
                                }
                                p { button type="submit" { (action.name) "…" } }
                            }
                        } @else {
                            p {
                                button type="button" disabled aria-describedby=(format!("unmet-{}", action.action)) { (action.name) }
                            }
                            div id=(format!("unmet-{}", action.action)) {
                                p.muted { (words.pick("暂不能执行，原因：", "Not possible yet, because:")) }
                                ul.unmet {
                                    @for reason in &action.unmet {
                                        li {
                                            (reason.message)
                                            @if let Some(link) = clearing_link(reason, desk) {
                                                " " a.clear href=(link) { (words.pick("去办理", "Do it")) }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The address of the form that clears an unmet guard, with what it needs chosen, when the
/// reader may use that form.
fn clearing_link(reason: &crate::app::projects::UnmetView, desk: &Desk<'_>) -> Option<String> {
    let unheld = desk.project.scheduled_meetings.iter().any(|meeting| {
        !desk
            .project
            .meetings
            .iter()
            .any(|held| held.record.meeting_id == meeting.schedule.meeting_id)
    });
    let (form, preset) = clearing_form(&reason.code, &reason.figures, unheld)?;
    if !form.allowed(desk.definition, desk.summary, desk.principal) {
        return None;
    }
    Some(form_address(desk.base, form, preset.as_ref()))
}

/// Where an instant falls on the timeline's axis, in SVG units.
struct Axis {
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    left: f64,
    width: f64,
}

impl Axis {
    fn x(&self, instant: DateTime<Utc>) -> f64 {
        let span = (self.end - self.start).num_seconds().max(1) as f64;
        let offset = (instant - self.start).num_seconds() as f64;
        self.left + (offset / span).clamp(0.0, 1.0) * self.width
    }
}

/// The end of a local day, as an instant.
fn end_of_day(day: NaiveDate, offset: FixedOffset) -> Option<DateTime<Utc>> {
    let midnight = day.succ_opt()?.and_hms_opt(0, 0, 0)?;
    Some(
        offset
            .from_local_datetime(&midnight)
            .single()?
            .with_timezone(&Utc),
    )
}

/// Each stage visit as a bar (actual dates) and each deadline as a line to its due date with its
/// planned date marked, drawn in SVG; the tables below hold the same dates as text.
fn timeline(
    definition: &WorkflowDefinition,
    project: &ProjectState,
    deadlines: &[DeadlineView],
    seen_at: DateTime<Utc>,
    words: Words,
) -> Markup {
    let offset = definition.local_utc_offset;
    let Some(first) = project.visits.first() else {
        return html! { p.muted { (words.pick("尚无记录。", "Nothing recorded yet.")) } };
    };
    let start = first.entered_at;
    let mut end = seen_at.max(start + Duration::days(30));
    for deadline in deadlines {
        for day in [
            deadline.due_on,
            deadline.planned_due_on,
            deadline.original_due_on,
        ]
        .into_iter()
        .flatten()
        {
            if let Some(at) = end_of_day(day, offset) {
                end = end.max(at);
            }
        }
    }
    let axis = Axis {
        start,
        end: end + Duration::days(7),
        left: 170.0,
        width: 600.0,
    };
    let row = 22.0;
    let rows = project.visits.len() + deadlines.len();
    let height = 40.0 + row * rows as f64;
    let ticks: Vec<DateTime<Utc>> = (0..=5)
        .map(|index| start + (axis.end - start) * index / 5)
        .collect();
    let label = words.pick(
        "时间线：每个阶段的实际起止日期，及每个期限的计划与实际到期日",
        "Timeline: each stage's actual dates, and each deadline's planned and actual due dates",
    );
    html! {
        figure {
            svg viewBox=(format!("0 0 800 {height}")) width="100%" role="img" aria-labelledby="timeline-title" {
                title #timeline-title { (label) }
                @for (index, tick) in ticks.iter().enumerate() {
                    line x1=(axis.x(*tick)) x2=(axis.x(*tick)) y1="14" y2=(height) stroke="#d5dbe0" {}
                    // The last date ends at its tick, so the picture's right edge does not cut it.
                    text x=(axis.x(*tick)) y="10" text-anchor=(if index + 1 == ticks.len() { "end" } else { "middle" }) { (local_date(*tick, offset)) }
                }
                line x1=(axis.x(seen_at)) x2=(axis.x(seen_at)) y1="14" y2=(height) stroke="#f5a623" stroke-width="2" {}
                @for (index, visit) in project.visits.iter().enumerate() {
                    @let y = 24.0 + row * index as f64;
                    @let until = visit.left_at.unwrap_or(seen_at);
                    text x="4" y=(y + 11.0) { (stage_name(definition, &visit.stage, words)) }
                    rect x=(axis.x(visit.entered_at)) y=(y) width=((axis.x(until) - axis.x(visit.entered_at)).max(2.0)) height="14" rx="2"
                        fill=(if visit.left_at.is_none() { "#0b5cad" } else { "#8fb4db" }) {
                        title { (stage_name(definition, &visit.stage, words)) ": " (local_date(visit.entered_at, offset)) " – " (visit.left_at.map_or_else(|| words.pick("至今", "now").to_string(), |left| local_date(left, offset))) }
                    }
                }
                @for (index, deadline) in deadlines.iter().enumerate() {
                    @let y = 24.0 + row * (project.visits.len() + index) as f64;
                    @let started = offset.from_local_datetime(&deadline.started_on.and_hms_opt(0, 0, 0).unwrap_or_default()).single().map(|at| at.with_timezone(&Utc)).unwrap_or(start);
                    @let colour = if deadline.missed { "#b3261e" } else if deadline.open { "#5b6670" } else { "#1e6b34" };
                    text x="4" y=(y + 11.0) { (deadline.name) }
                    @if let Some(due) = deadline.due_on.and_then(|day| end_of_day(day, offset)) {
                        line x1=(axis.x(started)) x2=(axis.x(due)) y1=(y + 7.0) y2=(y + 7.0) stroke=(colour) stroke-width="3" {}
                        circle cx=(axis.x(due)) cy=(y + 7.0) r="5" fill=(colour) {
                            title { (deadline.name) ": " (words.pick("到期 ", "due ")) (deadline.due_on.map(|day| day.to_string()).unwrap_or_default()) }
                        }
                    }
                    @if let Some(planned) = deadline.planned_due_on.or(deadline.original_due_on).and_then(|day| end_of_day(day, offset)) {
                        rect x=(axis.x(planned) - 5.0) y=(y + 2.0) width="10" height="10" fill="none" stroke="#1d2329" stroke-width="1.5" transform=(format!("rotate(45 {} {})", axis.x(planned), y + 7.0)) {
                            title { (deadline.name) ": " (words.pick("计划 ", "planned ")) (deadline.planned_due_on.or(deadline.original_due_on).map(|day| day.to_string()).unwrap_or_default()) }
                        }
                    }
                }
            }
            figcaption {
                (words.pick("蓝条：各阶段实际起止；线与圆点：期限及其到期日（红色为已错过）；菱形：计划日期；橙线：所示时刻。", "Bars: each stage's actual dates; lines and dots: deadlines and their due dates (red when missed); diamonds: planned dates; orange line: the moment shown."))
            }
        }
    }
}

fn deadlines_table(deadlines: &[DeadlineView], offset: FixedOffset, words: Words) -> Markup {
    html! {
        @if deadlines.is_empty() {
            p.muted { (words.pick("尚无期限。", "No deadline yet.")) }
        } @else {
            div.table-wrap { table #deadlines {
                thead { tr {
                    th scope="col" { (words.pick("期限", "Deadline")) }
                    th scope="col" { (words.pick("开始日", "Started on")) }
                    th scope="col" { (words.pick("计划到期日", "Planned due on")) }
                    th scope="col" { (words.pick("提醒日", "Warns on")) }
                    th scope="col" { (words.pick("到期日", "Due on")) }
                    th scope="col" class="number" { (words.pick("剩余天数", "Days left")) }
                    th scope="col" { (words.pick("情况", "Status")) }
                } }
                tbody {
                    @for deadline in deadlines {
                        tr {
                            th scope="row" { (deadline.name) }
                            td { (deadline.started_on) }
                            td { (deadline.planned_due_on.or(deadline.original_due_on).map(|day| day.to_string()).unwrap_or_else(|| "—".to_string())) }
                            td { (deadline.warns_on.map(|day| day.to_string()).unwrap_or_else(|| "—".to_string())) }
                            td { (deadline.due_on.map(|day| day.to_string()).unwrap_or_else(|| "—".to_string())) }
                            td class=(if deadline.days_left.is_some_and(|days| days < 0) { "number late" } else { "number" }) {
                                @match deadline.days_left { Some(days) => (days), None => "—" }
                            }
                            td {
                                @if deadline.missed { span.badge.late { (words.pick("已错过", "missed")) } }
                                @if deadline.escalated { span.badge.warn { (words.pick("已上报", "escalated")) } }
                                @if deadline.extensions_granted > 0 { span.badge { (words.pick("延期 ", "extended ")) (deadline.extensions_granted) } }
                                @if let Some(closed) = deadline.closed_at {
                                    span.muted { (words.pick("结束于 ", "closed ")) (local_date(closed, offset)) }
                                    @if let Some(late) = deadline.days_late { " " span.late { (words.pick("迟 ", "late by ")) (late) (words.pick(" 天", " days")) } }
                                } @else if deadline.open && !deadline.missed { span.badge.ok { (words.pick("进行中", "running")) } }
                            }
                        }
                    }
                }
            } }
        }
    }
}

fn artifacts_table(
    base: &str,
    definition: &WorkflowDefinition,
    project: &ProjectState,
    offset: FixedOffset,
    words: Words,
) -> Markup {
    html! {
        @if project.artifacts.is_empty() {
            p.muted { (words.pick("尚无文件。", "No artifact yet.")) }
        } @else {
            div.table-wrap { table {
                thead { tr {
                    th scope="col" { (words.pick("类型", "Kind")) }
                    th scope="col" { (words.pick("文件", "File")) }
                    th scope="col" class="number" { (words.pick("大小", "Size")) }
                    th scope="col" { "SHA-256" }
                    th scope="col" { (words.pick("上传", "Attached")) }
                } }
                tbody {
                    @for attached in &project.artifacts {
                        tr {
                            td { (definition.artifact_kind_name(&attached.artifact.kind).get(words.0)) }
                            td { a href=(format!("{base}/artifacts/{}", attached.artifact.sha256)) download=(attached.artifact.file_name) { (attached.artifact.file_name) } }
                            td.number title=(format!("{} {}", attached.artifact.size_bytes, words.pick("字节", "bytes"))) { (human_size(attached.artifact.size_bytes)) }
                            td { code.hash title=(attached.artifact.sha256) { (attached.artifact.sha256.get(..12).unwrap_or(&attached.artifact.sha256)) "…" } }
                            td { (local_time(attached.attached_at, offset)) " · " (attached.attached_by.id) }
                        }
                    }
                }
            } }
        }
    }
}

/// The comments of one page of the table, in the order recorded, each with its words: what it
/// says and the reason of its disposition, read from the log.
struct CommentsShown<'page> {
    /// Which page (from 1) and how many pages there are.
    page: usize,
    pages: usize,
    /// Each comment's text and reason, by id.
    texts: BTreeMap<String, specflow_store::CommentText>,
    /// The address of the project's page as shown (as of a moment or now), for the pager.
    base: &'page str,
}

/// Reads the words of the comments on the asked page of the table.
async fn comments_shown<'page>(
    state: &AppState,
    project_id: uuid::Uuid,
    project: &ProjectState,
    as_of: AsOf,
    asked: Option<&str>,
    base: &'page str,
) -> Result<CommentsShown<'page>, Problem> {
    let pages = project.comments.len().div_ceil(COMMENTS_PER_PAGE).max(1);
    let page = match given(asked.map(str::to_string)) {
        None => 1,
        Some(text) => text
            .parse::<usize>()
            .ok()
            .filter(|page| (1..=pages).contains(page))
            .ok_or_else(|| {
                Problem::invalid(
                    "comments_page",
                    format!("意见表共 {pages} 页，没有第 {text} 页"),
                    format!("The comments have {pages} pages; there is no page {text}"),
                )
            })?,
    };
    let texts = if project.comments.is_empty() {
        BTreeMap::new()
    } else {
        state
            .store
            .comment_texts(project_id, as_of)
            .await?
            .into_iter()
            .map(|text| (text.comment_id.clone(), text))
            .collect()
    };
    Ok(CommentsShown {
        page,
        pages,
        texts,
        base,
    })
}

fn comments_table(
    project: &ProjectState,
    shown: &CommentsShown<'_>,
    offset: FixedOffset,
    words: Words,
) -> Markup {
    let disposed = project
        .comments
        .iter()
        .filter(|comment| comment.disposition.is_some())
        .count();
    let first = (shown.page - 1) * COMMENTS_PER_PAGE;
    let separator = if shown.base.contains('?') { '&' } else { '?' };
    let page_link = |page: usize| format!("{}{separator}comments_page={page}#comments", shown.base);
    html! {
        @if project.comments.is_empty() {
            p.muted { (words.pick("尚无意见。", "No comment yet.")) }
        } @else {
            p { (words.pick("意见 ", "Comments: ")) (project.comments.len()) (words.pick(" 条，已处理 ", ", disposed of: ")) (disposed) (words.pick(" 条；征求意见单位 ", "; organisations consulted: ")) (project.organisations_consulted.len()) }
            div.table-wrap { table #comments {
                thead { tr {
                    th scope="col" { (words.pick("编号", "Id")) }
                    th scope="col" { (words.pick("单位", "Organisation")) }
                    th scope="col" { (words.pick("条款", "Clause")) }
                    th scope="col" { (words.pick("意见", "Comment")) }
                    th scope="col" { (words.pick("收到日", "Received on")) }
                    th scope="col" { (words.pick("处理", "Disposition")) }
                    th scope="col" { (words.pick("理由", "Reason")) }
                } }
                tbody {
                    @for comment in project.comments.iter().skip(first).take(COMMENTS_PER_PAGE) {
                        @let words_of = shown.texts.get(comment.comment_id);
                        tr {
                            td { (comment.comment_id) }
                            td { (comment.organisation) }
                            td { (comment.clause.unwrap_or("—")) }
                            td.comment-text { (words_of.map_or("—", |text| text.text.as_str())) }
                            td { (local_date(comment.recorded_at, offset)) }
                            td { @match &comment.disposition {
                                Some(disposition) => { (disposition.disposition.name().get(words.0)) " · " (local_date(disposition.recorded_at, offset)) },
                                None => span.late { (words.pick("待处理", "pending")) },
                            } }
                            td { (words_of.and_then(|text| text.reason.as_deref()).unwrap_or("—")) }
                        }
                    }
                }
            } }
            @if shown.pages > 1 {
                nav.pager aria-label=(words.pick("意见分页", "Pages of comments")) {
                    span { (words.0.pick(format!("第 {} 页，共 {} 页", shown.page, shown.pages), format!("Page {} of {}", shown.page, shown.pages))) }
                    @if shown.page > 1 { a href=(page_link(shown.page - 1)) rel="prev" { (words.pick("上一页", "Previous")) } }
                    @if shown.page < shown.pages { a href=(page_link(shown.page + 1)) rel="next" { (words.pick("下一页", "Next")) } }
                }
            }
        }
    }
}

fn meeting_form(form: MeetingForm, words: Words) -> &'static str {
    match form {
        MeetingForm::Meeting => words.pick("会议", "meeting"),
        MeetingForm::Letter => words.pick("函审", "vote by letter"),
    }
}

fn meetings_block(definition: &WorkflowDefinition, project: &ProjectState, words: Words) -> Markup {
    html! {
        @if project.scheduled_meetings.is_empty() && project.meetings.is_empty() {
            p.muted { (words.pick("尚无会议。", "No meeting yet.")) }
        }
        @if !project.meetings.is_empty() {
            div.table-wrap { table {
                caption { (words.pick("已举行", "Held")) }
                thead { tr {
                    th scope="col" { (words.pick("日期", "Date")) }
                    th scope="col" { (words.pick("议题", "Motion")) }
                    th scope="col" { (words.pick("形式", "Form")) }
                    th scope="col" class="number" { (words.pick("应到", "Roll")) }
                    th scope="col" class="number" { (words.pick("实到", "Present")) }
                    th scope="col" class="number" { (words.pick("赞成", "For")) }
                    th scope="col" class="number" { (words.pick("反对", "Against")) }
                    th scope="col" class="number" { (words.pick("弃权", "Abstain")) }
                } }
                tbody {
                    @for meeting in &project.meetings {
                        @let tally = meeting.record.tally();
                        tr {
                            td { (meeting.record.held_on) }
                            td { (definition.motion_name(&meeting.record.motion).get(words.0)) }
                            td { (meeting_form(meeting.record.form, words)) }
                            td.number { (tally.roll) }
                            td.number { (tally.present) }
                            td.number { (tally.in_favour) }
                            td.number { (tally.against) }
                            td.number { (tally.abstain) }
                        }
                    }
                }
            } }
        }
        @if !project.scheduled_meetings.is_empty() {
            div.table-wrap { table {
                caption { (words.pick("已安排", "Scheduled")) }
                thead { tr {
                    th scope="col" { (words.pick("日期", "Date")) }
                    th scope="col" { (words.pick("议题", "Motion")) }
                    th scope="col" { (words.pick("形式", "Form")) }
                    th scope="col" { (words.pick("材料送达", "Documents sent")) }
                } }
                tbody {
                    @for meeting in &project.scheduled_meetings {
                        tr {
                            td { (meeting.schedule.meeting_on) }
                            td { (definition.motion_name(&meeting.schedule.motion).get(words.0)) }
                            td { (meeting_form(meeting.schedule.form, words)) }
                            td { (meeting.schedule.documents_sent_on) }
                        }
                    }
                }
            } }
        }
    }
}

/// A fired action's form as posted.
#[derive(Debug, Deserialize)]
struct FireForm {
    csrf: Option<String>,
    command_id: Option<String>,
    sequence: Option<String>,
    reason: Option<String>,
    /// `yes` once the reader confirmed on the second page.
    confirmed: Option<String>,
}

/// What firing from a page led to.
enum Fired {
    /// Done: the project's page to show.
    Done(String),
    /// Not yet: the confirmation page to show.
    Confirm(String, Markup),
}

/// `POST /projects/{project}/actions/{action}`: every action changes the stage, so the first post
/// shows a confirmation page saying what will happen (the stage it leads to, the deadlines that
/// start and those it meets); the second, with `confirmed=yes`, fires the action as the API
/// does and shows the project again. A refusal is a page listing every unmet guard.
pub async fn fire_action(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path((id_or_code, action)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    match fire(&state, &signed_in, &id_or_code, action, &body).await {
        Ok(Fired::Done(location)) => Redirect::to(&location).into_response(),
        Ok(Fired::Confirm(title, body)) => layout::page_response(&signed_in.viewer, &title, body),
        Err(problem) => signed_in.viewer.error_page(&problem),
    }
}

async fn fire(
    state: &AppState,
    signed_in: &SignedIn,
    id_or_code: &str,
    action: String,
    body: &Bytes,
) -> Result<Fired, Problem> {
    let form: FireForm = read_form(body)?;
    signed_in.check_csrf(form.csrf.as_deref())?;
    let command_id = match given(form.command_id.clone()) {
        Some(text) => Uuid::parse_str(&text).map_err(|_| {
            Problem::invalid(
                "command_id",
                "表单中的命令编号无效",
                "The form's command id is not valid",
            )
        })?,
        None => Uuid::new_v4(),
    };
    let expected = given(form.sequence.clone())
        .map(|text| {
            text.parse::<u64>().map_err(|_| {
                Problem::invalid(
                    "sequence",
                    "表单中的记录序号无效",
                    "The form's sequence is not valid",
                )
            })
        })
        .transpose()?;
    if form.confirmed.as_deref() != Some("yes") {
        let view = writable_project(state, &signed_in.principal, id_or_code).await?;
        return Ok(confirmation(
            state, signed_in, &view, &action, &form, command_id,
        ));
    }
    let project_id = writable_target(state, &signed_in.principal, id_or_code)
        .await?
        .project_id;
    let query = query_string(&[("done", Some(action.as_str()))]);
    carry_out(
        state,
        &signed_in.principal,
        project_id,
        // The form's id, scoped to the person, as the API scopes its keys.
        scoped_command_id(
            &signed_in.principal,
            WriteRoute::FireAction,
            &command_id.to_string(),
        ),
        expected,
        Command::FireAction {
            action,
            reason: given(form.reason),
        },
    )
    .await?;
    Ok(Fired::Done(format!("/projects/{project_id}?{query}")))
}

/// The second page of an action: what will happen, and the button that does it.
fn confirmation(
    state: &AppState,
    signed_in: &SignedIn,
    view: &specflow_store::ProjectView,
    action: &str,
    form: &FireForm,
    command_id: Uuid,
) -> Fired {
    let words = signed_in.viewer.words();
    let definition = &view.definition;
    let summary = &view.summary;
    let from = view.state.stage();
    let base = format!("/projects/{}", summary.project_id);
    let transition = definition.transition_from(from, action);
    let today = state
        .store
        .clock()
        .now()
        .with_timezone(&definition.local_utc_offset)
        .date_naive();
    let (action_name, to) = match transition {
        Some(transition) => (
            transition.name.get(words.0).to_string(),
            transition.to.clone(),
        ),
        None => (action.to_string(), String::new()),
    };
    let starting: Vec<(String, String)> = definition
        .deadlines
        .iter()
        .filter(|rule| rule.starts_when_entering == to)
        .map(|rule| {
            let limit = match words.0 {
                specflow_engine::Language::Zh => rule.limit.describe_zh(),
                specflow_engine::Language::En => rule.limit.describe_en(),
            };
            let due = rule
                .limit
                .add_to(today, definition.working_calendar())
                .map(|day| day.format("%Y-%m-%d").to_string())
                .unwrap_or_default();
            (
                rule.name.get(words.0).to_string(),
                format!("{limit} · {} {due}", words.pick("约于", "due about")),
            )
        })
        .collect();
    let met: Vec<String> = definition
        .deadlines
        .iter()
        .filter(|rule| {
            rule.is_met_by(from, &to)
                && view
                    .state
                    .deadlines
                    .iter()
                    .any(|entry| entry.deadline == rule.id && entry.is_open())
        })
        .map(|rule| rule.name.get(words.0).to_string())
        .collect();
    let cancels = transition.is_some_and(|transition| transition.cancels);
    let title = format!("{} · {}", words.pick("确认", "Confirm"), action_name);
    let csrf = signed_in.viewer.csrf.as_deref().unwrap_or_default();
    let body = html! {
        h1 { (words.pick("确认：", "Confirm: ")) (action_name) }
        section.card #confirmation {
            p {
                (summary.code) " " (title_of(summary, words)) ": "
                strong { (stage_name(definition, from, words)) } " → " strong { (stage_name(definition, &to, words)) }
            }
            @if cancels {
                p.notice { (words.pick("项目将被撤销，此后不能再推进。", "The project will be cancelled and cannot be advanced again.")) }
            } @else {
                p.notice { (words.pick("阶段一经改变不能撤回；如有错误只能通过后续操作纠正。", "A change of stage cannot be undone; a mistake can only be corrected by later actions.")) }
            }
            @if !starting.is_empty() {
                h2 { (words.pick("将开始计时的期限", "Deadlines that start")) }
                ul { @for (name, limit) in &starting { li { (name) "：" (limit) } } }
            }
            @if !met.is_empty() {
                h2 { (words.pick("将完成的期限", "Deadlines this meets")) }
                ul { @for name in &met { li { (name) } } }
            }
            @if let Some(reason) = given(form.reason.clone()) {
                p { (words.pick("理由：", "Reason: ")) (reason) }
            }
            form method="post" action=(format!("{base}/actions/{action}")) {
                input type="hidden" name=(CSRF_FIELD) value=(csrf);
                input type="hidden" name="command_id" value=(command_id);
                @if let Some(sequence) = &form.sequence { input type="hidden" name="sequence" value=(sequence); }
                @if let Some(reason) = &form.reason { input type="hidden" name="reason" value=(reason); }
                input type="hidden" name="confirmed" value="yes";
                p {
                    button type="submit" #confirm { (words.pick("确认执行", "Confirm")) }
                    " " a href=(base) { (words.pick("返回，不执行", "Go back without doing it")) }
                }
            }
        }
    };
    Fired::Confirm(title, body)
}

/// `GET /projects/{project}/artifacts/{sha256}`: a document of the project, downloaded under the
/// name it was uploaded with.
pub async fn download_project_artifact(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path((id_or_code, sha256)): Path<(String, String)>,
) -> Response {
    match crate::app::projects::project_artifact_download(
        &state,
        &signed_in.principal,
        &id_or_code,
        &sha256,
    )
    .await
    {
        Ok(response) => response,
        Err(problem) => signed_in.viewer.error_page(&problem),
    }
}

/// `GET /artifacts/{sha256}`: an artifact's content, for a reader who may read a project it is
/// attached to (the API's rule).
pub async fn download_artifact(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(sha256): Path<String>,
) -> Response {
    match artifact_download(&state, &signed_in.principal, &sha256).await {
        Ok(response) => response,
        Err(problem) => signed_in.viewer.error_page(&problem),
    }
}

/// The committee's roll on the day of each meeting scheduled and not yet recorded, for the form
/// that records it (the same record the API fills the roll from).
async fn meeting_rolls(
    state: &AppState,
    project: &ProjectState,
    committee: &str,
) -> Result<BTreeMap<String, Vec<specflow_engine::committee::RollEntry>>, Problem> {
    let mut rolls = BTreeMap::new();
    for scheduled in &project.scheduled_meetings {
        let schedule = &scheduled.schedule;
        let held = project
            .meetings
            .iter()
            .any(|held| held.record.meeting_id == schedule.meeting_id);
        if held {
            continue;
        }
        if let Some(roll) = state
            .store
            .committee_roll(committee, schedule.meeting_on)
            .await?
        {
            rolls.insert(schedule.meeting_id.clone(), roll);
        }
    }
    Ok(rolls)
}
