//! The committee's project ledger (重点工作项目台账) over HTTP: the ledger of a year with filters,
//! the office's progress board and year-end report, a project's page with its history, proposals
//! and workflow actions. The office (supervisors, administrators) sees every project, a member
//! unit its own; the rules are the application layer's (`App::ledger_*`).

use std::sync::Arc;

use axum::Json;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use gridline_app::ledger::{LedgerReport, LedgerSummary, ProjectReminder, UnitRef};
use gridline_app::table::{TableFormat, read_table};
use gridline_core::actor::Actor;
use gridline_core::calendar::local_time;
use gridline_core::ledger::{
    KeyTask, LedgerYear, Project, ProjectChange, ProjectCommand, ProjectDraft, ProjectEvent, ProjectStatus, actor_may, allowed_actions,
};
use gridline_core::period::day_of;
use gridline_store::ProjectFilter;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::SignedIn;
use crate::error::ApiError;
use crate::{ApiJson, AppState};

/// A project as lists and its page show it: the project, its unit's name, the state's label,
/// how many milestones are overdue and what the asking user may do now.
#[derive(Serialize, ToSchema)]
pub struct ProjectView {
    #[serde(flatten)]
    project: Project,
    unit_name: String,
    status_label: &'static str,
    key_task_title: Option<String>,
    overdue_milestones: usize,
    /// The actions the project's state allows and the user may take.
    actions: Vec<&'static str>,
}

/// `GET /api/v1/ledger/{year}`: the year and its projects.
#[derive(Serialize, ToSchema)]
pub struct LedgerView {
    year: LedgerYear,
    key_tasks: Vec<KeyTask>,
    items: Vec<ProjectView>,
}

/// One step of a project's history.
#[derive(Serialize, ToSchema)]
pub struct ProjectEventView {
    seq: u32,
    /// Beijing time.
    at: String,
    by: String,
    role: gridline_core::actor::Role,
    change: ProjectChange,
}

/// `GET /api/v1/ledger/projects/{id}`: the project and its history.
#[derive(Serialize, ToSchema)]
pub struct ProjectPage {
    project: ProjectView,
    year: LedgerYear,
    history: Vec<ProjectEventView>,
}

/// `GET /api/v1/ledger`: the years and the committee's member units.
#[derive(Serialize, ToSchema)]
pub struct LedgerIndex {
    years: Vec<LedgerYear>,
    members: Vec<UnitRef>,
    /// Whether the user is the office (sees every unit) rather than a member unit.
    office: bool,
}

/// `POST /api/v1/ledger/projects`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Proposal {
    year: i32,
    /// The member unit; a member unit's own by default (administrators must name it).
    #[serde(default)]
    unit: Option<String>,
    draft: ProjectDraft,
}

/// `POST /api/v1/ledger/{year}/import?…`: how to read the file in the body.
#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// The file's name, as problems name it (`台账.xlsx` by default).
    file: Option<String>,
    /// Enter the projects as accepted (立项) rather than proposed.
    #[serde(default)]
    accept: bool,
    /// A CSV file's text encoding, a WHATWG label such as gb18030; UTF-8 by default.
    encoding: Option<String>,
}

const XLSX_TYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct LedgerQuery {
    /// A class of the year, e.g. 文明宣传.
    class: Option<String>,
    /// A member unit's code.
    unit: Option<String>,
    /// proposed, returned, accepted, in_progress, checked, closure_submitted, closed, archived
    status: Option<String>,
}

fn view(state: &AppState, project: Project, year: &LedgerYear, tasks: &[KeyTask], actor: &Actor, today: jiff::civil::Date) -> ProjectView {
    let actions = allowed_actions(&project, year).into_iter().filter(|a| actor_may(actor, &project, a)).collect();
    ProjectView {
        unit_name: state.unit_name(&project.unit),
        status_label: project.status.label(),
        key_task_title: tasks.iter().find(|t| t.code == project.draft.key_task).map(|t| t.title.clone()),
        overdue_milestones: project.overdue_milestones(today).count(),
        actions,
        project,
    }
}

fn path_year(path: Result<Path<String>, PathRejection>) -> Result<i32, ApiError> {
    let Path(year) = path?;
    year.parse::<i32>().ok().filter(|y| (2000..=2100).contains(y)).ok_or_else(|| ApiError::BadRequest(format!("year must be 2000–2100, not {year:?}")))
}

/// `GET /api/v1/ledger`
#[utoipa::path(get, path = "/ledger", tag = "ledger", security(("bearer" = [])),
    responses((status = 200, description = "the ledger years, newest first, and the member units", body = LedgerIndex),
        (status = 403, description = "the ledger is for the office and member units")))]
pub async fn index(State(state): State<Arc<AppState>>, who: SignedIn) -> Result<Json<LedgerIndex>, ApiError> {
    let office = gridline_core::ledger::is_office(&who.actor);
    if !office && who.actor.role != gridline_core::actor::Role::MemberUnit {
        return Err(ApiError::Forbidden("the ledger is for the civilisation office and the committee's member units".into()));
    }
    let mut members = state.ledger_members().await?;
    if !office {
        members.retain(|m| who.actor.unit.as_deref() == Some(m.unit.as_str()));
    }
    Ok(Json(LedgerIndex { years: state.store.ledger().years().await?, members, office }))
}

/// `GET /api/v1/ledger/{year}?class=&unit=&status=`
#[utoipa::path(get, path = "/ledger/{year}", tag = "ledger", security(("bearer" = [])),
    params(("year" = i32, Path, description = "the ledger's year"), LedgerQuery),
    responses((status = 200, description = "the year and its projects (a member unit's own only), by unit", body = LedgerView),
        (status = 403, description = "not the office nor a member unit, or another unit's projects"), (status = 404, description = "no ledger for the year"),
        (status = 422, description = "an unknown status")))]
pub async fn year(
    State(state): State<Arc<AppState>>,
    who: SignedIn,
    path: Result<Path<String>, PathRejection>,
    query: Result<Query<LedgerQuery>, QueryRejection>,
) -> Result<Json<LedgerView>, ApiError> {
    let year = path_year(path)?;
    let Query(query) = query?;
    let status = match query.status.as_deref().filter(|s| !s.is_empty()) {
        Some(text) => Some(ProjectStatus::parse(text).ok_or_else(|| ApiError::invalid("status", format!("unknown status {text:?}")))?),
        None => None,
    };
    let empty = |v: Option<String>| v.filter(|s| !s.is_empty());
    let filter = ProjectFilter { class: empty(query.class), unit: empty(query.unit), status };
    let projects = state.ledger_projects(&who.actor, year, filter).await?;
    let ledger_year = state.ledger_year(year).await?;
    let key_tasks = state.store.ledger().key_tasks(year).await?;
    let today = day_of(Timestamp::now());
    let items = projects.into_iter().map(|p| view(&state, p, &ledger_year, &key_tasks, &who.actor, today)).collect();
    Ok(Json(LedgerView { year: ledger_year, key_tasks, items }))
}

/// `GET /api/v1/ledger/{year}/summary`
#[utoipa::path(get, path = "/ledger/{year}/summary", tag = "ledger", security(("bearer" = [])),
    params(("year" = i32, Path, description = "the ledger's year")),
    responses((status = 200, description = "the progress board: counts by class and status, lights, overdue milestones, who has not proposed or reported", body = LedgerSummary),
        (status = 403, description = "the office only"), (status = 404, description = "no ledger for the year")))]
pub async fn summary(State(state): State<Arc<AppState>>, who: SignedIn, path: Result<Path<String>, PathRejection>) -> Result<Json<LedgerSummary>, ApiError> {
    let year = path_year(path)?;
    Ok(Json(state.ledger_summary(&who.actor, year, day_of(Timestamp::now())).await?))
}

/// `GET /api/v1/ledger/{year}/report`
#[utoipa::path(get, path = "/ledger/{year}/report", tag = "ledger", security(("bearer" = [])),
    params(("year" = i32, Path, description = "the ledger's year")),
    responses((status = 200, description = "the year-end report's data, in the shape of bulletin 2178", body = LedgerReport),
        (status = 403, description = "the office only"), (status = 404, description = "no ledger for the year")))]
pub async fn report(State(state): State<Arc<AppState>>, who: SignedIn, path: Result<Path<String>, PathRejection>) -> Result<Json<LedgerReport>, ApiError> {
    let year = path_year(path)?;
    Ok(Json(state.ledger_report(&who.actor, year).await?))
}

/// `GET /api/v1/ledger/{year}/reminders`
#[utoipa::path(get, path = "/ledger/{year}/reminders", tag = "ledger", security(("bearer" = [])),
    params(("year" = i32, Path, description = "the ledger's year")),
    responses((status = 200, description = "what each project still needs and by when (milestones due or late, the mid-year check and the year-end closure windows, proposals to revise), the most urgent first; a member unit's own only", body = Vec<ProjectReminder>),
        (status = 400, description = "a year outside 2000–2100"), (status = 403, description = "not the office nor a member unit"), (status = 404, description = "no ledger for the year")))]
pub async fn reminders(State(state): State<Arc<AppState>>, who: SignedIn, path: Result<Path<String>, PathRejection>) -> Result<Json<Vec<ProjectReminder>>, ApiError> {
    let year = path_year(path)?;
    Ok(Json(state.ledger_reminders(&who.actor, year, day_of(Timestamp::now())).await?))
}

/// `POST /api/v1/ledger/{year}/close`: the office closes the year (年底清点 done).
#[utoipa::path(post, path = "/ledger/{year}/close", tag = "ledger", security(("bearer" = [])),
    params(("year" = i32, Path, description = "the ledger's year")),
    responses((status = 200, description = "the closed year", body = LedgerYear), (status = 400, description = "a year outside 2000–2100"),
        (status = 403, description = "the office only"), (status = 404, description = "no ledger for the year"),
        (status = 409, description = "closed already, or a project is not archived yet")))]
pub async fn close(State(state): State<Arc<AppState>>, who: SignedIn, path: Result<Path<String>, PathRejection>) -> Result<Json<LedgerYear>, ApiError> {
    let year = path_year(path)?;
    Ok(Json(state.ledger_close_year(&who.actor, year).await?))
}

/// `POST /api/v1/ledger/{year}/import`: a year's ledger from the office's spreadsheet, sent as
/// the body (XLSX, or CSV as `text/csv`); every bad row is named and nothing of the file is written.
#[utoipa::path(post, path = "/ledger/{year}/import", tag = "ledger", security(("bearer" = [])),
    params(("year" = i32, Path, description = "the ledger's year"), ImportQuery),
    request_body(description = "the spreadsheet: one row a project under the headers 单位, 类别, 重点任务, 项目名称, 工作目标, 主要措施, 节点安排, 责任人, 佐证材料 (docs/ledger.md); up to 8 MiB",
        content((Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), (String = "text/csv"))),
    responses((status = 200, description = "what was imported", body = gridline_app::ledger::ImportReport), (status = 400, description = "a year outside 2000–2100, or a bad query"),
        (status = 403, description = "the office only"), (status = 404, description = "no ledger for the year"), (status = 409, description = "the year is closed"),
        (status = 413, description = "the file is larger than 8 MiB"), (status = 415, description = "neither XLSX nor text/csv"),
        (status = 422, description = "the file was refused: every problem with its row in `error.problems`, nothing written")))]
pub async fn import(
    State(state): State<Arc<AppState>>,
    who: SignedIn,
    path: Result<Path<String>, PathRejection>,
    query: Result<Query<ImportQuery>, QueryRejection>,
    headers: axum::http::HeaderMap,
    body: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Json<gridline_app::ledger::ImportReport>, ApiError> {
    let year = path_year(path)?;
    let Query(query) = query?;
    let file = query.file.filter(|f| !f.trim().is_empty()).unwrap_or_else(|| "台账.xlsx".to_owned());
    let table = uploaded_table(&file, &headers, body, query.encoding.as_deref())?;
    Ok(Json(state.ledger_import(&who.actor, year, &file, &table, query.accept).await?))
}

/// An office's spreadsheet sent as a request body — XLSX, or CSV as `text/csv` (in `encoding`,
/// UTF-8 by default) — as rows of text; refused by its content type (415) or size (413).
pub(crate) fn uploaded_table(
    file: &str,
    headers: &axum::http::HeaderMap,
    body: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
    encoding: Option<&str>,
) -> Result<Vec<Vec<String>>, ApiError> {
    let essence = headers.get(axum::http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    let format = match essence.as_str() {
        XLSX_TYPE => TableFormat::Xlsx,
        "text/csv" => TableFormat::Csv,
        _ => return Err(ApiError::UnsupportedMediaType(format!("send the spreadsheet as {XLSX_TYPE} or text/csv"))),
    };
    let body = body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::PayloadTooLarge(format!("the file is larger than {} MiB", crate::REFERENCE_BODY_LIMIT_BYTES >> 20))
        } else {
            ApiError::BadRequest(rejection.body_text())
        }
    })?;
    Ok(read_table(file, &body, format, encoding)?)
}

async fn page(state: &AppState, actor: &Actor, id: i64) -> Result<ProjectPage, ApiError> {
    let (project, events, year) = state.ledger_project(actor, id).await?;
    let tasks = state.store.ledger().key_tasks(project.year).await?;
    let history = events.into_iter().map(|e: ProjectEvent| ProjectEventView { seq: e.seq, at: local_time(e.at), by: e.actor.username, role: e.actor.role, change: e.change }).collect();
    Ok(ProjectPage { project: view(state, project, &year, &tasks, actor, day_of(Timestamp::now())), year, history })
}

/// `GET /api/v1/ledger/projects/{id}`
#[utoipa::path(get, path = "/ledger/projects/{id}", tag = "ledger", security(("bearer" = [])),
    params(("id" = i64, Path, description = "project id")),
    responses((status = 200, description = "the project with its history", body = ProjectPage), (status = 404, description = "no such project, or another unit's")))]
pub async fn show(State(state): State<Arc<AppState>>, who: SignedIn, path: Result<Path<String>, PathRejection>) -> Result<Json<ProjectPage>, ApiError> {
    let id = crate::cases::path_id("project", path)?;
    Ok(Json(page(&state, &who.actor, id).await?))
}

/// `POST /api/v1/ledger/projects`: a member unit proposes a project.
#[utoipa::path(post, path = "/ledger/projects", tag = "ledger", security(("bearer" = [])),
    request_body(content = Proposal, description = "`{year, unit?, draft: {class, key_task, title, goals, measures, milestones: [{title, due}], responsible, evidence}}`"),
    responses((status = 201, description = "the proposed project", body = ProjectPage), (status = 403, description = "not the unit's own staff"),
        (status = 404, description = "no ledger for the year"), (status = 409, description = "the year is closed, the unit has its projects already, or the title is taken"),
        (status = 422, description = "an invalid field, named in `error.field`")))]
pub async fn propose(
    State(state): State<Arc<AppState>>,
    who: SignedIn,
    ApiJson(proposal): ApiJson<Proposal>,
) -> Result<(StatusCode, Json<ProjectPage>), ApiError> {
    let project = state.ledger_propose(&who.actor, proposal.year, proposal.unit.as_deref(), &proposal.draft).await?;
    Ok((StatusCode::CREATED, Json(page(&state, &who.actor, project.id).await?)))
}

/// `POST /api/v1/ledger/projects/{id}/actions`: one workflow step, e.g. `{"action": "accept"}`.
#[utoipa::path(post, path = "/ledger/projects/{id}/actions", tag = "ledger", security(("bearer" = [])),
    params(("id" = i64, Path, description = "project id")),
    request_body(content = ProjectCommand, description = "`{\"action\": revise|return|accept|report|check|submit_closure|close|pick_example|archive, …}`; see docs/ledger.md"),
    responses((status = 200, description = "the project after the action, with its history", body = ProjectPage),
        (status = 403, description = "not the unit's own staff, or not the office, or the office's own project"), (status = 404, description = "no such project"),
        (status = 409, description = "not allowed in the project's state, or the year is closed"), (status = 422, description = "an invalid field")))]
pub async fn act(
    State(state): State<Arc<AppState>>,
    who: SignedIn,
    path: Result<Path<String>, PathRejection>,
    ApiJson(command): ApiJson<ProjectCommand>,
) -> Result<Json<ProjectPage>, ApiError> {
    let id = crate::cases::path_id("project", path)?;
    state.ledger_act(&who.actor, id, &command).await?;
    Ok(Json(page(&state, &who.actor, id).await?))
}
