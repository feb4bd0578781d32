//! The committee's project ledger (重点工作项目台账): member units, years and their key tasks,
//! projects and their append-only events. `store.ledger()`.
//!
//! As with cases, a project's events are the source of truth and its `ledger_projects` row their
//! projection (`doc` the whole project), written in the same transaction with a version check.

use gridline_core::ledger::{KeyTask, LedgerYear, MemberUnit, Project, ProjectEvent, ProjectStatus, UnitTier};
use jiff::Timestamp;
use sqlx::{AssertSqlSafe, FromRow};

use crate::{Store, StoreError, from_millis, is_unique_violation, millis};

/// A `ledger_members` row.
#[derive(FromRow)]
struct MemberRow {
    unit_code: String,
    tier: String,
    contact_name: String,
    contact_phone: String,
}

impl TryFrom<MemberRow> for MemberUnit {
    type Error = StoreError;

    fn try_from(row: MemberRow) -> Result<Self, StoreError> {
        Ok(MemberUnit {
            tier: UnitTier::parse(&row.tier).ok_or_else(|| StoreError::corrupt(format!("member unit {}: tier {:?}", row.unit_code, row.tier)))?,
            unit: row.unit_code.parse().map_err(|e| StoreError::corrupt(format!("member unit {:?}: {e}", row.unit_code)))?,
            contact_name: row.contact_name,
            contact_phone: row.contact_phone,
        })
    }
}

/// A `ledger_years` row.
#[derive(FromRow)]
struct YearRow {
    year: i64,
    classes: String,
    per_unit_limit: i64,
    closed_at: Option<i64>,
}

impl TryFrom<YearRow> for LedgerYear {
    type Error = StoreError;

    fn try_from(row: YearRow) -> Result<Self, StoreError> {
        let year = row.year;
        let bad = |what: &str| StoreError::corrupt(format!("ledger year {year}: {what}"));
        Ok(LedgerYear {
            year: i32::try_from(year).map_err(|_| bad("year"))?,
            classes: serde_json::from_str(&row.classes).map_err(|_| bad("classes"))?,
            per_unit_limit: u32::try_from(row.per_unit_limit).map_err(|_| bad("per_unit_limit"))?,
            closed_at: row.closed_at.map(from_millis).transpose()?,
        })
    }
}

/// A `ledger_key_tasks` row.
#[derive(FromRow)]
struct KeyTaskRow {
    year: i64,
    code: String,
    title: String,
}

impl TryFrom<KeyTaskRow> for KeyTask {
    type Error = StoreError;

    fn try_from(row: KeyTaskRow) -> Result<Self, StoreError> {
        let year = i32::try_from(row.year).map_err(|_| StoreError::corrupt(format!("key task {}: year {}", row.code, row.year)))?;
        Ok(KeyTask { year, code: row.code, title: row.title })
    }
}

/// A `ledger_projects` row: the id and version are the row's, the rest the document's.
#[derive(FromRow)]
struct ProjectRow {
    id: i64,
    version: i64,
    doc: String,
}

impl TryFrom<ProjectRow> for Project {
    type Error = StoreError;

    fn try_from(row: ProjectRow) -> Result<Self, StoreError> {
        let id = row.id;
        let mut project: Project = serde_json::from_str(&row.doc).map_err(|e| StoreError::corrupt(format!("project {id}: {e}")))?;
        project.id = id;
        project.version = u32::try_from(row.version).map_err(|_| StoreError::corrupt(format!("project {id}: version {}", row.version)))?;
        Ok(project)
    }
}

/// A `ledger_events` row.
#[derive(FromRow)]
struct EventRow {
    project_id: i64,
    doc: String,
}

impl TryFrom<EventRow> for ProjectEvent {
    type Error = StoreError;

    fn try_from(row: EventRow) -> Result<Self, StoreError> {
        serde_json::from_str(&row.doc).map_err(|e| StoreError::corrupt(format!("event of project {}: {e}", row.project_id)))
    }
}

/// Which projects of a year to list; `None` is any.
#[derive(Clone, Debug, Default)]
pub struct ProjectFilter {
    pub class: Option<String>,
    pub unit: Option<String>,
    pub status: Option<ProjectStatus>,
}

const PROJECT_COLUMNS: &str = "id, version, doc";

/// The project ledger.
pub struct Ledger<'a>(&'a Store);

impl Store {
    pub fn ledger(&self) -> Ledger<'_> {
        Ledger(self)
    }
}

fn duplicate_project(project: &Project) -> StoreError {
    StoreError::Duplicate(format!("{} already has a project titled {:?} in {}", project.unit, project.draft.title, project.year))
}

/// Inserts the projection of a new project and its events; returns its id.
async fn insert_project(conn: &mut sqlx::AnyConnection, project: &Project, events: &[ProjectEvent]) -> Result<i64, StoreError> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO ledger_projects (year, unit_code, class, title, status, version, doc) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(i64::from(project.year))
    .bind(project.unit.to_string())
    .bind(project.draft.class.clone())
    .bind(project.draft.title.clone())
    .bind(project.status.as_str())
    .bind(i64::from(project.version))
    .bind(serde_json::to_string(project).map_err(StoreError::corrupt)?)
    .fetch_one(&mut *conn)
    .await
    .map_err(|e| if is_unique_violation(&e) { duplicate_project(project) } else { e.into() })?;
    for event in events {
        insert_event(conn, id, event).await?;
    }
    Ok(id)
}

async fn insert_event(conn: &mut sqlx::AnyConnection, project_id: i64, event: &ProjectEvent) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO ledger_events (project_id, seq, action, actor_id, at, doc) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(project_id)
        .bind(i64::from(event.seq))
        .bind(event.change.action())
        .bind(event.actor.user_id)
        .bind(millis(event.at))
        .bind(serde_json::to_string(event).map_err(StoreError::corrupt)?)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

impl Ledger<'_> {
    /// Adds a member unit or updates its tier and contact.
    pub async fn put_member(&self, member: &MemberUnit) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO ledger_members (unit_code, tier, contact_name, contact_phone) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (unit_code) DO UPDATE SET tier = excluded.tier, contact_name = excluded.contact_name, \
             contact_phone = excluded.contact_phone",
        )
        .bind(member.unit.to_string())
        .bind(member.tier.as_str())
        .bind(member.contact_name.clone())
        .bind(member.contact_phone.clone())
        .execute(&self.0.pool)
        .await?;
        Ok(())
    }

    /// Every member unit, by code.
    pub async fn members(&self) -> Result<Vec<MemberUnit>, StoreError> {
        let rows: Vec<MemberRow> =
            sqlx::query_as("SELECT unit_code, tier, contact_name, contact_phone FROM ledger_members ORDER BY unit_code")
                .fetch_all(&self.0.pool)
                .await?;
        rows.into_iter().map(MemberUnit::try_from).collect()
    }

    /// Opens a year, or changes an open year's classes and limit; `Duplicate` for a closed year.
    pub async fn put_year(&self, year: &LedgerYear) -> Result<(), StoreError> {
        let done = sqlx::query(
            "INSERT INTO ledger_years (year, classes, per_unit_limit, closed_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (year) DO UPDATE SET classes = excluded.classes, per_unit_limit = excluded.per_unit_limit \
             WHERE ledger_years.closed_at IS NULL",
        )
        .bind(i64::from(year.year))
        .bind(serde_json::to_string(&year.classes).map_err(StoreError::corrupt)?)
        .bind(i64::from(year.per_unit_limit))
        .bind(year.closed_at.map(millis))
        .execute(&self.0.pool)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::Duplicate(format!("the {} ledger is closed", year.year)));
        }
        Ok(())
    }

    pub async fn year(&self, year: i32) -> Result<Option<LedgerYear>, StoreError> {
        let row: Option<YearRow> =
            sqlx::query_as("SELECT year, classes, per_unit_limit, closed_at FROM ledger_years WHERE year = $1")
                .bind(i64::from(year))
                .fetch_optional(&self.0.pool)
                .await?;
        row.map(LedgerYear::try_from).transpose()
    }

    /// Every year, newest first.
    pub async fn years(&self) -> Result<Vec<LedgerYear>, StoreError> {
        let rows: Vec<YearRow> = sqlx::query_as("SELECT year, classes, per_unit_limit, closed_at FROM ledger_years ORDER BY year DESC")
            .fetch_all(&self.0.pool)
            .await?;
        rows.into_iter().map(LedgerYear::try_from).collect()
    }

    /// Closes a year; false when it was closed before (or does not exist).
    pub async fn close_year(&self, year: i32, at: Timestamp) -> Result<bool, StoreError> {
        let done = sqlx::query("UPDATE ledger_years SET closed_at = $1 WHERE year = $2 AND closed_at IS NULL")
            .bind(millis(at))
            .bind(i64::from(year))
            .execute(&self.0.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Adds a key task to a year, or renames it.
    pub async fn put_key_task(&self, task: &KeyTask) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO ledger_key_tasks (year, code, title) VALUES ($1, $2, $3) ON CONFLICT (year, code) DO UPDATE SET title = excluded.title")
            .bind(i64::from(task.year))
            .bind(task.code.clone())
            .bind(task.title.clone())
            .execute(&self.0.pool)
            .await?;
        Ok(())
    }

    pub async fn key_tasks(&self, year: i32) -> Result<Vec<KeyTask>, StoreError> {
        let rows: Vec<KeyTaskRow> = sqlx::query_as("SELECT year, code, title FROM ledger_key_tasks WHERE year = $1 ORDER BY code")
            .bind(i64::from(year))
            .fetch_all(&self.0.pool)
            .await?;
        rows.into_iter().map(KeyTask::try_from).collect()
    }

    /// Stores new projects, each with its events (the first its proposal), all or none: an
    /// import's rows, or one proposal. Returns their ids; `Duplicate` names a title a unit has
    /// already in the year.
    pub async fn create(&self, projects: &[(Project, Vec<ProjectEvent>)]) -> Result<Vec<i64>, StoreError> {
        let mut tx = self.0.pool.begin().await?;
        let mut ids = Vec::with_capacity(projects.len());
        for (project, events) in projects {
            ids.push(insert_project(&mut *tx, project, events).await?);
        }
        tx.commit().await?;
        Ok(ids)
    }

    /// Appends `event` and stores `after` (the project with the event applied), provided the
    /// project is still at the version before it; `ProjectChanged` when someone else was quicker.
    pub async fn append(&self, after: &Project, event: &ProjectEvent) -> Result<(), StoreError> {
        let mut tx = self.0.pool.begin().await?;
        let done = sqlx::query("UPDATE ledger_projects SET class = $1, title = $2, status = $3, version = $4, doc = $5 WHERE id = $6 AND version = $7")
            .bind(after.draft.class.clone())
            .bind(after.draft.title.clone())
            .bind(after.status.as_str())
            .bind(i64::from(after.version))
            .bind(serde_json::to_string(after).map_err(StoreError::corrupt)?)
            .bind(after.id)
            .bind(i64::from(event.seq) - 1)
            .execute(&mut *tx)
            .await
            .map_err(|e| if is_unique_violation(&e) { duplicate_project(after) } else { e.into() })?;
        if done.rows_affected() != 1 {
            return Err(StoreError::ProjectChanged { project_id: after.id });
        }
        insert_event(&mut *tx, after.id, event).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn get(&self, id: i64) -> Result<Option<Project>, StoreError> {
        let row: Option<ProjectRow> = sqlx::query_as(AssertSqlSafe(format!("SELECT {PROJECT_COLUMNS} FROM ledger_projects WHERE id = $1")))
            .bind(id)
            .fetch_optional(&self.0.pool)
            .await?;
        row.map(Project::try_from).transpose()
    }

    /// The projects of a year that pass `filter`, by unit and id.
    pub async fn projects(&self, year: i32, filter: &ProjectFilter) -> Result<Vec<Project>, StoreError> {
        let mut sql = format!("SELECT {PROJECT_COLUMNS} FROM ledger_projects WHERE year = $1");
        let mut n = 1;
        let mut clause = |column: &str, present: bool| {
            if present {
                n += 1;
                sql.push_str(&format!(" AND {column} = ${n}"));
            }
        };
        clause("class", filter.class.is_some());
        clause("unit_code", filter.unit.is_some());
        clause("status", filter.status.is_some());
        sql.push_str(" ORDER BY unit_code, id");
        let mut query = sqlx::query_as::<_, ProjectRow>(AssertSqlSafe(sql)).bind(i64::from(year));
        for value in [filter.class.clone(), filter.unit.clone(), filter.status.map(|s| s.as_str().to_owned())].into_iter().flatten() {
            query = query.bind(value);
        }
        let rows = query.fetch_all(&self.0.pool).await?;
        rows.into_iter().map(Project::try_from).collect()
    }

    /// How many projects `unit` has in `year` (returned ones included).
    pub async fn count_of_unit(&self, year: i32, unit: &str) -> Result<usize, StoreError> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM ledger_projects WHERE year = $1 AND unit_code = $2")
            .bind(i64::from(year))
            .bind(unit.to_owned())
            .fetch_one(&self.0.pool)
            .await?;
        Ok(usize::try_from(n).unwrap_or_default())
    }

    /// A project's events, oldest first.
    pub async fn events(&self, id: i64) -> Result<Vec<ProjectEvent>, StoreError> {
        let rows: Vec<EventRow> = sqlx::query_as("SELECT project_id, doc FROM ledger_events WHERE project_id = $1 ORDER BY seq")
            .bind(id)
            .fetch_all(&self.0.pool)
            .await?;
        rows.into_iter().map(ProjectEvent::try_from).collect()
    }
}
