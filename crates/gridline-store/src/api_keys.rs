//! API keys of client systems (Open311's `api_key`): issued by administrators, each tied to one
//! intake channel and to a system user that appears as the actor of the cases it files.
//! `store.api_keys()`.

use gridline_core::case::Channel;
use jiff::Timestamp;
use sqlx::{AssertSqlSafe, FromRow};

use crate::people::{USER_COLUMNS, UserRow, insert_user};
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

/// An `api_keys` row as stored (without its hash, which is only ever compared in SQL).
#[derive(FromRow)]
struct ApiKeyRow {
    #[sqlx(rename = "key_id")]
    id: i64,
    #[sqlx(rename = "key_name")]
    name: String,
    channel: String,
    user_id: i64,
    #[sqlx(rename = "key_created_at")]
    created_at: i64,
    revoked_at: Option<i64>,
}

impl TryFrom<ApiKeyRow> for ApiKeyRecord {
    type Error = StoreError;

    fn try_from(row: ApiKeyRow) -> Result<Self, StoreError> {
        Ok(ApiKeyRecord {
            id: row.id,
            channel: Channel::parse(&row.channel).ok_or_else(|| StoreError::corrupt(format!("unknown channel {}", row.channel)))?,
            name: row.name,
            user_id: row.user_id,
            created_at: from_millis(row.created_at)?,
            revoked_at: row.revoked_at.map(from_millis).transpose()?,
        })
    }
}

/// A key joined with its system user.
#[derive(FromRow)]
struct KeyWithUserRow {
    #[sqlx(flatten)]
    key: ApiKeyRow,
    #[sqlx(flatten)]
    user: UserRow,
}

/// Aliased so that a join with `users` keeps both rows' columns apart.
const KEY_COLUMNS: &str =
    "k.id AS key_id, k.name AS key_name, k.channel, k.user_id, k.created_at AS key_created_at, k.revoked_at";

/// The API keys of client systems.
pub struct ApiKeys<'a>(&'a Store);

impl Store {
    pub fn api_keys(&self) -> ApiKeys<'_> {
        ApiKeys(self)
    }
}

impl ApiKeys<'_> {
    /// Creates the system user and its key in one transaction: both or neither.
    pub async fn create(&self, name: &str, key_hash: &str, channel: Channel, user: &NewUser, now: Timestamp) -> Result<ApiKeyRecord, StoreError> {
        let duplicate = |e: sqlx::Error| {
            if is_unique_violation(&e) {
                StoreError::Duplicate(format!("an API key named {name} (or its user {}) already exists", user.username))
            } else {
                e.into()
            }
        };
        let mut tx = self.0.pool.begin().await?;
        let user_id = insert_user(&mut *tx, user, now, duplicate).await?.id;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO api_keys (name, key_hash, channel, user_id, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(name.to_owned())
        .bind(key_hash.to_owned())
        .bind(channel.as_str())
        .bind(user_id)
        .bind(millis(now))
        .fetch_one(&mut *tx)
        .await
        .map_err(duplicate)?;
        tx.commit().await?;
        Ok(ApiKeyRecord { id, name: name.to_owned(), channel, user_id, created_at: now, revoked_at: None })
    }

    /// The live (not revoked) key with this hash and its system user.
    pub async fn by_hash(&self, key_hash: &str) -> Result<Option<(ApiKeyRecord, UserRecord)>, StoreError> {
        let row: Option<KeyWithUserRow> = sqlx::query_as(AssertSqlSafe(format!(
            "SELECT {KEY_COLUMNS}, {USER_COLUMNS} FROM api_keys k JOIN users ON users.id = k.user_id \
             WHERE k.key_hash = $1 AND k.revoked_at IS NULL"
        )))
        .bind(key_hash.to_owned())
        .fetch_optional(&self.0.pool)
        .await?;
        row.map(|row| Ok((row.key.try_into()?, row.user.try_into()?))).transpose()
    }

    pub async fn list(&self) -> Result<Vec<ApiKeyRecord>, StoreError> {
        let rows: Vec<ApiKeyRow> =
            sqlx::query_as(AssertSqlSafe(format!("SELECT {KEY_COLUMNS} FROM api_keys k ORDER BY k.id"))).fetch_all(&self.0.pool).await?;
        rows.into_iter().map(ApiKeyRecord::try_from).collect()
    }

    /// Revokes the named key; false when there is no live key of that name.
    pub async fn revoke(&self, name: &str, now: Timestamp) -> Result<bool, StoreError> {
        let done = sqlx::query("UPDATE api_keys SET revoked_at = $1 WHERE name = $2 AND revoked_at IS NULL")
            .bind(millis(now))
            .bind(name.to_owned())
            .execute(&self.0.pool)
            .await?;
        Ok(done.rows_affected() > 0)
    }
}
