//! The committee's yearly project ledger (重点工作项目台账): each member unit of the capital's
//! civilisation committee proposes its projects for the year (two by default), each serving one of
//! the year's key tasks (重点任务) and sitting in one class (制度建设, 文明宣传, 文明治理, 机关建设 by
//! default). The office (首都文明办: supervisors and administrators) guides and accepts them (立项),
//! checks them at mid-year, closes and rates them at year-end and archives them.
//!
//! proposed → returned (with guidance) → proposed (revised) …; proposed → accepted → in_progress
//! (progress reports) → checked (mid-year check: assessment, comment, traffic light) →
//! closure_submitted (the unit's year-end summary) → closed (outcome and the office's rating) →
//! archived. [`decide`] checks a command against the project, the actor and the year and returns
//! the [`ProjectChange`] to record, or says precisely why not; [`Project::apply`] folds it in.

use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::actor::{Actor, Role};
use crate::error::DomainError;
use crate::ids::UnitCode;

/// The four classes of the 2020 ledger; a year may configure its own list.
pub const DEFAULT_CLASSES: [&str; 4] = ["制度建设", "文明宣传", "文明治理", "机关建设"];
/// Projects a member unit proposes in a year unless the year says otherwise.
pub const DEFAULT_PER_UNIT_LIMIT: u32 = 2;
/// Longest free text of a field (characters).
pub const MAX_TEXT_CHARS: usize = 4000;
/// Longest title (characters).
pub const MAX_TITLE_CHARS: usize = 100;
/// Most milestones a project may carry.
pub const MAX_MILESTONES: usize = 24;

/// The tier of a member unit of the committee.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum UnitTier {
    /// 中央单位 (central Party and state bodies in the capital).
    Central,
    /// 市级单位 (the city's committees, bureaus and bodies).
    Municipal,
    /// 区 (district committees).
    District,
    /// 企业 (state enterprises: railways, power, …).
    Enterprise,
    /// 高校 (universities).
    University,
}

impl UnitTier {
    pub const ALL: [UnitTier; 5] = [UnitTier::Central, UnitTier::Municipal, UnitTier::District, UnitTier::Enterprise, UnitTier::University];

    pub fn as_str(self) -> &'static str {
        match self {
            UnitTier::Central => "central",
            UnitTier::Municipal => "municipal",
            UnitTier::District => "district",
            UnitTier::Enterprise => "enterprise",
            UnitTier::University => "university",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            UnitTier::Central => "中央单位",
            UnitTier::Municipal => "市级单位",
            UnitTier::District => "区",
            UnitTier::Enterprise => "企业",
            UnitTier::University => "高校",
        }
    }

    /// By code (`municipal`) or Chinese label (`市级单位`).
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        UnitTier::ALL.into_iter().find(|t| t.as_str() == text || t.label() == text)
    }
}

/// A member unit of the committee: a unit (of kind `member_unit`) with its tier and contact.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct MemberUnit {
    /// The unit's code (`units.code`).
    pub unit: UnitCode,
    pub tier: UnitTier,
    /// 联络员.
    pub contact_name: String,
    pub contact_phone: String,
}

/// A key task (重点任务) of a year that projects serve.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct KeyTask {
    pub year: i32,
    /// Short code, unique within the year (e.g. `T1`).
    pub code: String,
    pub title: String,
}

/// The ledger of one year: its classes, the per-unit limit and whether it is closed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct LedgerYear {
    pub year: i32,
    pub classes: Vec<String>,
    pub per_unit_limit: u32,
    /// When the office closed the year; nothing of a closed year changes.
    pub closed_at: Option<Timestamp>,
}

impl LedgerYear {
    /// A new open year; the classes default to [`DEFAULT_CLASSES`].
    pub fn new(year: i32, classes: Option<Vec<String>>, per_unit_limit: Option<u32>) -> Result<Self, DomainError> {
        if !(2000..=2100).contains(&year) {
            return Err(DomainError::invalid("year", format!("year {year} is out of range (2000–2100)")));
        }
        let classes = classes.unwrap_or_else(|| DEFAULT_CLASSES.iter().map(|c| (*c).to_owned()).collect());
        let mut seen = std::collections::HashSet::new();
        for class in &classes {
            if class.trim().is_empty() || class.chars().count() > 20 {
                return Err(DomainError::invalid("classes", format!("class {class:?} must be 1–20 characters")));
            }
            if !seen.insert(class.as_str()) {
                return Err(DomainError::invalid("classes", format!("class {class} is listed twice")));
            }
        }
        if classes.is_empty() {
            return Err(DomainError::invalid("classes", "a year needs at least one class"));
        }
        let per_unit_limit = per_unit_limit.unwrap_or(DEFAULT_PER_UNIT_LIMIT);
        if !(1..=20).contains(&per_unit_limit) {
            return Err(DomainError::invalid("per_unit_limit", "the per-unit limit must be 1–20"));
        }
        Ok(LedgerYear { year, classes, per_unit_limit, closed_at: None })
    }

    pub fn is_closed(&self) -> bool {
        self.closed_at.is_some()
    }

    pub fn contains(&self, date: Date) -> bool {
        date.year() == self.year as i16
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ProjectStatus {
    /// 已申报: waiting for the office.
    Proposed,
    /// 已退回: returned with guidance; the unit revises and proposes again.
    Returned,
    /// 已立项.
    Accepted,
    /// 推进中: at least one progress report.
    InProgress,
    /// 已半年检查.
    Checked,
    /// 已报结项: the unit's year-end summary is in.
    ClosureSubmitted,
    /// 已结项: outcome and rating given.
    Closed,
    /// 已归档.
    Archived,
}

impl ProjectStatus {
    pub const ALL: [ProjectStatus; 8] = [
        ProjectStatus::Proposed,
        ProjectStatus::Returned,
        ProjectStatus::Accepted,
        ProjectStatus::InProgress,
        ProjectStatus::Checked,
        ProjectStatus::ClosureSubmitted,
        ProjectStatus::Closed,
        ProjectStatus::Archived,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ProjectStatus::Proposed => "proposed",
            ProjectStatus::Returned => "returned",
            ProjectStatus::Accepted => "accepted",
            ProjectStatus::InProgress => "in_progress",
            ProjectStatus::Checked => "checked",
            ProjectStatus::ClosureSubmitted => "closure_submitted",
            ProjectStatus::Closed => "closed",
            ProjectStatus::Archived => "archived",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ProjectStatus::Proposed => "已申报",
            ProjectStatus::Returned => "已退回",
            ProjectStatus::Accepted => "已立项",
            ProjectStatus::InProgress => "推进中",
            ProjectStatus::Checked => "已半年检查",
            ProjectStatus::ClosureSubmitted => "已报结项",
            ProjectStatus::Closed => "已结项",
            ProjectStatus::Archived => "已归档",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        ProjectStatus::ALL.into_iter().find(|s| s.as_str() == text || s.label() == text)
    }

    /// Accepted and not yet closed: the project is being carried out.
    pub fn is_running(self) -> bool {
        matches!(self, ProjectStatus::Accepted | ProjectStatus::InProgress | ProjectStatus::Checked | ProjectStatus::ClosureSubmitted)
    }
}

/// The mid-year check's traffic light.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Light {
    /// 绿: on track.
    Green,
    /// 黄: behind, recoverable.
    Yellow,
    /// 红: at risk.
    Red,
}

impl Light {
    pub fn label(self) -> &'static str {
        match self {
            Light::Green => "绿",
            Light::Yellow => "黄",
            Light::Red => "红",
        }
    }
}

/// A project's outcome at year-end.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// 完成.
    Completed,
    /// 部分完成.
    Partly,
    /// 未完成.
    NotCompleted,
}

impl Outcome {
    pub const ALL: [Outcome; 3] = [Outcome::Completed, Outcome::Partly, Outcome::NotCompleted];

    pub fn label(self) -> &'static str {
        match self {
            Outcome::Completed => "完成",
            Outcome::Partly => "部分完成",
            Outcome::NotCompleted => "未完成",
        }
    }
}

/// The office's rating at closure.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Rating {
    /// 优秀.
    Excellent,
    /// 良好.
    Good,
    /// 一般.
    Fair,
    /// 较差.
    Poor,
}

impl Rating {
    pub fn label(self) -> &'static str {
        match self {
            Rating::Excellent => "优秀",
            Rating::Good => "良好",
            Rating::Fair => "一般",
            Rating::Poor => "较差",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Milestone {
    pub title: String,
    #[schema(value_type = String, format = Date)]
    pub due: Date,
    /// The day a progress report said it was reached.
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Date)]
    pub done_on: Option<Date>,
}

/// What a member unit proposes (and revises after a return).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProjectDraft {
    pub class: String,
    /// The code of the key task it serves.
    pub key_task: String,
    pub title: String,
    pub goals: String,
    pub measures: String,
    pub milestones: Vec<Milestone>,
    /// 责任人.
    pub responsible: String,
    /// The evidence it will show at year-end (材料、数据、报道).
    pub evidence: String,
}

/// A figure in a progress report ("开展活动", 120, "次").
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Figure {
    pub label: String,
    pub value: f64,
    #[serde(default)]
    pub unit: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ProgressReport {
    pub text: String,
    pub figures: Vec<Figure>,
    /// References to the files shown (attachments are kept elsewhere).
    pub files: Vec<String>,
    pub at: Timestamp,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct MidYearCheck {
    /// What the office found (进展情况).
    pub assessment: String,
    pub comment: String,
    pub light: Light,
    pub at: Timestamp,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ClosureReport {
    pub outcome: Outcome,
    /// The unit's year-end summary: where the report's examples are drawn from.
    pub summary: String,
    pub evidence: String,
    pub at: Timestamp,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Verdict {
    pub outcome: Outcome,
    pub rating: Rating,
    pub comment: String,
    pub at: Timestamp,
}

/// A project of the ledger, as its events leave it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Project {
    pub id: i64,
    pub year: i32,
    /// The member unit's code.
    pub unit: UnitCode,
    #[serde(flatten)]
    pub draft: ProjectDraft,
    pub status: ProjectStatus,
    /// The number of events recorded.
    pub version: u32,
    /// The office's guidance at the last return.
    pub guidance: Option<String>,
    pub reports: Vec<ProgressReport>,
    pub check: Option<MidYearCheck>,
    pub closure: Option<ClosureReport>,
    pub verdict: Option<Verdict>,
    /// The excerpt of the closure text the office picked as an example for the year's report.
    pub example: Option<String>,
}

impl Project {
    /// The project its proposal event creates.
    pub fn proposed(id: i64, year: i32, unit: &UnitCode, draft: ProjectDraft) -> Project {
        Project {
            id,
            year,
            unit: unit.clone(),
            draft,
            status: ProjectStatus::Proposed,
            version: 0,
            guidance: None,
            reports: vec![],
            check: None,
            closure: None,
            verdict: None,
            example: None,
        }
    }

    /// Folds one event in.
    pub fn apply(&mut self, event: &ProjectEvent) {
        self.version = event.seq;
        match &event.change {
            ProjectChange::Propose { draft } | ProjectChange::Revise { draft } => {
                self.draft = draft.clone();
                self.status = ProjectStatus::Proposed;
            }
            ProjectChange::Return { guidance } => {
                self.guidance = Some(guidance.clone());
                self.status = ProjectStatus::Returned;
            }
            ProjectChange::Accept { .. } => self.status = ProjectStatus::Accepted,
            ProjectChange::Report { text, figures, files, milestones_done } => {
                let day = crate::period::day_of(event.at);
                for &i in milestones_done {
                    if let Some(m) = self.draft.milestones.get_mut(i) {
                        m.done_on.get_or_insert(day);
                    }
                }
                self.reports.push(ProgressReport { text: text.clone(), figures: figures.clone(), files: files.clone(), at: event.at });
                if self.status == ProjectStatus::Accepted {
                    self.status = ProjectStatus::InProgress;
                }
            }
            ProjectChange::Check { assessment, comment, light } => {
                self.check = Some(MidYearCheck { assessment: assessment.clone(), comment: comment.clone(), light: *light, at: event.at });
                self.status = ProjectStatus::Checked;
            }
            ProjectChange::SubmitClosure { outcome, summary, evidence } => {
                self.closure = Some(ClosureReport { outcome: *outcome, summary: summary.clone(), evidence: evidence.clone(), at: event.at });
                self.status = ProjectStatus::ClosureSubmitted;
            }
            ProjectChange::Close { outcome, rating, comment } => {
                self.verdict = Some(Verdict { outcome: *outcome, rating: *rating, comment: comment.clone(), at: event.at });
                self.status = ProjectStatus::Closed;
            }
            ProjectChange::PickExample { excerpt } => self.example = Some(excerpt.clone()),
            ProjectChange::Archive => self.status = ProjectStatus::Archived,
        }
    }

    /// Milestones past due on `today` and not reached, while the project runs.
    pub fn overdue_milestones(&self, today: Date) -> impl Iterator<Item = &Milestone> {
        let running = self.status.is_running();
        self.draft.milestones.iter().filter(move |m| running && m.done_on.is_none() && m.due < today)
    }
}

/// Days ahead that a milestone or a window's end is announced.
pub const REMINDER_LEAD_DAYS: i32 = 14;

/// The office's calendar of a year (年中开展半年检查, 年底清点台账项目): the mid-year check runs
/// from 1 June to 31 July, the year-end closure from 1 December to 31 December. The bulletins
/// name the seasons, not the days: these defaults are the office's usual practice as we model it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LedgerCalendar {
    pub check: (Date, Date),
    pub closure: (Date, Date),
}

impl LedgerCalendar {
    pub fn of_year(year: i32) -> LedgerCalendar {
        let day = |m: i8, d: i8| Date::new(year as i16, m, d).expect("a valid day of the year");
        LedgerCalendar { check: (day(6, 1), day(7, 31)), closure: (day(12, 1), day(12, 31)) }
    }
}

/// What a project still needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = LedgerReminderKind)]
pub enum ReminderKind {
    /// The office returned the proposal with guidance: the unit revises it.
    Revise,
    /// A milestone falls due within [`REMINDER_LEAD_DAYS`].
    MilestoneDue,
    /// A milestone is past its date and not reached.
    MilestoneOverdue,
    /// The mid-year check window is near or open and the project has not been checked; the unit
    /// reports its progress first.
    MidYearCheck,
    /// The year-end closure window is near or open and the unit's closure summary is not in.
    Closure,
}

/// One reminder of a project: what, and the day it is due (`days_left` below 0 when late).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[schema(as = LedgerReminder)]
pub struct Reminder {
    pub kind: ReminderKind,
    /// The milestone's title, for the milestone reminders.
    pub milestone: Option<String>,
    /// For the mid-year check: whether the unit has sent a progress report.
    pub reported: Option<bool>,
    #[schema(value_type = Option<String>, format = Date)]
    pub due: Option<Date>,
    pub days_left: Option<i32>,
}

impl Reminder {
    fn new(kind: ReminderKind, due: Option<Date>, today: Date) -> Reminder {
        Reminder { kind, milestone: None, reported: None, due, days_left: due.map(|d| (d - today).get_days()) }
    }
}

impl Project {
    /// The project's reminders on `today`, the most urgent first.
    pub fn reminders(&self, calendar: &LedgerCalendar, today: Date) -> Vec<Reminder> {
        let near = |(opens, closes): (Date, Date)| (opens - today).get_days() <= REMINDER_LEAD_DAYS && today <= closes;
        let mut found = Vec::new();
        if self.status == ProjectStatus::Returned {
            found.push(Reminder::new(ReminderKind::Revise, None, today));
        }
        if !self.status.is_running() {
            return found;
        }
        for m in self.draft.milestones.iter().filter(|m| m.done_on.is_none()) {
            let kind = match (m.due - today).get_days() {
                ..0 => ReminderKind::MilestoneOverdue,
                0..=REMINDER_LEAD_DAYS => ReminderKind::MilestoneDue,
                _ => continue,
            };
            found.push(Reminder { milestone: Some(m.title.clone()), ..Reminder::new(kind, Some(m.due), today) });
        }
        if self.check.is_none() && matches!(self.status, ProjectStatus::Accepted | ProjectStatus::InProgress) && near(calendar.check) {
            found.push(Reminder { reported: Some(!self.reports.is_empty()), ..Reminder::new(ReminderKind::MidYearCheck, Some(calendar.check.1), today) });
        }
        if self.closure.is_none() && self.status != ProjectStatus::ClosureSubmitted && near(calendar.closure) {
            found.push(Reminder::new(ReminderKind::Closure, Some(calendar.closure.1), today));
        }
        found.sort_by_key(|r| r.days_left.unwrap_or(i32::MIN));
        found
    }
}

/// One recorded step of a project; the project is the fold of its events.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProjectEvent {
    /// 1 for the proposal, then one more per event.
    pub seq: u32,
    pub at: Timestamp,
    pub actor: Actor,
    pub change: ProjectChange,
}

/// What an event changed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum ProjectChange {
    Propose { draft: ProjectDraft },
    Revise { draft: ProjectDraft },
    Return { guidance: String },
    Accept { note: Option<String> },
    Report { text: String, figures: Vec<Figure>, files: Vec<String>, milestones_done: Vec<usize> },
    Check { assessment: String, comment: String, light: Light },
    SubmitClosure { outcome: Outcome, summary: String, evidence: String },
    Close { outcome: Outcome, rating: Rating, comment: String },
    PickExample { excerpt: String },
    Archive,
}

impl ProjectChange {
    pub fn action(&self) -> &'static str {
        match self {
            ProjectChange::Propose { .. } => "propose",
            ProjectChange::Revise { .. } => "revise",
            ProjectChange::Return { .. } => "return",
            ProjectChange::Accept { .. } => "accept",
            ProjectChange::Report { .. } => "report",
            ProjectChange::Check { .. } => "check",
            ProjectChange::SubmitClosure { .. } => "submit_closure",
            ProjectChange::Close { .. } => "close",
            ProjectChange::PickExample { .. } => "pick_example",
            ProjectChange::Archive => "archive",
        }
    }
}

/// An action asked of a project, as the API receives it.
#[derive(Clone, Debug, PartialEq, Deserialize, ToSchema)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
pub enum ProjectCommand {
    /// The unit revises a returned project and proposes it again.
    Revise { draft: ProjectDraft },
    /// The office returns a proposal with its guidance (立项指导).
    Return { guidance: String },
    /// The office accepts the project (立项).
    Accept {
        #[serde(default)]
        note: Option<String>,
    },
    /// The unit reports progress; `milestones_done` are indexes into the milestones.
    Report {
        text: String,
        #[serde(default)]
        figures: Vec<Figure>,
        #[serde(default)]
        files: Vec<String>,
        #[serde(default)]
        milestones_done: Vec<usize>,
    },
    /// The office's mid-year check.
    Check { assessment: String, comment: String, light: Light },
    /// The unit's year-end summary.
    SubmitClosure { outcome: Outcome, summary: String, evidence: String },
    /// The office closes the project with the outcome it confirms and its rating.
    Close { outcome: Outcome, rating: Rating, comment: String },
    /// The office picks an excerpt of the closure summary as an example for the year's report.
    PickExample { excerpt: String },
    /// The office archives a closed project.
    Archive,
}

/// Every action on a project, in the workflow's order.
pub const ACTIONS: [&str; 10] =
    ["propose", "revise", "return", "accept", "report", "check", "submit_closure", "close", "pick_example", "archive"];

impl ProjectCommand {
    pub fn action(&self) -> &'static str {
        match self {
            ProjectCommand::Revise { .. } => "revise",
            ProjectCommand::Return { .. } => "return",
            ProjectCommand::Accept { .. } => "accept",
            ProjectCommand::Report { .. } => "report",
            ProjectCommand::Check { .. } => "check",
            ProjectCommand::SubmitClosure { .. } => "submit_closure",
            ProjectCommand::Close { .. } => "close",
            ProjectCommand::PickExample { .. } => "pick_example",
            ProjectCommand::Archive => "archive",
        }
    }
}

/// Who acts: the unit that owns the project, or the office.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Side {
    Unit,
    Office,
}

fn side(action: &str) -> Side {
    match action {
        "propose" | "revise" | "report" | "submit_closure" => Side::Unit,
        _ => Side::Office,
    }
}

/// Whether the actor is the office (首都文明办): supervisors and administrators.
pub fn is_office(actor: &Actor) -> bool {
    matches!(actor.role, Role::Supervisor | Role::Admin)
}

/// Whether `actor` may see the projects of `unit`: the office sees every unit, a member unit its own.
pub fn may_see(actor: &Actor, unit: &str) -> bool {
    is_office(actor) || (actor.role == Role::MemberUnit && actor.unit.as_deref() == Some(unit))
}

/// The unit's own staff (member-unit users of that unit), or an administrator entering for it.
fn check_unit_side(actor: &Actor, unit: &str, action: &str) -> Result<(), DomainError> {
    match actor.role {
        Role::Admin => Ok(()),
        Role::MemberUnit if actor.unit.as_deref() == Some(unit) => Ok(()),
        Role::MemberUnit => Err(DomainError::forbidden(format!("a member unit acts only on its own projects ({action} on a project of {unit})"))),
        _ => Err(DomainError::forbidden(format!("only the member unit may {action} its project"))),
    }
}

/// The office, and never on a project of its own unit (no one rates their own).
fn check_office_side(actor: &Actor, unit: &str, action: &str) -> Result<(), DomainError> {
    if !is_office(actor) {
        return Err(DomainError::forbidden(format!("only the civilisation office may {action} a project")));
    }
    if actor.unit.as_deref() == Some(unit) {
        return Err(DomainError::forbidden(format!("a unit may not {action} its own project")));
    }
    Ok(())
}

/// What [`decide`] needs besides the project and the actor.
pub struct LedgerContext<'a> {
    pub year: &'a LedgerYear,
    pub key_tasks: &'a [KeyTask],
    /// How many projects the unit already has in the year (returned ones included); for proposals.
    pub unit_projects: usize,
}

/// The actions the project's state allows now, whoever asks.
pub fn allowed_actions(project: &Project, year: &LedgerYear) -> Vec<&'static str> {
    if year.is_closed() {
        return vec![];
    }
    let mut actions = match project.status {
        ProjectStatus::Proposed => vec!["return", "accept"],
        ProjectStatus::Returned => vec!["revise"],
        ProjectStatus::Accepted | ProjectStatus::InProgress => vec!["report", "check", "submit_closure", "close"],
        ProjectStatus::Checked => vec!["report", "submit_closure", "close"],
        ProjectStatus::ClosureSubmitted => vec!["close"],
        ProjectStatus::Closed => vec!["archive"],
        ProjectStatus::Archived => vec![],
    };
    if project.closure.is_some() && matches!(project.status, ProjectStatus::Closed | ProjectStatus::Archived) {
        actions.push("pick_example");
    }
    actions
}

/// Whether `actor` may do `action` on `project` (role and unit only, not the state).
pub fn actor_may(actor: &Actor, project: &Project, action: &str) -> bool {
    match side(action) {
        Side::Unit => check_unit_side(actor, &project.unit, action).is_ok(),
        Side::Office => check_office_side(actor, &project.unit, action).is_ok(),
    }
}

fn text(field: &'static str, value: &str, max: usize) -> Result<String, DomainError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(DomainError::invalid(field, format!("{field} must not be empty")));
    }
    if value.chars().count() > max {
        return Err(DomainError::invalid(field, format!("{field} is longer than {max} characters")));
    }
    Ok(value.to_owned())
}

/// Checks a draft against the year: a known class and key task, texts present, milestones inside
/// the year. Returns it trimmed.
pub fn validate_draft(draft: &ProjectDraft, year: &LedgerYear, key_tasks: &[KeyTask]) -> Result<ProjectDraft, DomainError> {
    let class = draft.class.trim();
    if !year.classes.iter().any(|c| c == class) {
        return Err(DomainError::invalid("class", format!("unknown class {class:?}; {} has {}", year.year, year.classes.join("、"))));
    }
    let key_task = draft.key_task.trim();
    if !key_tasks.iter().any(|t| t.year == year.year && t.code == key_task) {
        return Err(DomainError::invalid("key_task", format!("{key_task:?} is not a key task of {}", year.year)));
    }
    if draft.milestones.is_empty() {
        return Err(DomainError::invalid("milestones", "a project needs at least one milestone"));
    }
    if draft.milestones.len() > MAX_MILESTONES {
        return Err(DomainError::invalid("milestones", format!("at most {MAX_MILESTONES} milestones")));
    }
    let mut milestones = Vec::with_capacity(draft.milestones.len());
    for m in &draft.milestones {
        if !year.contains(m.due) {
            return Err(DomainError::invalid("milestones", format!("milestone {:?} is due {} outside {}", m.title, m.due, year.year)));
        }
        milestones.push(Milestone { title: text("milestones", &m.title, MAX_TITLE_CHARS)?, due: m.due, done_on: None });
    }
    milestones.sort_by_key(|m| m.due);
    Ok(ProjectDraft {
        class: class.to_owned(),
        key_task: key_task.to_owned(),
        title: text("title", &draft.title, MAX_TITLE_CHARS)?,
        goals: text("goals", &draft.goals, MAX_TEXT_CHARS)?,
        measures: text("measures", &draft.measures, MAX_TEXT_CHARS)?,
        milestones,
        responsible: text("responsible", &draft.responsible, 50)?,
        evidence: text("evidence", &draft.evidence, MAX_TEXT_CHARS)?,
    })
}

fn open_year(year: &LedgerYear) -> Result<(), DomainError> {
    if year.is_closed() {
        return Err(DomainError::Conflict { message: format!("the {} ledger is closed: nothing in it can change", year.year) });
    }
    Ok(())
}

/// A member unit's proposal of a new project in `ctx.year`.
pub fn decide_proposal(unit: &UnitCode, draft: &ProjectDraft, actor: &Actor, ctx: &LedgerContext) -> Result<ProjectChange, DomainError> {
    check_unit_side(actor, unit, "propose")?;
    open_year(ctx.year)?;
    if ctx.unit_projects >= ctx.year.per_unit_limit as usize {
        return Err(DomainError::Conflict {
            message: format!("{unit} has {} project(s) in {} already, the limit", ctx.unit_projects, ctx.year.year),
        });
    }
    Ok(ProjectChange::Propose { draft: validate_draft(draft, ctx.year, ctx.key_tasks)? })
}

/// Decides `command` on `project` by `actor`: the change to record, or why not.
pub fn decide(project: &Project, command: &ProjectCommand, actor: &Actor, ctx: &LedgerContext) -> Result<ProjectChange, DomainError> {
    let action = command.action();
    match side(action) {
        Side::Unit => check_unit_side(actor, &project.unit, action)?,
        Side::Office => check_office_side(actor, &project.unit, action)?,
    }
    open_year(ctx.year)?;
    if !allowed_actions(project, ctx.year).contains(&action) {
        return Err(DomainError::Conflict {
            message: format!("a project that is {} ({}) cannot be {action}ed", project.status.label(), project.status.as_str()),
        });
    }
    Ok(match command {
        ProjectCommand::Revise { draft } => ProjectChange::Revise { draft: validate_draft(draft, ctx.year, ctx.key_tasks)? },
        ProjectCommand::Return { guidance } => ProjectChange::Return { guidance: text("guidance", guidance, MAX_TEXT_CHARS)? },
        ProjectCommand::Accept { note } => {
            ProjectChange::Accept { note: note.as_deref().filter(|n| !n.trim().is_empty()).map(|n| text("note", n, MAX_TEXT_CHARS)).transpose()? }
        }
        ProjectCommand::Report { text: body, figures, files, milestones_done } => {
            for &i in milestones_done {
                if i >= project.draft.milestones.len() {
                    return Err(DomainError::invalid("milestones_done", format!("the project has no milestone {i}")));
                }
            }
            for figure in figures {
                text("figures", &figure.label, 50)?;
                if !figure.value.is_finite() {
                    return Err(DomainError::invalid("figures", format!("{} is not a number", figure.label)));
                }
            }
            if files.len() > 20 {
                return Err(DomainError::invalid("files", "at most 20 files a report"));
            }
            ProjectChange::Report {
                text: text("text", body, MAX_TEXT_CHARS)?,
                figures: figures.clone(),
                files: files.iter().map(|f| text("files", f, 500)).collect::<Result<_, _>>()?,
                milestones_done: milestones_done.clone(),
            }
        }
        ProjectCommand::Check { assessment, comment, light } => ProjectChange::Check {
            assessment: text("assessment", assessment, MAX_TEXT_CHARS)?,
            comment: text("comment", comment, MAX_TEXT_CHARS)?,
            light: *light,
        },
        ProjectCommand::SubmitClosure { outcome, summary, evidence } => ProjectChange::SubmitClosure {
            outcome: *outcome,
            summary: text("summary", summary, MAX_TEXT_CHARS)?,
            evidence: text("evidence", evidence, MAX_TEXT_CHARS)?,
        },
        ProjectCommand::Close { outcome, rating, comment } => {
            ProjectChange::Close { outcome: *outcome, rating: *rating, comment: text("comment", comment, MAX_TEXT_CHARS)? }
        }
        ProjectCommand::PickExample { excerpt } => {
            let excerpt = text("excerpt", excerpt, 1000)?;
            let summary = project.closure.as_ref().map(|c| c.summary.as_str()).unwrap_or_default();
            if !summary.contains(&excerpt) {
                return Err(DomainError::invalid("excerpt", "an example is an excerpt of the unit's closure summary, word for word"));
            }
            ProjectChange::PickExample { excerpt }
        }
        ProjectCommand::Archive => ProjectChange::Archive,
    })
}

/// Whether the year may be closed: every project archived or returned (a returned proposal that
/// never came back is dropped from the ledger). Returns the projects standing in the way.
pub fn blocking_year_close(projects: &[Project]) -> Vec<i64> {
    projects.iter().filter(|p| !matches!(p.status, ProjectStatus::Archived | ProjectStatus::Returned)).map(|p| p.id).collect()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub fn office() -> Actor {
        Actor { user_id: 1, username: "wmb".into(), role: Role::Supervisor, unit: Some("BJ-WMB".parse().unwrap()) }
    }

    pub fn member(unit: &str) -> Actor {
        Actor { user_id: 2, username: format!("staff-{unit}"), role: Role::MemberUnit, unit: Some(unit.parse().unwrap()) }
    }

    fn year() -> LedgerYear {
        LedgerYear::new(2026, None, None).unwrap()
    }

    fn tasks() -> Vec<KeyTask> {
        vec![KeyTask { year: 2026, code: "T1".into(), title: "贯彻落实《北京市文明行为促进条例》".into() }]
    }

    pub fn draft() -> ProjectDraft {
        ProjectDraft {
            class: "文明宣传".into(),
            key_task: "T1".into(),
            title: "  社区邻里节  ".into(),
            goals: "全市社区开展邻里互动活动".into(),
            measures: "发动社区就近开展活动".into(),
            milestones: vec![
                Milestone { title: "活动总结".into(), due: "2026-11-30".parse().unwrap(), done_on: None },
                Milestone { title: "制定方案".into(), due: "2026-03-31".parse().unwrap(), done_on: None },
            ],
            responsible: "张三".into(),
            evidence: "活动照片、参与社区名单".into(),
        }
    }

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    /// Runs a command through `decide` and folds the change in.
    fn step(project: &mut Project, command: ProjectCommand, actor: &Actor, year: &LedgerYear) -> Result<(), DomainError> {
        let tasks = tasks();
        let ctx = LedgerContext { year, key_tasks: &tasks, unit_projects: 0 };
        let change = decide(project, &command, actor, &ctx)?;
        let event = ProjectEvent { seq: project.version + 1, at: at("2026-06-15T02:00:00Z"), actor: actor.clone(), change };
        project.apply(&event);
        Ok(())
    }

    fn code(unit: &str) -> UnitCode {
        unit.parse().unwrap()
    }

    fn proposed(unit: &str) -> Project {
        let unit = &code(unit);
        let year = year();
        let tasks = tasks();
        let ctx = LedgerContext { year: &year, key_tasks: &tasks, unit_projects: 0 };
        let change = decide_proposal(unit, &draft(), &member(unit), &ctx).unwrap();
        let ProjectChange::Propose { draft } = change.clone() else { panic!() };
        let mut project = Project::proposed(7, 2026, unit, draft);
        project.apply(&ProjectEvent { seq: 1, at: at("2026-01-20T02:00:00Z"), actor: member(unit), change });
        project
    }

    fn report() -> ProjectCommand {
        ProjectCommand::Report {
            text: "已在 3309 个社区开展活动".into(),
            figures: vec![Figure { label: "社区".into(), value: 3309.0, unit: Some("个".into()) }],
            files: vec![],
            milestones_done: vec![0],
        }
    }

    fn conflict(result: Result<(), DomainError>) -> bool {
        matches!(result, Err(DomainError::Conflict { .. }))
    }

    fn forbidden(result: Result<(), DomainError>) -> bool {
        matches!(result, Err(DomainError::Forbidden { .. }))
    }

    #[test]
    fn a_project_runs_the_whole_way_from_proposal_to_archive() {
        let year = year();
        let unit = member("BJ-MZJ");
        let mut p = proposed("BJ-MZJ");
        assert_eq!(p.status, ProjectStatus::Proposed);
        assert_eq!(p.draft.title, "社区邻里节", "trimmed");
        assert_eq!(p.draft.milestones[0].title, "制定方案", "milestones sorted by date");
        step(&mut p, ProjectCommand::Return { guidance: "请对标重点任务细化措施".into() }, &office(), &year).unwrap();
        assert_eq!((p.status, p.guidance.as_deref()), (ProjectStatus::Returned, Some("请对标重点任务细化措施")));
        let mut revised = draft();
        revised.measures = "每个社区至少开展一次活动".into();
        step(&mut p, ProjectCommand::Revise { draft: revised }, &unit, &year).unwrap();
        assert_eq!((p.status, p.draft.measures.as_str()), (ProjectStatus::Proposed, "每个社区至少开展一次活动"));
        step(&mut p, ProjectCommand::Accept { note: None }, &office(), &year).unwrap();
        assert_eq!(p.status, ProjectStatus::Accepted);
        step(&mut p, report(), &unit, &year).unwrap();
        assert_eq!(p.status, ProjectStatus::InProgress);
        assert_eq!(p.draft.milestones[0].done_on, Some("2026-06-15".parse().unwrap()));
        step(&mut p, ProjectCommand::Check { assessment: "按计划推进".into(), comment: "加强宣传".into(), light: Light::Green }, &office(), &year).unwrap();
        assert_eq!((p.status, p.check.as_ref().map(|c| c.light)), (ProjectStatus::Checked, Some(Light::Green)));
        step(&mut p, report(), &unit, &year).unwrap();
        assert_eq!((p.status, p.reports.len()), (ProjectStatus::Checked, 2), "a report after the check keeps the check");
        let summary = "带动全市3309个社区就近开展友爱互动活动。";
        step(&mut p, ProjectCommand::SubmitClosure { outcome: Outcome::Completed, summary: summary.into(), evidence: "总结报告".into() }, &unit, &year)
            .unwrap();
        assert_eq!(p.status, ProjectStatus::ClosureSubmitted);
        step(&mut p, ProjectCommand::Close { outcome: Outcome::Completed, rating: Rating::Excellent, comment: "成效显著".into() }, &office(), &year)
            .unwrap();
        assert_eq!((p.status, p.verdict.as_ref().map(|v| v.rating)), (ProjectStatus::Closed, Some(Rating::Excellent)));
        step(&mut p, ProjectCommand::PickExample { excerpt: "带动全市3309个社区".into() }, &office(), &year).unwrap();
        assert_eq!(p.example.as_deref(), Some("带动全市3309个社区"));
        step(&mut p, ProjectCommand::Archive, &office(), &year).unwrap();
        assert_eq!((p.status, p.version), (ProjectStatus::Archived, 11));
        assert!(conflict(step(&mut p, report(), &unit, &year)), "nothing but an example after archiving");
    }

    #[test]
    fn a_member_unit_acts_only_on_its_own_projects() {
        let year = year();
        let mut p = proposed("BJ-MZJ");
        step(&mut p, ProjectCommand::Accept { note: None }, &office(), &year).unwrap();
        assert!(forbidden(step(&mut p, report(), &member("BJ-SWJ"), &year)));
        let handler = Actor { user_id: 3, username: "h".into(), role: Role::HandlingUnit, unit: Some("BJ-MZJ".parse().unwrap()) };
        assert!(forbidden(step(&mut p, report(), &handler, &year)), "handling units have no ledger");
        let tasks = tasks();
        let ctx = LedgerContext { year: &year, key_tasks: &tasks, unit_projects: 0 };
        assert!(matches!(decide_proposal(&code("BJ-MZJ"), &draft(), &member("BJ-SWJ"), &ctx), Err(DomainError::Forbidden { .. })));
        assert!(may_see(&member("BJ-MZJ"), "BJ-MZJ") && !may_see(&member("BJ-SWJ"), "BJ-MZJ") && may_see(&office(), "BJ-MZJ"));
    }

    #[test]
    fn only_the_office_accepts_checks_closes_and_rates_and_never_its_own() {
        let year = year();
        let unit = member("BJ-MZJ");
        let mut p = proposed("BJ-MZJ");
        assert!(forbidden(step(&mut p, ProjectCommand::Accept { note: None }, &unit, &year)), "a unit cannot accept its own project");
        step(&mut p, ProjectCommand::Accept { note: Some("同意立项".into()) }, &office(), &year).unwrap();
        let check = ProjectCommand::Check { assessment: "a".into(), comment: "b".into(), light: Light::Red };
        assert!(forbidden(step(&mut p, check.clone(), &unit, &year)));
        step(&mut p, check, &office(), &year).unwrap();
        let close = ProjectCommand::Close { outcome: Outcome::Completed, rating: Rating::Excellent, comment: "好".into() };
        assert!(forbidden(step(&mut p, close.clone(), &unit, &year)), "a member unit cannot rate its own project");
        assert!(forbidden(step(&mut p, close.clone(), &member("BJ-SWJ"), &year)), "nor another's");
        // The office's own projects are rated by someone outside it.
        let mut own = proposed("BJ-WMB");
        assert!(forbidden(step(&mut own, ProjectCommand::Accept { note: None }, &office(), &year)));
        let admin = Actor { user_id: 9, username: "admin".into(), role: Role::Admin, unit: None };
        step(&mut own, ProjectCommand::Accept { note: None }, &admin, &year).unwrap();
        step(&mut p, close, &office(), &year).unwrap();
        assert!(forbidden(step(&mut p, ProjectCommand::Archive, &unit, &year)));
    }

    #[test]
    fn each_state_refuses_what_it_does_not_allow() {
        let year = year();
        let unit = member("BJ-MZJ");
        let mut p = proposed("BJ-MZJ");
        assert!(conflict(step(&mut p, report(), &unit, &year)), "no report before acceptance");
        assert!(conflict(step(&mut p, ProjectCommand::Revise { draft: draft() }, &unit, &year)), "revise only after a return");
        assert!(conflict(step(&mut p, ProjectCommand::Archive, &office(), &year)));
        step(&mut p, ProjectCommand::Accept { note: None }, &office(), &year).unwrap();
        assert!(conflict(step(&mut p, ProjectCommand::Accept { note: None }, &office(), &year)), "accepted once");
        assert!(conflict(step(&mut p, ProjectCommand::Return { guidance: "x".into() }, &office(), &year)));
        step(&mut p, ProjectCommand::Check { assessment: "a".into(), comment: "b".into(), light: Light::Yellow }, &office(), &year).unwrap();
        assert!(
            conflict(step(&mut p, ProjectCommand::Check { assessment: "a".into(), comment: "b".into(), light: Light::Yellow }, &office(), &year)),
            "one mid-year check"
        );
        assert!(
            conflict(step(&mut p, ProjectCommand::PickExample { excerpt: "a".into() }, &office(), &year)),
            "an example needs a closed project"
        );
        step(&mut p, ProjectCommand::SubmitClosure { outcome: Outcome::Partly, summary: "完成大部分".into(), evidence: "报告".into() }, &unit, &year)
            .unwrap();
        assert!(conflict(step(&mut p, report(), &unit, &year)), "no report after the year-end summary");
        step(&mut p, ProjectCommand::Close { outcome: Outcome::Partly, rating: Rating::Fair, comment: "c".into() }, &office(), &year).unwrap();
        assert!(
            conflict(step(&mut p, ProjectCommand::Close { outcome: Outcome::Partly, rating: Rating::Good, comment: "c".into() }, &office(), &year)),
            "a rating is given once"
        );
        assert!(matches!(
            step(&mut p, ProjectCommand::PickExample { excerpt: "不在总结里".into() }, &office(), &year),
            Err(DomainError::Invalid { field: "excerpt", .. })
        ));
    }

    #[test]
    fn the_office_may_close_a_project_the_unit_never_summarised() {
        let year = year();
        let mut p = proposed("BJ-MZJ");
        step(&mut p, ProjectCommand::Accept { note: None }, &office(), &year).unwrap();
        step(&mut p, ProjectCommand::Close { outcome: Outcome::NotCompleted, rating: Rating::Poor, comment: "未报送".into() }, &office(), &year)
            .unwrap();
        assert_eq!(p.status, ProjectStatus::Closed);
        assert!(allowed_actions(&p, &year) == vec!["archive"], "no example without a summary");
    }

    #[test]
    fn a_closed_year_cannot_change() {
        let mut year = year();
        let mut p = proposed("BJ-MZJ");
        step(&mut p, ProjectCommand::Accept { note: None }, &office(), &year).unwrap();
        year.closed_at = Some(at("2026-12-31T10:00:00Z"));
        assert!(conflict(step(&mut p, report(), &member("BJ-MZJ"), &year)));
        assert!(conflict(step(&mut p, ProjectCommand::Archive, &office(), &year)));
        assert!(allowed_actions(&p, &year).is_empty());
        let tasks = tasks();
        let ctx = LedgerContext { year: &year, key_tasks: &tasks, unit_projects: 0 };
        assert!(matches!(decide_proposal(&code("BJ-MZJ"), &draft(), &member("BJ-MZJ"), &ctx), Err(DomainError::Conflict { .. })));
    }

    #[test]
    fn a_unit_proposes_up_to_the_years_limit() {
        let year = year();
        let tasks = tasks();
        let full = LedgerContext { year: &year, key_tasks: &tasks, unit_projects: 2 };
        assert!(matches!(decide_proposal(&code("BJ-MZJ"), &draft(), &member("BJ-MZJ"), &full), Err(DomainError::Conflict { .. })));
        let three = LedgerYear::new(2026, None, Some(3)).unwrap();
        let ctx = LedgerContext { year: &three, key_tasks: &tasks, unit_projects: 2 };
        assert!(decide_proposal(&code("BJ-MZJ"), &draft(), &member("BJ-MZJ"), &ctx).is_ok());
        assert!(LedgerYear::new(2026, None, Some(0)).is_err());
    }

    #[test]
    fn a_draft_names_a_class_and_key_task_of_the_year_and_dates_inside_it() {
        let year = year();
        let tasks = tasks();
        let invalid = |edit: &dyn Fn(&mut ProjectDraft)| {
            let mut d = draft();
            edit(&mut d);
            match validate_draft(&d, &year, &tasks) {
                Err(DomainError::Invalid { field, .. }) => field,
                other => panic!("accepted: {other:?}"),
            }
        };
        assert_eq!(invalid(&|d| d.class = "文明出行".into()), "class");
        assert_eq!(invalid(&|d| d.key_task = "T9".into()), "key_task");
        assert_eq!(invalid(&|d| d.milestones[0].due = "2027-01-05".parse().unwrap()), "milestones");
        assert_eq!(invalid(&|d| d.milestones.clear()), "milestones");
        assert_eq!(invalid(&|d| d.title = "   ".into()), "title");
        assert_eq!(invalid(&|d| d.responsible = String::new()), "responsible");
        let custom = LedgerYear::new(2026, Some(vec!["文明出行".into()]), None).unwrap();
        let mut d = draft();
        d.class = "文明出行".into();
        assert!(validate_draft(&d, &custom, &tasks).is_ok(), "the classes are the year's");
        assert!(LedgerYear::new(2026, Some(vec!["a".into(), "a".into()]), None).is_err());
    }

    #[test]
    fn a_report_names_existing_milestones_and_real_figures() {
        let year = year();
        let unit = member("BJ-MZJ");
        let mut p = proposed("BJ-MZJ");
        step(&mut p, ProjectCommand::Accept { note: None }, &office(), &year).unwrap();
        let bad = ProjectCommand::Report { text: "x".into(), figures: vec![], files: vec![], milestones_done: vec![5] };
        assert!(matches!(step(&mut p, bad, &unit, &year), Err(DomainError::Invalid { field: "milestones_done", .. })));
        let nan = ProjectCommand::Report {
            text: "x".into(),
            figures: vec![Figure { label: "n".into(), value: f64::NAN, unit: None }],
            files: vec![],
            milestones_done: vec![],
        };
        assert!(matches!(step(&mut p, nan, &unit, &year), Err(DomainError::Invalid { field: "figures", .. })));
        assert_eq!(p.version, 2, "nothing recorded");
    }

    #[test]
    fn overdue_milestones_are_those_past_due_and_unreached_of_running_projects() {
        let year = year();
        let mut p = proposed("BJ-MZJ");
        let june = "2026-06-30".parse().unwrap();
        assert_eq!(p.overdue_milestones(june).count(), 0, "not accepted yet");
        step(&mut p, ProjectCommand::Accept { note: None }, &office(), &year).unwrap();
        assert_eq!(p.overdue_milestones(june).map(|m| m.title.as_str()).collect::<Vec<_>>(), ["制定方案"]);
        step(&mut p, report(), &member("BJ-MZJ"), &year).unwrap();
        assert_eq!(p.overdue_milestones(june).count(), 0);
        assert_eq!(p.overdue_milestones("2026-12-01".parse().unwrap()).count(), 1);
    }

    #[test]
    fn reminders_name_near_milestones_and_the_open_windows_and_fall_silent_once_done() {
        let year = year();
        let calendar = LedgerCalendar::of_year(2026);
        let day = |d: &str| -> Date { d.parse().unwrap() };
        let mut p = proposed("BJ-MZJ");
        assert!(p.reminders(&calendar, day("2026-03-20")).is_empty(), "a proposal waits for the office");
        step(&mut p, ProjectCommand::Accept { note: None }, &office(), &year).unwrap();
        // 制定方案 is due 31 March: 11 days ahead on 20 March, late by 1 day on 1 April.
        let march = p.reminders(&calendar, day("2026-03-20"));
        assert_eq!(march, [Reminder {
            kind: ReminderKind::MilestoneDue,
            milestone: Some("制定方案".into()),
            reported: None,
            due: Some(day("2026-03-31")),
            days_left: Some(11)
        }]);
        let april = p.reminders(&calendar, day("2026-04-01"));
        assert_eq!((april[0].kind, april[0].milestone.as_deref()), (ReminderKind::MilestoneOverdue, Some("制定方案")));
        assert_eq!(april[0].days_left, Some(-1));
        assert!(p.reminders(&calendar, day("2026-03-16")).is_empty(), "15 days ahead is not yet announced");
        // The check window opens 1 June: announced from 18 May, until 31 July.
        step(&mut p, report(), &member("BJ-MZJ"), &year).unwrap();
        assert!(p.reminders(&calendar, day("2026-05-17")).is_empty());
        let may = p.reminders(&calendar, day("2026-05-18"));
        assert_eq!(may, [Reminder { kind: ReminderKind::MidYearCheck, milestone: None, reported: Some(true), due: Some(day("2026-07-31")), days_left: Some(74) }]);
        assert!(p.reminders(&calendar, day("2026-08-01")).is_empty(), "the window has closed");
        step(&mut p, ProjectCommand::Check { assessment: "按计划推进".into(), comment: "加强宣传".into(), light: Light::Green }, &office(), &year).unwrap();
        assert!(p.reminders(&calendar, day("2026-06-20")).is_empty(), "checked");
        // 活动总结 (30 November) and the closure window (to 31 December) in late November.
        let november = p.reminders(&calendar, day("2026-11-20"));
        assert_eq!(november.iter().map(|r| r.days_left.unwrap()).collect::<Vec<_>>(), [10, 41]);
        assert_eq!(november[1].kind, ReminderKind::Closure);
    }

    #[test]
    fn a_year_closes_once_every_project_is_archived_or_returned() {
        let mut a = proposed("BJ-MZJ");
        let b = proposed("BJ-SWJ");
        a.status = ProjectStatus::Archived;
        assert_eq!(blocking_year_close(&[a.clone(), b.clone()]), vec![b.id]);
        let mut b = b;
        b.status = ProjectStatus::Returned;
        assert!(blocking_year_close(&[a, b]).is_empty());
    }

    #[test]
    fn names_parse_by_code_and_label() {
        for status in ProjectStatus::ALL {
            assert_eq!(ProjectStatus::parse(status.as_str()), Some(status));
            assert_eq!(ProjectStatus::parse(status.label()), Some(status));
        }
        assert_eq!(UnitTier::parse("高校"), Some(UnitTier::University));
        assert_eq!(UnitTier::parse("municipal"), Some(UnitTier::Municipal));
        let change = ProjectChange::Archive;
        assert_eq!(serde_json::to_value(&change).unwrap()["action"], "archive");
        let command: ProjectCommand = serde_json::from_str(r#"{"action":"close","outcome":"partly","rating":"good","comment":"c"}"#).unwrap();
        assert_eq!(command.action(), "close");
    }
}
