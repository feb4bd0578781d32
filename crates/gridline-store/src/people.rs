//! Units, users and sessions: `store.people()`.

use gridline_core::actor::{Actor, Role};
use gridline_core::ids::UnitCode;
use gridline_core::unit::{Unit, UnitKind};
use jiff::Timestamp;
use sqlx::{AssertSqlSafe, FromRow};

use crate::{Store, StoreError, is_unique_violation, millis};

#[derive(Clone, Debug)]
pub struct NewUser {
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub unit: Option<UnitCode>,
    pub password_hash: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct UserRecord {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub unit: Option<UnitCode>,
    pub password_hash: String,
    /// When an administrator disabled the account: it cannot sign in, and has no sessions.
    pub disabled_at: Option<Timestamp>,
}

impl UserRecord {
    /// The user as the actor of what they do.
    pub fn actor(self) -> Actor {
        Actor { user_id: self.id, username: self.username, role: self.role, unit: self.unit }
    }
}

/// A `users` row as stored.
#[derive(FromRow)]
pub(crate) struct UserRow {
    id: i64,
    username: String,
    display_name: String,
    role: String,
    unit_code: Option<String>,
    password_hash: String,
    disabled_at: Option<i64>,
}

impl TryFrom<UserRow> for UserRecord {
    type Error = StoreError;

    fn try_from(row: UserRow) -> Result<Self, StoreError> {
        Ok(UserRecord {
            id: row.id,
            role: Role::parse(&row.role).ok_or_else(|| StoreError::corrupt(format!("unknown role {}", row.role)))?,
            username: row.username,
            display_name: row.display_name,
            unit: row.unit_code.map(UnitCode::try_from).transpose().map_err(StoreError::corrupt)?,
            password_hash: row.password_hash,
            disabled_at: row.disabled_at.map(crate::from_millis).transpose()?,
        })
    }
}

/// The columns of [`UserRow`], qualified so that they read the same in joins.
pub(crate) const USER_COLUMNS: &str =
    "users.id, users.username, users.display_name, users.role, users.unit_code, users.password_hash, users.disabled_at";

/// The one INSERT of a user, alone or inside a caller's transaction. `failed` turns a database
/// error into the caller's, which knows what a unique violation means there.
pub(crate) async fn insert_user<'c>(
    executor: impl sqlx::Executor<'c, Database = sqlx::Any>,
    user: &NewUser,
    now: Timestamp,
    failed: impl FnOnce(sqlx::Error) -> StoreError,
) -> Result<UserRecord, StoreError> {
    let row: UserRow = sqlx::query_as(AssertSqlSafe(format!(
        "INSERT INTO users (username, display_name, role, unit_code, password_hash, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING {USER_COLUMNS}"
    )))
    .bind(user.username.clone())
    .bind(user.display_name.clone())
    .bind(user.role.as_str())
    .bind(user.unit.as_deref())
    .bind(user.password_hash.clone())
    .bind(millis(now))
    .fetch_one(executor)
    .await
    .map_err(failed)?;
    row.try_into()
}

/// A `units` row as stored.
#[derive(FromRow)]
struct UnitRow {
    code: String,
    name: String,
    kind: String,
    regions: String,
    types: String,
}

impl TryFrom<UnitRow> for Unit {
    type Error = StoreError;

    fn try_from(row: UnitRow) -> Result<Self, StoreError> {
        Ok(Unit {
            kind: UnitKind::parse(&row.kind).ok_or_else(|| StoreError::corrupt(format!("unknown unit kind {}", row.kind)))?,
            regions: serde_json::from_str(&row.regions).map_err(StoreError::corrupt)?,
            types: serde_json::from_str(&row.types).map_err(StoreError::corrupt)?,
            code: UnitCode::try_from(row.code).map_err(StoreError::corrupt)?,
            name: row.name,
        })
    }
}

/// A live session's user and expiry.
#[derive(FromRow)]
struct SessionRow {
    #[sqlx(flatten)]
    user: UserRow,
    expires_at: i64,
}

/// Units, users and their sessions.
pub struct People<'a>(&'a Store);

impl Store {
    pub fn people(&self) -> People<'_> {
        People(self)
    }
}

impl People<'_> {
    /// Adds a unit, or updates its name, kind, regions and types.
    pub async fn put_unit(&self, unit: &Unit, now: Timestamp) -> Result<(), StoreError> {
        let regions = serde_json::to_string(&unit.regions).map_err(StoreError::corrupt)?;
        let types = serde_json::to_string(&unit.types).map_err(StoreError::corrupt)?;
        sqlx::query(
            "INSERT INTO units (code, name, kind, regions, created_at, types) VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (code) DO UPDATE SET name = excluded.name, kind = excluded.kind, regions = excluded.regions, \
             types = excluded.types",
        )
        .bind(unit.code.as_str())
        .bind(unit.name.clone())
        .bind(unit.kind.as_str())
        .bind(regions)
        .bind(millis(now))
        .bind(types)
        .execute(&self.0.pool)
        .await?;
        Ok(())
    }

    pub async fn units(&self) -> Result<Vec<Unit>, StoreError> {
        let rows: Vec<UnitRow> =
            sqlx::query_as("SELECT code, name, kind, regions, types FROM units ORDER BY code").fetch_all(&self.0.pool).await?;
        rows.into_iter().map(Unit::try_from).collect()
    }

    pub async fn create_user(&self, user: &NewUser, now: Timestamp) -> Result<UserRecord, StoreError> {
        insert_user(&self.0.pool, user, now, |e| {
            if is_unique_violation(&e) {
                StoreError::Duplicate(format!("user {} already exists", user.username))
            } else {
                e.into()
            }
        })
        .await
    }

    pub async fn user_by_name(&self, username: &str) -> Result<Option<UserRecord>, StoreError> {
        let row: Option<UserRow> = sqlx::query_as(AssertSqlSafe(format!("SELECT {USER_COLUMNS} FROM users WHERE username = $1")))
            .bind(username.to_owned())
            .fetch_optional(&self.0.pool)
            .await?;
        row.map(UserRecord::try_from).transpose()
    }

    pub async fn user(&self, id: i64) -> Result<Option<UserRecord>, StoreError> {
        let row: Option<UserRow> = sqlx::query_as(AssertSqlSafe(format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1")))
            .bind(id)
            .fetch_optional(&self.0.pool)
            .await?;
        row.map(UserRecord::try_from).transpose()
    }

    pub async fn users(&self) -> Result<Vec<UserRecord>, StoreError> {
        let rows: Vec<UserRow> =
            sqlx::query_as(AssertSqlSafe(format!("SELECT {USER_COLUMNS} FROM users ORDER BY id"))).fetch_all(&self.0.pool).await?;
        rows.into_iter().map(UserRecord::try_from).collect()
    }

    pub async fn create_session(&self, token_hash: &str, user_id: i64, now: Timestamp, expires_at: Timestamp) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
            .bind(token_hash.to_owned())
            .bind(user_id)
            .bind(millis(now))
            .bind(millis(expires_at))
            .execute(&self.0.pool)
            .await?;
        Ok(())
    }

    /// The user behind a live session, with the session's expiry.
    pub async fn session_user(&self, token_hash: &str, now: Timestamp) -> Result<Option<(UserRecord, Timestamp)>, StoreError> {
        let row: Option<SessionRow> = sqlx::query_as(AssertSqlSafe(format!(
            "SELECT {USER_COLUMNS}, s.expires_at FROM sessions s JOIN users ON users.id = s.user_id \
             WHERE s.token_hash = $1 AND s.expires_at > $2 AND users.disabled_at IS NULL"
        )))
        .bind(token_hash.to_owned())
        .bind(millis(now))
        .fetch_optional(&self.0.pool)
        .await?;
        row.map(|row| Ok((row.user.try_into()?, crate::from_millis(row.expires_at)?))).transpose()
    }

    /// Ends every session of `user_id` but the one of `keep` (a password change keeps the
    /// session it was made in); how many ended.
    pub async fn delete_sessions_of(&self, user_id: i64, keep: Option<&str>) -> Result<u64, StoreError> {
        let done = sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2")
            .bind(user_id)
            .bind(keep.unwrap_or_default().to_owned())
            .execute(&self.0.pool)
            .await?;
        Ok(done.rows_affected())
    }

    /// Changes a user's name shown, role and unit; the user as it is now, `None` when there is
    /// no such user.
    pub async fn update_user(&self, id: i64, display_name: &str, role: Role, unit: Option<&UnitCode>) -> Result<Option<UserRecord>, StoreError> {
        let row: Option<UserRow> = sqlx::query_as(AssertSqlSafe(format!(
            "UPDATE users SET display_name = $2, role = $3, unit_code = $4 WHERE id = $1 RETURNING {USER_COLUMNS}"
        )))
        .bind(id)
        .bind(display_name.to_owned())
        .bind(role.as_str())
        .bind(unit.map(|u| u.as_str().to_owned()))
        .fetch_optional(&self.0.pool)
        .await?;
        row.map(UserRecord::try_from).transpose()
    }

    /// Disables (`Some(when)`) or enables (`None`) a user; the user as it is now.
    pub async fn set_disabled(&self, id: i64, disabled_at: Option<Timestamp>) -> Result<Option<UserRecord>, StoreError> {
        let row: Option<UserRow> =
            sqlx::query_as(AssertSqlSafe(format!("UPDATE users SET disabled_at = $2 WHERE id = $1 RETURNING {USER_COLUMNS}")))
                .bind(id)
                .bind(disabled_at.map(millis))
                .fetch_optional(&self.0.pool)
                .await?;
        row.map(UserRecord::try_from).transpose()
    }

    /// Replaces a user's password hash; whether there was such a user.
    pub async fn set_password_hash(&self, id: i64, password_hash: &str) -> Result<bool, StoreError> {
        let done = sqlx::query("UPDATE users SET password_hash = $2 WHERE id = $1")
            .bind(id)
            .bind(password_hash.to_owned())
            .execute(&self.0.pool)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    pub async fn delete_session(&self, token_hash: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(token_hash.to_owned()).execute(&self.0.pool).await?;
        Ok(())
    }
}
