//! Issued documents and their numbering. `store.documents()`.
//!
//! A number is taken and the document stored in one transaction: `document_series`' row for the
//! kind is updated (PostgreSQL locks the row until commit; SQLite holds its one write lock), then
//! the document is inserted. Two servers issuing at once wait for each other, so no number is
//! given twice; a document that fails to render rolls back, so no number is skipped.

use jiff::Timestamp;
use sqlx::{AssertSqlSafe, FromRow};

use crate::{Store, StoreError, from_millis, millis};

/// A document's place in its kind's series.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Numbered {
    pub year: i64,
    pub number: i64,
    pub total: i64,
}

/// What is stored of a document once it has its number.
#[derive(Clone, Debug)]
pub struct Composed {
    pub title: String,
    pub template: String,
    pub snapshot: String,
    pub snapshot_sha256: String,
    pub docx: Vec<u8>,
    pub docx_sha256: String,
    pub pdf: Vec<u8>,
    pub pdf_sha256: String,
}

/// Who issues what, and when.
#[derive(Clone, Debug)]
pub struct NewDocument {
    pub kind: String,
    /// The year the number counts in.
    pub year: i64,
    /// 总第 M 期 of the kind's first document here: a series that continues one kept on paper
    /// starts where it stood.
    pub first_total: i64,
    pub corrects: Option<i64>,
    pub issued_by: i64,
    pub issued_at: Timestamp,
}

/// An issued document without its files.
#[derive(Clone, Debug, PartialEq)]
pub struct IssuedDocument {
    pub id: i64,
    pub kind: String,
    pub year: i64,
    pub number: i64,
    pub total: i64,
    pub title: String,
    pub template: String,
    pub snapshot: String,
    pub snapshot_sha256: String,
    pub docx_sha256: String,
    pub pdf_sha256: String,
    pub corrects: Option<i64>,
    pub issued_by: i64,
    pub issued_at: Timestamp,
}

#[derive(FromRow)]
struct DocumentRow {
    id: i64,
    kind: String,
    year: i64,
    number: i64,
    total: i64,
    title: String,
    template: String,
    snapshot: String,
    snapshot_sha256: String,
    docx_sha256: String,
    pdf_sha256: String,
    corrects: Option<i64>,
    issued_by: i64,
    issued_at: i64,
}

impl TryFrom<DocumentRow> for IssuedDocument {
    type Error = StoreError;

    fn try_from(row: DocumentRow) -> Result<Self, StoreError> {
        Ok(IssuedDocument {
            id: row.id,
            kind: row.kind,
            year: row.year,
            number: row.number,
            total: row.total,
            title: row.title,
            template: row.template,
            snapshot: row.snapshot,
            snapshot_sha256: row.snapshot_sha256,
            docx_sha256: row.docx_sha256,
            pdf_sha256: row.pdf_sha256,
            corrects: row.corrects,
            issued_by: row.issued_by,
            issued_at: from_millis(row.issued_at)?,
        })
    }
}

const COLUMNS: &str = "id, kind, year, number, total, title, template, snapshot, snapshot_sha256, docx_sha256, pdf_sha256, corrects, issued_by, issued_at";

/// Which issued documents to list.
#[derive(Clone, Debug, Default)]
pub struct DocumentFilter {
    pub kind: Option<String>,
    /// Words in the title or the snapshot's text.
    pub text: Option<String>,
    pub limit: i64,
}

/// Issued documents.
pub struct Documents<'a>(&'a Store);

impl Store {
    pub fn documents(&self) -> Documents<'_> {
        Documents(self)
    }
}

impl Documents<'_> {
    /// Takes the next number of `new.kind` and stores what `compose` makes with it, in one
    /// transaction: when `compose` fails nothing is stored and the number is not taken.
    pub async fn issue<E: From<StoreError>>(
        &self,
        new: &NewDocument,
        compose: impl FnOnce(Numbered) -> Result<Composed, E>,
    ) -> Result<IssuedDocument, E> {
        let mut tx = self.0.pool.begin().await.map_err(StoreError::from)?;
        sqlx::query("INSERT INTO document_series (kind, year, number, total) VALUES ($1, $2, 0, $3) ON CONFLICT (kind) DO NOTHING")
            .bind(new.kind.clone())
            .bind(new.year)
            .bind(new.first_total - 1)
            .execute(&mut *tx)
            .await
            .map_err(StoreError::from)?;
        // 第 N 期 restarts at 1 in a new year; 总第 M 期 runs on.
        let (year, number, total): (i64, i64, i64) = sqlx::query_as(
            "UPDATE document_series SET number = CASE WHEN year = $1 THEN number + 1 ELSE 1 END, year = $1, total = total + 1 \
             WHERE kind = $2 RETURNING year, number, total",
        )
        .bind(new.year)
        .bind(new.kind.clone())
        .fetch_one(&mut *tx)
        .await
        .map_err(StoreError::from)?;
        let composed = compose(Numbered { year, number, total })?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO documents (kind, year, number, total, title, template, snapshot, snapshot_sha256, docx, docx_sha256, pdf, pdf_sha256, \
             corrects, issued_by, issued_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING id",
        )
        .bind(new.kind.clone())
        .bind(year)
        .bind(number)
        .bind(total)
        .bind(composed.title.clone())
        .bind(composed.template.clone())
        .bind(composed.snapshot.clone())
        .bind(composed.snapshot_sha256.clone())
        .bind(composed.docx)
        .bind(composed.docx_sha256.clone())
        .bind(composed.pdf)
        .bind(composed.pdf_sha256.clone())
        .bind(new.corrects)
        .bind(new.issued_by)
        .bind(millis(new.issued_at))
        .fetch_one(&mut *tx)
        .await
        .map_err(StoreError::from)?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(IssuedDocument {
            id,
            kind: new.kind.clone(),
            year,
            number,
            total,
            title: composed.title,
            template: composed.template,
            snapshot: composed.snapshot,
            snapshot_sha256: composed.snapshot_sha256,
            docx_sha256: composed.docx_sha256,
            pdf_sha256: composed.pdf_sha256,
            corrects: new.corrects,
            issued_by: new.issued_by,
            issued_at: crate::as_stored(new.issued_at),
        })
    }

    /// The number the next document of `kind` would take in `year`, were nobody to issue first:
    /// what a preview prints.
    pub async fn next_number(&self, kind: &str, year: i64, first_total: i64) -> Result<Numbered, StoreError> {
        let row: Option<(i64, i64, i64)> = sqlx::query_as("SELECT year, number, total FROM document_series WHERE kind = $1")
            .bind(kind.to_owned())
            .fetch_optional(&self.0.pool)
            .await?;
        Ok(match row {
            None => Numbered { year, number: 1, total: first_total },
            Some((last_year, number, total)) => Numbered { year, number: if last_year == year { number + 1 } else { 1 }, total: total + 1 },
        })
    }

    pub async fn get(&self, id: i64) -> Result<Option<IssuedDocument>, StoreError> {
        let row: Option<DocumentRow> = sqlx::query_as(AssertSqlSafe(format!("SELECT {COLUMNS} FROM documents WHERE id = $1")))
            .bind(id)
            .fetch_optional(&self.0.pool)
            .await?;
        row.map(IssuedDocument::try_from).transpose()
    }

    /// One of a document's files as stored: `pdf` or else the DOCX.
    pub async fn file(&self, id: i64, pdf: bool) -> Result<Option<Vec<u8>>, StoreError> {
        let column = if pdf { "pdf" } else { "docx" };
        Ok(sqlx::query_scalar(AssertSqlSafe(format!("SELECT {column} FROM documents WHERE id = $1")))
            .bind(id)
            .fetch_optional(&self.0.pool)
            .await?)
    }

    /// Issued documents, newest first.
    pub async fn list(&self, filter: &DocumentFilter) -> Result<Vec<IssuedDocument>, StoreError> {
        let mut sql = format!("SELECT {COLUMNS} FROM documents WHERE 1 = 1");
        let mut n = 0;
        let mut param = || {
            n += 1;
            format!("${n}")
        };
        if filter.kind.is_some() {
            sql.push_str(&format!(" AND kind = {}", param()));
        }
        if filter.text.is_some() {
            let (a, b) = (param(), param());
            sql.push_str(&format!(" AND (title LIKE {a} OR snapshot LIKE {b})"));
        }
        sql.push_str(&format!(" ORDER BY id DESC LIMIT {}", param()));
        let mut query = sqlx::query_as::<_, DocumentRow>(AssertSqlSafe(sql));
        if let Some(kind) = &filter.kind {
            query = query.bind(kind.clone());
        }
        if let Some(text) = &filter.text {
            let pattern = format!("%{}%", text.replace('%', "").replace('_', ""));
            query = query.bind(pattern.clone()).bind(pattern);
        }
        let rows = query.bind(filter.limit.clamp(1, 500)).fetch_all(&self.0.pool).await?;
        rows.into_iter().map(IssuedDocument::try_from).collect()
    }
}
