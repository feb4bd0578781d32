//! The committee's project ledger (重点工作项目台账) as a service: proposals and every workflow
//! step through the domain's [`decide`], what each actor may see, the office's progress board
//! (counts by class and status, overdue milestones, who has not reported), the year-end report's
//! data in the shape of bulletin 2178, and the spreadsheet import and export. Every edge (the
//! API, the CLI, the demo) goes through here.

use std::collections::{BTreeMap, HashMap, HashSet};

use gridline_core::FileProblem;
use gridline_core::message::Reason;
use gridline_core::actor::{Actor, Role};
use gridline_core::ledger::{
    KeyTask, LedgerCalendar, LedgerContext, LedgerYear, Light, MemberUnit, Milestone, Outcome, Project, ProjectChange, ProjectCommand, ProjectDraft,
    ProjectEvent, ProjectStatus, Rating, Reminder, UnitTier, blocking_year_close, decide, decide_proposal, is_office, may_see,
};
use gridline_core::{DomainError, UnitCode};
use gridline_store::{ProjectFilter, StoreError};
use jiff::Timestamp;
use jiff::civil::Date;
use rust_xlsxwriter::{Format, Workbook};
use serde::Serialize;
use utoipa::ToSchema;

use crate::{App, AppError};

/// A member unit with its name, as lists show it.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct UnitRef {
    pub unit: UnitCode,
    pub name: String,
    pub tier: UnitTier,
    pub contact_name: String,
    pub contact_phone: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct StatusCount {
    pub status: ProjectStatus,
    pub count: usize,
}

/// One class of a year on the progress board.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct ClassCount {
    pub class: String,
    pub projects: usize,
    /// Units with at least one project in the class (a unit may sit in two classes).
    pub units: usize,
    pub by_status: Vec<StatusCount>,
}

/// The mid-year check's lights over the projects accepted.
#[derive(Clone, Debug, Default, PartialEq, Serialize, ToSchema)]
pub struct LightCount {
    pub green: usize,
    pub yellow: usize,
    pub red: usize,
    /// Accepted and not checked.
    pub unchecked: usize,
}

/// A milestone past its date and not reached, of a running project.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct OverdueMilestone {
    pub project_id: i64,
    pub unit: UnitCode,
    pub unit_name: String,
    pub title: String,
    pub milestone: String,
    #[schema(value_type = String, format = Date)]
    pub due: Date,
    pub days_late: i32,
}

/// The office's progress board of a year: counts by class and status, lights, overdue milestones
/// and who has not proposed or not reported.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct LedgerSummary {
    pub year: i32,
    pub closed: bool,
    /// Units with at least one project (returned ones left out).
    pub units: usize,
    /// Projects, returned ones left out.
    pub projects: usize,
    pub classes: Vec<String>,
    pub by_class: Vec<ClassCount>,
    pub by_status: Vec<StatusCount>,
    pub lights: LightCount,
    pub overdue: Vec<OverdueMilestone>,
    /// Member units without any project in the year.
    pub not_proposed: Vec<UnitRef>,
    /// Member units with an accepted project that has no progress report yet.
    pub not_reported: Vec<UnitRef>,
}

/// An example the office picked from a closure text.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct ReportExample {
    pub project_id: i64,
    pub unit_name: String,
    pub title: String,
    pub excerpt: String,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, ToSchema)]
pub struct Outcomes {
    pub completed: usize,
    pub partly: usize,
    pub not_completed: usize,
    /// Not closed yet.
    pub open: usize,
    /// Completed ÷ projects (0 for none).
    pub completion_rate: f64,
}

impl Outcomes {
    fn count(&mut self, project: &Project) {
        match project.verdict.as_ref().map(|v| v.outcome) {
            Some(Outcome::Completed) => self.completed += 1,
            Some(Outcome::Partly) => self.partly += 1,
            Some(Outcome::NotCompleted) => self.not_completed += 1,
            None => self.open += 1,
        }
        let total = self.completed + self.partly + self.not_completed + self.open;
        self.completion_rate = self.completed as f64 / total as f64;
    }
}

/// One class in the year-end report: "市人大常委会等 8 家单位 … 制度建设".
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct ClassReport {
    pub class: String,
    pub units: usize,
    /// The unit named first ("市人大常委会等 8 家"): the unit of the first example (in the order
    /// the projects entered the ledger), else the first unit by tier and code.
    pub first_unit: Option<String>,
    pub projects: usize,
    pub outcomes: Outcomes,
    pub examples: Vec<ReportExample>,
    /// The paragraph's opening, as the bulletin words it.
    pub lead: String,
}

/// A unit proposed for commendation: every project completed, at least one rated 优秀, none
/// below 良好.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct Commended {
    pub unit: UnitCode,
    pub name: String,
    pub projects: usize,
    pub excellent: usize,
}

/// The year-end report's data (向首都文明委书面报告), in the shape of bulletin 2178.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct LedgerReport {
    pub year: i32,
    pub closed: bool,
    pub units: usize,
    pub projects: usize,
    pub classes: Vec<ClassReport>,
    pub outcomes: Outcomes,
    pub ratings: Vec<RatingCount>,
    pub commended: Vec<Commended>,
    /// "2020 年台账共有 58 个成员单位报送 114 个工作项目,分为制度建设、文明宣传、文明治理、机关建设四大类。"
    pub headline: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct RatingCount {
    pub rating: Rating,
    pub count: usize,
}

/// A reminder with the project it is about.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct ProjectReminder {
    pub project_id: i64,
    pub unit: UnitCode,
    pub unit_name: String,
    pub title: String,
    #[serde(flatten)]
    pub reminder: Reminder,
}

/// What an import wrote.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct ImportReport {
    pub projects: usize,
    pub units: usize,
}

/// The columns of the ledger spreadsheet, in the offices' usual layout: one row a project.
/// `序号` may come first and is ignored; the export adds the columns after `佐证材料`.
pub const IMPORT_HEADERS: [&str; 9] = ["单位", "类别", "重点任务", "项目名称", "工作目标", "主要措施", "节点安排", "责任人", "佐证材料"];
const EXPORT_EXTRA: [&str; 7] = ["状态", "半年检查", "检查意见", "结项情况", "评定等次", "结项总结", "联络员"];

fn chinese_digits(n: usize) -> String {
    const DIGITS: [&str; 10] = ["零", "一", "二", "三", "四", "五", "六", "七", "八", "九"];
    match n {
        0..=9 => DIGITS[n].to_owned(),
        10 => "十".to_owned(),
        11..=19 => format!("十{}", DIGITS[n - 10]),
        _ => n.to_string(),
    }
}

impl App {
    /// A year's ledger; `NotFound` when the year was never opened.
    pub async fn ledger_year(&self, year: i32) -> Result<LedgerYear, AppError> {
        self.store.ledger().year(year).await?.ok_or_else(|| AppError::NotFound(format!("no ledger for {year}")))
    }

    /// Opens a year (or changes an open year's classes and limit) with its key tasks: the office only.
    pub async fn ledger_open_year(&self, actor: &Actor, year: &LedgerYear, tasks: &[KeyTask]) -> Result<(), AppError> {
        require_office(actor, "open a ledger year")?;
        for task in tasks {
            if task.year != year.year || task.code.trim().is_empty() || task.title.trim().is_empty() {
                return Err(AppError::invalid("key_tasks", format!("key task {:?} must have a code and a title of {}", task.code, year.year)));
            }
        }
        self.store.ledger().put_year(year).await.map_err(closed_year)?;
        for task in tasks {
            self.store.ledger().put_key_task(task).await?;
        }
        Ok(())
    }

    /// Adds a unit of the committee (the unit must exist) or updates its tier and contact.
    pub async fn ledger_put_member(&self, actor: &Actor, member: &MemberUnit) -> Result<(), AppError> {
        require_office(actor, "keep the member units")?;
        if self.unit(&member.unit).is_none() {
            return Err(AppError::invalid("unit", format!("unknown unit {}", member.unit)));
        }
        self.store.ledger().put_member(member).await?;
        Ok(())
    }

    /// The member units with their names, in tier and code order.
    pub async fn ledger_members(&self) -> Result<Vec<UnitRef>, AppError> {
        let mut members: Vec<UnitRef> = self.store.ledger().members().await?.into_iter().map(|m| self.unit_ref(m)).collect();
        members.sort_by(|a, b| (a.tier, &a.unit).cmp(&(b.tier, &b.unit)));
        Ok(members)
    }

    fn unit_ref(&self, member: MemberUnit) -> UnitRef {
        UnitRef {
            name: self.unit_name(&member.unit),
            unit: member.unit,
            tier: member.tier,
            contact_name: member.contact_name,
            contact_phone: member.contact_phone,
        }
    }

    /// The unit's name, or its code when it has none.
    pub fn unit_name(&self, code: &str) -> String {
        self.unit(code).map_or_else(|| code.to_owned(), |u| u.name)
    }

    /// A member unit proposes a project in `year`; an administrator may propose for `unit`.
    pub async fn ledger_propose(&self, actor: &Actor, year: i32, unit: Option<&str>, draft: &ProjectDraft) -> Result<Project, AppError> {
        let unit = match (actor.role, unit, &actor.unit) {
            (Role::MemberUnit, None, Some(own)) => own.clone(),
            (_, Some(unit), _) => UnitCode::parse(unit)?,
            _ => return Err(AppError::invalid("unit", "name the member unit the project is proposed for")),
        };
        let ledger_year = self.ledger_year(year).await?;
        let tasks = self.store.ledger().key_tasks(year).await?;
        if !self.store.ledger().members().await?.iter().any(|m| m.unit == unit) {
            return Err(AppError::invalid("unit", format!("{unit} is not a member unit of the committee")));
        }
        let ctx = LedgerContext { year: &ledger_year, key_tasks: &tasks, unit_projects: self.store.ledger().count_of_unit(year, &unit).await? };
        let change = decide_proposal(&unit, draft, actor, &ctx)?;
        let ProjectChange::Propose { draft } = &change else { unreachable!("a proposal proposes") };
        let event = ProjectEvent { seq: 1, at: Timestamp::now(), actor: actor.clone(), change: change.clone() };
        let mut project = Project::proposed(0, year, &unit, draft.clone());
        project.apply(&event);
        project.id = self.store.ledger().create(&[(project.clone(), vec![event])]).await?[0];
        tracing::info!(project = project.id, %unit, user = %actor.username, "ledger project proposed");
        Ok(project)
    }

    /// Decides `command` on the project and records it.
    pub async fn ledger_act(&self, actor: &Actor, id: i64, command: &ProjectCommand) -> Result<Project, AppError> {
        let project = self.visible_project(actor, id).await?;
        let year = self.ledger_year(project.year).await?;
        let tasks = self.store.ledger().key_tasks(project.year).await?;
        let ctx = LedgerContext { year: &year, key_tasks: &tasks, unit_projects: 0 };
        let change = decide(&project, command, actor, &ctx)?;
        let event = ProjectEvent { seq: project.version + 1, at: Timestamp::now(), actor: actor.clone(), change };
        let mut after = project;
        after.apply(&event);
        self.store.ledger().append(&after, &event).await?;
        tracing::info!(project = id, action = command.action(), user = %actor.username, "ledger action");
        Ok(after)
    }

    /// The project, if `actor` may see it (the office every project, a member unit its own).
    async fn visible_project(&self, actor: &Actor, id: i64) -> Result<Project, AppError> {
        match self.store.ledger().get(id).await? {
            Some(project) if may_see(actor, &project.unit) => Ok(project),
            _ => Err(AppError::NotFound(format!("ledger project {id} not found"))),
        }
    }

    /// The project with its history and its year.
    pub async fn ledger_project(&self, actor: &Actor, id: i64) -> Result<(Project, Vec<ProjectEvent>, LedgerYear), AppError> {
        let project = self.visible_project(actor, id).await?;
        let events = self.store.ledger().events(id).await?;
        let year = self.ledger_year(project.year).await?;
        Ok((project, events, year))
    }

    /// The projects of a year the actor may see that pass `filter`: the office's whole ledger,
    /// a member unit's own projects.
    pub async fn ledger_projects(&self, actor: &Actor, year: i32, filter: ProjectFilter) -> Result<Vec<Project>, AppError> {
        let mut filter = filter;
        if !is_office(actor) {
            let Some(own) = actor.unit.as_deref().filter(|_| actor.role == Role::MemberUnit) else {
                return Err(AppError::forbidden("the ledger is for the civilisation office and the committee's member units"));
            };
            if filter.unit.as_deref().is_some_and(|u| u != own) {
                return Err(AppError::forbidden("a member unit sees only its own projects"));
            }
            filter.unit = Some(own.to_owned());
        }
        self.ledger_year(year).await?;
        Ok(self.store.ledger().projects(year, &filter).await?)
    }

    /// What each visible project still needs as of `today` (the office's whole ledger, a member
    /// unit its own), the most urgent first; nothing once the year is closed.
    pub async fn ledger_reminders(&self, actor: &Actor, year: i32, today: Date) -> Result<Vec<ProjectReminder>, AppError> {
        let projects = self.ledger_projects(actor, year, ProjectFilter::default()).await?;
        if self.ledger_year(year).await?.is_closed() {
            return Ok(Vec::new());
        }
        let calendar = LedgerCalendar::of_year(year);
        let mut found: Vec<ProjectReminder> = projects
            .iter()
            .flat_map(|p| {
                p.reminders(&calendar, today).into_iter().map(|reminder| ProjectReminder {
                    project_id: p.id,
                    unit: p.unit.clone(),
                    unit_name: self.unit_name(&p.unit),
                    title: p.draft.title.clone(),
                    reminder,
                })
            })
            .collect();
        found.sort_by_key(|r| (r.reminder.days_left.unwrap_or(i32::MIN), r.project_id));
        Ok(found)
    }

    /// The office's progress board of a year, as of `today`.
    pub async fn ledger_summary(&self, actor: &Actor, year: i32, today: Date) -> Result<LedgerSummary, AppError> {
        require_office(actor, "see the progress board")?;
        let ledger_year = self.ledger_year(year).await?;
        let projects = live(self.store.ledger().projects(year, &ProjectFilter::default()).await?);
        let members = self.store.ledger().members().await?;
        Ok(summarise(&ledger_year, &projects, &members, today, |code| self.unit_name(code)))
    }

    /// The year-end report's data.
    pub async fn ledger_report(&self, actor: &Actor, year: i32) -> Result<LedgerReport, AppError> {
        require_office(actor, "see the year-end report")?;
        self.ledger_report_of(year).await
    }

    /// The year-end report's data, for whoever the caller has let see it (the documents).
    pub(crate) async fn ledger_report_of(&self, year: i32) -> Result<LedgerReport, AppError> {
        let ledger_year = self.ledger_year(year).await?;
        let projects = live(self.store.ledger().projects(year, &ProjectFilter::default()).await?);
        let members = self.store.ledger().members().await?;
        Ok(report(&ledger_year, &projects, &members, |code| self.unit_name(code)))
    }

    /// Closes a year once every project is archived (or was returned and never came back).
    pub async fn ledger_close_year(&self, actor: &Actor, year: i32) -> Result<LedgerYear, AppError> {
        require_office(actor, "close a ledger year")?;
        let ledger_year = self.ledger_year(year).await?;
        if ledger_year.is_closed() {
            return Err(AppError::Conflict(format!("the {year} ledger is closed already")));
        }
        let blocking = blocking_year_close(&self.store.ledger().projects(year, &ProjectFilter::default()).await?);
        if !blocking.is_empty() {
            return Err(AppError::Conflict(format!("{} project(s) of {year} are not archived yet (first: {})", blocking.len(), blocking[0])));
        }
        self.store.ledger().close_year(year, Timestamp::now()).await?;
        self.ledger_year(year).await
    }

    /// Imports a year's ledger from a table (the first row its headers, in the layout of
    /// [`IMPORT_HEADERS`]): every row is checked first and every problem named with its row; only
    /// a file without problems is written, all of it in one transaction. With `accept`, the
    /// projects are entered as accepted (立项) by the importing office user.
    pub async fn ledger_import(&self, actor: &Actor, year: i32, file: &str, table: &[Vec<String>], accept: bool) -> Result<ImportReport, AppError> {
        require_office(actor, "import a ledger")?;
        let ledger_year = self.ledger_year(year).await?;
        if ledger_year.is_closed() {
            return Err(AppError::Conflict(format!("the {year} ledger is closed: nothing in it can change")));
        }
        let tasks = self.store.ledger().key_tasks(year).await?;
        let members = self.store.ledger().members().await?;
        let existing = self.store.ledger().projects(year, &ProjectFilter::default()).await?;
        let (header, rows) = table.split_first().ok_or_else(|| problems(vec![FileProblem::new(file, None, Reason::new("file_empty"))]))?;
        let columns = crate::table::header_columns(file, header, &IMPORT_HEADERS, &[])?;
        let mut by_name: HashMap<String, &UnitCode> = HashMap::new();
        for member in &members {
            by_name.insert(member.unit.to_string(), &member.unit);
            by_name.insert(self.unit_name(&member.unit), &member.unit);
        }
        let mut per_unit: HashMap<UnitCode, usize> = HashMap::new();
        let mut seen: HashSet<(UnitCode, String)> = existing.iter().map(|p| (p.unit.clone(), p.draft.title.clone())).collect();
        for project in &existing {
            *per_unit.entry(project.unit.clone()).or_default() += 1;
        }
        let mut found = Vec::new();
        let mut ready = Vec::new();
        let now = Timestamp::now();
        for (line, record) in crate::table::records(rows, &columns) {
            let cell = |name: &str| record.cell(name);
            let mut problem = |reason: Reason| found.push(FileProblem::new(file, Some(line), reason));
            let Some(&unit) = by_name.get(cell("单位")) else {
                problem(Reason::new("not_member_unit").with("unit", cell("单位")));
                continue;
            };
            let key_task = tasks.iter().find(|t| t.code == cell("重点任务") || t.title == cell("重点任务")).map_or_else(|| cell("重点任务").to_owned(), |t| t.code.clone());
            let milestones = match parse_milestones(cell("节点安排")) {
                Ok(m) => m,
                Err(reason) => {
                    problem(reason);
                    continue;
                }
            };
            let draft = ProjectDraft {
                class: cell("类别").to_owned(),
                key_task,
                title: cell("项目名称").to_owned(),
                goals: cell("工作目标").to_owned(),
                measures: cell("主要措施").to_owned(),
                milestones,
                responsible: cell("责任人").to_owned(),
                evidence: cell("佐证材料").to_owned(),
            };
            let count = per_unit.entry(unit.clone()).or_default();
            let ctx = LedgerContext { year: &ledger_year, key_tasks: &tasks, unit_projects: *count };
            let importer = Actor { role: Role::Admin, unit: None, ..actor.clone() };
            let change = match decide_proposal(unit, &draft, &importer, &ctx) {
                Ok(change) => change,
                Err(err) => {
                    found.push(match column_of(&err) {
                        Some(column) => FileProblem::of_cell(file, line, column, &err),
                        None => FileProblem::of_row(file, line, &err),
                    });
                    continue;
                }
            };
            let ProjectChange::Propose { draft } = &change else { unreachable!("a proposal proposes") };
            if !seen.insert((unit.clone(), draft.title.clone())) {
                problem(Reason::new("project_twice").with("unit", self.unit_name(unit)).with("title", &draft.title).with("year", year));
                continue;
            }
            *count += 1;
            let mut project = Project::proposed(0, year, unit, draft.clone());
            let mut events = vec![ProjectEvent { seq: 1, at: now, actor: actor.clone(), change: change.clone() }];
            project.apply(&events[0]);
            if accept {
                let accepted = ProjectEvent { seq: 2, at: now, actor: actor.clone(), change: ProjectChange::Accept { note: Some("台账导入立项".into()) } };
                project.apply(&accepted);
                events.push(accepted);
            }
            ready.push((project, events));
        }
        if !found.is_empty() {
            return Err(problems(found));
        }
        if ready.is_empty() {
            return Err(problems(vec![FileProblem::new(file, None, Reason::new("no_rows"))]));
        }
        let units = ready.iter().map(|(p, _)| &p.unit).collect::<HashSet<_>>().len();
        self.store.ledger().create(&ready).await.map_err(|err| match err {
            StoreError::Duplicate(message) => problems(vec![FileProblem::detailed(file, None, Reason::new("rows_duplicate"), message)]),
            other => other.into(),
        })?;
        tracing::info!(year, projects = ready.len(), units, user = %actor.username, "ledger imported");
        Ok(ImportReport { projects: ready.len(), units })
    }

    /// The year's ledger as an XLSX workbook: the import's columns, then status, check and
    /// closure. What the actor may see: the office's whole ledger, a member unit its own.
    pub async fn ledger_export_xlsx(&self, actor: &Actor, year: i32) -> Result<Vec<u8>, AppError> {
        let projects = self.ledger_projects(actor, year, ProjectFilter::default()).await?;
        let tasks = self.store.ledger().key_tasks(year).await?;
        let contacts: HashMap<UnitCode, MemberUnit> = self.store.ledger().members().await?.into_iter().map(|m| (m.unit.clone(), m)).collect();
        let mut workbook = Workbook::new();
        let sheet = workbook.add_worksheet();
        let bold = Format::new().set_bold();
        let xlsx = |e: rust_xlsxwriter::XlsxError| AppError::Internal(format!("writing the workbook: {e}"));
        sheet.set_name(format!("{year}年台账")).map_err(xlsx)?;
        for (c, header) in ["序号"].iter().chain(&IMPORT_HEADERS).chain(&EXPORT_EXTRA).enumerate() {
            sheet.write_with_format(0, c as u16, *header, &bold).map_err(xlsx)?;
        }
        for (i, p) in projects.iter().enumerate() {
            let task = tasks.iter().find(|t| t.code == p.draft.key_task).map_or(p.draft.key_task.as_str(), |t| t.title.as_str());
            let milestones =
                p.draft.milestones.iter().map(|m| format!("{} {}", m.due, m.title)).collect::<Vec<_>>().join("\n");
            let check = p.check.as_ref();
            let contact = contacts.get(&p.unit).map(|m| format!("{} {}", m.contact_name, m.contact_phone)).unwrap_or_default();
            let cells: [String; 17] = [
                (i + 1).to_string(),
                self.unit_name(&p.unit),
                p.draft.class.clone(),
                task.to_owned(),
                p.draft.title.clone(),
                p.draft.goals.clone(),
                p.draft.measures.clone(),
                milestones,
                p.draft.responsible.clone(),
                p.draft.evidence.clone(),
                p.status.label().to_owned(),
                check.map(|c| c.light.label().to_owned()).unwrap_or_default(),
                check.map(|c| c.comment.clone()).unwrap_or_default(),
                p.verdict.as_ref().map(|v| v.outcome.label().to_owned()).unwrap_or_default(),
                p.verdict.as_ref().map(|v| v.rating.label().to_owned()).unwrap_or_default(),
                p.closure.as_ref().map(|c| c.summary.clone()).unwrap_or_default(),
                contact,
            ];
            for (c, value) in cells.iter().enumerate() {
                sheet.write((i + 1) as u32, c as u16, value.as_str()).map_err(xlsx)?;
            }
        }
        workbook.save_to_buffer().map_err(xlsx)
    }
}

fn require_office(actor: &Actor, what: &str) -> Result<(), AppError> {
    if is_office(actor) { Ok(()) } else { Err(AppError::forbidden(format!("only the civilisation office may {what}"))) }
}

fn closed_year(err: StoreError) -> AppError {
    match err {
        StoreError::Duplicate(message) => AppError::Conflict(message),
        other => other.into(),
    }
}

fn problems(found: Vec<FileProblem>) -> AppError {
    AppError::Domain(DomainError::InvalidFiles(found))
}

/// Projects that count: a returned proposal that never came back is not in the ledger.
fn live(projects: Vec<Project>) -> Vec<Project> {
    projects.into_iter().filter(|p| p.status != ProjectStatus::Returned).collect()
}

/// The spreadsheet's column of a refused draft's field.
fn column_of(err: &DomainError) -> Option<&'static str> {
    let DomainError::Invalid { field, .. } = err else { return None };
    Some(match *field {
        "class" => "类别",
        "key_task" => "重点任务",
        "title" => "项目名称",
        "goals" => "工作目标",
        "measures" => "主要措施",
        "milestones" => "节点安排",
        "responsible" => "责任人",
        "evidence" => "佐证材料",
        _ => return None,
    })
}

/// A milestones cell: one milestone a line (or separated by `;`/`；`), each a date and a title:
/// `2026-03-31 制定方案`, `2026/3/31 制定方案`, `2026年3月31日 制定方案`.
pub fn parse_milestones(cell: &str) -> Result<Vec<Milestone>, Reason> {
    let mut milestones = Vec::new();
    for entry in cell.split(['\n', ';', '；']).map(str::trim).filter(|e| !e.is_empty()) {
        let split = entry.find(|c: char| c.is_whitespace() || c == '：' || c == ':').unwrap_or(entry.len());
        let (date, title) = entry.split_at(split);
        let title = title.trim_start_matches([' ', '\t', '：', ':', '\u{3000}']).trim();
        let due = parse_date(date).ok_or_else(|| Reason::new("milestone_no_date").with("entry", entry))?;
        if title.is_empty() {
            return Err(Reason::new("milestone_no_title").with("entry", entry));
        }
        milestones.push(Milestone { title: title.to_owned(), due, done_on: None });
    }
    if milestones.is_empty() {
        return Err(Reason::new("no_milestone"));
    }
    Ok(milestones)
}

fn parse_date(text: &str) -> Option<Date> {
    let normal: String = text.trim().trim_end_matches('日').chars().map(|c| if matches!(c, '年' | '月' | '/' | '.') { '-' } else { c }).collect();
    let mut parts = normal.split('-').map(|p| p.parse::<i16>().ok());
    let (y, m, d) = (parts.next()??, parts.next()??, parts.next()??);
    if parts.next().is_some() {
        return None;
    }
    Date::new(y, i8::try_from(m).ok()?, i8::try_from(d).ok()?).ok()
}

/// The progress board from a year's projects (returned ones left out) and member units.
pub fn summarise(year: &LedgerYear, projects: &[Project], members: &[MemberUnit], today: Date, name: impl Fn(&str) -> String) -> LedgerSummary {
    let member_ref = |m: &MemberUnit| UnitRef {
        unit: m.unit.clone(),
        name: name(&m.unit),
        tier: m.tier,
        contact_name: m.contact_name.clone(),
        contact_phone: m.contact_phone.clone(),
    };
    let statuses = |of: &mut dyn Iterator<Item = &Project>| {
        let mut counts: BTreeMap<ProjectStatus, usize> = BTreeMap::new();
        for p in of {
            *counts.entry(p.status).or_default() += 1;
        }
        counts.into_iter().map(|(status, count)| StatusCount { status, count }).collect::<Vec<_>>()
    };
    let by_class = year
        .classes
        .iter()
        .map(|class| {
            let of_class = projects.iter().filter(|p| &p.draft.class == class).collect::<Vec<_>>();
            ClassCount {
                class: class.clone(),
                projects: of_class.len(),
                units: of_class.iter().map(|p| p.unit.as_str()).collect::<HashSet<_>>().len(),
                by_status: statuses(&mut of_class.iter().copied()),
            }
        })
        .collect();
    let mut lights = LightCount::default();
    for p in projects.iter().filter(|p| !matches!(p.status, ProjectStatus::Proposed)) {
        match p.check.as_ref().map(|c| c.light) {
            Some(Light::Green) => lights.green += 1,
            Some(Light::Yellow) => lights.yellow += 1,
            Some(Light::Red) => lights.red += 1,
            None => lights.unchecked += 1,
        }
    }
    let mut overdue: Vec<OverdueMilestone> = projects
        .iter()
        .flat_map(|p| {
            p.overdue_milestones(today).map(|m| OverdueMilestone {
                project_id: p.id,
                unit: p.unit.clone(),
                unit_name: name(&p.unit),
                title: p.draft.title.clone(),
                milestone: m.title.clone(),
                due: m.due,
                days_late: (today - m.due).get_days(),
            })
        })
        .collect();
    overdue.sort_by(|a, b| (b.days_late, a.project_id).cmp(&(a.days_late, b.project_id)));
    let with_projects: HashSet<&str> = projects.iter().map(|p| p.unit.as_str()).collect();
    let silent: HashSet<&str> = projects.iter().filter(|p| p.status.is_running() && p.reports.is_empty()).map(|p| p.unit.as_str()).collect();
    LedgerSummary {
        year: year.year,
        closed: year.is_closed(),
        units: with_projects.len(),
        projects: projects.len(),
        classes: year.classes.clone(),
        by_class,
        by_status: statuses(&mut projects.iter()),
        lights,
        overdue,
        not_proposed: members.iter().filter(|m| !with_projects.contains(m.unit.as_str())).map(member_ref).collect(),
        not_reported: members.iter().filter(|m| silent.contains(m.unit.as_str())).map(member_ref).collect(),
    }
}

/// The year-end report from a year's projects (returned ones left out) and member units.
pub fn report(year: &LedgerYear, projects: &[Project], members: &[MemberUnit], name: impl Fn(&str) -> String) -> LedgerReport {
    let tier = |unit: &str| members.iter().find(|m| m.unit == unit).map_or(UnitTier::University, |m| m.tier);
    let example = |p: &Project| {
        p.example.as_ref().map(|excerpt| ReportExample { project_id: p.id, unit_name: name(&p.unit), title: p.draft.title.clone(), excerpt: excerpt.clone() })
    };
    let classes = year
        .classes
        .iter()
        .map(|class| {
            let of_class = projects.iter().filter(|p| &p.draft.class == class).collect::<Vec<_>>();
            let mut outcomes = Outcomes::default();
            of_class.iter().for_each(|p| outcomes.count(p));
            let mut units: Vec<&str> = of_class.iter().map(|p| p.unit.as_str()).collect::<HashSet<_>>().into_iter().collect();
            units.sort_by_key(|u| (tier(u), *u));
            // In the order the projects entered the ledger.
            let mut examples: Vec<ReportExample> = of_class.iter().filter_map(|p| example(p)).collect();
            examples.sort_by_key(|e| e.project_id);
            let first_unit = examples.first().map(|e| e.unit_name.clone()).or_else(|| units.first().map(|u| name(u)));
            let lead = match &first_unit {
                Some(first) if units.len() > 1 => format!("{first}等 {} 家单位围绕{class}立项 {} 个", units.len(), of_class.len()),
                Some(first) => format!("{first}围绕{class}立项 {} 个", of_class.len()),
                None => format!("{class}暂无项目"),
            };
            ClassReport { class: class.clone(), units: units.len(), first_unit, projects: of_class.len(), outcomes, examples, lead }
        })
        .collect();
    let mut outcomes = Outcomes::default();
    projects.iter().for_each(|p| outcomes.count(p));
    let mut ratings: BTreeMap<Rating, usize> = BTreeMap::new();
    for verdict in projects.iter().filter_map(|p| p.verdict.as_ref()) {
        *ratings.entry(verdict.rating).or_default() += 1;
    }
    let mut by_unit: BTreeMap<&str, Vec<&Project>> = BTreeMap::new();
    for p in projects {
        by_unit.entry(p.unit.as_str()).or_default().push(p);
    }
    let mut commended: Vec<Commended> = by_unit
        .iter()
        .filter(|(_, ps)| {
            ps.iter().all(|p| p.verdict.as_ref().is_some_and(|v| v.outcome == Outcome::Completed && v.rating <= Rating::Good))
                && ps.iter().any(|p| p.verdict.as_ref().is_some_and(|v| v.rating == Rating::Excellent))
        })
        .map(|(_, ps)| Commended {
            unit: ps[0].unit.clone(),
            name: name(&ps[0].unit),
            projects: ps.len(),
            excellent: ps.iter().filter(|p| p.verdict.as_ref().is_some_and(|v| v.rating == Rating::Excellent)).count(),
        })
        .collect();
    commended.sort_by(|a, b| (b.excellent, tier(&a.unit), &a.unit).cmp(&(a.excellent, tier(&b.unit), &b.unit)));
    let units = by_unit.len();
    let headline = format!(
        "{} 年台账共有 {units} 个成员单位报送 {} 个工作项目,分为{}{}大类。",
        year.year,
        projects.len(),
        year.classes.join("、"),
        chinese_digits(year.classes.len())
    );
    LedgerReport {
        year: year.year,
        closed: year.is_closed(),
        units,
        projects: projects.len(),
        classes,
        outcomes,
        ratings: ratings.into_iter().map(|(rating, count)| RatingCount { rating, count }).collect(),
        commended,
        headline,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn milestone_cells_take_the_offices_date_spellings() {
        let m = parse_milestones("2026-03-31 制定方案\n2026/6/30：中期推进；2026年11月30日 总结").unwrap();
        assert_eq!(m.iter().map(|m| (m.due.to_string(), m.title.as_str())).collect::<Vec<_>>(), [
            ("2026-03-31".to_owned(), "制定方案"),
            ("2026-06-30".to_owned(), "中期推进"),
            ("2026-11-30".to_owned(), "总结")
        ]);
        assert!(parse_milestones("三月底 制定方案").unwrap_err().to_string().contains("三月底"));
        assert!(parse_milestones("2026-02-30 x").is_err(), "no such day");
        assert!(parse_milestones("2026-03-31").unwrap_err().to_string().contains("no title"));
        assert!(parse_milestones("  ").is_err());
    }

    #[test]
    fn chinese_numbers_for_the_headline() {
        assert_eq!(chinese_digits(4), "四");
        assert_eq!(chinese_digits(12), "十二");
    }
}
