//! The composition policy of committees, loaded from `workflows/committees/policy.toml`.
//!
//! Like a workflow definition, the file is checked whole and every problem is reported with its
//! place, so a secretariat fixing it sees the full list at once. The numbers (20 members, three
//! per organisation, four-year terms, 90 days' warning) are data with a source per rule; the
//! engine only knows the kinds of rule.

use crate::duration::DurationSpec;
use crate::location::{Problem, SourceText};
use crate::text::LocalizedText;
use chrono::FixedOffset;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::ops::Range;
use toml::Spanned;

/// Every problem found in a policy file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", .problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
pub struct PolicyError {
    /// The problems, in the order they appear in the file.
    pub problems: Vec<Problem>,
}

/// A role a person holds in a committee.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MemberRole {
    /// Its code, such as `chair` or `corresponding_member`.
    pub code: String,
    /// Its name.
    pub name: LocalizedText,
    /// Whether it votes and counts toward quorum and result.
    pub votes: bool,
}

/// A professional title level; the policy lists them lowest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TitleLevel {
    /// Its code, such as `associate_senior`.
    pub code: String,
    /// Its name.
    pub name: LocalizedText,
}

/// When a rule is judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Checked {
    /// An appointment that would break it is refused (unless waived); the check reports it too.
    Appointment,
    /// Only the composition check reports it: it can only be judged on the whole composition.
    Composition,
}

/// What a rule counts or requires.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RuleKind {
    /// At most `limit` persons in office in `roles`.
    MaxMembers {
        /// The most.
        limit: u32,
        /// The roles counted.
        roles: Vec<String>,
    },
    /// At most `limit` persons in office in `role`.
    RoleAtMost {
        /// The role.
        role: String,
        /// The most.
        limit: u32,
    },
    /// At least `limit` persons in office in `role`.
    RoleAtLeast {
        /// The role.
        role: String,
        /// The fewest.
        limit: u32,
    },
    /// At most `limit` persons in office in `roles` from one organisation.
    MaxPerOrganisation {
        /// The most.
        limit: u32,
        /// The roles counted.
        roles: Vec<String>,
    },
    /// Metrology professionals in `roles` hold `title_level` or above.
    MinimumTitle {
        /// The lowest level accepted.
        title_level: String,
        /// The roles it applies to.
        roles: Vec<String>,
    },
    /// At most `limit` administrative staff in `roles` (not in the legal-metrology committee when
    /// `except_legal_metrology`).
    MaxAdministrative {
        /// The most.
        limit: u32,
        /// Whether the legal-metrology committee is exempt.
        except_legal_metrology: bool,
        /// The roles counted.
        roles: Vec<String>,
    },
}

impl RuleKind {
    /// The most the rule allows, for the rules that set one: a waiver of such a rule names how far
    /// it relaxes it (`up_to`).
    pub fn upper_limit(&self) -> Option<u32> {
        match self {
            RuleKind::MaxMembers { limit, .. }
            | RuleKind::RoleAtMost { limit, .. }
            | RuleKind::MaxPerOrganisation { limit, .. }
            | RuleKind::MaxAdministrative { limit, .. } => Some(*limit),
            RuleKind::RoleAtLeast { .. } | RuleKind::MinimumTitle { .. } => None,
        }
    }
}

/// One composition rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CompositionRule {
    /// Its code, named by waivers and breaches.
    pub code: String,
    /// Its name.
    pub name: LocalizedText,
    /// What it requires.
    pub kind: RuleKind,
    /// Whether the bureau may waive it.
    pub waivable: bool,
    /// When it is judged.
    pub checked: Checked,
    /// Where it comes from.
    pub source: String,
}

/// The rules of terms.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TermRules {
    /// How long a term lasts from its first day.
    pub length: DurationSpec,
    /// Whether members may be reappointed.
    pub renewable: bool,
    /// How long before a term's end the secretariat and the bureau are warned.
    pub warn_before: DurationSpec,
    /// Where it comes from.
    pub source: String,
    /// Who hears of a term's approach and end.
    pub audiences: Vec<String>,
}

/// The validated policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CommitteePolicy {
    /// Its id.
    pub id: String,
    /// Its version.
    pub version: u32,
    /// Its title.
    pub title: LocalizedText,
    /// The offset of local days from UTC.
    #[serde(serialize_with = "serialize_offset")]
    pub local_utc_offset: FixedOffset,
    /// The roles, in the file's order.
    pub member_roles: Vec<MemberRole>,
    /// Title levels, lowest first.
    pub title_levels: Vec<TitleLevel>,
    /// The composition rules, in the file's order.
    pub rules: Vec<CompositionRule>,
    /// Terms.
    pub terms: TermRules,
}

fn serialize_offset<S: serde::Serializer>(
    offset: &FixedOffset,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.collect_str(offset)
}

impl CommitteePolicy {
    /// The role with this code.
    pub fn role(&self, code: &str) -> Option<&MemberRole> {
        self.member_roles.iter().find(|role| role.code == code)
    }

    /// The rank of a title level (0 is the lowest).
    pub fn title_rank(&self, code: &str) -> Option<usize> {
        self.title_levels
            .iter()
            .position(|level| level.code == code)
    }

    /// The title level with this code.
    pub fn title_level(&self, code: &str) -> Option<&TitleLevel> {
        self.title_levels.iter().find(|level| level.code == code)
    }

    /// The rule with this code.
    pub fn rule(&self, code: &str) -> Option<&CompositionRule> {
        self.rules.iter().find(|rule| rule.code == code)
    }

    /// The name of a role for people (its code when unknown).
    pub fn role_name(&self, code: &str) -> LocalizedText {
        self.role(code)
            .map_or_else(|| LocalizedText::new(code, code), |role| role.name.clone())
    }

    /// Parses and checks a policy file, reporting every problem with its place.
    pub fn from_toml(file_name: &str, text: &str) -> Result<CommitteePolicy, PolicyError> {
        let source = SourceText::new(file_name, text);
        let raw: RawPolicy = toml::from_str(text).map_err(|error| PolicyError {
            problems: vec![source.toml_problem(&error)],
        })?;
        let mut checker = Checker {
            source,
            problems: Vec::new(),
        };
        let policy = checker.policy(raw);
        if checker.problems.is_empty() {
            policy.ok_or_else(|| PolicyError {
                problems: vec![source.problem_without_place("the policy is incomplete")],
            })
        } else {
            Err(PolicyError {
                problems: checker.problems,
            })
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPolicy {
    id: Spanned<String>,
    version: Spanned<i64>,
    title: LocalizedText,
    local_utc_offset: Spanned<String>,
    #[serde(default)]
    member_roles: Vec<Spanned<RawRole>>,
    #[serde(default)]
    title_levels: Vec<Spanned<RawTitle>>,
    #[serde(default)]
    rules: Vec<Spanned<RawRule>>,
    terms: Spanned<RawTerms>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRole {
    code: Spanned<String>,
    name: LocalizedText,
    votes: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTitle {
    code: Spanned<String>,
    name: LocalizedText,
}

/// One flat struct for every kind of rule: serde's tagged enums lose spans, so the checker says
/// which fields each kind takes.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    code: Spanned<String>,
    kind: Spanned<String>,
    name: LocalizedText,
    limit: Option<Spanned<i64>>,
    role: Option<Spanned<String>>,
    roles: Option<Vec<Spanned<String>>>,
    title_level: Option<Spanned<String>>,
    except_legal_metrology: Option<bool>,
    waivable: bool,
    checked: Spanned<String>,
    source: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTerms {
    length: Spanned<String>,
    renewable: bool,
    warn_before: Spanned<String>,
    source: Spanned<String>,
    audiences: Vec<Spanned<String>>,
}

struct Checker<'text> {
    source: SourceText<'text>,
    problems: Vec<Problem>,
}

impl Checker<'_> {
    fn error(&mut self, span: Range<usize>, message: impl Into<String>) {
        self.problems.push(self.source.problem_at(span, message));
    }

    fn code(&mut self, what: &str, code: &Spanned<String>, seen: &mut HashSet<String>) -> bool {
        let text = code.get_ref();
        let well_formed = !text.is_empty()
            && text.chars().all(|character| {
                character.is_ascii_lowercase() || character.is_ascii_digit() || character == '_'
            });
        if !well_formed {
            self.error(
                code.span(),
                format!("{what} code '{text}' must be non-empty lowercase letters, digits or '_'"),
            );
            return false;
        }
        if !seen.insert(text.clone()) {
            self.error(code.span(), format!("duplicate {what} code '{text}'"));
            return false;
        }
        true
    }

    fn duration(&mut self, what: &str, text: &Spanned<String>) -> Option<DurationSpec> {
        match text.get_ref().parse::<DurationSpec>() {
            Ok(duration) if duration.needs_calendar() => {
                self.error(
                    text.span(),
                    format!("{what}: count terms in calendar days, weeks, months or years, not working days"),
                );
                None
            }
            Ok(duration) if duration.amount == 0 => {
                self.error(text.span(), format!("{what} must be longer than nothing"));
                None
            }
            Ok(duration) => Some(duration),
            Err(error) => {
                self.error(text.span(), format!("{what}: {error}"));
                None
            }
        }
    }

    fn policy(&mut self, raw: RawPolicy) -> Option<CommitteePolicy> {
        let version = match u32::try_from(*raw.version.get_ref()) {
            Ok(version) if version > 0 => version,
            _ => {
                self.error(raw.version.span(), "version must be a whole number from 1");
                0
            }
        };
        if raw.id.get_ref().trim().is_empty() {
            self.error(raw.id.span(), "id must not be empty");
        }
        let offset = match raw.local_utc_offset.get_ref().parse::<FixedOffset>() {
            Ok(offset) => Some(offset),
            Err(_) => {
                self.error(
                    raw.local_utc_offset.span(),
                    format!(
                        "'{}' is not an offset from UTC such as '+08:00'",
                        raw.local_utc_offset.get_ref()
                    ),
                );
                None
            }
        };
        let mut seen = HashSet::new();
        let mut member_roles = Vec::new();
        for role in raw.member_roles {
            let role = role.into_inner();
            if self.code("role", &role.code, &mut seen) {
                member_roles.push(MemberRole {
                    code: role.code.into_inner(),
                    name: role.name,
                    votes: role.votes,
                });
            }
        }
        if member_roles.is_empty() {
            self.problems.push(
                self.source
                    .problem_without_place("give at least one [[member_roles]]"),
            );
        }
        let mut seen = HashSet::new();
        let mut title_levels = Vec::new();
        for level in raw.title_levels {
            let level = level.into_inner();
            if self.code("title level", &level.code, &mut seen) {
                title_levels.push(TitleLevel {
                    code: level.code.into_inner(),
                    name: level.name,
                });
            }
        }
        let role_codes: HashSet<String> =
            member_roles.iter().map(|role| role.code.clone()).collect();
        let title_codes: HashSet<String> = title_levels
            .iter()
            .map(|level| level.code.clone())
            .collect();
        let mut seen = HashSet::new();
        let mut rules = Vec::new();
        for rule in raw.rules {
            let rule_span = rule.span();
            let rule = rule.into_inner();
            if !self.code("rule", &rule.code, &mut seen) {
                continue;
            }
            if let Some(rule) = self.rule(rule, rule_span, &role_codes, &title_codes) {
                rules.push(rule);
            }
        }
        let terms_span = raw.terms.span();
        let terms = raw.terms.into_inner();
        let length = self.duration("terms.length", &terms.length);
        let warn_before = self.duration("terms.warn_before", &terms.warn_before);
        if terms.source.get_ref().trim().is_empty() {
            self.error(
                terms.source.span(),
                "terms.source must cite where the rule comes from",
            );
        }
        if terms.audiences.is_empty() {
            self.error(
                terms_span,
                "terms.audiences must name at least one role to warn",
            );
        }
        let audiences = terms
            .audiences
            .into_iter()
            .map(Spanned::into_inner)
            .collect();
        Some(CommitteePolicy {
            id: raw.id.into_inner(),
            version,
            title: raw.title,
            local_utc_offset: offset?,
            member_roles,
            title_levels,
            rules,
            terms: TermRules {
                length: length?,
                renewable: terms.renewable,
                warn_before: warn_before?,
                source: terms.source.into_inner(),
                audiences,
            },
        })
    }

    fn rule(
        &mut self,
        rule: RawRule,
        span: Range<usize>,
        role_codes: &HashSet<String>,
        title_codes: &HashSet<String>,
    ) -> Option<CompositionRule> {
        let code = rule.code.get_ref().clone();
        let context = format!("rule '{code}'");
        if rule.source.get_ref().trim().is_empty() {
            self.error(
                rule.source.span(),
                format!("{context}: cite the source of the rule"),
            );
        }
        let checked = match rule.checked.get_ref().as_str() {
            "appointment" => Checked::Appointment,
            "composition" => Checked::Composition,
            other => {
                self.error(
                    rule.checked.span(),
                    format!(
                        "{context}: checked must be 'appointment' or 'composition', not '{other}'"
                    ),
                );
                Checked::Composition
            }
        };
        let limit = match &rule.limit {
            Some(limit) => match u32::try_from(*limit.get_ref()) {
                Ok(value) => Some(value),
                Err(_) => {
                    self.error(
                        limit.span(),
                        format!("{context}: limit must be a whole number from 0"),
                    );
                    None
                }
            },
            None => None,
        };
        let roles = self.referenced_roles(&rule, &context, role_codes, title_codes);
        let kind_name = rule.kind.get_ref().as_str();
        // Which fields each kind takes: (limit, role, roles, title_level, except_legal_metrology).
        let takes: (bool, bool, bool, bool, bool) = match kind_name {
            "max_members" | "max_per_organisation" => (true, false, true, false, false),
            "role_at_most" | "role_at_least" => (true, true, false, false, false),
            "minimum_title" => (false, false, true, true, false),
            "max_administrative" => (true, false, true, false, true),
            other => {
                self.error(
                    rule.kind.span(),
                    format!("{context}: unknown kind '{other}'; use max_members, role_at_most, role_at_least, max_per_organisation, minimum_title or max_administrative"),
                );
                return None;
            }
        };
        let given = (
            rule.limit.is_some(),
            rule.role.is_some(),
            rule.roles.is_some(),
            rule.title_level.is_some(),
            rule.except_legal_metrology.is_some(),
        );
        for (name, takes_it, given_it) in [
            ("limit", takes.0, given.0),
            ("role", takes.1, given.1),
            ("roles", takes.2, given.2),
            ("title_level", takes.3, given.3),
            ("except_legal_metrology", takes.4, given.4),
        ] {
            if takes_it && !given_it && name != "except_legal_metrology" {
                self.error(
                    span.clone(),
                    format!("{context}: a {kind_name} rule needs {name}"),
                );
            }
            if !takes_it && given_it {
                self.error(
                    span.clone(),
                    format!("{context}: a {kind_name} rule takes no {name}"),
                );
            }
        }
        let role = rule.role.map(Spanned::into_inner).unwrap_or_default();
        let kind = match kind_name {
            "max_members" => RuleKind::MaxMembers {
                limit: limit?,
                roles,
            },
            "max_per_organisation" => RuleKind::MaxPerOrganisation {
                limit: limit?,
                roles,
            },
            "role_at_most" => RuleKind::RoleAtMost {
                role,
                limit: limit?,
            },
            "role_at_least" => RuleKind::RoleAtLeast {
                role,
                limit: limit?,
            },
            "minimum_title" => RuleKind::MinimumTitle {
                title_level: rule.title_level.map(Spanned::into_inner)?,
                roles,
            },
            _ => RuleKind::MaxAdministrative {
                limit: limit?,
                except_legal_metrology: rule.except_legal_metrology.unwrap_or(false),
                roles,
            },
        };
        if matches!(kind, RuleKind::RoleAtLeast { .. }) && checked == Checked::Appointment {
            self.error(
                rule.checked.span(),
                format!("{context}: a role_at_least rule cannot be judged on one appointment (a committee is formed one appointment at a time); use checked = \"composition\""),
            );
        }
        Some(CompositionRule {
            code,
            name: rule.name,
            kind,
            waivable: rule.waivable,
            checked,
            source: rule.source.into_inner(),
        })
    }

    /// The roles a rule names, each checked against the policy's roles; its single role and its
    /// title level are checked too.
    fn referenced_roles(
        &mut self,
        rule: &RawRule,
        context: &str,
        role_codes: &HashSet<String>,
        title_codes: &HashSet<String>,
    ) -> Vec<String> {
        let mut roles = Vec::new();
        for role in rule.roles.iter().flatten() {
            if !role_codes.contains(role.get_ref()) {
                self.error(
                    role.span(),
                    format!("{context}: unknown role '{}'", role.get_ref()),
                );
            }
            roles.push(role.get_ref().clone());
        }
        if let Some(role) = &rule.role
            && !role_codes.contains(role.get_ref())
        {
            self.error(
                role.span(),
                format!("{context}: unknown role '{}'", role.get_ref()),
            );
        }
        if let Some(level) = &rule.title_level
            && !title_codes.contains(level.get_ref())
        {
            self.error(
                level.span(),
                format!("{context}: unknown title level '{}'", level.get_ref()),
            );
        }
        roles
    }
}
