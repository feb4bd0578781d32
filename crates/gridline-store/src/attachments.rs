//! Attachments: `store.attachments()`. The bytes of each file live in the files directory under
//! their SHA-256 (`ab/abcdef…`), written durably (a temporary file, fsync, rename, fsync of the
//! directory) before the row that names them is committed; identical uploads share one file.
//! Derived renderings (a photo as served, its thumbnail) live under `derived/` and can always be
//! made again from the original.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use gridline_core::attachment::{MediaType, Stage};
use gridline_core::case::CaseId;
use jiff::Timestamp;
use sqlx::FromRow;

use crate::cases::case_id;
use crate::{Store, StoreError, as_stored, from_millis, millis};

/// One upload as kept.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredAttachment {
    pub id: i64,
    /// Of the bytes as uploaded (hex).
    pub sha256: String,
    pub media: MediaType,
    pub size: i64,
    /// A photo's size as it is shown (its EXIF orientation applied).
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub name: String,
    pub uploaded_by: i64,
    pub uploaded_at: Timestamp,
}

/// What [`Attachments::insert`] records.
pub struct NewAttachment {
    pub sha256: String,
    pub media: MediaType,
    pub size: i64,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub name: String,
    pub uploaded_by: i64,
    pub uploaded_at: Timestamp,
}

/// An attachment of a case, with the stage it came with.
#[derive(Clone, Debug, PartialEq)]
pub struct CaseAttachment {
    pub case: CaseId,
    pub stage: Stage,
    pub added_by: i64,
    pub added_at: Timestamp,
    pub attachment: StoredAttachment,
}

/// A rendering made from a photo's original.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Variant {
    /// The photo as served: orientation applied, no metadata (no location), at most 2048 px.
    Display,
    /// A small JPEG for lists and the case page.
    Thumbnail,
}

impl Variant {
    fn suffix(self) -> &'static str {
        match self {
            Variant::Display => "display.jpg",
            Variant::Thumbnail => "thumb.jpg",
        }
    }
}

#[derive(FromRow)]
pub(crate) struct AttachmentRow {
    id: i64,
    sha256: String,
    media_type: String,
    size: i64,
    width: Option<i64>,
    height: Option<i64>,
    name: String,
    uploaded_by: i64,
    uploaded_at: i64,
}

impl TryFrom<AttachmentRow> for StoredAttachment {
    type Error = StoreError;

    fn try_from(row: AttachmentRow) -> Result<Self, StoreError> {
        let side = |v: Option<i64>| v.map(u32::try_from).transpose().map_err(StoreError::corrupt);
        Ok(StoredAttachment {
            id: row.id,
            media: MediaType::parse(&row.media_type).ok_or_else(|| StoreError::corrupt(format!("attachment {}: media type {:?}", row.id, row.media_type)))?,
            sha256: row.sha256,
            size: row.size,
            width: side(row.width)?,
            height: side(row.height)?,
            name: row.name,
            uploaded_by: row.uploaded_by,
            uploaded_at: from_millis(row.uploaded_at)?,
        })
    }
}

#[derive(FromRow)]
struct CaseAttachmentRow {
    case_id: i64,
    stage: String,
    added_by: i64,
    added_at: i64,
    #[sqlx(flatten)]
    attachment: AttachmentRow,
}

impl TryFrom<CaseAttachmentRow> for CaseAttachment {
    type Error = StoreError;

    fn try_from(row: CaseAttachmentRow) -> Result<Self, StoreError> {
        Ok(CaseAttachment {
            case: case_id(row.case_id)?,
            stage: Stage::parse(&row.stage).ok_or_else(|| StoreError::corrupt(format!("attachment stage {:?}", row.stage)))?,
            added_by: row.added_by,
            added_at: from_millis(row.added_at)?,
            attachment: row.attachment.try_into()?,
        })
    }
}

pub(crate) const COLUMNS: &str = "a.id, a.sha256, a.media_type, a.size, a.width, a.height, a.name, a.uploaded_by, a.uploaded_at";

/// The files directory beside an SQLite database file (`sqlite://DIR/gridline.db?…` → `DIR/files`);
/// none for PostgreSQL or an in-memory database.
pub(crate) fn files_beside(url: &str) -> Option<PathBuf> {
    let path = url.strip_prefix("sqlite://")?.split('?').next()?;
    if path.is_empty() || path.contains(":memory:") {
        return None;
    }
    Some(Path::new(path).parent().unwrap_or(Path::new(".")).join("files"))
}

/// Writes `bytes` to `path` so that, once this returns, they survive a crash: a temporary file
/// beside it, fsync, rename, fsync of the directory. A file already there is left alone: its
/// name is the hash of its content.
fn write_durably(path: &Path, bytes: &[u8], sync: bool) -> std::io::Result<()> {
    static SEQUENCE: AtomicU64 = AtomicU64::new(0);
    if path.exists() {
        return Ok(());
    }
    let dir = path.parent().ok_or_else(|| std::io::Error::other("a file path without a directory"))?;
    let created = !dir.exists();
    std::fs::create_dir_all(dir)?;
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let temporary = dir.join(format!(".{name}.{}.{}.tmp", std::process::id(), SEQUENCE.fetch_add(1, Ordering::Relaxed)));
    let written = (|| {
        let mut file = std::fs::File::create_new(&temporary)?;
        file.write_all(bytes)?;
        if sync {
            file.sync_all()?;
        }
        std::fs::rename(&temporary, path)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    written?;
    if sync {
        std::fs::File::open(dir)?.sync_all()?;
        if created && let Some(parent) = dir.parent() {
            std::fs::File::open(parent)?.sync_all()?;
        }
    }
    Ok(())
}

/// Makes the 256 directories the originals are kept in (`00` … `ff`) in `files`, all at once and
/// durably (one fsync of `files`, and of its parent if `files` was made too), when the first
/// original is kept in a new one: otherwise each of the first few hundred uploads would make its
/// own and wait for one more fsync before its acknowledgement. One already there is left alone.
fn make_prefix_directories(files: &Path) -> std::io::Result<()> {
    let created = !files.exists();
    std::fs::create_dir_all(files)?;
    for prefix in 0..=255u8 {
        match std::fs::create_dir(files.join(format!("{prefix:02x}"))) {
            Err(err) if err.kind() != std::io::ErrorKind::AlreadyExists => return Err(err),
            _ => {}
        }
    }
    std::fs::File::open(files)?.sync_all()?;
    if created && let Some(parent) = files.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::File::open(parent)?.sync_all()?;
    }
    Ok(())
}

fn io_error(what: &str, path: &Path, err: std::io::Error) -> StoreError {
    StoreError::Corrupt(format!("{what} {}: {err}", path.display()))
}

/// The attachments' files and rows.
pub struct Attachments<'a>(&'a Store);

impl Store {
    pub fn attachments(&self) -> Attachments<'_> {
        Attachments(self)
    }
}

impl Attachments<'_> {
    /// The files directory; `Unsupported` when none is configured (PostgreSQL without one).
    pub fn dir(&self) -> Result<&Path, StoreError> {
        self.0
            .files
            .as_deref()
            .map(PathBuf::as_path)
            .ok_or_else(|| StoreError::Unsupported("no attachments directory is configured (--files-dir)".into()))
    }

    fn original_path(&self, sha256: &str) -> Result<PathBuf, StoreError> {
        original_path(self.dir()?, sha256)
    }

    fn derived_path(&self, sha256: &str, variant: Variant) -> Result<PathBuf, StoreError> {
        derived_path(self.dir()?, sha256, variant)
    }

    /// The files directory on its own, for work done on a thread of its own rather than on the
    /// runtime (a photo's renderings); `Unsupported` when none is configured.
    pub fn files_dir(&self) -> Result<FilesDir, StoreError> {
        self.0
            .files
            .clone()
            .map(FilesDir)
            .ok_or_else(|| StoreError::Unsupported("no attachments directory is configured (--files-dir)".into()))
    }

    /// Keeps `bytes` under `sha256` (their hash, which the caller computed), durably.
    pub async fn put_original(&self, sha256: &str, bytes: std::sync::Arc<[u8]>) -> Result<(), StoreError> {
        let path = self.original_path(sha256)?;
        let files = self.dir()?.to_owned();
        let target = path.clone();
        tokio::task::spawn_blocking(move || {
            if !target.parent().is_some_and(Path::exists) {
                make_prefix_directories(&files)?;
            }
            write_durably(&target, &bytes, true)
        })
            .await
            .map_err(StoreError::corrupt)?
            .map_err(|e| io_error("writing", &path, e))
    }

    /// The bytes of an original as uploaded.
    pub async fn original(&self, sha256: &str) -> Result<Vec<u8>, StoreError> {
        let path = self.original_path(sha256)?;
        tokio::fs::read(&path).await.map_err(|e| io_error("reading", &path, e))
    }

    /// A derived rendering, if it has been made.
    pub async fn derived(&self, sha256: &str, variant: Variant) -> Result<Option<Vec<u8>>, StoreError> {
        let path = self.derived_path(sha256, variant)?;
        match tokio::fs::read(&path).await {
            Ok(bytes) => Ok(Some(bytes)),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(err) => Err(io_error("reading", &path, err)),
        }
    }

    /// Whether a derived rendering has been made.
    pub fn has_derived(&self, sha256: &str, variant: Variant) -> bool {
        self.derived_path(sha256, variant).is_ok_and(|path| path.exists())
    }

    /// Keeps a derived rendering (not synced: it can be made again from the original).
    pub async fn put_derived(&self, sha256: &str, variant: Variant, bytes: Vec<u8>) -> Result<(), StoreError> {
        let path = self.derived_path(sha256, variant)?;
        let target = path.clone();
        tokio::task::spawn_blocking(move || write_durably(&target, &bytes, false))
            .await
            .map_err(StoreError::corrupt)?
            .map_err(|e| io_error("writing", &path, e))
    }

    /// Records an upload whose bytes are kept already.
    pub async fn insert(&self, new: NewAttachment) -> Result<StoredAttachment, StoreError> {
        let mut conn = self.0.pool.acquire().await?;
        insert_row(&mut conn, new).await
    }

    /// Records uploads whose bytes are kept already and adds them to a case at `stage`, rows and
    /// links in one transaction (one commit, so one fsync of the log on SQLite): all of them or,
    /// if any fails, none. Returns them as the case's attachments.
    pub async fn insert_on_case(&self, case: CaseId, news: Vec<NewAttachment>, stage: Stage, by: i64, at: Timestamp) -> Result<Vec<CaseAttachment>, StoreError> {
        let mut tx = self.0.pool.begin().await?;
        // Writes only, the first of them taking the write lock (see add_to_case).
        let mut added = Vec::with_capacity(news.len());
        for new in news {
            let attachment = insert_row(&mut tx, new).await?;
            link_to_case(&mut tx, case, attachment.id, stage, by, at).await?;
            added.push(CaseAttachment { case, stage, added_by: by, added_at: as_stored(at), attachment });
        }
        tx.commit().await?;
        Ok(added)
    }

    pub async fn get(&self, id: i64) -> Result<Option<StoredAttachment>, StoreError> {
        let row: Option<AttachmentRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} FROM attachments a WHERE a.id = $1")))
            .bind(id)
            .fetch_optional(&self.0.pool)
            .await?;
        row.map(StoredAttachment::try_from).transpose()
    }

    /// Adds attachments to a case at `stage` (one transaction; one already there is kept as it was).
    pub async fn add_to_case(&self, case: CaseId, ids: &[i64], stage: Stage, by: i64, at: Timestamp) -> Result<(), StoreError> {
        let mut tx = self.0.pool.begin().await?;
        // Writes only (no read first): a transaction that read and then wrote could meet a newer
        // snapshot on SQLite and fail with 'database is locked'.
        for id in ids {
            link_to_case(&mut tx, case, *id, stage, by, at).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// A case's attachments, oldest first.
    pub async fn of_case(&self, case: CaseId) -> Result<Vec<CaseAttachment>, StoreError> {
        let rows: Vec<CaseAttachmentRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT c.case_id, c.stage, c.added_by, c.added_at, {COLUMNS} FROM case_attachments c \
             JOIN attachments a ON a.id = c.attachment_id WHERE c.case_id = $1 ORDER BY c.added_at, a.id"
        )))
        .bind(case.get())
        .fetch_all(&self.0.pool)
        .await?;
        rows.into_iter().map(CaseAttachment::try_from).collect()
    }

    /// The cases an attachment belongs to.
    pub async fn cases_of(&self, id: i64) -> Result<Vec<CaseId>, StoreError> {
        let ids: Vec<i64> = sqlx::query_scalar("SELECT case_id FROM case_attachments WHERE attachment_id = $1 ORDER BY case_id")
            .bind(id)
            .fetch_all(&self.0.pool)
            .await?;
        ids.into_iter().map(case_id).collect()
    }
}

/// Inserts an attachment's row on `conn` (a pooled connection or a transaction).
async fn insert_row(conn: &mut sqlx::AnyConnection, new: NewAttachment) -> Result<StoredAttachment, StoreError> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO attachments (sha256, media_type, size, width, height, name, uploaded_by, uploaded_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(&new.sha256)
    .bind(new.media.as_str())
    .bind(new.size)
    .bind(new.width.map(i64::from))
    .bind(new.height.map(i64::from))
    .bind(&new.name)
    .bind(new.uploaded_by)
    .bind(millis(new.uploaded_at))
    .fetch_one(&mut *conn)
    .await?;
    Ok(StoredAttachment {
        id,
        sha256: new.sha256,
        media: new.media,
        size: new.size,
        width: new.width,
        height: new.height,
        name: new.name,
        uploaded_by: new.uploaded_by,
        uploaded_at: as_stored(new.uploaded_at),
    })
}

/// Links an attachment to a case at `stage`; a link already there is kept as it was.
async fn link_to_case(conn: &mut sqlx::AnyConnection, case: CaseId, id: i64, stage: Stage, by: i64, at: Timestamp) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO case_attachments (case_id, attachment_id, stage, added_by, added_at) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (case_id, attachment_id) DO NOTHING",
    )
    .bind(case.get())
    .bind(id)
    .bind(stage.as_str())
    .bind(by)
    .bind(millis(at))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

fn original_path(dir: &Path, sha256: &str) -> Result<PathBuf, StoreError> {
    check_hash(sha256)?;
    Ok(dir.join(&sha256[..2]).join(sha256))
}

fn derived_path(dir: &Path, sha256: &str, variant: Variant) -> Result<PathBuf, StoreError> {
    check_hash(sha256)?;
    Ok(dir.join("derived").join(&sha256[..2]).join(format!("{sha256}.{}", variant.suffix())))
}

/// The attachments' directory alone ([`Attachments::files_dir`]), owned and cheap to clone, with
/// blocking reads and writes: for a thread of its own, off the async runtime.
#[derive(Clone, Debug)]
pub struct FilesDir(std::sync::Arc<PathBuf>);

impl FilesDir {
    /// The bytes of an original as uploaded.
    pub fn original(&self, sha256: &str) -> Result<Vec<u8>, StoreError> {
        let path = original_path(&self.0, sha256)?;
        std::fs::read(&path).map_err(|e| io_error("reading", &path, e))
    }

    /// Whether a derived rendering has been made.
    pub fn has_derived(&self, sha256: &str, variant: Variant) -> bool {
        derived_path(&self.0, sha256, variant).is_ok_and(|path| path.exists())
    }

    /// Keeps a derived rendering (not synced: it can be made again from the original).
    pub fn put_derived(&self, sha256: &str, variant: Variant, bytes: &[u8]) -> Result<(), StoreError> {
        let path = derived_path(&self.0, sha256, variant)?;
        write_durably(&path, bytes, false).map_err(|e| io_error("writing", &path, e))
    }
}

/// A SHA-256 in hex, as the file names are made of: nothing else reaches a path.
fn check_hash(sha256: &str) -> Result<(), StoreError> {
    if sha256.len() == 64 && sha256.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
        Ok(())
    } else {
        Err(StoreError::corrupt(format!("{sha256:?} is not a SHA-256")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_live_beside_an_sqlite_database_only() {
        assert_eq!(files_beside("sqlite:///srv/gridline/gridline.db?mode=rwc"), Some(PathBuf::from("/srv/gridline/files")));
        assert_eq!(files_beside("sqlite://gridline.db"), Some(PathBuf::from("files")));
        assert_eq!(files_beside("sqlite::memory:"), None);
        assert_eq!(files_beside("postgres://u@h/db"), None);
    }

    #[test]
    fn a_durable_write_leaves_the_whole_file_or_none() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ab").join("abc");
        write_durably(&path, b"first", true).unwrap();
        write_durably(&path, b"second", true).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"first", "content-addressed: the first copy stays");
        assert_eq!(std::fs::read_dir(path.parent().unwrap()).unwrap().count(), 1, "no temporary file left");
        assert!(check_hash("../../etc/passwd").is_err());
    }

    #[test]
    fn the_prefix_directories_are_made_all_at_once_and_again_without_harm() {
        let dir = tempfile::tempdir().unwrap();
        let files = dir.path().join("files");
        std::fs::create_dir_all(files.join("ab")).unwrap();
        std::fs::write(files.join("ab").join("kept"), b"kept").unwrap();
        make_prefix_directories(&files).unwrap();
        make_prefix_directories(&files).unwrap();
        let mut made: Vec<String> = std::fs::read_dir(&files).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
        made.sort();
        assert_eq!(made.len(), 256);
        assert_eq!((made[0].as_str(), made[255].as_str()), ("00", "ff"));
        assert_eq!(std::fs::read(files.join("ab").join("kept")).unwrap(), b"kept", "one already there is left alone");
        assert!(check_hash(&"a".repeat(64)).is_ok());
    }
}
