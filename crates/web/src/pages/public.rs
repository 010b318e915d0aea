//! The public pages (社会监督): the list of public specifications at `/public`, each
//! specification's milestones at `/public/{code}` with its records' hashes and where each stands
//! in the transparency log, and each milestone's inclusion proof as a JSON file that
//! `tools/verify-audit.py --inclusion` checks with nothing but the log's verifier key.
//!
//! An imported milestone shows the day the imported history gives, marked imported, with the
//! day its record (the import's `project_created`) was written.
//!
//! No sign-in is needed: what is shown is [`crate::app::public`]'s, the same for every reader,
//! signed in or not, so these pages may be linked from anywhere.

use super::layout::{self, Words, local_date, local_time};
use super::projects::{given, parse_query};
use super::session::Viewer;
use crate::app::AppState;
use crate::app::public::{
    LogStanding, PublicList, PublicMilestoneProof, PublicSpecification, public_list, public_proof,
    public_specification,
};
use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};
use serde::Deserialize;

/// What a specification's code needs escaped to be one path segment of a link.
const PATH_SEGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'/')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}');

/// The address of a specification's public page.
fn public_path(code: &str) -> String {
    format!("/public/{}", utf8_percent_encode(code, PATH_SEGMENT))
}

/// The query of the list.
#[derive(Debug, Default, Deserialize)]
struct ListQuery {
    /// The specifications after this code.
    after: Option<String>,
}

/// `GET /public`: the public specifications, by code, fifty a page.
pub async fn list_page(
    State(state): State<AppState>,
    viewer: Viewer,
    RawQuery(raw): RawQuery,
) -> Response {
    let after = match parse_query::<ListQuery>(raw) {
        Ok(query) => given(query.after),
        Err(problem) => return viewer.error_page(&problem),
    };
    match public_list(&state, after.as_deref()).await {
        Ok(list) => {
            let words = viewer.words();
            let title = words.pick("公开的计量技术规范", "Public specifications");
            layout::page_response(&viewer, title, list_body(&list, title, words))
        }
        Err(problem) => viewer.error_page(&problem),
    }
}

fn list_body(list: &PublicList, title: &str, words: Words) -> Markup {
    html! {
        h1 { (title) }
        p.lead {
            (words.pick(
                "以下规范已发布，其生命周期的里程碑向社会公开：每个里程碑的记录哈希都可以对照透明日志的签名检查点自行核验，无需登录。",
                "These specifications are published, and the milestones of their lifecycle are open to public oversight: each milestone's record hash can be checked against the transparency log's signed checkpoint by anyone, without signing in.",
            ))
        }
        @if list.items.is_empty() {
            p.notice #no-public { (words.pick("尚无公开的规范。", "No specification is public yet.")) }
        } @else {
            div.table-wrap {
                table #public-specifications {
                    thead { tr {
                        th { (words.pick("编号", "Code")) }
                        th { (words.pick("名称", "Title")) }
                        th { (words.pick("类别", "Kind")) }
                        th { (words.pick("当前阶段", "Stage")) }
                    } }
                    tbody {
                        @for (summary, definition) in &list.items {
                            tr {
                                td { a href=(public_path(&summary.code)) { (summary.code) } }
                                td { (words.pick(&summary.title_zh, &summary.title_en)) }
                                td { (definition.specification_kind_name(&summary.specification_kind).get(words.0)) }
                                td { (definition.stage_name(&summary.stage).get(words.0)) }
                            }
                        }
                    }
                }
            }
        }
        @if let Some(after) = &list.next_after {
            @let next: String = form_urlencoded::Serializer::new(String::new()).append_pair("after", after).finish();
            nav.pager { a href=(format!("/public?{next}")) rel="next" { (words.pick("下一页", "Next page")) } }
        }
    }
}

/// `GET /public/{code}`: a specification's milestones and their proofs.
pub async fn specification_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(code): Path<String>,
) -> Response {
    match public_specification(&state, &code).await {
        Ok(specification) => {
            let words = viewer.words();
            let title = format!(
                "{} {}",
                specification.summary.code,
                words.pick(
                    &specification.summary.title_zh,
                    &specification.summary.title_en
                )
            );
            layout::page_response(
                &viewer,
                &title,
                specification_body(&specification, &title, words),
            )
        }
        Err(problem) => viewer.error_page(&problem),
    }
}

fn specification_body(specification: &PublicSpecification, title: &str, words: Words) -> Markup {
    let summary = &specification.summary;
    let definition = &specification.definition;
    let offset = definition.local_utc_offset;
    html! {
        p { a href="/public" { (words.pick("← 公开的规范", "← Public specifications")) } }
        h1 { (title) }
        section.card {
            dl.facts {
                dt { (words.pick("编号", "Code")) } dd #code { (summary.code) }
                dt { (words.pick("类别", "Kind")) } dd { (definition.specification_kind_name(&summary.specification_kind).get(words.0)) }
                dt { (words.pick("当前阶段", "Current stage")) } dd #stage { (definition.stage_name(&summary.stage).get(words.0)) " " span.muted { (words.pick("自 ", "since ")) (local_date(summary.stage_since, offset)) } }
            }
        }
        h2 { (words.pick("里程碑", "Milestones")) }
        // One card per milestone rather than a table row: a phone shows the proof's link
        // without scrolling sideways past a 64-digit hash.
        ol.milestones #milestones {
            @for milestone in &specification.milestones {
                (milestone_item(summary.code.as_str(), milestone, offset, words))
            }
        }
        (check_yourself(specification, words))
    }
}

fn milestone_item(
    code: &str,
    milestone: &PublicMilestoneProof,
    offset: chrono::FixedOffset,
    words: Words,
) -> Markup {
    let reached = &milestone.reached;
    let (zh, en) = reached.milestone.names();
    html! {
        li.milestone data-milestone=(reached.milestone.code()) data-imported=[reached.imported_on.map(|_| "true")] {
            @if let Some(imported_on) = reached.imported_on {
                // An imported milestone is dated by the imported file; its record was written at
                // the import, which the line below says.
                h3 { (words.pick(zh, en)) " " time datetime=(imported_on.to_string()) { (imported_on) } " " span.badge.imported { (words.pick("导入", "imported")) } }
                p.muted { (words.pick("日期来自导入的项目历史，记录于导入时 ", "Dated by the imported project history, recorded at the import on ")) (local_date(reached.recorded_at, offset)) (words.pick("。", ".")) }
            } @else {
                h3 { (words.pick(zh, en)) " " time datetime=(reached.recorded_at.to_rfc3339()) title=(local_time(reached.recorded_at, offset)) { (local_date(reached.recorded_at, offset)) } }
            }
            p { (words.pick("记录 ", "Record ")) (reached.sequence) (words.pick("，哈希 ", ", hash ")) code.hash.full { (reached.record_hash) } }
            p {
                @match &milestone.standing {
                    LogStanding::Included(proof) => {
                        span.badge.ok { (words.pick("已入日志", "in the log")) }
                        " " (words.pick("叶 ", "leaf ")) (proof.leaf_index) (words.pick("，树的大小 ", " of a tree of ")) (proof.tree_size) " · "
                        a.proof href=(format!("{}/proofs/{}", public_path(code), reached.sequence)) download=(format!("{}-{}-inclusion.json", code, reached.sequence)) { (words.pick("下载包含证明", "Download the inclusion proof")) }
                    }
                    LogStanding::Pending => {
                        span.badge.warn { (words.pick("待入日志", "pending")) }
                        " " span.muted { (words.pick("尚未并入已签名的检查点", "not yet in a signed checkpoint")) }
                    }
                    LogStanding::Mismatch { in_tree } => {
                        span.badge.late { (words.pick("与日志不符", "differs from the log")) }
                        " " (words.pick("日志中的哈希：", "The log holds ")) code.hash.full { (in_tree) }
                    }
                }
            }
        }
    }
}

fn check_yourself(specification: &PublicSpecification, words: Words) -> Markup {
    html! {
        h2 { (words.pick("自行核验", "Check it yourself")) }
        section.card #check {
            p { (words.pick(
                "每个记录哈希都是透明日志（RFC 9162 默克尔树）的一片叶子。日志用数据库之外保存的私钥签名检查点，独立见证方核对后联署；数据库管理员无法改写已签名的历史而不被发现。下载某个里程碑的包含证明，用日志的验证密钥运行：",
                "Each record hash is a leaf of the transparency log (an RFC 9162 Merkle tree). The log signs its checkpoints with a key kept outside the database, and independent witnesses cosign them once they have checked them, so not even the database's administrator can rewrite signed history unnoticed. Download a milestone's inclusion proof and run, with the log's verifier key:",
            )) }
            pre { code { "python3 tools/verify-audit.py --inclusion PROOF.json --log-verifier KEY" } }
            p.muted {
                (words.pick(
                    "该脚本只用 Python 标准库，核对检查点的签名、证明的哈希路径与树根（格式见 specflow 的 docs/transparency.md）。可从 specflow 的源码取得，或在此",
                    "The script needs only Python's standard library; it checks the checkpoint's signature and the proof's path up to the root (the formats are in specflow's docs/transparency.md). Take it from specflow's source, or ",
                ))
                a href="/public/verify-audit.py" download="verify-audit.py" { (words.pick("下载", "download it here")) }
                (words.pick("。", "."))
            }
            @if let Some(verifier) = &specification.log_verifier {
                p { (words.pick("日志的验证密钥：", "The log's verifier key: ")) code.hash.full #log-verifier { (verifier) } }
            }
            @match &specification.checkpoint {
                Some(checkpoint) => {
                    p { (words.pick("最新的检查点（树的大小 ", "The latest checkpoint (tree size ")) (checkpoint.tree_size) (words.pick("，见 /log/checkpoint）：", ", at /log/checkpoint):")) }
                    pre #checkpoint { (checkpoint.cosigned_note()) }
                    @if checkpoint.cosignatures.is_empty() {
                        p.muted #witnesses { (words.pick("这个检查点尚无见证方联署。", "No witness has cosigned this checkpoint yet.")) }
                    } @else {
                        p #witnesses {
                            (words.pick("联署的见证方：", "Cosigned by the witnesses: "))
                            @for (index, (witness, _)) in checkpoint.cosignatures.iter().enumerate() {
                                @if index > 0 { (words.pick("、", ", ")) }
                                code { (witness) }
                            }
                        }
                    }
                }
                None => {
                    p.notice { (words.pick("透明日志尚未签发检查点：里程碑待入日志。", "The transparency log has not signed a checkpoint yet: the milestones are pending.")) }
                }
            }
        }
    }
}

/// `GET /public/{code}/proofs/{sequence}`: a milestone's inclusion proof as a JSON file.
pub async fn proof_download(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((code, sequence)): Path<(String, String)>,
) -> Response {
    let Some(sequence) = sequence
        .parse::<u64>()
        .ok()
        .filter(|sequence| *sequence > 0)
    else {
        return viewer.error_page(&crate::app::problem::Problem::invalid(
            "sequence",
            format!("记录序号应为正整数，收到 {sequence}"),
            format!("A record's sequence is a positive whole number, not {sequence}"),
        ));
    };
    match public_proof(&state, &code, sequence).await {
        Ok(proof) => {
            let disposition = format!(
                "attachment; filename=\"proof-{sequence}.json\"; filename*=UTF-8''{}-{sequence}-inclusion.json",
                utf8_percent_encode(&code, percent_encoding::NON_ALPHANUMERIC)
            );
            let mut response = cached_briefly(Json(proof).into_response());
            if let Ok(value) = HeaderValue::from_str(&disposition) {
                response
                    .headers_mut()
                    .insert(header::CONTENT_DISPOSITION, value);
            }
            response
        }
        Err(problem) => viewer.error_page(&problem),
    }
}

/// A proof changes when a checkpoint is signed, at most a few times a second: caches may keep
/// it, but must ask again before using it. (The pages stay `no-store`: a signed-in reader's name
/// is in their header.)
fn cached_briefly(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

/// The independent verifier, as shipped in `tools/`: one file, Python's standard library only.
const VERIFIER_SCRIPT: &str = include_str!("../../../../tools/verify-audit.py");

/// `GET /public/verify-audit.py`: the independent verifier, for readers without specflow's
/// source. A sceptic should rather take it from the source than from the server it checks;
/// the page says both.
pub async fn verifier_script() -> Response {
    let mut response = VERIFIER_SCRIPT.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/x-python; charset=utf-8"),
    );
    headers.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"verify-audit.py\""),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    response
}
