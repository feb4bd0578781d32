//! Material review (材料审核): the half-yearly windows, the units' submissions with their files
//! (attachments kept by the one attachments service), the reviewers' scores and the office's
//! settlement. `store.material()`. The rules are gridline_core::evaluation::review's.

use std::collections::HashMap;

use gridline_core::evaluation::SamplingLevel;
use gridline_core::evaluation::review::{Half, ReviewerScore, SettleRule, Settlement, Window};
use gridline_core::period::Period;
use jiff::Timestamp;
use jiff::civil::Date;
use sqlx::{AssertSqlSafe, FromRow};

use crate::attachments::{AttachmentRow, COLUMNS as ATTACHMENT_COLUMNS};
use crate::nullable::NullableDouble;
use crate::{Store, StoreError, StoredAttachment, from_millis, is_unique_violation, millis};

/// A unit's submission with its files, the reviewers' scores and the settlement, if any.
#[derive(Clone, Debug, PartialEq)]
pub struct Submission {
    pub id: i64,
    pub window: i64,
    pub region: String,
    pub clause: String,
    pub text: String,
    pub submitted_by: i64,
    pub submitted_at: Timestamp,
    pub settlement: Option<Settlement>,
    /// By reviewer id.
    pub reviews: Vec<ReviewerScore>,
    /// Oldest first.
    pub files: Vec<StoredAttachment>,
}

#[derive(FromRow)]
struct WindowRow {
    id: i64,
    half: String,
    level: String,
    name: String,
    system_id: i64,
    opens: String,
    closes: String,
    reviewers: String,
    created_by: i64,
    created_at: i64,
}

impl TryFrom<WindowRow> for Window {
    type Error = StoreError;

    fn try_from(row: WindowRow) -> Result<Self, StoreError> {
        let id = row.id;
        let corrupt = |e: String| StoreError::corrupt(format!("material window {id}: {e}"));
        Ok(Window {
            id,
            half: Half::parse(&row.half).map_err(|e| corrupt(e.to_string()))?,
            level: serde_json::from_value::<SamplingLevel>(serde_json::Value::String(row.level)).map_err(|e| corrupt(e.to_string()))?,
            name: row.name,
            system_id: row.system_id,
            opens: row.opens.parse::<Date>().map_err(|e| corrupt(e.to_string()))?,
            closes: row.closes.parse::<Date>().map_err(|e| corrupt(e.to_string()))?,
            reviewers: serde_json::from_str(&row.reviewers).map_err(|e| corrupt(e.to_string()))?,
            created_by: row.created_by,
            created_at: from_millis(row.created_at)?,
        })
    }
}

const WINDOW_COLUMNS: &str = "id, half, level, name, system_id, opens, closes, reviewers, created_by, created_at";

#[derive(FromRow)]
struct SubmissionRow {
    id: i64,
    window_id: i64,
    region: String,
    clause: String,
    text: String,
    submitted_by: i64,
    submitted_at: i64,
    settled_score: Option<f64>,
    settled_rule: Option<String>,
    settled_note: Option<String>,
    settled_by: Option<i64>,
    settled_at: Option<i64>,
}

impl TryFrom<SubmissionRow> for Submission {
    type Error = StoreError;

    fn try_from(row: SubmissionRow) -> Result<Self, StoreError> {
        let settlement = match (row.settled_score, row.settled_rule, row.settled_by, row.settled_at) {
            (Some(score), Some(rule), Some(by), Some(at)) => Some(Settlement {
                score,
                rule: SettleRule::parse(&rule).ok_or_else(|| StoreError::corrupt(format!("submission {}: settle rule {rule:?}", row.id)))?,
                note: row.settled_note,
                settled_by: by,
                settled_at: from_millis(at)?,
            }),
            _ => None,
        };
        Ok(Submission {
            id: row.id,
            window: row.window_id,
            region: row.region,
            clause: row.clause,
            text: row.text,
            submitted_by: row.submitted_by,
            submitted_at: from_millis(row.submitted_at)?,
            settlement,
            reviews: Vec::new(),
            files: Vec::new(),
        })
    }
}

const SUBMISSION_COLUMNS: &str =
    "s.id, s.window_id, s.region, s.clause, s.text, s.submitted_by, s.submitted_at, s.settled_score, s.settled_rule, s.settled_note, s.settled_by, s.settled_at";

#[derive(FromRow)]
struct ReviewRow {
    submission_id: i64,
    reviewer: i64,
    reviewer_name: String,
    score: f64,
    comment: String,
    scored_at: i64,
}

#[derive(FromRow)]
struct FileRow {
    submission_id: i64,
    #[sqlx(flatten)]
    attachment: AttachmentRow,
}

/// The material review's tables.
pub struct Material<'a>(&'a Store);

impl Store {
    pub fn material(&self) -> Material<'_> {
        Material(self)
    }
}

impl Material<'_> {
    /// Records a window (its id ignored); `Duplicate` when its half already has one at its level.
    pub async fn create_window(&self, window: &Window) -> Result<Window, StoreError> {
        let period = window.half.period();
        let level = serde_json::to_value(window.level).map_err(StoreError::corrupt)?.as_str().unwrap_or_default().to_owned();
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO material_windows (half, first_month, last_month, level, name, system_id, opens, closes, reviewers, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
        )
        .bind(window.half.to_string())
        .bind(period.first.to_string())
        .bind(period.last.to_string())
        .bind(level)
        .bind(window.name.clone())
        .bind(window.system_id)
        .bind(window.opens.to_string())
        .bind(window.closes.to_string())
        .bind(serde_json::to_string(&window.reviewers).map_err(StoreError::corrupt)?)
        .bind(window.created_by)
        .bind(millis(window.created_at))
        .fetch_one(&self.0.pool)
        .await
        .map_err(|e| if is_unique_violation(&e) { StoreError::Duplicate(format!("{} has a material review window of this level already", window.half)) } else { e.into() })?;
        Ok(Window { id, created_at: crate::as_stored(window.created_at), ..window.clone() })
    }

    /// Every window, newest half first.
    pub async fn windows(&self) -> Result<Vec<Window>, StoreError> {
        let rows: Vec<WindowRow> = sqlx::query_as(AssertSqlSafe(format!("SELECT {WINDOW_COLUMNS} FROM material_windows ORDER BY half DESC, id DESC")))
            .fetch_all(&self.0.pool)
            .await?;
        rows.into_iter().map(Window::try_from).collect()
    }

    pub async fn window(&self, id: i64) -> Result<Option<Window>, StoreError> {
        let row: Option<WindowRow> = sqlx::query_as(AssertSqlSafe(format!("SELECT {WINDOW_COLUMNS} FROM material_windows WHERE id = $1")))
            .bind(id)
            .fetch_optional(&self.0.pool)
            .await?;
        row.map(Window::try_from).transpose()
    }

    /// The windows whose half shares a month with `period`: those counting in its scores.
    pub async fn windows_in(&self, period: Period) -> Result<Vec<Window>, StoreError> {
        let rows: Vec<WindowRow> = sqlx::query_as(AssertSqlSafe(format!(
            "SELECT {WINDOW_COLUMNS} FROM material_windows WHERE first_month <= $1 AND last_month >= $2 ORDER BY id"
        )))
        .bind(period.last.to_string())
        .bind(period.first.to_string())
        .fetch_all(&self.0.pool)
        .await?;
        rows.into_iter().map(Window::try_from).collect()
    }

    /// Records a submission unless the window has one for the region and clause; returns its id
    /// and whether it is new. One statement: nothing is read first.
    pub async fn submit(&self, window: i64, region: &str, clause: &str, text: &str, by: i64, at: Timestamp) -> Result<(i64, bool), StoreError> {
        let id: Option<i64> = sqlx::query_scalar(
            "INSERT INTO material_submissions (window_id, region, clause, text, submitted_by, submitted_at) VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (window_id, region, clause) DO NOTHING RETURNING id",
        )
        .bind(window)
        .bind(region.to_owned())
        .bind(clause.to_owned())
        .bind(text.to_owned())
        .bind(by)
        .bind(millis(at))
        .fetch_optional(&self.0.pool)
        .await?;
        if let Some(id) = id {
            return Ok((id, true));
        }
        let id: i64 = sqlx::query_scalar("SELECT id FROM material_submissions WHERE window_id = $1 AND region = $2 AND clause = $3")
            .bind(window)
            .bind(region.to_owned())
            .bind(clause.to_owned())
            .fetch_one(&self.0.pool)
            .await?;
        Ok((id, false))
    }

    pub async fn submission(&self, id: i64) -> Result<Option<Submission>, StoreError> {
        let row: Option<SubmissionRow> = sqlx::query_as(AssertSqlSafe(format!("SELECT {SUBMISSION_COLUMNS} FROM material_submissions s WHERE s.id = $1")))
            .bind(id)
            .fetch_optional(&self.0.pool)
            .await?;
        let Some(row) = row else { return Ok(None) };
        let window = row.window_id;
        let mut found = self.complete(vec![Submission::try_from(row)?], window, Some(id)).await?;
        Ok(found.pop())
    }

    /// A window's submissions by region and clause, with their reviews and files.
    pub async fn submissions(&self, window: i64) -> Result<Vec<Submission>, StoreError> {
        let rows: Vec<SubmissionRow> = sqlx::query_as(AssertSqlSafe(format!(
            "SELECT {SUBMISSION_COLUMNS} FROM material_submissions s WHERE s.window_id = $1 ORDER BY s.region, s.clause"
        )))
        .bind(window)
        .fetch_all(&self.0.pool)
        .await?;
        let submissions = rows.into_iter().map(Submission::try_from).collect::<Result<Vec<_>, _>>()?;
        self.complete(submissions, window, None).await
    }

    /// Adds the reviews and files of a window's submissions (of one, or all).
    async fn complete(&self, mut submissions: Vec<Submission>, window: i64, only: Option<i64>) -> Result<Vec<Submission>, StoreError> {
        let reviews: Vec<ReviewRow> = sqlx::query_as(
            "SELECT r.submission_id, r.reviewer, COALESCE(u.display_name, '') AS reviewer_name, r.score, r.comment, r.scored_at \
             FROM material_reviews r JOIN material_submissions s ON s.id = r.submission_id LEFT JOIN users u ON u.id = r.reviewer \
             WHERE s.window_id = $1 AND ($2 = 0 OR s.id = $2) ORDER BY r.submission_id, r.reviewer",
        )
        .bind(window)
        .bind(only.unwrap_or(0))
        .fetch_all(&self.0.pool)
        .await?;
        let files: Vec<FileRow> = sqlx::query_as(AssertSqlSafe(format!(
            "SELECT f.submission_id, {ATTACHMENT_COLUMNS} FROM material_files f JOIN material_submissions s ON s.id = f.submission_id \
             JOIN attachments a ON a.id = f.attachment_id WHERE s.window_id = $1 AND ($2 = 0 OR s.id = $2) ORDER BY f.submission_id, f.added_at, a.id"
        )))
        .bind(window)
        .bind(only.unwrap_or(0))
        .fetch_all(&self.0.pool)
        .await?;
        let index: HashMap<i64, usize> = submissions.iter().enumerate().map(|(i, s)| (s.id, i)).collect();
        for r in reviews {
            if let Some(&i) = index.get(&r.submission_id) {
                submissions[i].reviews.push(ReviewerScore {
                    reviewer: r.reviewer,
                    reviewer_name: r.reviewer_name,
                    score: r.score,
                    comment: r.comment,
                    scored_at: from_millis(r.scored_at)?,
                });
            }
        }
        for f in files {
            if let Some(&i) = index.get(&f.submission_id) {
                submissions[i].files.push(StoredAttachment::try_from(f.attachment)?);
            }
        }
        Ok(submissions)
    }

    /// Adds files to a submission (one already there is kept as it was).
    pub async fn add_files(&self, submission: i64, attachments: &[i64], at: Timestamp) -> Result<(), StoreError> {
        let mut tx = self.0.pool.begin().await?;
        for id in attachments {
            sqlx::query("INSERT INTO material_files (submission_id, attachment_id, added_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
                .bind(submission)
                .bind(*id)
                .bind(millis(at))
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Records (or replaces) a reviewer's score of a submission.
    pub async fn score(&self, submission: i64, reviewer: i64, score: f64, comment: &str, at: Timestamp) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO material_reviews (submission_id, reviewer, score, comment, scored_at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (submission_id, reviewer) DO UPDATE SET score = excluded.score, comment = excluded.comment, scored_at = excluded.scored_at",
        )
        .bind(submission)
        .bind(reviewer)
        .bind(score)
        .bind(comment.to_owned())
        .bind(millis(at))
        .execute(&self.0.pool)
        .await?;
        Ok(())
    }

    /// Records (or replaces) the office's settlement of a submission.
    pub async fn settle(&self, submission: i64, settlement: &Settlement) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE material_submissions SET settled_score = $1, settled_rule = $2, settled_note = $3, settled_by = $4, settled_at = $5 WHERE id = $6",
        )
        .bind(NullableDouble(Some(settlement.score)))
        .bind(settlement.rule.as_str())
        .bind(settlement.note.clone())
        .bind(settlement.settled_by)
        .bind(millis(settlement.settled_at))
        .bind(submission)
        .execute(&self.0.pool)
        .await?;
        Ok(())
    }

    /// The windows and regions of the submissions an attachment belongs to.
    pub async fn submissions_with_file(&self, attachment: i64) -> Result<Vec<(i64, String)>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT s.window_id, s.region FROM material_files f JOIN material_submissions s ON s.id = f.submission_id WHERE f.attachment_id = $1 ORDER BY s.id",
        )
        .bind(attachment)
        .fetch_all(&self.0.pool)
        .await?)
    }
}
