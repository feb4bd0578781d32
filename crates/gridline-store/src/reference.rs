//! Revisions of the reference files (catalogue, routing rules, crosswalk) and the history of
//! every catalogue entry's versions: `store.reference()`.

use std::collections::HashMap;

use gridline_core::catalogue::CatalogueEntry;
use gridline_core::reference::ReferenceFiles;
use jiff::Timestamp;
use sqlx::FromRow;

use crate::{Store, StoreError, from_millis, millis};

/// An accepted set of reference files.
#[derive(Clone, Debug, PartialEq)]
pub struct ReferenceRevision {
    pub id: i64,
    pub created_at: Timestamp,
    pub created_by: String,
    pub note: Option<String>,
    pub files: ReferenceFiles,
    /// The version of each entry in force with this revision.
    pub versions: HashMap<String, u32>,
}

/// What a new revision records.
pub struct NewReferenceRevision<'a> {
    pub created_by: &'a str,
    pub note: Option<&'a str>,
    pub files: &'a ReferenceFiles,
    pub versions: HashMap<String, u32>,
    /// Entries whose version is new with this revision.
    pub new_entry_versions: Vec<&'a CatalogueEntry>,
}

/// A `catalogue_revisions` row as stored.
#[derive(FromRow)]
struct RevisionRow {
    id: i64,
    created_at: i64,
    created_by: String,
    note: Option<String>,
    catalogue: String,
    routing: String,
    crosswalk: String,
    versions: String,
}

impl TryFrom<RevisionRow> for ReferenceRevision {
    type Error = StoreError;

    fn try_from(row: RevisionRow) -> Result<Self, StoreError> {
        Ok(ReferenceRevision {
            id: row.id,
            created_at: from_millis(row.created_at)?,
            created_by: row.created_by,
            note: row.note,
            files: ReferenceFiles { catalogue: row.catalogue, routing: row.routing, crosswalk: row.crosswalk },
            versions: serde_json::from_str(&row.versions).map_err(StoreError::corrupt)?,
        })
    }
}

/// The reference files' revisions and the catalogue entries' versions.
pub struct Reference<'a>(&'a Store);

impl Store {
    pub fn reference(&self) -> Reference<'_> {
        Reference(self)
    }
}

impl Reference<'_> {
    /// The revision in force: the newest.
    pub async fn current(&self) -> Result<Option<ReferenceRevision>, StoreError> {
        let row: Option<RevisionRow> = sqlx::query_as(
            "SELECT id, created_at, created_by, note, catalogue, routing, crosswalk, versions \
             FROM catalogue_revisions ORDER BY id DESC LIMIT 1",
        )
        .fetch_optional(&self.0.pool)
        .await?;
        row.map(ReferenceRevision::try_from).transpose()
    }

    /// The id of the revision in force, without reading it: how a server sees that another
    /// process (the CLI, another server) imported a new one.
    pub async fn current_id(&self) -> Result<Option<i64>, StoreError> {
        Ok(sqlx::query_scalar("SELECT MAX(id) FROM catalogue_revisions").fetch_one(&self.0.pool).await?)
    }

    /// Records a revision and the entry versions it brings, all or nothing; returns its id.
    pub async fn save(&self, revision: NewReferenceRevision<'_>, now: Timestamp) -> Result<i64, StoreError> {
        let versions = serde_json::to_string(&revision.versions).map_err(StoreError::corrupt)?;
        let mut tx = self.0.pool.begin().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO catalogue_revisions (created_at, created_by, note, catalogue, routing, crosswalk, versions) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(millis(now))
        .bind(revision.created_by.to_owned())
        .bind(revision.note.map(str::to_owned))
        .bind(revision.files.catalogue.clone())
        .bind(revision.files.routing.clone())
        .bind(revision.files.crosswalk.clone())
        .bind(versions)
        .fetch_one(&mut *tx)
        .await?;
        for entry in revision.new_entry_versions {
            sqlx::query("INSERT INTO catalogue_entry_versions (code, version, revision, entry) VALUES ($1, $2, $3, $4)")
                .bind(entry.code.clone())
                .bind(i64::from(entry.version))
                .bind(id)
                .bind(serde_json::to_string(&EntryRecord::from(entry)).map_err(StoreError::corrupt)?)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(id)
    }

    /// The newest version ever recorded of each entry code (including entries no longer in force).
    pub async fn latest_entry_versions(&self) -> Result<HashMap<String, u32>, StoreError> {
        let rows: Vec<(String, i64)> = sqlx::query_as("SELECT code, MAX(version) FROM catalogue_entry_versions GROUP BY code")
            .fetch_all(&self.0.pool)
            .await?;
        rows.into_iter().map(|(code, version)| Ok((code, u32::try_from(version).map_err(StoreError::corrupt)?))).collect()
    }

    /// One version of an entry as it was recorded.
    pub async fn entry_version(&self, code: &str, version: u32) -> Result<Option<CatalogueEntry>, StoreError> {
        let text: Option<String> = sqlx::query_scalar("SELECT entry FROM catalogue_entry_versions WHERE code = $1 AND version = $2")
            .bind(code.to_owned())
            .bind(i64::from(version))
            .fetch_optional(&self.0.pool)
            .await?;
        let Some(text) = text else { return Ok(None) };
        let record: EntryRecord = serde_json::from_str(&text).map_err(StoreError::corrupt)?;
        Ok(Some(record.into_entry().map_err(StoreError::corrupt)?))
    }
}

/// An entry as stored: with its version, which the file format leaves out.
#[derive(serde::Serialize, serde::Deserialize)]
struct EntryRecord {
    version: u32,
    #[serde(flatten)]
    entry: serde_json::Value,
}

impl From<&CatalogueEntry> for EntryRecord {
    fn from(entry: &CatalogueEntry) -> Self {
        EntryRecord { version: entry.version, entry: serde_json::to_value(entry).expect("an entry serialises") }
    }
}

impl EntryRecord {
    fn into_entry(self) -> Result<CatalogueEntry, serde_json::Error> {
        let mut entry: CatalogueEntry = serde_json::from_value(self.entry)?;
        entry.version = self.version;
        Ok(entry)
    }
}
