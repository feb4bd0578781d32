//! Units, users and sessions.

use gridline_core::actor::{Actor, Role};
use gridline_core::unit::{Unit, UnitKind};
use jiff::Timestamp;
use sqlx::{AssertSqlSafe, Row};

use crate::{Store, StoreError, is_unique_violation, millis};

#[derive(Clone, Debug)]
pub struct NewUser {
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub unit: Option<String>,
    pub password_hash: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct UserRecord {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub unit: Option<String>,
    pub password_hash: String,
}

impl UserRecord {
    /// The user as the actor of what they do.
    pub fn actor(self) -> Actor {
        Actor { user_id: self.id, username: self.username, role: self.role, unit: self.unit }
    }
}

pub(crate) fn user_from_row(row: &sqlx::any::AnyRow) -> Result<UserRecord, StoreError> {
    let role: String = row.try_get("role")?;
    Ok(UserRecord {
        id: row.try_get("id")?,
        username: row.try_get("username")?,
        display_name: row.try_get("display_name")?,
        role: Role::parse(&role).ok_or_else(|| StoreError::corrupt(format!("unknown role {role}")))?,
        unit: row.try_get("unit_code")?,
        password_hash: row.try_get("password_hash")?,
    })
}

fn unit_from_row(row: &sqlx::any::AnyRow) -> Result<Unit, StoreError> {
    let kind: String = row.try_get("kind")?;
    let regions: String = row.try_get("regions")?;
    let types: String = row.try_get("types")?;
    Ok(Unit {
        code: row.try_get("code")?,
        name: row.try_get("name")?,
        kind: UnitKind::parse(&kind).ok_or_else(|| StoreError::corrupt(format!("unknown unit kind {kind}")))?,
        regions: serde_json::from_str(&regions).map_err(StoreError::corrupt)?,
        types: serde_json::from_str(&types).map_err(StoreError::corrupt)?,
    })
}

const USER_COLUMNS: &str = "id, username, display_name, role, unit_code, password_hash";

impl Store {
    /// Adds a unit, or updates its name, kind, regions and types.
    pub async fn put_unit(&self, unit: &Unit, now: Timestamp) -> Result<(), StoreError> {
        let regions = serde_json::to_string(&unit.regions).map_err(StoreError::corrupt)?;
        let types = serde_json::to_string(&unit.types).map_err(StoreError::corrupt)?;
        sqlx::query(
            "INSERT INTO units (code, name, kind, regions, created_at, types) VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (code) DO UPDATE SET name = excluded.name, kind = excluded.kind, regions = excluded.regions, \
             types = excluded.types",
        )
        .bind(unit.code.clone())
        .bind(unit.name.clone())
        .bind(unit.kind.as_str())
        .bind(regions)
        .bind(millis(now))
        .bind(types)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn units(&self) -> Result<Vec<Unit>, StoreError> {
        let rows = sqlx::query("SELECT code, name, kind, regions, types FROM units ORDER BY code").fetch_all(&self.pool).await?;
        rows.iter().map(unit_from_row).collect()
    }

    pub async fn create_user(&self, user: &NewUser, now: Timestamp) -> Result<UserRecord, StoreError> {
        let row = sqlx::query(AssertSqlSafe(format!(
            "INSERT INTO users (username, display_name, role, unit_code, password_hash, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING {USER_COLUMNS}"
        )))
        .bind(user.username.clone())
        .bind(user.display_name.clone())
        .bind(user.role.as_str())
        .bind(user.unit.clone())
        .bind(user.password_hash.clone())
        .bind(millis(now))
        .fetch_one(&self.pool)
        .await
        .map_err(|e| {
            if is_unique_violation(&e) {
                StoreError::Duplicate(format!("user {} already exists", user.username))
            } else {
                e.into()
            }
        })?;
        user_from_row(&row)
    }

    pub async fn user_by_name(&self, username: &str) -> Result<Option<UserRecord>, StoreError> {
        let row = sqlx::query(AssertSqlSafe(format!("SELECT {USER_COLUMNS} FROM users WHERE username = $1")))
            .bind(username.to_owned())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(user_from_row).transpose()
    }

    pub async fn user(&self, id: i64) -> Result<Option<UserRecord>, StoreError> {
        let row = sqlx::query(AssertSqlSafe(format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1")))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(user_from_row).transpose()
    }

    pub async fn users(&self) -> Result<Vec<UserRecord>, StoreError> {
        let rows = sqlx::query(AssertSqlSafe(format!("SELECT {USER_COLUMNS} FROM users ORDER BY id"))).fetch_all(&self.pool).await?;
        rows.iter().map(user_from_row).collect()
    }

    pub async fn create_session(&self, token_hash: &str, user_id: i64, now: Timestamp, expires_at: Timestamp) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
            .bind(token_hash.to_owned())
            .bind(user_id)
            .bind(millis(now))
            .bind(millis(expires_at))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The user behind a live session, with the session's expiry.
    pub async fn session_user(&self, token_hash: &str, now: Timestamp) -> Result<Option<(UserRecord, Timestamp)>, StoreError> {
        let row = sqlx::query(
            "SELECT u.id, u.username, u.display_name, u.role, u.unit_code, u.password_hash, s.expires_at \
             FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1 AND s.expires_at > $2",
        )
        .bind(token_hash.to_owned())
        .bind(millis(now))
        .fetch_optional(&self.pool)
        .await?;
        match row {
            None => Ok(None),
            Some(row) => Ok(Some((user_from_row(&row)?, crate::from_millis(row.try_get("expires_at")?)?))),
        }
    }

    pub async fn delete_session(&self, token_hash: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(token_hash.to_owned()).execute(&self.pool).await?;
        Ok(())
    }
}
