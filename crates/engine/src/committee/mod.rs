//! Committees as audited records: formation, appointments, resignations, terms, the secretariat
//! and the bureau's waivers, decided against the composition policy and kept in a hash-chained log.
//!
//! The shape follows the project's: [`decide`] holds every rule (the policy file's composition
//! rules, terms, bad input) and answers events or a [`crate::Rejection`]; [`CommitteeState::apply`]
//! folds an event and cannot fail; [`tick`] turns the passing of time into the term's warning,
//! its end and the end-of-term report falling due, each once; [`check_composition`] lists every
//! breach and every waiver on a day; [`roll_on`] is the voting roll of a meeting held on a day.
//! Records are sealed and verified by [`audit`], with the project log's canonical encoding.
//!
//! Two kinds of time meet here: when a fact was recorded (the record's instant, used to replay
//! "as the log stood at T") and the local day it takes effect (an appointment from 1 March).
//! The composition "as of an instant" is the state replayed to that instant, read on its local day.

pub mod audit;
mod decide;
pub mod notify;
pub mod policy;
mod reporting;

pub use decide::{
    Breach, CompositionCheck, RollEntry, check_composition, decide, next_deadline, roll_on, tick,
};
pub use policy::{CommitteePolicy, PolicyError};
pub use reporting::{composition_section, rule_name};

use crate::command::Actor;
use crate::text::LocalizedText;
use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// What a committee member is, as recorded when appointed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct MemberProfile {
    /// The person, as named on rolls and votes (a stable id or their name).
    pub person: String,
    /// The organisation they come from.
    pub organisation: String,
    /// Their professional title level, one of the policy's.
    pub title_level: String,
    /// Whether they are administrative staff (行政管理人员).
    pub administrative: bool,
    /// Whether they are a metrology professional (计量技术专业人员).
    pub metrology_professional: bool,
    /// Their role in the committee, one of the policy's.
    pub role: String,
}

/// A request about a committee.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "snake_case")]
pub enum CommitteeCommand {
    /// Form the committee (its first record).
    Form {
        /// Its id, chosen by the caller (the engine generates nothing).
        committee_id: Uuid,
        /// Its code, the one projects name, such as `SH-TC-01`.
        code: String,
        /// Its name.
        name: LocalizedText,
        /// Its field, such as `length` or `medical and health`.
        field: String,
        /// Whether it is the legal-metrology committee (法制计量技术委员会).
        legal_metrology: bool,
        /// The composition plan reported to the bureau: its reference, such as a document number.
        composition_plan: String,
        /// The local day it was formed.
        formed_on: NaiveDate,
    },
    /// Name the organisation that holds the secretariat (秘书处承担单位).
    AssignSecretariat {
        /// The organisation.
        organisation: String,
        /// From which local day.
        since: NaiveDate,
    },
    /// Start the next term.
    StartTerm {
        /// Its first local day.
        starts_on: NaiveDate,
        /// Its last local day; by the policy's term length when absent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        ends_on: Option<NaiveDate>,
    },
    /// End the current term before its last day (the scheduler ends it on time).
    EndTerm {
        /// Its last local day.
        ended_on: NaiveDate,
        /// The reason given, in words, as the log records it.
        reason: String,
    },
    /// Appoint a person who does not serve in the term.
    Appoint {
        /// Who, and in which role.
        #[serde(flatten)]
        member: MemberProfile,
        /// The term; the current one when absent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        term: Option<u32>,
        /// The first local day in office.
        effective_on: NaiveDate,
    },
    /// Reappoint a person who served in an earlier term (连聘连任), perhaps in another role.
    Reappoint {
        /// Who, and in which role.
        #[serde(flatten)]
        member: MemberProfile,
        /// The term; the current one when absent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        term: Option<u32>,
        /// The first local day in office.
        effective_on: NaiveDate,
    },
    /// Record a resignation.
    Resign {
        /// Who.
        person: String,
        /// The first local day no longer in office.
        effective_on: NaiveDate,
        /// The reason given, in words, as the log records it.
        reason: String,
    },
    /// Record the bureau's waiver of a composition rule.
    Waive(CommitteeWaiver),
}

impl CommitteeCommand {
    /// A short name of the command's kind, for logs.
    pub fn kind_name(&self) -> &'static str {
        match self {
            CommitteeCommand::Form { .. } => "form",
            CommitteeCommand::AssignSecretariat { .. } => "assign_secretariat",
            CommitteeCommand::StartTerm { .. } => "start_term",
            CommitteeCommand::EndTerm { .. } => "end_term",
            CommitteeCommand::Appoint { .. } => "appoint",
            CommitteeCommand::Reappoint { .. } => "reappoint",
            CommitteeCommand::Resign { .. } => "resign",
            CommitteeCommand::Waive(_) => "waive",
        }
    }
}

/// The bureau's exception to one composition rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CommitteeWaiver {
    /// The rule's code, one of the policy's waivable rules.
    pub rule: String,
    /// Whom it covers: a person (for a title), an organisation (for the per-organisation count),
    /// or nobody in particular (the rule for the whole committee) when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// The reason given, in words, as the log records it.
    pub reason: String,
    /// Who grants it, in words (the bureau's decision and its number).
    pub authority: String,
    /// How far it relaxes a rule that sets a most (members, holders of a role, members from one
    /// organisation, administrative staff): the count it allows, such as 22 members where the
    /// rule allows 20. A breach beyond it needs a further waiver. Required for such rules and
    /// refused for others; absent only from waivers recorded before bounds existed, which keep
    /// the meaning they had (they cover the rule whatever the count).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub up_to: Option<u32>,
}

/// One thing that happened to a committee.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommitteeEvent {
    /// The instant it was recorded.
    pub occurred_at: DateTime<Utc>,
    /// Who caused it.
    pub actor: Actor,
    /// What happened.
    pub body: CommitteeEventBody,
}

/// What happened to a committee. Variants are never changed in place (the log is kept for decades).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum CommitteeEventBody {
    /// The committee was formed.
    CommitteeFormed {
        /// Its id.
        committee_id: Uuid,
        /// Its code.
        code: String,
        /// Its name.
        name: LocalizedText,
        /// Its field.
        field: String,
        /// Whether it is the legal-metrology committee.
        legal_metrology: bool,
        /// The composition plan reported to the bureau.
        composition_plan: String,
        /// The local day it was formed.
        formed_on: NaiveDate,
        /// The policy it was formed under.
        policy_id: String,
        /// Its version.
        policy_version: u32,
    },
    /// The secretariat's organisation was named.
    SecretariatAssigned {
        /// The organisation.
        organisation: String,
        /// From which local day.
        since: NaiveDate,
    },
    /// A term started.
    TermStarted {
        /// Its number, 1 for the first.
        term: u32,
        /// Its first local day.
        starts_on: NaiveDate,
        /// Its last local day.
        ends_on: NaiveDate,
        /// The instant it ends (the start of the local day after `ends_on`), computed when started.
        ends_at: DateTime<Utc>,
        /// The instant the secretariat and the bureau are warned.
        warn_at: DateTime<Utc>,
        /// The rules waived to start it.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        waived_rules: Vec<String>,
    },
    /// A person was appointed.
    MemberAppointed {
        /// Who, and in which role.
        #[serde(flatten)]
        member: MemberProfile,
        /// The term.
        term: u32,
        /// The first local day in office.
        effective_on: NaiveDate,
        /// The rules the appointment breaks under a recorded waiver.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        waived_rules: Vec<String>,
    },
    /// A person who served before was reappointed.
    MemberReappointed {
        /// Who, and in which role.
        #[serde(flatten)]
        member: MemberProfile,
        /// The term.
        term: u32,
        /// The first local day in office.
        effective_on: NaiveDate,
        /// The rules the appointment breaks under a recorded waiver.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        waived_rules: Vec<String>,
    },
    /// A member resigned.
    MemberResigned {
        /// Who.
        person: String,
        /// The first local day no longer in office.
        effective_on: NaiveDate,
        /// The reason given, in words, as the log records it.
        reason: String,
    },
    /// The bureau waived a composition rule.
    WaiverRecorded(CommitteeWaiver),
    /// The secretariat and the bureau were warned that the term ends soon.
    TermEndingWarned {
        /// The term.
        term: u32,
        /// Its last local day.
        ends_on: NaiveDate,
        /// When the warning fell due.
        fell_due_at: DateTime<Utc>,
    },
    /// A term ended.
    TermEnded {
        /// The term.
        term: u32,
        /// Its last local day.
        ended_on: NaiveDate,
        /// Why it ended early, when it did.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
        /// When the end fell due, when the scheduler recorded it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        fell_due_at: Option<DateTime<Utc>>,
    },
    /// The end-of-term report (届末工作报告) of a term fell due.
    EndOfTermReportDue {
        /// The term.
        term: u32,
        /// The first local day the report covers.
        period_from: NaiveDate,
        /// The last local day it covers.
        period_to: NaiveDate,
    },
}

impl CommitteeEventBody {
    /// The event's type as written in the log, such as `member_appointed`.
    pub fn type_name(&self) -> &'static str {
        match self {
            CommitteeEventBody::CommitteeFormed { .. } => "committee_formed",
            CommitteeEventBody::SecretariatAssigned { .. } => "secretariat_assigned",
            CommitteeEventBody::TermStarted { .. } => "term_started",
            CommitteeEventBody::MemberAppointed { .. } => "member_appointed",
            CommitteeEventBody::MemberReappointed { .. } => "member_reappointed",
            CommitteeEventBody::MemberResigned { .. } => "member_resigned",
            CommitteeEventBody::WaiverRecorded(_) => "waiver_recorded",
            CommitteeEventBody::TermEndingWarned { .. } => "term_ending_warned",
            CommitteeEventBody::TermEnded { .. } => "term_ended",
            CommitteeEventBody::EndOfTermReportDue { .. } => "end_of_term_report_due",
        }
    }
}

/// What a committee is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommitteeProfile {
    /// Its id.
    pub committee_id: Uuid,
    /// Its code.
    pub code: String,
    /// Its name.
    pub name: LocalizedText,
    /// Its field.
    pub field: String,
    /// Whether it is the legal-metrology committee.
    pub legal_metrology: bool,
    /// The composition plan reported to the bureau.
    pub composition_plan: String,
    /// The local day it was formed.
    pub formed_on: NaiveDate,
    /// The policy it was formed under, and its version.
    pub policy_id: String,
    /// The policy's version.
    pub policy_version: u32,
}

/// A secretariat's organisation and since when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Secretariat {
    /// The organisation.
    pub organisation: String,
    /// From which local day.
    pub since: NaiveDate,
}

/// A term of the committee.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Term {
    /// Its number.
    pub term: u32,
    /// Its first local day.
    pub starts_on: NaiveDate,
    /// Its last local day as planned.
    pub ends_on: NaiveDate,
    /// The instant it ends as planned.
    pub ends_at: DateTime<Utc>,
    /// The instant of the warning.
    pub warn_at: DateTime<Utc>,
    /// Whether the warning was given.
    pub warned: bool,
    /// Its last local day, once it ended (earlier than `ends_on` when ended early).
    pub ended_on: Option<NaiveDate>,
    /// Whether its end-of-term report fell due.
    pub report_due: bool,
    /// The sequence of the record that started it.
    pub started_sequence: u64,
    /// The sequence of the record that ended it, once it ended.
    pub ended_sequence: Option<u64>,
}

impl Term {
    /// Its last local day: the day it ended, or the planned one.
    pub fn last_day(&self) -> NaiveDate {
        self.ended_on.unwrap_or(self.ends_on)
    }

    /// Whether the day falls within the term.
    pub fn covers(&self, day: NaiveDate) -> bool {
        self.starts_on <= day && day <= self.last_day()
    }
}

/// One appointment of a person for a term.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Appointment {
    /// Who, and in which role.
    #[serde(flatten)]
    pub member: MemberProfile,
    /// The term.
    pub term: u32,
    /// The first local day in office.
    pub effective_on: NaiveDate,
    /// Whether it was a reappointment.
    pub reappointment: bool,
    /// The first local day no longer in office, when they resigned.
    pub resigned_on: Option<NaiveDate>,
    /// The rules it breaks under a waiver.
    pub waived_rules: Vec<String>,
    /// When it was recorded.
    pub recorded_at: DateTime<Utc>,
    /// The sequence of the record that appointed them, so reports can cite it.
    pub recorded_sequence: u64,
    /// The sequence of the record of their resignation, if any.
    pub resigned_sequence: Option<u64>,
}

/// A waiver as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordedWaiver {
    /// The waiver.
    #[serde(flatten)]
    pub waiver: CommitteeWaiver,
    /// When it was recorded.
    pub recorded_at: DateTime<Utc>,
    /// Who recorded it.
    pub recorded_by: Actor,
    /// The sequence of its record, so reports can cite it.
    pub recorded_sequence: u64,
}

/// A committee's state: the fold of its events.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CommitteeState {
    /// The committee, once formed.
    pub profile: Option<CommitteeProfile>,
    /// The secretariat's organisation, once named.
    pub secretariat: Option<Secretariat>,
    /// The terms, in order.
    pub terms: Vec<Term>,
    /// Every appointment, in the order recorded.
    pub appointments: Vec<Appointment>,
    /// Every waiver, in the order recorded.
    pub waivers: Vec<RecordedWaiver>,
    /// Records applied.
    pub sequence: u64,
    /// The instant of the last record.
    pub updated_at: Option<DateTime<Utc>>,
}

impl CommitteeState {
    /// A committee not yet formed.
    pub fn new() -> CommitteeState {
        CommitteeState::default()
    }

    /// The term with this number.
    pub fn term(&self, number: u32) -> Option<&Term> {
        self.terms.iter().find(|term| term.term == number)
    }

    /// The latest term that has not ended.
    pub fn current_term(&self) -> Option<&Term> {
        self.terms.last().filter(|term| term.ended_on.is_none())
    }

    /// The term covering a local day.
    pub fn term_on(&self, day: NaiveDate) -> Option<&Term> {
        self.terms.iter().find(|term| term.covers(day))
    }

    /// Whether an appointment has the person in office on a local day.
    pub fn in_office(&self, appointment: &Appointment, day: NaiveDate) -> bool {
        let Some(term) = self.term(appointment.term) else {
            return false;
        };
        appointment.effective_on <= day
            && term.covers(day)
            && appointment
                .resigned_on
                .is_none_or(|resigned| day < resigned)
    }

    /// The appointments in office on a local day, in the order recorded.
    pub fn members_on(&self, day: NaiveDate) -> Vec<&Appointment> {
        self.appointments
            .iter()
            .filter(|appointment| self.in_office(appointment, day))
            .collect()
    }

    /// Folds one event. Checks nothing and cannot fail: `decide` made every check.
    /// The sequences it records are those of a replay from the first record, as every state is.
    pub fn apply(&mut self, event: &CommitteeEvent) {
        self.sequence += 1;
        self.updated_at = Some(event.occurred_at);
        match &event.body {
            CommitteeEventBody::CommitteeFormed {
                committee_id,
                code,
                name,
                field,
                legal_metrology,
                composition_plan,
                formed_on,
                policy_id,
                policy_version,
            } => {
                self.profile = Some(CommitteeProfile {
                    committee_id: *committee_id,
                    code: code.clone(),
                    name: name.clone(),
                    field: field.clone(),
                    legal_metrology: *legal_metrology,
                    composition_plan: composition_plan.clone(),
                    formed_on: *formed_on,
                    policy_id: policy_id.clone(),
                    policy_version: *policy_version,
                });
            }
            CommitteeEventBody::SecretariatAssigned {
                organisation,
                since,
            } => {
                self.secretariat = Some(Secretariat {
                    organisation: organisation.clone(),
                    since: *since,
                });
            }
            CommitteeEventBody::TermStarted {
                term,
                starts_on,
                ends_on,
                ends_at,
                warn_at,
                ..
            } => self.terms.push(Term {
                term: *term,
                starts_on: *starts_on,
                ends_on: *ends_on,
                ends_at: *ends_at,
                warn_at: *warn_at,
                warned: false,
                ended_on: None,
                report_due: false,
                started_sequence: self.sequence,
                ended_sequence: None,
            }),
            CommitteeEventBody::MemberAppointed {
                member,
                term,
                effective_on,
                waived_rules,
            }
            | CommitteeEventBody::MemberReappointed {
                member,
                term,
                effective_on,
                waived_rules,
            } => self.appointments.push(Appointment {
                member: member.clone(),
                term: *term,
                effective_on: *effective_on,
                reappointment: matches!(event.body, CommitteeEventBody::MemberReappointed { .. }),
                resigned_on: None,
                waived_rules: waived_rules.clone(),
                recorded_at: event.occurred_at,
                recorded_sequence: self.sequence,
                resigned_sequence: None,
            }),
            CommitteeEventBody::MemberResigned {
                person,
                effective_on,
                ..
            } => {
                if let Some(appointment) = self.appointments.iter_mut().rev().find(|appointment| {
                    &appointment.member.person == person && appointment.resigned_on.is_none()
                }) {
                    appointment.resigned_on = Some(*effective_on);
                    appointment.resigned_sequence = Some(self.sequence);
                }
            }
            CommitteeEventBody::WaiverRecorded(waiver) => self.waivers.push(RecordedWaiver {
                waiver: waiver.clone(),
                recorded_at: event.occurred_at,
                recorded_by: event.actor.clone(),
                recorded_sequence: self.sequence,
            }),
            CommitteeEventBody::TermEndingWarned { term, .. } => {
                if let Some(term) = self.terms.iter_mut().find(|each| each.term == *term) {
                    term.warned = true;
                }
            }
            CommitteeEventBody::TermEnded { term, ended_on, .. } => {
                if let Some(term) = self.terms.iter_mut().find(|each| each.term == *term) {
                    term.ended_on = Some(*ended_on);
                    term.ended_sequence = Some(self.sequence);
                }
            }
            CommitteeEventBody::EndOfTermReportDue { term, .. } => {
                if let Some(term) = self.terms.iter_mut().find(|each| each.term == *term) {
                    term.report_due = true;
                }
            }
        }
    }

    /// The structural check an auditor's replay makes: whether the event could have happened in
    /// this state (a committee formed once and first, terms in order, a resignation of someone
    /// serving). The rules of the policy are `decide`'s and are not re-judged here.
    pub fn check_applicable(&self, body: &CommitteeEventBody) -> Result<(), String> {
        let formed = self.profile.is_some();
        match body {
            CommitteeEventBody::CommitteeFormed { .. } if formed => {
                Err("the committee is formed twice".to_string())
            }
            CommitteeEventBody::CommitteeFormed { .. } => Ok(()),
            _ if !formed => Err(format!(
                "a {} event before the committee was formed",
                body.type_name()
            )),
            CommitteeEventBody::TermStarted { term, .. } => {
                let expected = self.terms.last().map_or(1, |last| last.term + 1);
                if *term == expected {
                    Ok(())
                } else {
                    Err(format!(
                        "term {term} starts but the next term is {expected}"
                    ))
                }
            }
            CommitteeEventBody::MemberAppointed { term, .. }
            | CommitteeEventBody::MemberReappointed { term, .. }
            | CommitteeEventBody::TermEndingWarned { term, .. }
            | CommitteeEventBody::TermEnded { term, .. }
            | CommitteeEventBody::EndOfTermReportDue { term, .. } => {
                if self.term(*term).is_some() {
                    Ok(())
                } else {
                    Err(format!("term {term} never started"))
                }
            }
            CommitteeEventBody::MemberResigned { person, .. } => {
                if self.appointments.iter().any(|appointment| {
                    &appointment.member.person == person && appointment.resigned_on.is_none()
                }) {
                    Ok(())
                } else {
                    Err(format!("'{person}' resigns but holds no appointment"))
                }
            }
            CommitteeEventBody::SecretariatAssigned { .. }
            | CommitteeEventBody::WaiverRecorded(_) => Ok(()),
        }
    }

    /// The appointments taking effect, the resignations effective, the terms started and ended and
    /// the waivers recorded within a period of local days (both ends included), for reports.
    /// `local_utc_offset` (the policy's) turns a waiver's instant into its local day.
    pub fn changes_within(
        &self,
        from: NaiveDate,
        to: NaiveDate,
        local_utc_offset: FixedOffset,
    ) -> CompositionChanges {
        let within = |day: NaiveDate| from <= day && day <= to;
        let local_day =
            |instant: DateTime<Utc>| instant.with_timezone(&local_utc_offset).date_naive();
        CompositionChanges {
            appointed: self
                .appointments
                .iter()
                .filter(|appointment| within(appointment.effective_on))
                .cloned()
                .collect(),
            resigned: self
                .appointments
                .iter()
                .filter(|appointment| appointment.resigned_on.is_some_and(within))
                .cloned()
                .collect(),
            terms_started: self
                .terms
                .iter()
                .filter(|term| within(term.starts_on))
                .cloned()
                .collect(),
            terms_ended: self
                .terms
                .iter()
                .filter(|term| term.ended_on.is_some_and(within))
                .cloned()
                .collect(),
            waivers: self
                .waivers
                .iter()
                .filter(|waiver| within(local_day(waiver.recorded_at)))
                .cloned()
                .collect(),
        }
    }
}

/// What changed in a committee within a period (see [`CommitteeState::changes_within`]).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CompositionChanges {
    /// Appointments and reappointments taking effect within the period.
    pub appointed: Vec<Appointment>,
    /// Appointments ended by a resignation effective within the period.
    pub resigned: Vec<Appointment>,
    /// Terms starting within the period.
    pub terms_started: Vec<Term>,
    /// Terms ending within the period.
    pub terms_ended: Vec<Term>,
    /// Waivers recorded within the period (by their local day).
    pub waivers: Vec<RecordedWaiver>,
}
