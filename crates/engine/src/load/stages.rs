//! The stages: each declared once, the initial one among them, the milestones naming them, and
//! the shape of the graph the transitions draw between them.

use crate::definition::Known;
use crate::definition::raw::{RawImportColumn, RawMilestones, RawStage};
use crate::definition::validator::{Validator, list};
use crate::definition::{ImportColumn, Milestones, Stage, Transition};
use std::collections::{BTreeSet, HashMap, VecDeque};
use std::ops::Range;
use toml::Spanned;

/// The stages, and where each code is written (for problems about the graph).
pub(super) fn convert_stages(
    validator: &mut Validator<'_>,
    raw: Vec<Spanned<RawStage>>,
) -> (Vec<Stage>, HashMap<String, Range<usize>>) {
    let mut stages = Vec::new();
    let mut stage_spans = HashMap::new();
    for stage in raw {
        let stage = stage.into_inner();
        let code_span = stage.code.span();
        let code = stage.code.into_inner();
        validator.check_code("stage", &code, code_span.clone());
        if stage_spans
            .insert(code.clone(), code_span.clone())
            .is_some()
        {
            validator.error(code_span, format!("duplicate stage code '{code}'"));
            continue;
        }
        stages.push(Stage {
            code,
            name: stage.name,
            iso_code: stage.iso_code,
            terminal: stage.terminal,
        });
    }
    if stages.is_empty() {
        validator.error_without_place("the definition has no stages");
    }
    (stages, stage_spans)
}

pub(super) fn checked_initial_stage(
    validator: &mut Validator<'_>,
    known: &Known,
    initial_stage: Spanned<String>,
) -> String {
    let initial_span = initial_stage.span();
    let initial_stage = initial_stage.into_inner();
    if !known.stages.contains(&initial_stage) {
        validator.error(
            initial_span,
            format!(
                "initial_stage '{initial_stage}' is not a stage; stages are: {}",
                list(&known.stages)
            ),
        );
    }
    initial_stage
}

pub(super) fn convert_milestones(
    validator: &mut Validator<'_>,
    known: &Known,
    raw: RawMilestones,
) -> Milestones {
    let mut checked = |name: &str, stage: Option<Spanned<String>>| {
        let stage = stage?;
        if !known.stages.contains(stage.get_ref()) {
            validator.error(
                stage.span(),
                format!(
                    "[milestones] {name}: unknown stage '{}'; stages are: {}",
                    stage.get_ref(),
                    list(&known.stages)
                ),
            );
            return None;
        }
        Some(stage.into_inner())
    };
    let published = checked("published", raw.published);
    // Public from publication unless the definition says otherwise (lifecycle-rules.md §1: the
    // seed asks for public oversight; a published specification is public by its nature).
    let public_from = checked("public_from", raw.public_from).or_else(|| published.clone());
    Milestones {
        proposed: checked("proposed", raw.proposed),
        approved: checked("approved", raw.approved),
        consulted: checked("consulted", raw.consulted),
        reviewed: checked("reviewed", raw.reviewed),
        published,
        in_force: checked("in_force", raw.in_force),
        re_examined: checked("re_examined", raw.re_examined),
        public_from,
    }
}

/// The import's date columns: each names a stage that exists, no column or stage twice, and
/// they are kept in the order of the stages, which the importer checks dates along.
pub(super) fn convert_import_columns(
    validator: &mut Validator<'_>,
    known: &Known,
    stages: &[Stage],
    raw: Vec<Spanned<RawImportColumn>>,
) -> Vec<ImportColumn> {
    let mut columns: Vec<ImportColumn> = Vec::new();
    for entry in raw {
        let entry = entry.into_inner();
        let (column_span, stage_span) = (entry.column.span(), entry.stage.span());
        let (column, stage) = (entry.column.into_inner(), entry.stage.into_inner());
        validator.check_code("import column", &column, column_span.clone());
        if !known.stages.contains(&stage) {
            validator.error(
                stage_span,
                format!(
                    "[[import_columns]] {column}: unknown stage '{stage}'; stages are: {}",
                    list(&known.stages)
                ),
            );
            continue;
        }
        if columns
            .iter()
            .any(|known| known.column == column || known.stage == stage)
        {
            validator.error(
                column_span,
                format!(
                    "[[import_columns]] {column}: a column or its stage '{stage}' is listed twice"
                ),
            );
            continue;
        }
        columns.push(ImportColumn {
            column,
            name: entry.name,
            stage,
        });
    }
    let position = |code: &str| stages.iter().position(|stage| stage.code == code);
    columns.sort_by_key(|column| position(&column.stage));
    columns
}

/// The lifecycle as a graph: the stages, and the transitions leaving each.
pub(super) struct Graph<'a> {
    pub(super) stages: &'a [Stage],
    pub(super) stage_spans: &'a HashMap<String, Range<usize>>,
    pub(super) transitions: &'a [Transition],
    pub(super) outgoing: &'a HashMap<String, Vec<usize>>,
    pub(super) initial_stage: &'a str,
}

/// Every stage reachable from the initial one, every non-terminal stage with a way out, and no
/// way out of a terminal stage.
pub(super) fn check_graph(validator: &mut Validator<'_>, graph: &Graph<'_>) {
    let reached = reachable_stages(graph);
    let initial_stage = graph.initial_stage;
    for stage in graph.stages {
        let span = graph.stage_spans.get(&stage.code).cloned().unwrap_or(0..0);
        if !reached.contains(&stage.code)
            && graph
                .stages
                .iter()
                .any(|candidate| candidate.code == initial_stage)
        {
            validator.error(
                span.clone(),
                format!(
                    "stage '{}' is unreachable: no transition leads to it from '{initial_stage}'",
                    stage.code
                ),
            );
        }
        let has_way_out = graph
            .outgoing
            .get(&stage.code)
            .is_some_and(|indices| !indices.is_empty());
        if !stage.terminal && !has_way_out {
            validator.error(
                span.clone(),
                format!(
                    "stage '{}' is not terminal but no transition leaves it: add one, or mark it terminal = true",
                    stage.code
                ),
            );
        }
        if stage.terminal && has_way_out {
            validator.error(
                span,
                format!(
                    "stage '{}' is terminal but transitions leave it",
                    stage.code
                ),
            );
        }
    }
}

fn reachable_stages(graph: &Graph<'_>) -> BTreeSet<String> {
    let mut reached = BTreeSet::new();
    let mut queue = VecDeque::from([graph.initial_stage.to_string()]);
    while let Some(stage) = queue.pop_front() {
        if !reached.insert(stage.clone()) {
            continue;
        }
        for index in graph.outgoing.get(&stage).into_iter().flatten() {
            if let Some(transition) = graph.transitions.get(*index) {
                queue.push_back(transition.to.clone());
            }
        }
    }
    reached
}
