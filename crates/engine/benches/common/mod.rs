//! Shared by the benchmarks: the metrology definition and the event log of a long-lived project.
//!
//! The long project is built command by command through `decide` and `tick`, as the service and
//! its scheduler would: every event is one the engine itself produced. It is created, approved and
//! consulted, then goes round comment resolution again and again. Each round records two more
//! organisations, 30 comments and their dispositions, changes one disposition of the round before,
//! and attaches new versions of the disposition table and the review draft; once in ten rounds it
//! asks for an extension of the resolution deadline (granted or refused), and after ten rounds the
//! draft goes to a review meeting 30 days later, which fails and sends it back to resolution.
//! Every tenth cycle waits in resolution until its deadline warns, is missed and escalates; the
//! overall deadline warns, is missed and extended twice, then escalates and freezes the project,
//! and the bureau lifts the freeze. Commands come half an hour apart, so 100,000 events span about
//! 25 years: a long-lived project indeed. About 92% of the events are comments and dispositions.
//!
//! So that building many events stays linear, `decide` runs against a copy of the state from
//! which old rounds' artifacts, meetings and closed deadlines are pruned: the rules those commands
//! meet only look at the current round, and ids are unique by construction, so the events are the
//! ones the full state would give. Comments are kept: the state finds them by id through an index
//! of their positions, which removing old ones would put out of step. The benchmarks replay and verify the full log, and
//! `verify` checks that each event could have happened in the state before it.

use chrono::{DateTime, Days, Duration, FixedOffset, NaiveDate, TimeZone, Utc};
use sha2::{Digest, Sha256};
use specflow_engine::command::{
    Artifact, Comment, Disposition, MeetingRecord, MeetingSchedule, NewProject,
    NonVotingParticipant, Vote, VoteChoice,
};
use specflow_engine::definition::MeetingForm;
use specflow_engine::{
    Actor, Command, Event, LocalizedText, ProjectState, WorkflowDefinition, decide, next_deadline,
    tick,
};
use uuid::Uuid;

/// The text of `workflows/metrology-spec.toml`.
pub const METROLOGY_SPEC: &str = include_str!("../../../../workflows/metrology-spec.toml");

/// The project id of the long project.
pub const PROJECT_ID: Uuid = Uuid::from_u128(0x5bec_f10e_0000_4000_8000_0000_0000_0b0b);

/// The metrology definition, loaded and validated.
pub fn metrology_definition() -> WorkflowDefinition {
    WorkflowDefinition::from_toml("metrology-spec.toml", METROLOGY_SPEC)
        .unwrap_or_else(|error| panic!("metrology-spec.toml does not load: {error:?}"))
}

const ORGANISATIONS: [&str; 8] = [
    "中国计量科学研究院",
    "华东国家计量测试中心",
    "梅特勒-托利多",
    "上海大和衡器",
    "浙江省计量科学研究院",
    "江苏省计量科学研究院",
    "同济大学",
    "上海市计量协会",
];

const COMMENT_TEXTS: [&str; 6] = [
    "最大允许误差的表述应与OIML R76一致。",
    "偏载试验的加载位置建议增加示意图。",
    "检定周期建议由1年延长至2年。",
    "术语“分度值”与JJF 1001的定义不一致，建议统一。",
    "建议补充环境温度超出范围时的处理方法。",
    "附录B的计算示例中修约位数有误。",
];

const REASONS: [&str; 3] = [
    "增加示意图，但不改变加载顺序。",
    "电子汽车衡属强制检定计量器具，检定周期不超过1年。",
    "与现行国家规程保持一致，不作修改。",
];

fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

fn shanghai() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).unwrap_or_else(|| panic!("+08:00 is a valid offset"))
}

fn local_date(instant: DateTime<Utc>) -> NaiveDate {
    instant.with_timezone(&shanghai()).date_naive()
}

/// Drives a project through `decide` and `tick`, collecting every event.
struct Builder<'a> {
    definition: &'a WorkflowDefinition,
    /// The state `decide` runs against, pruned of old rounds.
    state: ProjectState,
    events: Vec<Event>,
    now: DateTime<Utc>,
    secretariat: Actor,
    drafter: Actor,
    chair: Actor,
    supervisor: Actor,
}

impl<'a> Builder<'a> {
    fn new(definition: &'a WorkflowDefinition) -> Builder<'a> {
        let start = shanghai()
            .with_ymd_and_hms(2026, 1, 5, 9, 0, 0)
            .single()
            .unwrap_or_else(|| panic!("a valid instant"))
            .with_timezone(&Utc);
        Builder {
            definition,
            state: ProjectState::new(),
            events: Vec::new(),
            now: start,
            secretariat: Actor::new("sec-wang", "secretariat"),
            drafter: Actor::new("drafter-chen", "drafter"),
            chair: Actor::new("chair-sun", "chair"),
            supervisor: Actor::new("bureau-li", "supervisor"),
        }
    }

    fn push(&mut self, events: Vec<Event>) {
        for event in events {
            self.state.apply(&event);
            self.events.push(event);
        }
    }

    /// Ticks every deadline that fell due by now, as the scheduler would.
    fn run_clock(&mut self) {
        while let Some(next) = next_deadline(&self.state) {
            if next.at > self.now {
                break;
            }
            let noticed_at = self
                .state
                .last_event_at
                .map_or(next.at, |last| last.max(next.at));
            let events = tick(&self.state, self.definition, noticed_at);
            if events.is_empty() {
                break;
            }
            self.push(events);
        }
    }

    /// Half an hour later, `actor` gives `command`; it must be accepted. The bureau first deals
    /// with a missed overall deadline or a freeze, as it would before anyone could go on.
    fn run(&mut self, actor: Actor, command: Command) {
        self.now += Duration::minutes(30);
        self.run_clock();
        self.manage_overall_deadline();
        self.step(actor, command);
    }

    fn step(&mut self, actor: Actor, command: Command) {
        match decide(&self.state, self.definition, &command, &actor, self.now) {
            Ok(events) => self.push(events),
            Err(rejection) => panic!(
                "event {}: {} refused: {rejection:?}",
                self.events.len(),
                command.kind_name()
            ),
        }
    }

    fn wait_days(&mut self, days: i64) {
        self.now += Duration::days(days);
        self.run_clock();
    }

    fn attach(&mut self, actor: Actor, kind: &str, file_name: &str, salt: &str) {
        self.run(
            actor,
            Command::AttachArtifact(Artifact {
                kind: kind.to_string(),
                file_name: file_name.to_string(),
                size_bytes: 120_000 + file_name.len() as u64 * 1000,
                sha256: sha256_hex(&format!("{kind}/{salt}")),
            }),
        );
    }

    fn fire(&mut self, actor: Actor, action: &str, reason: Option<&str>) {
        self.run(
            actor,
            Command::FireAction {
                action: action.to_string(),
                reason: reason.map(str::to_string),
            },
        );
    }

    fn meeting(
        &self,
        meeting_id: &str,
        motion: &str,
        held_on: NaiveDate,
        in_favour: usize,
    ) -> MeetingRecord {
        let roll: Vec<String> = (1..=15)
            .map(|member| format!("member-{member:02}"))
            .collect();
        let present: Vec<String> = roll.iter().take(12).cloned().collect();
        let votes = present
            .iter()
            .enumerate()
            .map(|(index, member)| Vote {
                member: member.clone(),
                choice: if index < in_favour {
                    VoteChoice::InFavour
                } else if index + 1 < present.len() {
                    VoteChoice::Against
                } else {
                    VoteChoice::Abstain
                },
            })
            .collect();
        MeetingRecord {
            meeting_id: meeting_id.to_string(),
            motion: motion.to_string(),
            form: MeetingForm::Meeting,
            held_on,
            roll,
            present,
            non_voting_present: vec![NonVotingParticipant {
                person: "corr-hu".to_string(),
                capacity: "corresponding_member".to_string(),
            }],
            votes,
            minutes_sha256: None,
            drafting_unit_members: Vec::new(),
        }
    }

    /// From creation to the end of the first consultation.
    fn prologue(&mut self) {
        let project = NewProject {
            project_id: PROJECT_ID,
            code: "JJG(沪)-2026-001".to_string(),
            title: LocalizedText::new(
                "电子汽车衡检定规程",
                "Verification regulation for electronic truck scales",
            ),
            specification_kind: "verification_regulation".to_string(),
            committee: "SH-TC-01".to_string(),
            drafting_unit: "上海市计量测试技术研究院".to_string(),
            definition_id: "metrology-spec".to_string(),
            definition_version: 1,
            flags: Default::default(),
        };
        self.run(self.secretariat.clone(), Command::CreateProject(project));
        self.attach(
            self.secretariat.clone(),
            "project_proposal",
            "项目建议书.pdf",
            "0",
        );
        let evaluation = self.meeting("M-EVAL-1", "proposal_evaluation", local_date(self.now), 9);
        self.run(self.secretariat.clone(), Command::RecordMeeting(evaluation));
        self.fire(self.secretariat.clone(), "propose", None);
        self.attach(
            self.secretariat.clone(),
            "project_application",
            "项目申报书.pdf",
            "0",
        );
        self.attach(
            self.secretariat.clone(),
            "task_statement",
            "计划任务书.pdf",
            "0",
        );
        self.fire(self.supervisor.clone(), "approve_project", None);
        self.attach(
            self.drafter.clone(),
            "consultation_draft",
            "征求意见稿.docx",
            "0",
        );
        self.attach(
            self.drafter.clone(),
            "explanatory_note",
            "编制说明.docx",
            "0",
        );
        self.attach(self.drafter.clone(), "test_report", "试验报告.pdf", "0");
        self.attach(
            self.drafter.clone(),
            "uncertainty_evaluation",
            "不确定度评定报告.pdf",
            "0",
        );
        self.run(
            self.secretariat.clone(),
            Command::SignOff {
                subject: "completeness_check".to_string(),
            },
        );
        self.fire(self.secretariat.clone(), "open_consultation", None);
        let organisations = (1..=22)
            .map(|index| format!("征求意见单位{index:02}"))
            .collect();
        self.run(
            self.secretariat.clone(),
            Command::RecordOrganisationsConsulted { organisations },
        );
        self.wait_days(31);
        self.fire(self.secretariat.clone(), "close_consultation", None);
    }

    /// When the project is frozen or its overall deadline was missed, the bureau steps in.
    fn manage_overall_deadline(&mut self) {
        let overall = self
            .state
            .open_deadline("overall")
            .filter(|entry| entry.missed && entry.extensions_granted < 2)
            .and_then(|entry| entry.times.map(|times| times.due_on));
        if let Some(due_on) = overall {
            let request_id = format!("EXT-OVERALL-{}", self.events.len());
            self.step(
                self.supervisor.clone(),
                Command::RequestExtension {
                    request_id: request_id.clone(),
                    deadline: "overall".to_string(),
                    new_due_on: due_on.checked_add_days(Days::new(150)).unwrap_or(due_on),
                    reason: "意见处理多轮往复，市局决定延长项目总期限。".to_string(),
                },
            );
            self.step(
                self.supervisor.clone(),
                Command::GrantExtension {
                    request_id,
                    reason: "市局批准延期。".to_string(),
                },
            );
        }
        if self.state.frozen.is_some() {
            self.step(
                self.supervisor.clone(),
                Command::LiftFreeze {
                    reason: "已作出处理决定，恢复项目。".to_string(),
                },
            );
        }
    }

    /// One round of comment resolution: organisations, 30 comments and their dispositions, a
    /// changed disposition, new versions of the disposition table and review draft, and once a
    /// cycle an extension asked for (granted or refused).
    fn round(&mut self, round: u64) {
        let organisations = vec![
            format!("第{round}轮补充征求意见单位甲"),
            format!("第{round}轮补充征求意见单位乙"),
        ];
        self.run(
            self.secretariat.clone(),
            Command::RecordOrganisationsConsulted { organisations },
        );
        for index in 0..30_usize {
            self.run(
                self.secretariat.clone(),
                Command::RecordComment(Comment {
                    comment_id: format!("C{round}-{index}"),
                    organisation: ORGANISATIONS[index % ORGANISATIONS.len()].to_string(),
                    clause: Some(format!("{}.{}", index % 9 + 1, index % 4 + 1)),
                    text: COMMENT_TEXTS[(index + round as usize) % COMMENT_TEXTS.len()].to_string(),
                }),
            );
        }
        for index in 0..30_usize {
            let (disposition, reason) = match index % 3 {
                0 => (Disposition::Accepted, None),
                1 => (Disposition::PartlyAccepted, Some(REASONS[0])),
                _ => (Disposition::NotAccepted, Some(REASONS[1 + index % 2])),
            };
            self.run(
                self.drafter.clone(),
                Command::DisposeComment {
                    comment_id: format!("C{round}-{index}"),
                    disposition,
                    reason: reason.map(str::to_string),
                },
            );
        }
        if round > 0 {
            self.run(
                self.drafter.clone(),
                Command::DisposeComment {
                    comment_id: format!("C{}-5", round - 1),
                    disposition: Disposition::Accepted,
                    reason: Some("复核后改为采纳。".to_string()),
                },
            );
        }
        let salt = round.to_string();
        self.attach(
            self.drafter.clone(),
            "disposition_table",
            "意见汇总处理表.xlsx",
            &salt,
        );
        self.attach(self.drafter.clone(), "review_draft", "送审稿.docx", &salt);
        if round % 10 == 4 {
            self.ask_for_extension(round);
        }
    }

    /// The drafting group asks for a month more for the resolution; the bureau decides.
    fn ask_for_extension(&mut self, round: u64) {
        let due_on = self
            .state
            .open_deadline("resolution")
            .and_then(|entry| entry.times)
            .map(|times| times.due_on);
        let Some(due_on) = due_on else { return };
        let request_id = format!("EXT-{round}");
        self.run(
            self.drafter.clone(),
            Command::RequestExtension {
                request_id: request_id.clone(),
                deadline: "resolution".to_string(),
                new_due_on: due_on.checked_add_days(Days::new(30)).unwrap_or(due_on),
                reason: "部分意见需补充试验验证。".to_string(),
            },
        );
        let command = if (round / 10).is_multiple_of(2) {
            Command::GrantExtension {
                request_id,
                reason: "同意延期一个月。".to_string(),
            }
        } else {
            Command::RefuseExtension {
                request_id,
                reason: "现有期限内可以完成。".to_string(),
            }
        };
        self.run(self.supervisor.clone(), command);
    }

    /// The draft goes to a review meeting 30 days later, which fails, and back to resolution.
    fn review(&mut self, cycle: u64) {
        if cycle % 10 == 9 {
            // A slow cycle: the resolution deadline warns, is missed and escalates.
            self.wait_days(230);
        }
        self.run(
            self.chair.clone(),
            Command::SignOff {
                subject: "review_draft_release".to_string(),
            },
        );
        let today = local_date(self.now);
        let meeting_on = today.checked_add_days(Days::new(30)).unwrap_or(today);
        let meeting_id = format!("M-REV-{cycle}");
        self.run(
            self.secretariat.clone(),
            Command::ScheduleMeeting(MeetingSchedule {
                meeting_id: meeting_id.clone(),
                motion: "review".to_string(),
                form: MeetingForm::Meeting,
                meeting_on,
                documents_sent_on: today,
            }),
        );
        self.fire(self.secretariat.clone(), "submit_for_review", None);
        self.wait_days(31);
        let salt = cycle.to_string();
        self.attach(
            self.secretariat.clone(),
            "minutes",
            "审定会议纪要.pdf",
            &salt,
        );
        let mut record = self.meeting(&meeting_id, "review", meeting_on, 8);
        record.minutes_sha256 = Some(sha256_hex(&format!("minutes/{salt}")));
        self.run(self.secretariat.clone(), Command::RecordMeeting(record));
        self.fire(
            self.secretariat.clone(),
            "fail_review",
            Some("赞成票未达到出席委员的四分之三，退回意见处理。"),
        );
    }

    /// Drops what no later command of the build looks at, so `decide` stays cheap.
    fn prune(&mut self) {
        let state = &mut self.state;
        let mut seen_kinds: Vec<String> = Vec::new();
        let mut artifacts = std::mem::take(&mut state.artifacts);
        artifacts.reverse();
        artifacts.retain(|attached| {
            let first = !seen_kinds.contains(&attached.artifact.kind);
            if first {
                seen_kinds.push(attached.artifact.kind.clone());
            }
            first
        });
        artifacts.reverse();
        state.artifacts = artifacts;
        let keep_from = state.meetings.len().saturating_sub(2);
        state.meetings.drain(..keep_from);
        let keep_from = state.scheduled_meetings.len().saturating_sub(2);
        state.scheduled_meetings.drain(..keep_from);
        let keep_from = state.sign_offs.len().saturating_sub(4);
        state.sign_offs.drain(..keep_from);
        state.deadlines.retain(|entry| entry.is_open());
        state
            .extension_requests
            .retain(|request| request.decision.is_none());
    }
}

/// The first `count` events of the long project.
pub fn long_project(definition: &WorkflowDefinition, count: usize) -> Vec<Event> {
    let mut builder = Builder::new(definition);
    builder.prologue();
    let mut round = 0;
    while builder.events.len() < count {
        builder.round(round);
        if round % 10 == 9 {
            builder.review(round / 10);
        }
        builder.prune();
        round += 1;
    }
    builder.events.truncate(count);
    builder.events
}
