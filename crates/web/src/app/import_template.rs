//! The template a bureau fills in to import its projects (`specflow import --template`, and the
//! download on the import page): an XLSX workbook written with `rust_xlsxwriter`.
//!
//! The first sheet has the import's header row (Chinese name and code, such as
//! `立项日期 approved_on`), frozen so it stays in view, the date columns formatted as dates, and
//! one example row; the second lists what cells may name: the registered committees, the
//! definition's specification kinds and its stages, each by code and name in both languages.

use super::import::{Field, columns};
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook, Worksheet, XlsxError};
use specflow_engine::WorkflowDefinition;
use specflow_store::CommitteeSummary;

/// The first sheet's name, which imports record as their source's sheet.
pub const PROJECT_SHEET: &str = "项目 projects";

/// Why the template could not be written.
#[derive(Debug, thiserror::Error)]
#[error("the template could not be written: {0}")]
pub struct TemplateError(#[from] XlsxError);

/// The template for a definition, with the committees a row may name.
pub fn template(
    definition: &WorkflowDefinition,
    committees: &[CommitteeSummary],
) -> Result<Vec<u8>, TemplateError> {
    let mut workbook = Workbook::new();
    let projects = workbook.add_worksheet();
    write_projects(projects, definition, committees)?;
    let lists = workbook.add_worksheet();
    write_lists(lists, definition, committees)?;
    Ok(workbook.save_to_buffer()?)
}

fn write_projects(
    sheet: &mut Worksheet,
    definition: &WorkflowDefinition,
    committees: &[CommitteeSummary],
) -> Result<(), XlsxError> {
    sheet.set_name(PROJECT_SHEET)?;
    let bold = Format::new().set_bold().set_text_wrap();
    let date = Format::new().set_num_format("yyyy-mm-dd");
    let example = example_row(definition, committees);
    for (index, spec) in columns(definition).iter().enumerate() {
        let column = u16::try_from(index).unwrap_or(u16::MAX);
        sheet.write_string_with_format(0, column, spec.header(), &bold)?;
        sheet.set_column_width(column, 18)?;
        match example.iter().find(|(field, _)| *field == spec.field) {
            Some((_, Cell::Text(text))) => {
                sheet.write_string(1, column, text.as_str())?;
            }
            Some((_, Cell::Date(year, month, day))) => {
                let value = ExcelDateTime::from_ymd(*year, *month, *day)?;
                sheet.write_datetime_with_format(1, column, &value, &date)?;
            }
            None => {}
        }
    }
    sheet.set_freeze_panes(1, 0)?;
    Ok(())
}

/// A cell of the example row.
enum Cell {
    Text(String),
    Date(u16, u8, u8),
}

/// A project drafted since March 2024 and out for consultation since January 2025.
fn example_row(
    definition: &WorkflowDefinition,
    committees: &[CommitteeSummary],
) -> Vec<(Field, Cell)> {
    let kind = definition.specification_kinds.first();
    let kind_code = kind.map(|kind| kind.code.clone()).unwrap_or_default();
    let code = definition
        .format_code(&kind_code, 2024, 1)
        .unwrap_or_default();
    let committee = committees.first().map_or_else(
        || "SH-TC-01".to_string(),
        |committee| committee.code.clone(),
    );
    let mut row = vec![
        (Field::Code, Cell::Text(code)),
        (
            Field::TitleZh,
            Cell::Text("示例：数字温度计校准规范".to_string()),
        ),
        (
            Field::TitleEn,
            Cell::Text("Example: calibration of digital thermometers".to_string()),
        ),
        (
            Field::Kind,
            Cell::Text(kind.map(|kind| kind.name.zh.clone()).unwrap_or_default()),
        ),
        (Field::Committee, Cell::Text(committee)),
        (
            Field::DraftingUnit,
            Cell::Text("上海市计量测试技术研究院".to_string()),
        ),
    ];
    let dates = [(2024, 3, 1), (2025, 1, 15)];
    for (index, (year, month, day)) in dates.into_iter().enumerate() {
        if definition.import_columns.get(index).is_some() {
            row.push((Field::StageDate(index), Cell::Date(year, month, day)));
        }
    }
    let reached = definition
        .import_columns
        .get(dates.len() - 1)
        .or_else(|| definition.import_columns.first())
        .map_or(definition.initial_stage.as_str(), |column| {
            column.stage.as_str()
        });
    row.push((
        Field::Stage,
        Cell::Text(definition.stage_name(reached).zh.clone()),
    ));
    row
}

fn write_lists(
    sheet: &mut Worksheet,
    definition: &WorkflowDefinition,
    committees: &[CommitteeSummary],
) -> Result<(), XlsxError> {
    sheet.set_name("可填写的值 lists")?;
    let bold = Format::new().set_bold();
    let mut row = 0u32;
    let mut section =
        |sheet: &mut Worksheet, title: &str, entries: Vec<[String; 3]>| -> Result<(), XlsxError> {
            sheet.write_string_with_format(row, 0, title, &bold)?;
            sheet.write_string_with_format(row, 1, "中文 Chinese", &bold)?;
            sheet.write_string_with_format(row, 2, "English", &bold)?;
            row += 1;
            for [code, zh, en] in entries {
                sheet.write_string(row, 0, code)?;
                sheet.write_string(row, 1, zh)?;
                sheet.write_string(row, 2, en)?;
                row += 1;
            }
            row += 1;
            Ok(())
        };
    let committees = committees
        .iter()
        .map(|c| [c.code.clone(), c.name.zh.clone(), c.name.en.clone()])
        .collect();
    section(sheet, "技术委员会 committee", committees)?;
    let kinds = definition
        .specification_kinds
        .iter()
        .map(|k| [k.code.clone(), k.name.zh.clone(), k.name.en.clone()])
        .collect();
    section(sheet, "规范类型 specification_kind", kinds)?;
    let stages = definition
        .stages
        .iter()
        .map(|s| [s.code.clone(), s.name.zh.clone(), s.name.en.clone()])
        .collect();
    section(sheet, "阶段 stage", stages)?;
    for column in 0..3 {
        sheet.set_column_width(column, 36)?;
    }
    Ok(())
}
