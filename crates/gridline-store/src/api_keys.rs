//! API keys of client systems (Open311's `api_key`): issued by administrators, each tied to one
//! intake channel and to a system user that appears as the actor of the cases it files.

use gridline_core::case::Channel;
use jiff::Timestamp;
use sqlx::{AssertSqlSafe, Row};

use crate::people::user_from_row;
use crate::{NewUser, Store, StoreError, UserRecord, from_millis, is_unique_violation, millis};

#[derive(Clone, Debug, PartialEq)]
pub struct ApiKeyRecord {
    pub id: i64,
    /// The client system, e.g. `12345-hotline` or `district-grid-chaoyang`.
    pub name: String,
    pub channel: Channel,
    pub user_id: i64,
    pub created_at: Timestamp,
    pub revoked_at: Option<Timestamp>,
}

fn key_from_row(row: &sqlx::any::AnyRow) -> Result<ApiKeyRecord, StoreError> {
    let channel: String = row.try_get("channel")?;
    let revoked_at: Option<i64> = row.try_get("revoked_at")?;
    Ok(ApiKeyRecord {
        id: row.try_get("key_id")?,
        name: row.try_get("key_name")?,
        channel: Channel::parse(&channel).ok_or_else(|| StoreError::corrupt(format!("unknown channel {channel}")))?,
        user_id: row.try_get("user_id")?,
        created_at: from_millis(row.try_get("key_created_at")?)?,
        revoked_at: revoked_at.map(from_millis).transpose()?,
    })
}

/// Aliased so that a join with `users` keeps both rows' columns apart.
const KEY_COLUMNS: &str =
    "k.id AS key_id, k.name AS key_name, k.channel, k.user_id, k.created_at AS key_created_at, k.revoked_at";

impl Store {
    /// Creates the system user and its key in one transaction: both or neither.
    pub async fn create_api_key(
        &self,
        name: &str,
        key_hash: &str,
        channel: Channel,
        user: &NewUser,
        now: Timestamp,
    ) -> Result<ApiKeyRecord, StoreError> {
        let duplicate = |e: sqlx::Error| {
            if is_unique_violation(&e) {
                StoreError::Duplicate(format!("an API key named {name} (or its user {}) already exists", user.username))
            } else {
                e.into()
            }
        };
        let mut tx = self.pool.begin().await?;
        let user_id: i64 = sqlx::query(
            "INSERT INTO users (username, display_name, role, unit_code, password_hash, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(user.username.clone())
        .bind(user.display_name.clone())
        .bind(user.role.as_str())
        .bind(user.unit.clone())
        .bind(user.password_hash.clone())
        .bind(millis(now))
        .fetch_one(&mut *tx)
        .await
        .map_err(duplicate)?
        .try_get("id")?;
        let id: i64 = sqlx::query(
            "INSERT INTO api_keys (name, key_hash, channel, user_id, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(name.to_owned())
        .bind(key_hash.to_owned())
        .bind(channel.as_str())
        .bind(user_id)
        .bind(millis(now))
        .fetch_one(&mut *tx)
        .await
        .map_err(duplicate)?
        .try_get("id")?;
        tx.commit().await?;
        Ok(ApiKeyRecord { id, name: name.to_owned(), channel, user_id, created_at: now, revoked_at: None })
    }

    /// The live (not revoked) key with this hash and its system user.
    pub async fn api_key_by_hash(&self, key_hash: &str) -> Result<Option<(ApiKeyRecord, UserRecord)>, StoreError> {
        let row = sqlx::query(AssertSqlSafe(format!(
            "SELECT {KEY_COLUMNS}, u.id, u.username, u.display_name, u.role, u.unit_code, u.password_hash FROM api_keys k JOIN users u ON u.id = k.user_id \
             WHERE k.key_hash = $1 AND k.revoked_at IS NULL"
        )))
        .bind(key_hash.to_owned())
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| Ok((key_from_row(&row)?, user_from_row(&row)?))).transpose()
    }

    pub async fn api_keys(&self) -> Result<Vec<ApiKeyRecord>, StoreError> {
        let rows = sqlx::query(AssertSqlSafe(format!("SELECT {KEY_COLUMNS} FROM api_keys k ORDER BY k.id")))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(key_from_row).collect()
    }

    /// Revokes the named key; false when there is no live key of that name.
    pub async fn revoke_api_key(&self, name: &str, now: Timestamp) -> Result<bool, StoreError> {
        let done = sqlx::query("UPDATE api_keys SET revoked_at = $1 WHERE name = $2 AND revoked_at IS NULL")
            .bind(millis(now))
            .bind(name.to_owned())
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() > 0)
    }
}
