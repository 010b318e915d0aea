//! The bureau's overdue board as a page: every overdue project across committees with its days
//! overdue, stage, committee, drafting unit, missed deadline, escalation and freeze; filters and
//! the sort order in the address (so a reload or a shared link shows the same board), keyset
//! pages, the CSV and the Excel workbook of the same selection, and a chart of overdue projects per committee and per
//! month in inline SVG.
//!
//! Only supervisors and administrators see it (`can_supervise`, as for `GET /api/v1/overdue`);
//! the rows are the API's `OverdueItem`s and the downloads (CSV and Excel) are the API's own
//! exports.

use super::layout::{self, Words, shanghai};
use super::projects::{given, parse_query, query_string};
use super::session::SignedIn;
use crate::app::AppState;
use crate::app::board::{OverdueItem, overdue_export};
use crate::app::filters::{self, GivenFilters};
use crate::app::problem::{Problem, require};
use crate::app::spreadsheet::SheetFormat;
use axum::extract::{RawQuery, State};
use axum::response::Response;
use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Utc};
use maud::{Markup, html};
use serde::Deserialize;
use specflow_store::auth::can_supervise;
use specflow_store::{OverdueByMonth, OverdueFilter, OverdueSort};
use std::collections::BTreeSet;

/// How many overdue projects a page of the board shows.
const BOARD_PAGE: u32 = 50;

/// How many months the chart covers, the current one included.
const CHART_MONTHS: u32 = 12;

/// The board's query: its filters, its order and where the page starts.
#[derive(Debug, Default, Deserialize)]
struct BoardQuery {
    committee: Option<String>,
    stage: Option<String>,
    drafting_unit: Option<String>,
    /// `yes`, `no` or empty.
    escalated: Option<String>,
    /// The order's name in the API: `longest_overdue` (the default), `recently_overdue` or
    /// `committee`.
    sort: Option<String>,
    after: Option<String>,
}

/// The board's selection, read and checked.
struct Selection {
    filter: OverdueFilter,
    after: Option<String>,
}

impl Selection {
    fn of(query: BoardQuery) -> Result<Selection, Problem> {
        let escalated = match given(query.escalated).as_deref() {
            None => None,
            Some("yes") => Some(true),
            Some("no") => Some(false),
            Some(other) => {
                return Err(Problem::invalid(
                    "escalated",
                    format!("escalated 应为 yes 或 no，收到 {other}"),
                    format!("escalated must be yes or no, not {other}"),
                ));
            }
        };
        let sort = match given(query.sort) {
            None => OverdueSort::default(),
            Some(name) => OverdueSort::from_name(&name).ok_or_else(|| {
                let names = OverdueSort::ALL.map(OverdueSort::name).join(", ");
                Problem::invalid(
                    "sort",
                    format!("sort 应为 {names} 之一，收到 {name}"),
                    format!("sort must be one of {names}, not {name}"),
                )
            })?,
        };
        Ok(Selection {
            // The values as given; `resolved` turns them into what the store reads.
            filter: OverdueFilter {
                committee: given(query.committee),
                definition: None,
                stage: given(query.stage),
                drafting_unit: given(query.drafting_unit),
                escalated,
                sort,
            },
            after: given(query.after),
        })
    }

    /// The filters as the store reads them: committee, stage and drafting unit resolved, or
    /// refused with what exists.
    async fn resolved(&self, state: &AppState) -> Result<OverdueFilter, Problem> {
        let resolved = filters::resolve(
            state,
            GivenFilters {
                committee: self.filter.committee.clone(),
                stage: self.filter.stage.clone(),
                drafting_unit: self.filter.drafting_unit.clone(),
            },
        )
        .await?;
        Ok(OverdueFilter {
            committee: resolved.committee,
            definition: resolved.definition,
            stage: resolved.stage,
            drafting_unit: resolved.drafting_unit,
            ..self.filter.clone()
        })
    }

    /// The filters and order as query pairs (without the page's start).
    fn pairs(&self) -> Vec<(&'static str, Option<&str>)> {
        vec![
            ("committee", self.filter.committee.as_deref()),
            ("stage", self.filter.stage.as_deref()),
            ("drafting_unit", self.filter.drafting_unit.as_deref()),
            (
                "escalated",
                self.filter
                    .escalated
                    .map(|escalated| if escalated { "yes" } else { "no" }),
            ),
            (
                "sort",
                (self.filter.sort != OverdueSort::default()).then(|| self.filter.sort.name()),
            ),
        ]
    }
}

/// `GET /overdue`: the board.
pub async fn board_page(
    State(state): State<AppState>,
    signed_in: SignedIn,
    RawQuery(raw): RawQuery,
) -> Response {
    match board_body(&state, &signed_in, raw).await {
        Ok(body) => layout::page_response(
            &signed_in.viewer,
            signed_in.viewer.words().pick("逾期看板", "Overdue board"),
            body,
        ),
        Err(problem) => signed_in.viewer.error_page(&problem),
    }
}

/// `GET /overdue.csv`: the board's selection as the API's CSV, headers in the reader's language.
pub async fn board_csv(
    State(state): State<AppState>,
    signed_in: SignedIn,
    RawQuery(raw): RawQuery,
) -> Response {
    board_export(&state, &signed_in, raw, SheetFormat::Csv).await
}

/// `GET /overdue.xlsx`: the board's selection as the API's workbook.
pub async fn board_xlsx(
    State(state): State<AppState>,
    signed_in: SignedIn,
    RawQuery(raw): RawQuery,
) -> Response {
    board_export(&state, &signed_in, raw, SheetFormat::Xlsx).await
}

async fn board_export(
    state: &AppState,
    signed_in: &SignedIn,
    raw: Option<String>,
    format: SheetFormat,
) -> Response {
    let answer = async {
        require(
            &signed_in.principal,
            can_supervise(&signed_in.principal),
            "overdue",
        )?;
        let selection = Selection::of(parse_query(raw)?)?;
        let filter = selection.resolved(state).await?;
        let language = signed_in.viewer.words().0;
        overdue_export(state, filter, selection.after.as_deref(), format, language).await
    };
    match answer.await {
        Ok(response) => response,
        Err(problem) => signed_in.viewer.error_page(&problem),
    }
}

/// The first day of each of the chart's months, oldest first, and the first day after them,
/// in Shanghai.
fn chart_months(now: DateTime<Utc>) -> Vec<NaiveDate> {
    let today = now.with_timezone(&shanghai()).date_naive();
    let mut first = NaiveDate::from_ymd_opt(today.year(), today.month(), 1).unwrap_or(today);
    let mut months = vec![first];
    for _ in 1..CHART_MONTHS {
        first = first
            .pred_opt()
            .and_then(|last_of_previous| {
                NaiveDate::from_ymd_opt(last_of_previous.year(), last_of_previous.month(), 1)
            })
            .unwrap_or(first);
        months.push(first);
    }
    months.reverse();
    months
}

fn month_start(day: NaiveDate) -> DateTime<Utc> {
    day.and_hms_opt(0, 0, 0)
        .and_then(|midnight| shanghai().from_local_datetime(&midnight).single())
        .map_or(DateTime::<Utc>::MIN_UTC, |at| at.with_timezone(&Utc))
}

fn next_month(day: NaiveDate) -> NaiveDate {
    let (year, month) = if day.month() == 12 {
        (day.year() + 1, 1)
    } else {
        (day.year(), day.month() + 1)
    };
    NaiveDate::from_ymd_opt(year, month, 1).unwrap_or(day)
}

async fn board_body(
    state: &AppState,
    signed_in: &SignedIn,
    raw: Option<String>,
) -> Result<Markup, Problem> {
    let words = signed_in.viewer.words();
    require(
        &signed_in.principal,
        can_supervise(&signed_in.principal),
        "overdue",
    )?;
    let selection = Selection::of(parse_query(raw)?)?;
    let filter = selection.resolved(state).await?;
    let page = state
        .store
        .list_overdue_matching(&filter, selection.after.as_deref(), BOARD_PAGE)
        .await?;
    let now = state.store.clock().now();
    let mut rows = Vec::with_capacity(page.items.len());
    for summary in page.items {
        let definition = state
            .store
            .definition(&summary.definition_id, summary.definition_version)
            .await?;
        let stage = definition
            .stage_name(&summary.stage)
            .get(words.0)
            .to_string();
        if let Some(item) = OverdueItem::of(summary, now, definition.local_utc_offset) {
            rows.push((item, stage));
        }
    }
    let choices = FilterChoices::read(state, &selection, words, now).await?;
    let months = chart_months(now);
    let month_starts: Vec<DateTime<Utc>> = months.iter().map(|day| month_start(*day)).collect();
    let until = months
        .last()
        .map_or(now, |last| month_start(next_month(*last)));
    let chart = state
        .store
        .overdue_by_month(&filter, &month_starts, until)
        .await?;
    let pairs = selection.pairs();
    let filters_query = query_string(&pairs);
    let next = page.next_after.as_deref().map(|next_after| {
        let mut with_after = pairs.clone();
        with_after.push(("after", Some(next_after)));
        query_string(&with_after)
    });
    Ok(html! {
        h1 { (words.pick("逾期看板", "Overdue board")) }
        (filters_form(&selection.filter, &choices, words))
        (selection_line(&selection.filter, words))
        (layout::downloads("/overdue", &filters_query, "board", words))
        (board_table(&rows, words))
        nav.pager aria-label=(words.pick("翻页", "Pages")) {
            @if selection.after.is_some() { a href=(if filters_query.is_empty() { "/overdue".to_string() } else { format!("/overdue?{filters_query}") }) { (words.pick("第一页", "First page")) } }
            @if let Some(next) = &next { a href=(format!("/overdue?{next}")) rel="next" #board-next { (words.pick("下一页", "Next page")) } }
        }
        h2 { (words.pick("逾期项目分布", "Overdue projects")) }
        div.charts {
            (committee_chart(&chart, words))
            (month_chart(&chart, &months, words))
        }
    })
}

/// What the board's filters offer: committees with overdue projects (counted on the overdue
/// index alone, so projects on time cost nothing however many there are), and the stages of
/// every registered workflow (named by its newest version).
struct FilterChoices {
    committees: BTreeSet<String>,
    /// The committees' names, shown beside their codes.
    committee_names: std::collections::BTreeMap<String, specflow_engine::LocalizedText>,
    /// Each workflow's title and its stages as `(definition/stage, name)`: a stage code is a
    /// workflow's own, and two workflows may give one code to different stages.
    stages: Vec<(String, Vec<(String, String)>)>,
}

impl FilterChoices {
    async fn read(
        state: &AppState,
        selection: &Selection,
        words: Words,
        now: DateTime<Utc>,
    ) -> Result<FilterChoices, Problem> {
        let overdue_committees = state
            .store
            .overdue_by_month(&OverdueFilter::default(), &[], now)
            .await?;
        let mut committees: BTreeSet<String> = overdue_committees
            .into_iter()
            .map(|row| row.committee)
            .collect();
        if let Some(chosen) = &selection.filter.committee {
            committees.insert(chosen.clone());
        }
        let stages = filters::stage_choices(state, words.0).await?;
        let committee_names = crate::app::committees::committee_names(state).await?;
        Ok(FilterChoices {
            committees,
            committee_names,
            stages,
        })
    }
}

/// The filters and the order, as a form that keeps them in the address.
fn filters_form(filter: &OverdueFilter, choices: &FilterChoices, words: Words) -> Markup {
    html! {
        form.filters method="get" action="/overdue" aria-label=(words.pick("筛选与排序", "Filters and order")) {
            p {
                label for="board-committee" { (words.pick("技术委员会", "Committee")) }
                select #board-committee name="committee" {
                    option value="" { (words.pick("全部", "Any")) }
                    @for committee in &choices.committees {
                        option value=(committee) selected[filter.committee.as_deref() == Some(committee.as_str())] { (crate::app::committees::committee_label(&choices.committee_names, committee, words.0)) }
                    }
                }
            }
            p {
                label for="board-stage" { (words.pick("阶段", "Stage")) }
                select #board-stage name="stage" {
                    option value="" { (words.pick("全部", "Any")) }
                    @for (workflow, stages) in &choices.stages {
                        optgroup label=(workflow) {
                            @for (value, name) in stages {
                                option value=(value) selected[filter.stage.as_deref() == Some(value.as_str())] { (name) }
                            }
                        }
                    }
                }
            }
            p {
                label for="board-unit" { (words.pick("起草单位", "Drafting unit")) }
                input #board-unit type="text" name="drafting_unit" value=(filter.drafting_unit.as_deref().unwrap_or_default());
            }
            p {
                label for="board-escalated" { (words.pick("上报", "Escalated")) }
                select #board-escalated name="escalated" {
                    option value="" { (words.pick("全部", "Any")) }
                    option value="yes" selected[filter.escalated == Some(true)] { (words.pick("已上报", "Escalated")) }
                    option value="no" selected[filter.escalated == Some(false)] { (words.pick("未上报", "Not escalated")) }
                }
            }
            p {
                label for="board-sort" { (words.pick("排序", "Order")) }
                select #board-sort name="sort" {
                    @for sort in OverdueSort::ALL {
                        option value=(sort.name()) selected[filter.sort == sort] { (sort_name(sort, words)) }
                    }
                }
            }
            p { button type="submit" #board-apply { (words.pick("应用", "Apply")) } }
            p { a href="/overdue" { (words.pick("清除", "Clear")) } }
        }
    }
}

/// The page's overdue projects, each with its stage's name, or a notice that none matches.
fn board_table(rows: &[(OverdueItem, String)], words: Words) -> Markup {
    html! {
        @if rows.is_empty() {
            p.notice #board-empty { (words.pick("没有符合条件的逾期项目。", "No overdue project matches.")) }
        } @else {
            div.table-wrap { table #board {
                thead { tr {
                    th scope="col" { (words.pick("编号", "Code")) }
                    th scope="col" { (words.pick("名称", "Title")) }
                    th scope="col" { (words.pick("技术委员会", "Committee")) }
                    th scope="col" { (words.pick("起草单位", "Drafting unit")) }
                    th scope="col" { (words.pick("阶段", "Stage")) }
                    th scope="col" { (words.pick("到期日", "Due on")) }
                    th scope="col" class="number" { (words.pick("逾期天数", "Days overdue")) }
                    th scope="col" { (words.pick("上报", "Escalated")) }
                    th scope="col" { (words.pick("冻结", "Frozen")) }
                } }
                tbody {
                    @for (item, stage) in rows {
                        tr {
                            td { a href=(format!("/projects/{}", item.project_id)) { (item.code) } }
                            td { (words.pick(&item.title_zh, &item.title_en)) }
                            td { (item.committee) }
                            td { (item.drafting_unit) }
                            td { (stage) }
                            td { (item.due_on) }
                            td.number.late { (item.days_overdue) }
                            td { @if item.escalated { span.badge.warn { (words.yes_no(true)) } } @else { (words.yes_no(false)) } }
                            td { @if item.frozen { span.badge.frozen { (words.yes_no(true)) } } @else { (words.yes_no(false)) } }
                        }
                    }
                }
            } }
        }
    }
}

/// The filters and the order in one sentence, printed in place of the form: a board on paper
/// says which projects it lists.
fn selection_line(filter: &OverdueFilter, words: Words) -> Markup {
    let mut chosen: Vec<String> = Vec::new();
    if let Some(committee) = &filter.committee {
        chosen.push(format!(
            "{} {committee}",
            words.pick("技术委员会", "committee")
        ));
    }
    if let Some(stage) = &filter.stage {
        chosen.push(format!("{} {stage}", words.pick("阶段", "stage")));
    }
    if let Some(unit) = &filter.drafting_unit {
        chosen.push(format!(
            "{} {unit}",
            words.pick("起草单位", "drafting unit")
        ));
    }
    if let Some(escalated) = filter.escalated {
        chosen.push(
            if escalated {
                words.pick("已上报", "escalated")
            } else {
                words.pick("未上报", "not escalated")
            }
            .to_string(),
        );
    }
    let selection = if chosen.is_empty() {
        words
            .pick("所有逾期项目", "every overdue project")
            .to_string()
    } else {
        chosen.join(words.pick("，", ", "))
    };
    html! {
        p.print-only #board-selection {
            (words.pick("所列：", "Listed: ")) (selection)
            // The order's name begins a sentence in the form's list; here it is mid-sentence.
            (words.pick("；排序：", "; order: ")) (sort_name(filter.sort, words).to_lowercase())
            (words.pick("。", "."))
        }
    }
}

/// An order of the board in words.
fn sort_name(sort: OverdueSort, words: Words) -> &'static str {
    match sort {
        OverdueSort::LongestOverdue => words.pick("逾期最久在前", "Longest overdue first"),
        OverdueSort::RecentlyOverdue => words.pick("最近逾期在前", "Most recently overdue first"),
        OverdueSort::Committee => words.pick("按技术委员会", "By committee"),
    }
}

/// Horizontal bars: overdue projects per committee.
fn committee_chart(chart: &[OverdueByMonth], words: Words) -> Markup {
    let most = chart.iter().map(|row| row.total).max().unwrap_or(0).max(1);
    let row_height = 34.0;
    let height = 10.0 + row_height * chart.len().max(1) as f64;
    let title = words.pick("各技术委员会的逾期项目数", "Overdue projects per committee");
    html! {
        figure {
            svg viewBox=(format!("0 0 420 {height}")) width="100%" role="img" aria-labelledby="chart-committee-title" {
                title #chart-committee-title { (title) }
                @for (index, row) in chart.iter().enumerate() {
                    @let y = 6.0 + row_height * index as f64;
                    @let width = 340.0 * row.total as f64 / most as f64;
                    text x="0" y=(y + 10.0) { (row.committee) }
                    rect x="0" y=(y + 14.0) width=(width.max(1.0)) height="12" fill="#b3261e" {
                        title { (row.committee) ": " (row.total) }
                    }
                    text x=(width + 6.0) y=(y + 24.0) { (row.total) }
                }
            }
            figcaption { (title) }
        }
    }
}

/// Columns: overdue projects by the month they fell overdue, over the last twelve months.
fn month_chart(chart: &[OverdueByMonth], months: &[NaiveDate], words: Words) -> Markup {
    let totals: Vec<u64> = (0..months.len())
        .map(|index| {
            chart
                .iter()
                .map(|row| row.per_month.get(index).copied().unwrap_or(0))
                .sum()
        })
        .collect();
    let most = totals.iter().copied().max().unwrap_or(0).max(1);
    let column = 400.0 / months.len().max(1) as f64;
    let title = words.pick(
        "近十二个月每月新增逾期项目数（按逾期开始月份）",
        "Projects falling overdue per month, last twelve months",
    );
    html! {
        figure {
            svg viewBox="0 0 420 200" width="100%" role="img" aria-labelledby="chart-month-title" {
                title #chart-month-title { (title) }
                line x1="10" x2="410" y1="170" y2="170" stroke="#5b6670" {}
                @for (index, (month, total)) in months.iter().zip(&totals).enumerate() {
                    @let x = 10.0 + column * index as f64;
                    @let bar = 140.0 * *total as f64 / most as f64;
                    rect x=(x + 3.0) y=(170.0 - bar) width=(column - 6.0) height=(bar) fill="#0b5cad" {
                        title { (month.format("%Y-%m")) ": " (total) }
                    }
                    @if *total > 0 { text x=(x + column / 2.0) y=(165.0 - bar) text-anchor="middle" { (total) } }
                    text x=(x + column / 2.0) y="185" text-anchor="middle" { (month.format("%m")) }
                    @if index == 0 || month.month() == 1 { text x=(x + column / 2.0) y="198" text-anchor="middle" { (month.year()) } }
                }
            }
            figcaption { (title) }
        }
    }
}
