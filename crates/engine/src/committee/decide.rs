//! Every rule about committees: the commands decided against the state and the policy, the
//! composition judged on a day, the terms' warnings and ends, and the voting roll of a meeting.

use super::policy::{Checked, CommitteePolicy, CompositionRule, RuleKind};
use super::{
    Appointment, CommitteeCommand, CommitteeEvent, CommitteeEventBody, CommitteeState,
    CommitteeWaiver, MemberProfile, RecordedWaiver, Term,
};
use crate::command::Actor;
use crate::rejection::{Rejection, Unmet};
use crate::text::LocalizedText;
use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

fn invalid(field: &str, zh: String, en: String) -> Unmet {
    Unmet::new("invalid_input", LocalizedText::new(zh, en)).with("field", field)
}

fn blank(text: &str) -> bool {
    text.trim().is_empty()
}

/// One rule a composition breaks on a day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Breach {
    /// The rule's code.
    pub rule: String,
    /// The rule's name.
    pub rule_name: LocalizedText,
    /// Where the rule comes from.
    pub source: String,
    /// Whether the rule is judged on each appointment or only on the whole composition.
    pub checked: Checked,
    /// The person or organisation concerned, for rules about one of them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// The persons counted.
    pub persons: Vec<String>,
    /// The figures: what was counted and the limit.
    pub figures: BTreeMap<String, serde_json::Value>,
    /// The breach in words.
    pub message: LocalizedText,
    /// The waiver that covers it, if the bureau recorded one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waived_by: Option<RecordedWaiver>,
}

/// The composition of a committee on a day, judged against every rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CompositionCheck {
    /// The committee's code.
    pub committee: String,
    /// The local day judged.
    pub on: NaiveDate,
    /// The term covering it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub term: Option<u32>,
    /// The members in office that day.
    pub members: Vec<Appointment>,
    /// Every term started by then, so each member's term can be read with its dates.
    #[serde(default)]
    pub terms: Vec<Term>,
    /// Every rule broken, waived or not.
    pub breaches: Vec<Breach>,
    /// Every waiver recorded by then.
    pub waivers: Vec<RecordedWaiver>,
    /// Whether every breach is covered by a waiver.
    pub compliant: bool,
}

/// A person on the roll of a meeting held on a day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RollEntry {
    /// The person.
    pub person: String,
    /// Their organisation.
    pub organisation: String,
    /// Their role.
    pub role: String,
    /// Whether the role votes (counts toward quorum and result).
    pub votes: bool,
}

/// Everyone in office on a local day, with whether each votes.
pub fn roll_on(state: &CommitteeState, policy: &CommitteePolicy, day: NaiveDate) -> Vec<RollEntry> {
    state
        .members_on(day)
        .into_iter()
        .map(|appointment| RollEntry {
            person: appointment.member.person.clone(),
            organisation: appointment.member.organisation.clone(),
            role: appointment.member.role.clone(),
            votes: policy
                .role(&appointment.member.role)
                .is_some_and(|role| role.votes),
        })
        .collect()
}

fn counted<'a>(members: &[&'a MemberProfile], roles: &[String]) -> Vec<&'a MemberProfile> {
    members
        .iter()
        .copied()
        .filter(|member| roles.contains(&member.role))
        .collect()
}

fn persons(members: &[&MemberProfile]) -> Vec<String> {
    members.iter().map(|member| member.person.clone()).collect()
}

fn breach(rule: &CompositionRule, subject: Option<String>, persons: Vec<String>) -> Breach {
    Breach {
        rule: rule.code.clone(),
        rule_name: rule.name.clone(),
        source: rule.source.clone(),
        checked: rule.checked,
        subject,
        persons,
        figures: BTreeMap::new(),
        message: LocalizedText::default(),
        waived_by: None,
    }
}

/// The breaches of one composition (members in office), without waivers.
fn breaches_of(
    policy: &CommitteePolicy,
    legal_metrology: bool,
    members: &[&MemberProfile],
) -> Vec<Breach> {
    let mut breaches = Vec::new();
    for rule in &policy.rules {
        match &rule.kind {
            RuleKind::MaxMembers { limit, roles } => {
                max_members_breach(rule, *limit, roles, members, &mut breaches);
            }
            RuleKind::RoleAtMost { role, limit } | RuleKind::RoleAtLeast { role, limit } => {
                role_count_breach(policy, rule, role, *limit, members, &mut breaches);
            }
            RuleKind::MaxPerOrganisation { limit, roles } => {
                per_organisation_breaches(rule, *limit, roles, members, &mut breaches);
            }
            RuleKind::MinimumTitle { title_level, roles } => {
                minimum_title_breaches(policy, rule, title_level, roles, members, &mut breaches);
            }
            RuleKind::MaxAdministrative {
                limit,
                except_legal_metrology,
                roles,
            } => {
                // Legal metrology committees may be exempt: their work is partly administrative.
                if !(*except_legal_metrology && legal_metrology) {
                    administrative_breach(rule, *limit, roles, members, &mut breaches);
                }
            }
        }
    }
    breaches
}

/// Too many members counted in the given roles.
fn max_members_breach(
    rule: &CompositionRule,
    limit: u32,
    roles: &[String],
    members: &[&MemberProfile],
    breaches: &mut Vec<Breach>,
) {
    let counted = counted(members, roles);
    if counted.len() > limit as usize {
        let mut found = breach(rule, None, persons(&counted));
        found.message = LocalizedText::new(
            format!(
                "委员{}人，超过{}人的上限（{}）",
                counted.len(),
                limit,
                rule.source
            ),
            format!(
                "{} members, more than the limit of {} ({})",
                counted.len(),
                limit,
                rule.source
            ),
        );
        found.figures.insert("members".into(), counted.len().into());
        found.figures.insert("limit".into(), limit.into());
        breaches.push(found);
    }
}

/// Too many or too few holders of one role, by whether the rule is an upper or a lower bound.
fn role_count_breach(
    policy: &CommitteePolicy,
    rule: &CompositionRule,
    role: &str,
    limit: u32,
    members: &[&MemberProfile],
    breaches: &mut Vec<Breach>,
) {
    let holders: Vec<&MemberProfile> = members
        .iter()
        .copied()
        .filter(|member| member.role == role)
        .collect();
    let at_most = matches!(rule.kind, RuleKind::RoleAtMost { .. });
    let broken = if at_most {
        holders.len() > limit as usize
    } else {
        holders.len() < limit as usize
    };
    if broken {
        let name = policy.role_name(role);
        let mut found = breach(rule, None, persons(&holders));
        found.message = if at_most {
            LocalizedText::new(
                format!(
                    "{}{}人，至多{}人（{}）",
                    name.zh,
                    holders.len(),
                    limit,
                    rule.source
                ),
                format!(
                    "{} holding the role of {}, at most {} allowed ({})",
                    holders.len(),
                    name.en,
                    limit,
                    rule.source
                ),
            )
        } else {
            LocalizedText::new(
                format!(
                    "{}{}人，至少应设{}人（{}）",
                    name.zh,
                    holders.len(),
                    limit,
                    rule.source
                ),
                format!(
                    "{} holding the role of {}, at least {} required ({})",
                    holders.len(),
                    name.en,
                    limit,
                    rule.source
                ),
            )
        };
        found.figures.insert("role".into(), role.to_string().into());
        found.figures.insert("holders".into(), holders.len().into());
        found.figures.insert("limit".into(), limit.into());
        breaches.push(found);
    }
}

/// Too many members from one organisation: one breach per organisation over the limit.
fn per_organisation_breaches(
    rule: &CompositionRule,
    limit: u32,
    roles: &[String],
    members: &[&MemberProfile],
    breaches: &mut Vec<Breach>,
) {
    let mut by_organisation: BTreeMap<&str, Vec<&MemberProfile>> = BTreeMap::new();
    for member in counted(members, roles) {
        by_organisation
            .entry(member.organisation.as_str())
            .or_default()
            .push(member);
    }
    for (organisation, from_it) in by_organisation {
        if from_it.len() > limit as usize {
            let mut found = breach(rule, Some(organisation.to_string()), persons(&from_it));
            found.message = LocalizedText::new(
                format!(
                    "「{organisation}」有委员{}人，超过{}人（{}）",
                    from_it.len(),
                    limit,
                    rule.source
                ),
                format!(
                    "{} members from '{organisation}', more than {} ({})",
                    from_it.len(),
                    limit,
                    rule.source
                ),
            );
            found
                .figures
                .insert("organisation".into(), organisation.into());
            found.figures.insert("members".into(), from_it.len().into());
            found.figures.insert("limit".into(), limit.into());
            breaches.push(found);
        }
    }
}

/// Metrology professionals below the title level required: one breach per person.
fn minimum_title_breaches(
    policy: &CommitteePolicy,
    rule: &CompositionRule,
    title_level: &str,
    roles: &[String],
    members: &[&MemberProfile],
    breaches: &mut Vec<Breach>,
) {
    let required = policy.title_rank(title_level).unwrap_or(0);
    let level = policy
        .title_level(title_level)
        .map(|level| level.name.clone());
    let level = level.unwrap_or_else(|| LocalizedText::new(title_level, title_level));
    for member in counted(members, roles) {
        let rank = policy.title_rank(&member.title_level).unwrap_or(0);
        if member.metrology_professional && rank < required {
            let held = policy.title_level(&member.title_level).map_or_else(
                || LocalizedText::new(&member.title_level, &member.title_level),
                |level| level.name.clone(),
            );
            let mut found = breach(
                rule,
                Some(member.person.clone()),
                vec![member.person.clone()],
            );
            found.message = LocalizedText::new(
                format!(
                    "计量技术专业人员「{}」职称为{}，低于{}（{}）",
                    member.person, held.zh, level.zh, rule.source
                ),
                format!(
                    "the title of '{}', a metrology professional, is {}, below {} ({})",
                    member.person, held.en, level.en, rule.source
                ),
            );
            found
                .figures
                .insert("person".into(), member.person.clone().into());
            found
                .figures
                .insert("title_level".into(), member.title_level.clone().into());
            found
                .figures
                .insert("required".into(), title_level.to_string().into());
            breaches.push(found);
        }
    }
}

/// Too many administrative staff among the members counted.
fn administrative_breach(
    rule: &CompositionRule,
    limit: u32,
    roles: &[String],
    members: &[&MemberProfile],
    breaches: &mut Vec<Breach>,
) {
    let administrative: Vec<&MemberProfile> = counted(members, roles)
        .into_iter()
        .filter(|member| member.administrative)
        .collect();
    if administrative.len() > limit as usize {
        let mut found = breach(rule, None, persons(&administrative));
        found.message = LocalizedText::new(
            format!(
                "行政管理人员委员{}人，超过{}人（{}）",
                administrative.len(),
                limit,
                rule.source
            ),
            format!(
                "{} administrative staff as members, more than {} ({})",
                administrative.len(),
                limit,
                rule.source
            ),
        );
        found
            .figures
            .insert("administrative".into(), administrative.len().into());
        found.figures.insert("limit".into(), limit.into());
        breaches.push(found);
    }
}

/// Whether a waiver is of the breach's rule, for the breach's subject or for nobody in
/// particular, whatever its bound.
fn names_breach(recorded: &RecordedWaiver, found: &Breach) -> bool {
    recorded.waiver.rule == found.rule
        && recorded
            .waiver
            .subject
            .as_ref()
            .is_none_or(|subject| Some(subject) == found.subject.as_ref())
}

/// The waiver that covers a breach: the latest one recorded that names it (`names_breach`) and
/// whose bound, if it has one, allows the count the breach found (the persons counted).
fn covering<'a>(waivers: &'a [RecordedWaiver], found: &Breach) -> Option<&'a RecordedWaiver> {
    waivers.iter().rev().find(|recorded| {
        names_breach(recorded, found)
            && recorded
                .waiver
                .up_to
                .is_none_or(|up_to| found.persons.len() <= up_to as usize)
    })
}

/// The composition on a local day against every rule: every breach (with the waiver that covers
/// it, if any) and every waiver. Replay the state to an instant first to judge it "as of" then.
pub fn check_composition(
    state: &CommitteeState,
    policy: &CommitteePolicy,
    day: NaiveDate,
) -> CompositionCheck {
    let members: Vec<Appointment> = state.members_on(day).into_iter().cloned().collect();
    let profiles: Vec<&MemberProfile> = members.iter().map(|each| &each.member).collect();
    let legal_metrology = state
        .profile
        .as_ref()
        .is_some_and(|profile| profile.legal_metrology);
    let breaches: Vec<Breach> = breaches_of(policy, legal_metrology, &profiles)
        .into_iter()
        .map(|mut found| {
            found.waived_by = covering(&state.waivers, &found).cloned();
            found
        })
        .collect();
    CompositionCheck {
        committee: state
            .profile
            .as_ref()
            .map(|profile| profile.code.clone())
            .unwrap_or_default(),
        on: day,
        term: state.term_on(day).map(|term| term.term),
        compliant: breaches.iter().all(|found| found.waived_by.is_some()),
        members,
        terms: state.terms.clone(),
        breaches,
        waivers: state.waivers.clone(),
    }
}

/// The instant the warning of a term falls due and the instant the term ends.
fn term_instants(
    policy: &CommitteePolicy,
    ends_on: NaiveDate,
) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    // Checked arithmetic: a date at the edge of the calendar is bad input, never a panic.
    let midnight = |day: NaiveDate| {
        day.and_time(NaiveTime::MIN)
            .checked_sub_offset(policy.local_utc_offset)
            .map(|naive| naive.and_utc())
    };
    let day_after = ends_on.succ_opt()?;
    let ends_at = midnight(day_after)?;
    let warn_on = policy
        .terms
        .warn_before
        .subtract_from(day_after, None)
        .ok()?;
    let warn_at = midnight(warn_on)?;
    Some((warn_at.min(ends_at), ends_at))
}

/// The next instant a term's warning or end falls due.
pub fn next_deadline(state: &CommitteeState) -> Option<DateTime<Utc>> {
    let term = state.current_term()?;
    if term.warned || term.warn_at >= term.ends_at {
        Some(term.ends_at)
    } else {
        Some(term.warn_at)
    }
}

/// Turns the passing of time into events: the warning before a term ends, its end and the
/// end-of-term report falling due. Each happens once: the state records what was emitted. A
/// warning not yet given when the term has already ended (the scheduler was down) is skipped.
pub fn tick(state: &CommitteeState, now: DateTime<Utc>) -> Vec<CommitteeEvent> {
    let Some(term) = state.current_term() else {
        return Vec::new();
    };
    let event = |body| CommitteeEvent {
        occurred_at: now,
        actor: Actor::system(),
        body,
    };
    if now >= term.ends_at {
        return vec![
            event(CommitteeEventBody::TermEnded {
                term: term.term,
                ended_on: term.ends_on,
                reason: None,
                fell_due_at: Some(term.ends_at),
            }),
            event(CommitteeEventBody::EndOfTermReportDue {
                term: term.term,
                period_from: term.starts_on,
                period_to: term.ends_on,
            }),
        ];
    }
    if !term.warned && now >= term.warn_at {
        return vec![event(CommitteeEventBody::TermEndingWarned {
            term: term.term,
            ends_on: term.ends_on,
            fell_due_at: term.warn_at,
        })];
    }
    Vec::new()
}

fn not_formed() -> Unmet {
    Unmet::new(
        "committee_not_formed",
        LocalizedText::new("技术委员会尚未组建", "The committee has not been formed"),
    )
}

/// Decides a command against the committee's state and the policy: the events it causes, or
/// every reason it is refused.
pub fn decide(
    state: &CommitteeState,
    policy: &CommitteePolicy,
    command: &CommitteeCommand,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<Vec<CommitteeEvent>, Rejection> {
    let mut reasons = Vec::new();
    if state.profile.is_none() && !matches!(command, CommitteeCommand::Form { .. }) {
        return Err(Rejection::single(not_formed()));
    }
    let bodies = match command {
        CommitteeCommand::Form {
            committee_id,
            code,
            name,
            field,
            legal_metrology,
            composition_plan,
            formed_on,
        } => {
            check_formation(state, code, name, field, composition_plan, &mut reasons);
            vec![CommitteeEventBody::CommitteeFormed {
                committee_id: *committee_id,
                code: code.trim().to_string(),
                name: name.clone(),
                field: field.clone(),
                legal_metrology: *legal_metrology,
                composition_plan: composition_plan.clone(),
                formed_on: *formed_on,
                policy_id: policy.id.clone(),
                policy_version: policy.version,
            }]
        }
        CommitteeCommand::AssignSecretariat {
            organisation,
            since,
        } => {
            if blank(organisation) {
                reasons.push(invalid(
                    "organisation",
                    "秘书处承担单位为空".into(),
                    "The secretariat's organisation is empty".into(),
                ));
            }
            vec![CommitteeEventBody::SecretariatAssigned {
                organisation: organisation.trim().to_string(),
                since: *since,
            }]
        }
        CommitteeCommand::StartTerm { starts_on, ends_on } => {
            decide_start_term(state, policy, *starts_on, *ends_on, &mut reasons)
        }
        CommitteeCommand::EndTerm { ended_on, reason } => {
            decide_end_term(state, *ended_on, reason, &mut reasons)
        }
        CommitteeCommand::Appoint {
            member,
            term,
            effective_on,
        } => decide_appointment(
            state,
            policy,
            member,
            *term,
            *effective_on,
            false,
            &mut reasons,
        ),
        CommitteeCommand::Reappoint {
            member,
            term,
            effective_on,
        } => decide_appointment(
            state,
            policy,
            member,
            *term,
            *effective_on,
            true,
            &mut reasons,
        ),
        CommitteeCommand::Resign {
            person,
            effective_on,
            reason,
        } => decide_resignation(state, person, *effective_on, reason, &mut reasons),
        CommitteeCommand::Waive(waiver) => {
            decide_waiver(policy, waiver, &mut reasons);
            vec![CommitteeEventBody::WaiverRecorded(waiver.clone())]
        }
    };
    if reasons.is_empty() {
        Ok(bodies
            .into_iter()
            .map(|body| CommitteeEvent {
                occurred_at: now,
                actor: actor.clone(),
                body,
            })
            .collect())
    } else {
        Err(Rejection { reasons })
    }
}

/// A committee is formed once, with a code, a name in both languages, a field and the
/// composition plan reported to the bureau.
fn check_formation(
    state: &CommitteeState,
    code: &str,
    name: &LocalizedText,
    field: &str,
    composition_plan: &str,
    reasons: &mut Vec<Unmet>,
) {
    if state.profile.is_some() {
        reasons.push(Unmet::new(
            "committee_already_formed",
            LocalizedText::new("技术委员会已组建", "The committee is already formed"),
        ));
    }
    if blank(code) {
        reasons.push(invalid(
            "code",
            "技术委员会代号为空".into(),
            "The committee's code is empty".into(),
        ));
    }
    if blank(&name.zh) || blank(&name.en) {
        reasons.push(invalid(
            "name",
            "技术委员会名称应有中英文".into(),
            "The committee's name needs both Chinese and English".into(),
        ));
    }
    if blank(field) {
        reasons.push(invalid(
            "field",
            "专业领域为空".into(),
            "The field is empty".into(),
        ));
    }
    if blank(composition_plan) {
        reasons.push(invalid(
            "composition_plan",
            "新建技术委员会的组成方案应报市市场监督管理局：请注明报送的组成方案".into(),
            "A new committee's composition plan is reported to the bureau: name the plan reported"
                .into(),
        ));
    }
}

/// A member resigns from the appointment they hold, on or after the day it took effect, and
/// says why.
fn decide_resignation(
    state: &CommitteeState,
    person: &str,
    effective_on: NaiveDate,
    reason: &str,
    reasons: &mut Vec<Unmet>,
) -> Vec<CommitteeEventBody> {
    let serving = state.appointments.iter().rev().find(|appointment| {
        appointment.member.person == person && appointment.resigned_on.is_none()
    });
    match serving {
        None => reasons.push(
            Unmet::new(
                "not_a_member",
                LocalizedText::new(
                    format!("「{person}」没有在任的聘任，无从辞任"),
                    format!("'{person}' holds no appointment to resign from"),
                ),
            )
            .with("person", person.to_string()),
        ),
        Some(appointment) if effective_on < appointment.effective_on => reasons.push(invalid(
            "effective_on",
            format!(
                "辞任日期{effective_on}早于聘任生效日期{}",
                appointment.effective_on
            ),
            format!(
                "The resignation on {effective_on} is before the appointment took effect on {}",
                appointment.effective_on
            ),
        )),
        Some(_) => {}
    }
    if blank(reason) {
        reasons.push(invalid(
            "reason",
            "请说明辞任原因".into(),
            "Give the reason for the resignation".into(),
        ));
    }
    vec![CommitteeEventBody::MemberResigned {
        person: person.to_string(),
        effective_on,
        reason: reason.to_string(),
    }]
}

fn decide_waiver(policy: &CommitteePolicy, waiver: &CommitteeWaiver, reasons: &mut Vec<Unmet>) {
    match policy.rule(&waiver.rule) {
        None => {
            let known: Vec<&str> = policy.rules.iter().map(|rule| rule.code.as_str()).collect();
            reasons.push(
                invalid(
                    "rule",
                    format!(
                        "没有组成规则「{}」；规则有：{}",
                        waiver.rule,
                        known.join("、")
                    ),
                    format!(
                        "There is no composition rule '{}'; the rules are {}",
                        waiver.rule,
                        known.join(", ")
                    ),
                )
                .with("rule", waiver.rule.clone()),
            );
        }
        Some(rule) if !rule.waivable => reasons.push(
            Unmet::new(
                "rule_not_waivable",
                LocalizedText::new(
                    format!("规则「{}」不可豁免（{}）", rule.name.zh, rule.source),
                    format!(
                        "The rule '{}' cannot be waived ({})",
                        rule.name.en, rule.source
                    ),
                ),
            )
            .with("rule", rule.code.clone()),
        ),
        Some(rule) => check_waiver_bound(rule, waiver, reasons),
    }
    if blank(&waiver.reason) {
        reasons.push(invalid(
            "reason",
            "请说明豁免理由".into(),
            "Give the reason for the waiver".into(),
        ));
    }
    if blank(&waiver.authority) {
        reasons.push(invalid(
            "authority",
            "请注明批准豁免的机关及文号".into(),
            "Name the authority that grants the waiver".into(),
        ));
    }
    if waiver.subject.as_deref().is_some_and(blank) {
        reasons.push(invalid(
            "subject",
            "豁免对象为空".into(),
            "The waiver's subject is empty".into(),
        ));
    }
}

/// A waiver of a rule that sets a most names how far it relaxes it, beyond the rule's limit; a
/// waiver of a title names the person it covers (a title of "equivalent standing" is judged
/// person by person); other waivers take no bound.
fn check_waiver_bound(rule: &CompositionRule, waiver: &CommitteeWaiver, reasons: &mut Vec<Unmet>) {
    match (rule.kind.upper_limit(), waiver.up_to) {
        (Some(limit), None) => reasons.push(
            invalid(
                "up_to",
                format!(
                    "豁免「{}」须注明放宽到多少人（规则上限为{limit}人，例如至多{}人）；超出该人数须另行豁免",
                    rule.name.zh,
                    limit + 2
                ),
                format!(
                    "A waiver of '{}' must say how far it relaxes the rule (up_to: the rule allows {limit}, for example up to {}); a breach beyond it needs a further waiver",
                    rule.name.en,
                    limit + 2
                ),
            )
            .with("rule", rule.code.clone())
            .with("limit", limit),
        ),
        (Some(limit), Some(up_to)) if up_to <= limit => reasons.push(
            invalid(
                "up_to",
                format!(
                    "豁免「{}」放宽到的人数（{up_to}）须大于规则上限{limit}人",
                    rule.name.zh
                ),
                format!(
                    "A waiver of '{}' must allow more than the rule's limit of {limit}; up_to is {up_to}",
                    rule.name.en
                ),
            )
            .with("rule", rule.code.clone())
            .with("limit", limit)
            .with("up_to", up_to),
        ),
        (None, Some(up_to)) => reasons.push(
            invalid(
                "up_to",
                format!(
                    "规则「{}」不是人数上限，豁免不注明人数（收到 up_to = {up_to}）",
                    rule.name.zh
                ),
                format!(
                    "The rule '{}' sets no most: its waiver takes no up_to (got {up_to})",
                    rule.name.en
                ),
            )
            .with("rule", rule.code.clone()),
        ),
        _ => {}
    }
    if matches!(rule.kind, RuleKind::MinimumTitle { .. }) && waiver.subject.is_none() {
        reasons.push(
            invalid(
                "subject",
                format!(
                    "豁免「{}」须注明所豁免的人员（同等资历须逐人认定）",
                    rule.name.zh
                ),
                format!(
                    "A waiver of '{}' must name the person it covers (equivalent standing is judged person by person)",
                    rule.name.en
                ),
            )
            .with("rule", rule.code.clone()),
        );
    }
}

fn decide_start_term(
    state: &CommitteeState,
    policy: &CommitteePolicy,
    starts_on: NaiveDate,
    ends_on: Option<NaiveDate>,
    reasons: &mut Vec<Unmet>,
) -> Vec<CommitteeEventBody> {
    let number = state.terms.last().map_or(1, |last| last.term + 1);
    if let Some(previous) = state.terms.last()
        && starts_on <= previous.last_day()
    {
        reasons.push(
            Unmet::new(
                "terms_overlap",
                LocalizedText::new(
                    format!(
                        "第{}届任期至{}，新一届不能从{starts_on}开始",
                        previous.term,
                        previous.last_day()
                    ),
                    format!(
                        "Term {} runs until {}; the next term cannot start on {starts_on}",
                        previous.term,
                        previous.last_day()
                    ),
                ),
            )
            .with("previous_last_day", previous.last_day().to_string()),
        );
    }
    let longest = policy
        .terms
        .length
        .add_to(starts_on, None)
        .ok()
        .and_then(|day| day.pred_opt());
    let Some(longest) = longest else {
        reasons.push(invalid(
            "starts_on",
            format!("{starts_on}超出可计算的日期范围"),
            format!("{starts_on} is out of the range of dates"),
        ));
        return Vec::new();
    };
    let ends_on = ends_on.unwrap_or(longest);
    if ends_on < starts_on {
        reasons.push(
            invalid(
                "ends_on",
                format!("任期结束日期{ends_on}早于开始日期{starts_on}"),
                format!("The term ends on {ends_on}, before it starts on {starts_on}"),
            )
            .with("starts_on", starts_on.to_string())
            .with("ends_on", ends_on.to_string()),
        );
    } else if ends_on > longest {
        reasons.push(
            Unmet::new(
                "term_too_long",
                LocalizedText::new(
                    format!("每届任期{}，自{starts_on}起最迟至{longest}，不能至{ends_on}（{}）", policy.terms.length.describe_zh(), policy.terms.source),
                    format!("A term lasts {}: from {starts_on} it ends on {longest} at the latest, not {ends_on} ({})", policy.terms.length.describe_en(), policy.terms.source),
                ),
            )
            .with("latest", longest.to_string()),
        );
    }
    let Some((warn_at, ends_at)) = term_instants(policy, ends_on) else {
        reasons.push(invalid(
            "ends_on",
            format!("{ends_on}超出可计算的日期范围"),
            format!("{ends_on} is out of the range of dates"),
        ));
        return Vec::new();
    };
    vec![CommitteeEventBody::TermStarted {
        term: number,
        starts_on,
        ends_on,
        ends_at,
        warn_at,
        waived_rules: Vec::new(),
    }]
}

fn decide_end_term(
    state: &CommitteeState,
    ended_on: NaiveDate,
    reason: &str,
    reasons: &mut Vec<Unmet>,
) -> Vec<CommitteeEventBody> {
    let Some(term) = state.current_term() else {
        reasons.push(Unmet::new(
            "no_current_term",
            LocalizedText::new("当前没有在进行的任期", "No term is running"),
        ));
        return Vec::new();
    };
    if ended_on < term.starts_on {
        reasons.push(invalid(
            "ended_on",
            format!("任期结束日期{ended_on}早于开始日期{}", term.starts_on),
            format!(
                "The term cannot end on {ended_on}, before it started on {}",
                term.starts_on
            ),
        ));
    } else if ended_on >= term.ends_on {
        reasons.push(invalid(
            "ended_on",
            format!("第{}届任期至{}届满，届满时由系统记录；提前结束的日期应早于该日", term.term, term.ends_on),
            format!("Term {} ends on {}, and specflow records that itself; an early end must be before that day", term.term, term.ends_on),
        ));
    }
    if blank(reason) {
        reasons.push(invalid(
            "reason",
            "请说明提前结束任期的原因".into(),
            "Give the reason the term ends early".into(),
        ));
    }
    vec![
        CommitteeEventBody::TermEnded {
            term: term.term,
            ended_on,
            reason: Some(reason.to_string()),
            fell_due_at: None,
        },
        CommitteeEventBody::EndOfTermReportDue {
            term: term.term,
            period_from: term.starts_on,
            period_to: ended_on,
        },
    ]
}

/// Decides an appointment or reappointment: the member's particulars, the term, whether the
/// person may be (re)appointed, and the composition rules the appointment would break.
fn decide_appointment(
    state: &CommitteeState,
    policy: &CommitteePolicy,
    member: &MemberProfile,
    term: Option<u32>,
    effective_on: NaiveDate,
    reappointment: bool,
    reasons: &mut Vec<Unmet>,
) -> Vec<CommitteeEventBody> {
    check_member_profile(policy, member, reasons);
    let Some(target) = appointment_term(state, term, reasons) else {
        return Vec::new();
    };
    check_term_takes_appointments(target, effective_on, reasons);
    let person = member.person.trim();
    check_may_be_appointed(state, policy, person, target.term, reappointment, reasons);
    if !reasons.is_empty() {
        return Vec::new();
    }
    let member = MemberProfile {
        person: person.to_string(),
        organisation: member.organisation.trim().to_string(),
        ..member.clone()
    };
    let waived_rules = check_composition_with(state, policy, &member, effective_on, reasons);
    if !reasons.is_empty() {
        return Vec::new();
    }
    let body = if reappointment {
        CommitteeEventBody::MemberReappointed {
            member,
            term: target.term,
            effective_on,
            waived_rules,
        }
    } else {
        CommitteeEventBody::MemberAppointed {
            member,
            term: target.term,
            effective_on,
            waived_rules,
        }
    };
    vec![body]
}

/// The member's person and organisation must be given, and their role and title level be ones
/// the policy knows.
fn check_member_profile(
    policy: &CommitteePolicy,
    member: &MemberProfile,
    reasons: &mut Vec<Unmet>,
) {
    if blank(&member.person) {
        reasons.push(invalid(
            "person",
            "委员姓名为空".into(),
            "The person is empty".into(),
        ));
    }
    if blank(&member.organisation) {
        reasons.push(invalid(
            "organisation",
            "委员所在单位为空".into(),
            "The organisation is empty".into(),
        ));
    }
    if policy.role(&member.role).is_none() {
        let known: Vec<&str> = policy
            .member_roles
            .iter()
            .map(|role| role.code.as_str())
            .collect();
        reasons.push(invalid(
            "role",
            format!(
                "没有委员职务「{}」；职务有：{}",
                member.role,
                known.join("、")
            ),
            format!(
                "There is no committee role '{}'; the roles are {}",
                member.role,
                known.join(", ")
            ),
        ));
    }
    if policy.title_rank(&member.title_level).is_none() {
        let known: Vec<&str> = policy
            .title_levels
            .iter()
            .map(|level| level.code.as_str())
            .collect();
        reasons.push(invalid(
            "title_level",
            format!(
                "没有职称等级「{}」；等级有：{}",
                member.title_level,
                known.join("、")
            ),
            format!(
                "There is no title level '{}'; the levels are {}",
                member.title_level,
                known.join(", ")
            ),
        ));
    }
}

/// The term named, or the current one when none is named; a reason when there is none.
fn appointment_term<'s>(
    state: &'s CommitteeState,
    term: Option<u32>,
    reasons: &mut Vec<Unmet>,
) -> Option<&'s Term> {
    let target = match term {
        Some(number) => state.term(number),
        None => state.current_term(),
    };
    if target.is_none() {
        reasons.push(match term {
            Some(number) => Unmet::new(
                "unknown_term",
                LocalizedText::new(
                    format!("第{number}届任期未开始"),
                    format!("Term {number} has not started"),
                ),
            )
            .with("term", number),
            None => Unmet::new(
                "no_current_term",
                LocalizedText::new(
                    "当前没有在进行的任期：请先开始一届任期",
                    "No term is running: start a term first",
                ),
            ),
        });
    }
    target
}

/// The term must still be running and cover the day the appointment takes effect.
fn check_term_takes_appointments(target: &Term, effective_on: NaiveDate, reasons: &mut Vec<Unmet>) {
    if target.ended_on.is_some() {
        reasons.push(
            Unmet::new(
                "term_ended",
                LocalizedText::new(
                    format!("第{}届任期已结束", target.term),
                    format!("Term {} has ended", target.term),
                ),
            )
            .with("term", target.term),
        );
    }
    if !target.covers(effective_on) {
        reasons.push(invalid(
            "effective_on",
            format!(
                "聘任生效日期{effective_on}不在第{}届任期（{}至{}）内",
                target.term,
                target.starts_on,
                target.last_day()
            ),
            format!(
                "The appointment's day {effective_on} is outside term {} ({} to {})",
                target.term,
                target.starts_on,
                target.last_day()
            ),
        ));
    }
}

/// A person is appointed once a term; a reappointment needs a renewable policy and an earlier
/// term served.
fn check_may_be_appointed(
    state: &CommitteeState,
    policy: &CommitteePolicy,
    person: &str,
    term: u32,
    reappointment: bool,
    reasons: &mut Vec<Unmet>,
) {
    if state.appointments.iter().any(|appointment| {
        appointment.member.person == person
            && appointment.term == term
            && appointment.resigned_on.is_none()
    }) {
        reasons.push(
            Unmet::new(
                "already_appointed",
                LocalizedText::new(
                    format!("「{person}」已是第{term}届委员，不能重复聘任"),
                    format!("'{person}' is already appointed to term {term}; a person is appointed once a term"),
                ),
            )
            .with("person", person.to_string()),
        );
    }
    let served_before = state
        .appointments
        .iter()
        .any(|appointment| appointment.member.person == person && appointment.term < term);
    if reappointment && !policy.terms.renewable {
        reasons.push(Unmet::new(
            "not_renewable",
            LocalizedText::new(
                format!("委员不可连聘（{}）", policy.terms.source),
                format!("Members may not be reappointed ({})", policy.terms.source),
            ),
        ));
    } else if reappointment && !served_before {
        reasons.push(
            Unmet::new(
                "not_served_before",
                LocalizedText::new(
                    format!("「{person}」此前未任委员，应为聘任而非连聘"),
                    format!("'{person}' did not serve in an earlier term: appoint them instead of reappointing"),
                ),
            )
            .with("person", person.to_string()),
        );
    }
}

/// The appointment-checked rules the composition on `effective_on`, with `member` added, breaks
/// because of this person: each covered by a waiver is returned, each not covered is a reason.
fn check_composition_with(
    state: &CommitteeState,
    policy: &CommitteePolicy,
    member: &MemberProfile,
    effective_on: NaiveDate,
    reasons: &mut Vec<Unmet>,
) -> Vec<String> {
    let person = member.person.as_str();
    // The composition on the day the appointment takes effect, with the new member.
    let mut profiles: Vec<&MemberProfile> = state
        .members_on(effective_on)
        .into_iter()
        .map(|appointment| &appointment.member)
        .collect();
    profiles.push(member);
    let legal_metrology = state
        .profile
        .as_ref()
        .is_some_and(|profile| profile.legal_metrology);
    let mut waived_rules = Vec::new();
    for found in breaches_of(policy, legal_metrology, &profiles) {
        if found.checked != Checked::Appointment || !found.persons.iter().any(|each| each == person)
        {
            continue;
        }
        match covering(&state.waivers, &found) {
            Some(_) => {
                if !waived_rules.contains(&found.rule) {
                    waived_rules.push(found.rule.clone());
                }
            }
            None => {
                let outgrown = state
                    .waivers
                    .iter()
                    .rev()
                    .find(|recorded| names_breach(recorded, &found));
                reasons.push(rule_broken_by_appointment(policy, person, &found, outgrown));
            }
        }
    }
    waived_rules
}

/// The reason an appointment is refused for breaking a rule no waiver covers; `outgrown` is the
/// latest waiver of the rule whose bound the appointment would pass, if there is one.
fn rule_broken_by_appointment(
    policy: &CommitteePolicy,
    person: &str,
    found: &Breach,
    outgrown: Option<&RecordedWaiver>,
) -> Unmet {
    let waivable = policy.rule(&found.rule).is_some_and(|rule| rule.waivable);
    let (zh, en) = match (
        waivable,
        outgrown.and_then(|recorded| Some((recorded, recorded.waiver.up_to?))),
    ) {
        (true, Some((recorded, up_to))) => (
            format!(
                "；豁免（{}）只放宽到{up_to}人，聘任后为{}人，须另行豁免",
                recorded.waiver.authority,
                found.persons.len()
            ),
            format!(
                "; the waiver ({}) relaxes it up to {up_to}, and the appointment makes {}: a further waiver is needed",
                recorded.waiver.authority,
                found.persons.len()
            ),
        ),
        (true, None) => (
            "；市场监管局可记录豁免".to_string(),
            "; the bureau may record a waiver".to_string(),
        ),
        (false, _) => (String::new(), String::new()),
    };
    let mut unmet = Unmet::new(
        "composition_rule_broken",
        LocalizedText::new(
            format!(
                "聘任「{person}」将违反「{}」：{}{zh}",
                found.rule_name.zh, found.message.zh
            ),
            format!(
                "Appointing '{person}' would break '{}': {}{en}",
                found.rule_name.en, found.message.en
            ),
        ),
    )
    .for_guard(&found.rule);
    unmet.figures = found.figures.clone();
    unmet
        .figures
        .insert("rule".into(), found.rule.clone().into());
    unmet
}
