//! Workflow definitions as data: the shipped files load, and broken files are refused with every
//! problem at once, each naming the line and column where it is and saying what is wrong.
//!
//! Each broken file is the small valid lab definition (`support::LAB_HEAD`) with one edit, so a
//! test shows exactly which change breaks what.

use crate::support::*;
use specflow_engine::{DefinitionError, Problem, WorkflowDefinition, WorkingCalendar};
use std::path::Path;

/// The lab definition with `from` replaced by `to` (which must occur exactly once).
fn edited(base: &str, from: &str, to: &str) -> String {
    assert_eq!(base.matches(from).count(), 1, "'{from}' must occur once");
    base.replacen(from, to, 1)
}

/// The line and column (from 1, in characters) where `needle` occurs in `text`, once.
fn place_of(text: &str, needle: &str) -> (usize, usize) {
    assert_eq!(
        text.matches(needle).count(),
        1,
        "'{needle}' must occur once"
    );
    let offset = text.find(needle).unwrap_or_default();
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |index| index + 1);
    (line, before[line_start..].chars().count() + 1)
}

fn problems_of(text: &str) -> Vec<Problem> {
    match WorkflowDefinition::from_toml("lab.toml", text) {
        Ok(_) => panic!("the definition should be refused"),
        Err(DefinitionError { problems }) => problems,
    }
}

/// The definition is refused with a problem at the place of `needle` whose message contains
/// every one of `words`; returns all the problems.
fn refused_at(text: &str, needle: &str, words: &[&str]) -> Vec<Problem> {
    let problems = problems_of(text);
    let (line, column) = place_of(text, needle);
    let found = problems.iter().any(|problem| {
        problem.line == Some(line)
            && problem.column == Some(column)
            && words.iter().all(|word| problem.message.contains(word))
    });
    let listed: Vec<String> = problems.iter().map(ToString::to_string).collect();
    assert!(
        found,
        "expected a problem at {line}:{column} saying {words:?}; got:\n{}",
        listed.join("\n")
    );
    problems
}

fn with_guards(guards: &str) -> String {
    format!("{LAB_HEAD}\n{guards}")
}

#[test]
fn the_lab_definition_used_by_these_tests_is_valid() {
    let definition = load("lab.toml", LAB_HEAD);
    assert_eq!(definition.initial_stage, "start");
    assert_eq!(definition.transitions.len(), 1);
}

#[test]
fn an_unknown_stage_in_a_transition_is_named_where_it_is_written() {
    let text = edited(LAB_HEAD, "to = \"end\"", "to = \"ende\"");
    let problems = refused_at(
        &text,
        "\"ende\"",
        &["action 'go'", "unknown stage 'ende'", "'to'"],
    );
    // The place is the value itself: line 76, column 6 (the opening quote).
    assert_eq!((problems[0].line, problems[0].column), (Some(76), Some(6)));
    assert_eq!(
        problems[0].to_string(),
        "lab.toml:76:6: action 'go': unknown stage 'ende' in 'to'; stages are: end, start"
    );

    let text = edited(LAB_HEAD, "from = [\"start\"]", "from = [\"strat\"]");
    refused_at(&text, "\"strat\"", &["unknown stage 'strat' in 'from'"]);
}

#[test]
fn an_unreachable_stage_is_refused() {
    let text = format!(
        "{LAB_HEAD}\n[[stages]]\ncode = \"limbo\"\nname = {{ zh = \"悬置\", en = \"limbo\" }}\nterminal = true\n"
    );
    // Placed on the stage's code (the name repeats the word, so the needle takes the newline).
    refused_at(
        &text,
        "\"limbo\"\n",
        &["stage 'limbo' is unreachable: no transition leads to it from 'start'"],
    );
}

#[test]
fn a_stage_that_is_not_terminal_needs_a_way_out() {
    let text = format!(
        "{LAB_HEAD}\n[[stages]]\ncode = \"dead_end\"\nname = {{ zh = \"死路\", en = \"dead end\" }}\n\n\
         [[transitions]]\naction = \"stray\"\nname = {{ zh = \"走偏\", en = \"stray\" }}\n\
         from = [\"start\"]\nto = \"dead_end\"\nroles = [\"clerk\"]\n"
    );
    let problems = refused_at(
        &text,
        "\"dead_end\"\nname",
        &[
            "stage 'dead_end' is not terminal but no transition leaves it: add one, or mark it terminal = true",
        ],
    );
    assert_eq!(problems.len(), 1, "{problems:?}");
}

#[test]
fn a_duplicate_stage_code_is_named_at_its_second_occurrence() {
    let text = format!(
        "{LAB_HEAD}\n[[stages]]\ncode = \"start\" # again\nname = {{ zh = \"重复\", en = \"again\" }}\n"
    );
    let problems = problems_of(&text);
    let (line, _) = place_of(&text, "code = \"start\" # again");
    assert_eq!(
        problems.iter().map(ToString::to_string).collect::<Vec<_>>(),
        vec![format!("lab.toml:{line}:8: duplicate stage code 'start'")]
    );
}

#[test]
fn an_unknown_guard_kind_is_refused_with_the_list_of_kinds() {
    let text = with_guards(
        "[[transitions.guards]]\nguard = \"artifact_present\"\nartifact_kinds = [\"draft\"]\n",
    );
    let problems = refused_at(
        &text,
        "\"artifact_present\"",
        &[
            "action 'go', guard 'artifact_present'",
            "unknown guard kind 'artifact_present'",
            "artifacts_present, time_in_stage_at_least",
        ],
    );
    assert_eq!(problems.len(), 1, "{problems:?}");
}

#[test]
fn a_fraction_outside_zero_to_one_is_refused_once() {
    for (fraction, words) in [
        ("4/3", "'4/3' is outside (0, 1]"),
        ("0/3", "'0/3' is outside (0, 1]"),
        ("-1/2", "'-1/2' is outside (0, 1]"),
        ("2:3", "'2:3' is not a fraction"),
    ] {
        let text = with_guards(&format!(
            "[[transitions.guards]]\nguard = \"vote_passes\"\nmotion = \"ballot\"\nquorum = {{ at_least = \"{fraction}\", of = \"roll\" }}\n"
        ));
        let problems = refused_at(
            &text,
            &format!("\"{fraction}\""),
            &["action 'go', guard 'vote_passes': quorum:", words],
        );
        assert_eq!(problems.len(), 1, "{problems:?}");
    }
}

// Regression: a vote_passes guard whose only threshold was malformed was also reported as giving
// no threshold at all ("give at least one of quorum, in_favour, against"), which sent the
// reader looking for a missing key that was there.
#[test]
fn a_malformed_threshold_is_not_also_reported_as_missing() {
    let text = with_guards(
        "[[transitions.guards]]\nguard = \"vote_passes\"\nmotion = \"ballot\"\nin_favour = { more_than = \"3/2\" }\n",
    );
    let problems = problems_of(&text);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        problems[0]
            .message
            .contains("in_favour: '3/2' is outside (0, 1]")
    );

    // With no threshold written at all, that is still the problem.
    let text =
        with_guards("[[transitions.guards]]\nguard = \"vote_passes\"\nmotion = \"ballot\"\n");
    refused_at(
        &text,
        "[[transitions.guards]]",
        &["give at least one of quorum, in_favour, against"],
    );
}

#[test]
fn a_threshold_needs_exactly_one_comparison_and_a_known_base() {
    let text = with_guards(
        "[[transitions.guards]]\nguard = \"vote_passes\"\nmotion = \"ballot\"\nquorum = { at_least = \"2/3\", at_most = \"3/4\" }\n",
    );
    refused_at(
        &text,
        "{ at_least",
        &["quorum needs exactly one of at_least, more_than, at_most"],
    );
    let text = with_guards(
        "[[transitions.guards]]\nguard = \"vote_passes\"\nmotion = \"ballot\"\nquorum = { at_least = \"2/3\", of = \"everyone\" }\n",
    );
    refused_at(
        &text,
        "\"everyone\"",
        &["unknown base 'everyone'; use roll, present or votes_cast"],
    );
}

#[test]
fn a_malformed_duration_is_refused() {
    for (written, needle, words) in [
        (
            "\"thirty days\"",
            "\"thirty days\"",
            "'thirty days' is not a length of time",
        ),
        ("\"30 fortnights\"", "\"30 fortnights\"", "'30 fortnights'"),
        (
            "\"-3 days\"",
            "\"-3 days\"",
            "'-3 days' is not a length of time",
        ),
        ("30", "30\n", "the length must be text such as \"30 days\""),
    ] {
        let text = with_guards(&format!(
            "[[transitions.guards]]\nguard = \"time_in_stage_at_least\"\nminimum = {written}\n"
        ));
        let problems = refused_at(
            &text,
            needle,
            &["action 'go', guard 'time_in_stage_at_least'", words],
        );
        assert_eq!(problems.len(), 1, "{problems:?}");
    }
}

#[test]
fn an_action_that_no_role_may_fire_is_refused() {
    let text = edited(LAB_HEAD, "roles = [\"clerk\"]\n", "roles = []\n");
    refused_at(
        &text,
        "[]\n",
        &["action 'go' can be fired by no role: list at least one in 'roles'"],
    );
}

#[test]
fn an_unknown_role_is_refused_wherever_it_is_named() {
    let text = edited(
        LAB_HEAD,
        "roles = [\"clerk\"]\n",
        "roles = [\"clerk\", \"boss\"]\n",
    );
    refused_at(
        &text,
        "\"boss\"",
        &["action 'go': unknown role 'boss'; roles are: clerk, head"],
    );
    let text = edited(
        LAB_HEAD,
        "record_publication = [\"head\"]",
        "record_publication = [\"chief\"]",
    );
    refused_at(
        &text,
        "\"chief\"",
        &["[permissions] record_publication: unknown role 'chief'"],
    );
    let text = with_guards(
        "[[transitions.guards]]\nguard = \"signed_off\"\nsubject = \"release\"\nby_role = \"director\"\n",
    );
    refused_at(&text, "\"director\"", &["unknown role 'director'"]);
    let text = with_guards(
        "[[transitions.guards]]\nguard = \"field_recorded\"\nfield = \"note\"\nwaivable_by = [\"clerk\", \"mayor\"]\n",
    );
    refused_at(&text, "\"mayor\"", &["unknown role 'mayor' in waivable_by"]);
}

#[test]
fn an_unknown_artifact_kind_is_refused() {
    let text = with_guards(
        "[[transitions.guards]]\nguard = \"artifacts_present\"\nartifact_kinds = [\"draft\", \"drafts\"]\n",
    );
    refused_at(
        &text,
        "\"drafts\"",
        &["unknown artifact kind 'drafts'; artifact kinds are: draft, report"],
    );
}

#[test]
fn other_unknown_references_are_refused() {
    let cases = [
        (
            "[[transitions.guards]]\nguard = \"vote_held\"\nmotion = \"referendum\"\n",
            "\"referendum\"",
            "unknown motion 'referendum'",
        ),
        (
            "[[transitions.guards]]\nguard = \"field_recorded\"\nfield = \"colour\"\n",
            "\"colour\"",
            "unknown field 'colour'",
        ),
        (
            "[[transitions.guards]]\nguard = \"artifacts_present\"\nartifact_kinds = [\"draft\"]\napplies_to = [\"novel\"]\n",
            "\"novel\"",
            "unknown specification kind 'novel' in applies_to",
        ),
        (
            "[[transitions.guards]]\nguard = \"count_at_least\"\ncounter = \"likes\"\nminimum = 3\n",
            "\"likes\"",
            "unknown counter 'likes'",
        ),
        (
            "[[transitions.guards]]\nguard = \"date_order\"\nearlier = \"field:note\"\nlater = \"today\"\n",
            "\"field:note\"",
            "field 'note' is not of type date",
        ),
        (
            "[[transitions.guards]]\nguard = \"date_order\"\nearlier = \"yesterday\"\nlater = \"today\"\n",
            "\"yesterday\"",
            "unknown date 'yesterday'",
        ),
        (
            "[[transitions.guards]]\nguard = \"different_actor\"\nthan_action = \"jump\"\n",
            "\"jump\"",
            "unknown action 'jump'",
        ),
        (
            "[[transitions.guards]]\nguard = \"vote_held\"\nmotion = \"ballot\"\nform = \"telepathy\"\n",
            "\"telepathy\"",
            "unknown meeting form 'telepathy'; use meeting or letter",
        ),
    ];
    for (guards, needle, words) in cases {
        refused_at(&with_guards(guards), needle, &[words]);
    }
}

#[test]
fn a_field_that_does_not_apply_to_the_guard_kind_is_refused() {
    let text = with_guards(
        "[[transitions.guards]]\nguard = \"artifacts_present\"\nartifact_kinds = [\"draft\"]\nminimum = \"30 days\"\n",
    );
    let problems = refused_at(
        &text,
        "\"30 days\"",
        &["action 'go', guard 'artifacts_present': 'minimum' does not apply to this guard kind"],
    );
    assert_eq!(problems.len(), 1, "{problems:?}");

    let text = with_guards(
        "[[transitions.guards]]\nguard = \"comments_all_disposed\"\nmotion = \"ballot\"\nform = \"meeting\"\n",
    );
    let problems = problems_of(&text);
    assert_eq!(problems.len(), 2, "{problems:?}");
    refused_at(&text, "\"ballot\"\nform", &["'motion' does not apply"]);
    refused_at(&text, "\"meeting\"", &["'form' does not apply"]);
}

// Regression: `of` (the inner guards of all/any/not) written on any other guard kind was
// silently ignored, so a definition that meant to combine guards quietly checked less.
#[test]
fn inner_guards_on_a_guard_that_is_not_a_combinator_are_refused() {
    let text = with_guards(
        "[[transitions.guards]]\nguard = \"field_recorded\"\nfield = \"note\"\nof = [ { guard = \"artifacts_present\", artifact_kinds = [\"draft\"] } ]\n",
    );
    let problems = refused_at(
        &text,
        "[ { guard",
        &["action 'go', guard 'field_recorded': 'of' does not apply to this guard kind"],
    );
    assert_eq!(problems.len(), 1, "{problems:?}");
}

#[test]
fn combinators_need_inner_guards() {
    let text = with_guards("[[transitions.guards]]\nguard = \"any\"\nof = []\n");
    refused_at(&text, "[]\n", &["guard 'any': 'of' lists no guard"]);
    let text = with_guards("[[transitions.guards]]\nguard = \"all\"\n");
    refused_at(
        &text,
        "[[transitions.guards]]",
        &["guard 'all': missing 'of'"],
    );
    let text = with_guards(
        "[[transitions.guards]]\nguard = \"not\"\nof = [ { guard = \"field_recorded\", field = \"note\" }, { guard = \"comments_all_disposed\" } ]\n",
    );
    refused_at(
        &text,
        "[ { guard",
        &["'not' takes exactly one guard in 'of'"],
    );
    // Problems inside the inner guards are found too.
    let text = with_guards(
        "[[transitions.guards]]\nguard = \"any\"\nof = [ { guard = \"field_recorded\", field = \"colour\" } ]\n",
    );
    refused_at(&text, "\"colour\"", &["unknown field 'colour'"]);
}

#[test]
fn a_missing_required_guard_field_is_refused() {
    let text = with_guards(
        "[[transitions.guards]]\nguard = \"notice_before_meeting\"\nmotion = \"ballot\"\n",
    );
    refused_at(
        &text,
        "[[transitions.guards]]",
        &["guard 'notice_before_meeting': missing 'minimum'"],
    );
}

#[test]
fn two_guards_of_one_action_need_distinct_ids() {
    let text = with_guards(
        "[[transitions.guards]]\nguard = \"artifacts_present\"\nartifact_kinds = [\"draft\"]\n\n\
         [[transitions.guards]]\nguard = \"artifacts_present\"\nartifact_kinds = [\"report\"]\n",
    );
    let problems = problems_of(&text);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        problems[0]
            .message
            .contains("two guards have the id 'artifacts_present'; give one an explicit 'id'"),
        "{problems:?}"
    );
}

#[test]
fn a_toml_syntax_error_is_placed_where_the_parser_stops() {
    let text = edited(LAB_HEAD, "code = \"head\"", "code = \"head");
    let problems = problems_of(&text);
    // The string runs to the end of line 13 without its closing quote.
    let (line, column) = place_of(&text, "code = \"head\n");
    assert_eq!(
        problems.iter().map(ToString::to_string).collect::<Vec<_>>(),
        [format!(
            "lab.toml:{line}:{}: invalid basic string, expected `\"`",
            column + "code = \"head".len()
        )]
    );
    assert_eq!(line, 13);

    let text = edited(
        LAB_HEAD,
        "[[stages]]\ncode = \"end\"",
        "[[stages]\ncode = \"end\"",
    );
    let problems = problems_of(&text);
    let (line, _) = place_of(&text, "[[stages]\n");
    assert_eq!(
        problems.iter().map(ToString::to_string).collect::<Vec<_>>(),
        [format!(
            "lab.toml:{line}:10: unclosed array table, expected `]`"
        )]
    );
}

#[test]
fn a_key_the_format_does_not_know_is_refused_with_its_place() {
    let text = edited(
        LAB_HEAD,
        "code = \"end\"\n",
        "code = \"end\"\nfinal = true\n",
    );
    let problems = refused_at(
        &text,
        "final = true",
        &["unknown field `final`, expected one of `code`, `name`, `iso_code`, `terminal`"],
    );
    assert_eq!(problems.len(), 1, "{problems:?}");
}

#[test]
fn every_problem_in_a_file_is_reported_at_once_in_file_order() {
    let text = LAB_HEAD
        .replacen("version = 1", "version = 0", 1)
        .replacen(
            "local_utc_offset = \"+08:00\"",
            "local_utc_offset = \"Asia/Shanghai\"",
            1,
        )
        .replacen("to = \"end\"", "to = \"ende\"", 1)
        .replacen("roles = [\"clerk\"]\n", "roles = [\"boss\"]\n", 1);
    let text = format!(
        "{text}\n[[transitions.guards]]\nguard = \"time_in_stage_at_least\"\nminimum = \"a while\"\n\n\
         [[transitions.guards]]\nguard = \"vote_passes\"\nmotion = \"ballot\"\nquorum = {{ at_least = \"5/4\" }}\n"
    );
    let problems = problems_of(&text);
    let expected = [
        ("0\n", "version must be a whole number from 1 up"),
        ("\"Asia/Shanghai\"", "is not an offset such as +08:00"),
        ("\"ende\"", "unknown stage 'ende'"),
        ("\"boss\"", "unknown role 'boss'"),
        ("\"a while\"", "'a while' is not a length of time"),
        ("\"5/4\"", "'5/4' is outside (0, 1]"),
    ];
    for (needle, words) in expected {
        let (line, column) = place_of(&text, needle);
        assert!(
            problems.iter().any(|problem| problem.line == Some(line)
                && problem.column == Some(column)
                && problem.message.contains(words)),
            "missing {line}:{column} {words}; got {problems:#?}"
        );
    }
    // `end` can no longer be reached, since `go` now leads nowhere known.
    assert!(
        problems
            .iter()
            .any(|problem| problem.message.contains("stage 'end' is unreachable")),
        "{problems:#?}"
    );
    assert_eq!(problems.len(), expected.len() + 1, "{problems:#?}");
    let lines: Vec<usize> = problems
        .iter()
        .filter(|problem| !problem.message.contains("unreachable"))
        .filter_map(|problem| problem.line)
        .collect();
    let mut sorted = lines.clone();
    sorted.sort_unstable();
    assert_eq!(lines, sorted, "problems come in file order");
}

#[test]
fn every_definition_in_the_workflows_folder_is_valid() {
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../workflows");
    let mut checked = Vec::new();
    let entries = std::fs::read_dir(&folder)
        .unwrap_or_else(|error| panic!("cannot read {}: {error}", folder.display()));
    for entry in entries {
        let path = entry.unwrap_or_else(|error| panic!("{error}")).path();
        if !path.is_file() || path.extension().and_then(|ext| ext.to_str()) != Some("toml") {
            continue;
        }
        let name = path
            .file_name()
            .and_then(|name| name.to_str())
            .unwrap_or_default()
            .to_string();
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|error| panic!("cannot read {name}: {error}"));
        let definition = load(&name, &text);
        assert_eq!(
            format!("{}.toml", definition.id),
            name,
            "a definition's file is named after its id"
        );
        // A definition that counts working days names a calendar whose years are all valid.
        if let Some(calendar_name) = &definition.calendar {
            let calendar_folder = folder.join("calendars");
            let mut calendar = WorkingCalendar::new(calendar_name.clone());
            let mut years = 0;
            for entry in std::fs::read_dir(&calendar_folder)
                .unwrap_or_else(|error| panic!("cannot read calendars: {error}"))
            {
                let path = entry.unwrap_or_else(|error| panic!("{error}")).path();
                let file = path
                    .file_name()
                    .and_then(|name| name.to_str())
                    .unwrap_or_default()
                    .to_string();
                if !file.starts_with(&format!("{calendar_name}-")) || !file.ends_with(".toml") {
                    continue;
                }
                let text = std::fs::read_to_string(&path)
                    .unwrap_or_else(|error| panic!("cannot read {file}: {error}"));
                if let Err(problems) = calendar.add_year_file(&file, &text) {
                    panic!("{file} is invalid: {problems:?}");
                }
                years += 1;
            }
            assert!(
                years > 0,
                "{name} names calendar '{calendar_name}', which has no year on file"
            );
        }
        checked.push(name);
    }
    checked.sort();
    assert!(
        checked.contains(&"metrology-spec.toml".to_string())
            && checked.contains(&"iso-standard.toml".to_string()),
        "both shipped definitions were checked: {checked:?}"
    );
}

#[test]
fn the_shipped_definitions_say_what_the_domain_rules_say() {
    let definition = metrology();
    let close = definition
        .transition_from("consultation", "close_consultation")
        .unwrap_or_else(|| panic!("close_consultation exists"));
    let outline = specflow_engine::render::outline(definition, specflow_engine::Language::En);
    for words in [
        "at least 30 days in this stage",
        "at least 20 organisations consulted",
        "the vote on technical review passes: present at least 2/3 of the voting roll, in favour at least 3/4 of the voting members present",
        "projects marked tied to legal or livelihood metrology",
        "drafting-unit members must abstain (回避), left out of the roll and of those present",
    ] {
        assert!(
            outline.contains(words),
            "the outline says '{words}':\n{outline}"
        );
    }
    // The consultation's 30 days and 20 organisations have no exception in the rules
    // (lifecycle-rules.md §4): no guard of the closing may be waived.
    assert!(
        close
            .guards
            .iter()
            .all(|guard| guard.waivable_by.is_empty()),
        "{outline}"
    );
    assert_eq!(close.roles, ["secretariat"]);
    let iso_outline = specflow_engine::render::outline(iso(), specflow_engine::Language::En);
    assert!(
        iso_outline.contains(
            "in favour at least 2/3 of the votes cast (abstentions excluded), against at most 1/4 of the votes cast (abstentions excluded)"
        ),
        "{iso_outline}"
    );
}

#[test]
fn diagrams_of_the_shipped_definitions_draw_every_transition() {
    use specflow_engine::Language;
    for definition in [metrology(), iso()] {
        let edges: usize = definition
            .transitions
            .iter()
            .map(|transition| transition.from.len())
            .sum();
        for language in [Language::Zh, Language::En] {
            let mermaid = specflow_engine::render::mermaid(definition, language);
            assert_eq!(
                mermaid
                    .lines()
                    .filter(|line| line.contains(" --> ") && !line.contains("[*]"))
                    .count(),
                edges
            );
            let dot = specflow_engine::render::dot(definition, language);
            assert_eq!(
                dot.lines()
                    .filter(|line| line.contains(" -> ") && !line.contains("start ->"))
                    .count(),
                edges
            );
        }
    }
}

#[test]
fn malformed_definitions_never_panic() {
    // Every prefix of the shipped file cut at a line end, and the file with each line removed:
    // every one of them loads or is refused, and none panics.
    let lines: Vec<&str> = METROLOGY_TOML.lines().collect();
    let mut refused = 0;
    for cut in 0..lines.len() {
        let prefix = lines[..cut].join("\n");
        if WorkflowDefinition::from_toml("cut.toml", &prefix).is_err() {
            refused += 1;
        }
        let without: Vec<&str> = lines
            .iter()
            .enumerate()
            .filter(|(index, _)| *index != cut)
            .map(|(_, line)| *line)
            .collect();
        let _ = WorkflowDefinition::from_toml("without.toml", &without.join("\n"));
    }
    assert!(refused > 0);
    for garbage in [
        "",
        "\u{feff}",
        "=",
        "[[",
        "id = 1",
        "\0\0\0",
        "id = \"x\"\nversion = 99999999999999\n",
        "stages = 3",
        "[[transitions]]\nguards = [[]]",
        "title = { zh = \"标\", en = \"题\" }\nid = \"é\"\nversion = -1\nlocal_utc_offset = \"+99:00\"\ninitial_stage = \"\"\n",
    ] {
        assert!(WorkflowDefinition::from_toml("garbage.toml", garbage).is_err());
    }
}

#[test]
fn calendar_files_with_problems_are_refused_with_every_problem() {
    let mut calendar = WorkingCalendar::new("cn");
    let text = "calendar = \"hk\"\nyear = 2025\nsource = \"test\"\n\n[[holidays]]\nname = { zh = \"假\", en = \"fake\" }\ndays_off = { from = 2025-05-05, to = 2025-05-01 }\n\n[[holidays]]\nname = { zh = \"调\", en = \"shift\" }\ndays_off = { from = 2025-06-02, to = 2025-06-02 }\nworking_days = [2025-06-04]\n";
    let problems = match calendar.add_year_file("hk-2025.toml", text) {
        Ok(year) => panic!("refused expected, got year {year}"),
        Err(problems) => problems,
    };
    let messages: Vec<&str> = problems
        .iter()
        .map(|problem| problem.message.as_str())
        .collect();
    assert_eq!(messages.len(), 3, "{messages:?}");
    assert!(messages[0].contains("for calendar 'hk', not 'cn'"));
    assert!(messages[1].contains("the last day off 2025-05-01 is before the first 2025-05-05"));
    assert!(messages[2].contains("2025-06-04 is a Wed, not a weekend day"));
    // A syntax error is placed.
    let problems = calendar
        .add_year_file(
            "cn-2027.toml",
            "calendar = \"cn\"\nyear = 2027\nsource = \n",
        )
        .err()
        .unwrap_or_default();
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].line, Some(3), "{problems:?}");
    // The shipped years are on file once each.
    let calendar = cn_calendar();
    let years: Vec<i32> = calendar.years().map(|(year, _)| *year).collect();
    assert_eq!(years, [2025, 2026]);
    let mut twice = (*calendar).clone();
    assert!(twice.add_year_file("cn-2025.toml", CN_2025_TOML).is_err());
}

#[test]
fn milestones_name_stages_of_the_definition() {
    let text = format!("{LAB_HEAD}\n[milestones]\nproposed = \"start\"\npublished = \"the_end\"\n");
    refused_at(
        &text,
        "\"the_end\"",
        &[
            "[milestones] published: unknown stage 'the_end'",
            "stages are: end, start",
        ],
    );
    let text = format!("{LAB_HEAD}\n[milestones]\napproved = \"end\"\nwithdrawn = \"end\"\n");
    assert!(
        !problems_of(&text).is_empty(),
        "an unknown milestone is refused"
    );
    let valid = load(
        "lab.toml",
        &format!("{LAB_HEAD}\n[milestones]\napproved = \"end\"\n"),
    );
    assert_eq!(valid.milestones.approved.as_deref(), Some("end"));
    assert_eq!(valid.milestones.proposed, None);
    assert_eq!(load("lab.toml", LAB_HEAD).milestones, Default::default());
    assert_eq!(
        metrology().milestones.published.as_deref(),
        Some("promotion")
    );
    assert_eq!(iso().milestones.published.as_deref(), Some("published"));
}

#[test]
fn what_drafting_unit_members_do_in_votes_is_the_definitions_and_checked() {
    // The shipped definition has them abstain; a definition that says nothing lets them vote.
    assert_eq!(
        metrology().drafting_unit_members,
        specflow_engine::definition::DraftingUnitMembers::Abstain
    );
    let lab = WorkflowDefinition::from_toml("lab.toml", LAB_HEAD).unwrap();
    assert_eq!(
        lab.drafting_unit_members,
        specflow_engine::definition::DraftingUnitMembers::Vote
    );
    let text = format!("{LAB_HEAD}\n[votes]\ndrafting_unit_members = \"recuse\"\n");
    refused_at(&text, "\"recuse\"", &["neither 'vote' nor 'abstain'"]);

    // How those who must abstain are counted: counted as present unless the definition says.
    assert_eq!(
        lab.recused_members,
        specflow_engine::definition::RecusedMembers::CountedAsPresent
    );
    let text = format!(
        "{LAB_HEAD}\n[votes]\ndrafting_unit_members = \"abstain\"\nrecused_members = \"absent\"\n"
    );
    refused_at(
        &text,
        "\"absent\"",
        &["votes.recused_members: 'absent' is neither 'counted_as_present' nor 'excluded'"],
    );
    let text = format!(
        "{LAB_HEAD}\n[votes]\ndrafting_unit_members = \"vote\"\nrecused_members = \"excluded\"\n"
    );
    refused_at(
        &text,
        "\"excluded\"",
        &["drafting_unit_members is not 'abstain'"],
    );
}

#[test]
fn project_flags_are_declared_and_guards_name_only_declared_ones() {
    assert_eq!(
        metrology()
            .project_flags
            .iter()
            .map(|flag| flag.code.as_str())
            .collect::<Vec<_>>(),
        ["legal_or_livelihood_metrology"]
    );
    assert!(metrology().project_flags[0].source.is_some());
    let text = format!(
        "{LAB_HEAD}[[transitions.guards]]\nguard = \"comments_all_disposed\"\napplies_to_flagged = [\"urgent\"]\n"
    );
    refused_at(
        &text,
        "\"urgent\"",
        &[
            "unknown project flag 'urgent' in applies_to_flagged; the definition declares no [[project_flags]]",
        ],
    );
    let text = format!(
        "{LAB_HEAD}[[transitions.guards]]\nguard = \"comments_all_disposed\"\n\n[[project_flags]]\ncode = \"urgent\"\nname = {{ zh = \"紧急\", en = \"an urgent project\" }}\nsource = \" \"\n"
    );
    refused_at(
        &text,
        "\"urgent\"",
        &["project flag 'urgent': source is empty"],
    );
}
