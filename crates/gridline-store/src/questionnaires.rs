//! Questionnaires (问卷调查): their forms, the public links per district, the responses — written
//! by the group-commit writer, one per respondent, with the satisfaction tallies in the same
//! transaction — and the office's monthly 点评 text. `store.questionnaires()`.

use std::collections::BTreeMap;

use gridline_core::evaluation::questionnaire::{Questionnaire, QuestionnaireStatus, ResponseChannel};
use gridline_core::evaluation::{Form, Moments};
use gridline_core::period::Period;
use jiff::Timestamp;
use sqlx::any::AnyArguments;
use sqlx::{AnyConnection, Arguments, AssertSqlSafe, FromRow};
use tokio::sync::oneshot;

use crate::nullable::NullableDouble;
use crate::writer::Job;
use crate::{Backend, Store, StoreError, as_stored, from_millis, is_unique_violation, millis, row_placeholders};

#[derive(FromRow)]
struct QuestionnaireRow {
    id: i64,
    code: String,
    title: String,
    form: String,
    status: String,
    closes_at: Option<i64>,
    created_at: i64,
}

impl TryFrom<QuestionnaireRow> for Questionnaire {
    type Error = StoreError;

    fn try_from(row: QuestionnaireRow) -> Result<Self, StoreError> {
        let id = row.id;
        Ok(Questionnaire {
            id,
            code: row.code,
            title: row.title,
            form: serde_json::from_str::<Form>(&row.form).map_err(|e| StoreError::corrupt(format!("questionnaire {id}: {e}")))?,
            status: QuestionnaireStatus::parse(&row.status).ok_or_else(|| StoreError::corrupt(format!("questionnaire {id}: status {:?}", row.status)))?,
            closes_at: row.closes_at.map(from_millis).transpose()?,
            created_at: from_millis(row.created_at)?,
        })
    }
}

const COLUMNS: &str = "id, code, title, form, status, closes_at, created_at";

/// A response ready to store: checked and scored by the application.
#[derive(Clone, Debug, PartialEq)]
pub struct NewResponse {
    pub questionnaire: i64,
    /// The device's id or the invitation token: one response each.
    pub respondent: String,
    pub channel: ResponseChannel,
    /// The respondent's street.
    pub region: String,
    /// YYYY-MM of `submitted_at`, Beijing time.
    pub month: String,
    /// The answers as JSON (a map by question name).
    pub answers: String,
    pub score: Option<f64>,
    pub clauses: BTreeMap<String, f64>,
    pub entered_by: Option<i64>,
    pub submitted_at: Timestamp,
}

/// What storing a response did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stored {
    pub id: i64,
    /// False when the respondent had answered before.
    pub created: bool,
    /// When not created: whether the earlier response had the same street and answers (a
    /// resubmission), or differs (a second answer, refused).
    pub same: bool,
}

/// A response as stored.
#[derive(Clone, Debug, PartialEq, FromRow)]
pub struct ResponseRecord {
    pub id: i64,
    pub questionnaire_id: i64,
    pub respondent: String,
    pub channel: String,
    pub region: String,
    pub month: String,
    pub answers: String,
    pub score: Option<f64>,
    pub submitted_at: i64,
}

/// Tallies summed over a period for one region key (a district's six digits or a street's code)
/// and measure ('' = the satisfaction index, else a clause).
#[derive(Clone, Debug, PartialEq)]
pub struct MeasureTotal {
    pub region: String,
    pub measure: String,
    pub moments: Moments,
}

/// The office's 点评 of a month.
#[derive(Clone, Debug, PartialEq, FromRow)]
pub struct CommentRecord {
    pub month: String,
    pub region: String,
    pub text: String,
    pub written_by: i64,
    pub written_at: i64,
}

pub struct Questionnaires<'a>(&'a Store);

impl Store {
    pub fn questionnaires(&self) -> Questionnaires<'_> {
        Questionnaires(self)
    }
}

impl Questionnaires<'_> {
    /// A new questionnaire in draft; `Duplicate` when its code is taken.
    pub async fn create(&self, code: &str, form: &Form, by: i64, at: Timestamp) -> Result<Questionnaire, StoreError> {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO questionnaires (code, title, form, status, closes_at, created_by, created_at) VALUES ($1, $2, $3, 'draft', NULL, $4, $5) RETURNING id",
        )
        .bind(code.to_owned())
        .bind(form.title.clone())
        .bind(serde_json::to_string(form).map_err(StoreError::corrupt)?)
        .bind(by)
        .bind(millis(at))
        .fetch_one(&self.0.pool)
        .await
        .map_err(|e| if is_unique_violation(&e) { StoreError::Duplicate(format!("questionnaire code {code:?} is taken")) } else { e.into() })?;
        Ok(Questionnaire {
            id,
            code: code.to_owned(),
            title: form.title.clone(),
            form: form.clone(),
            status: QuestionnaireStatus::Draft,
            closes_at: None,
            created_at: as_stored(at),
        })
    }

    /// Replaces a draft's form; false when it is no longer a draft.
    pub async fn replace_form(&self, id: i64, form: &Form) -> Result<bool, StoreError> {
        let done = sqlx::query("UPDATE questionnaires SET form = $1, title = $2 WHERE id = $3 AND status = 'draft'")
            .bind(serde_json::to_string(form).map_err(StoreError::corrupt)?)
            .bind(form.title.clone())
            .bind(id)
            .execute(&self.0.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Opens a draft (with its links, one per district) or closes an open one; false when the
    /// questionnaire was not in the state the change starts from.
    pub async fn set_status(&self, id: i64, from: QuestionnaireStatus, to: QuestionnaireStatus, closes_at: Option<Timestamp>, links: &[(String, String)]) -> Result<bool, StoreError> {
        let mut tx = self.0.pool.begin().await?;
        let done = sqlx::query("UPDATE questionnaires SET status = $1, closes_at = COALESCE($2, closes_at) WHERE id = $3 AND status = $4")
            .bind(to.as_str())
            .bind(closes_at.map(millis))
            .bind(id)
            .bind(from.as_str())
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() != 1 {
            return Ok(false);
        }
        for (token, district) in links {
            sqlx::query("INSERT INTO questionnaire_links (token, questionnaire_id, district) VALUES ($1, $2, $3) ON CONFLICT (questionnaire_id, district) DO NOTHING")
                .bind(token.clone())
                .bind(id)
                .bind(district.clone())
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    pub async fn get(&self, id: i64) -> Result<Option<Questionnaire>, StoreError> {
        let row: Option<QuestionnaireRow> = sqlx::query_as(AssertSqlSafe(format!("SELECT {COLUMNS} FROM questionnaires WHERE id = $1")))
            .bind(id)
            .fetch_optional(&self.0.pool)
            .await?;
        row.map(Questionnaire::try_from).transpose()
    }

    /// Every questionnaire, newest first, with its number of responses.
    pub async fn list(&self) -> Result<Vec<(Questionnaire, i64)>, StoreError> {
        #[derive(FromRow)]
        struct Row {
            #[sqlx(flatten)]
            q: QuestionnaireRow,
            responses: i64,
        }
        let rows: Vec<Row> = sqlx::query_as(AssertSqlSafe(format!(
            "SELECT {COLUMNS}, (SELECT CAST(COALESCE(SUM(t.n), 0) AS BIGINT) FROM questionnaire_tallies t \
               WHERE t.questionnaire_id = questionnaires.id AND t.measure = '') AS responses \
             FROM questionnaires ORDER BY id DESC"
        )))
        .fetch_all(&self.0.pool)
        .await?;
        rows.into_iter().map(|r| Ok((r.q.try_into()?, r.responses))).collect()
    }

    /// The links of a questionnaire: (token, district).
    pub async fn links(&self, id: i64) -> Result<Vec<(String, String)>, StoreError> {
        Ok(sqlx::query_as("SELECT token, district FROM questionnaire_links WHERE questionnaire_id = $1 ORDER BY district")
            .bind(id)
            .fetch_all(&self.0.pool)
            .await?)
    }

    /// The questionnaire and district of a public link.
    pub async fn link(&self, token: &str) -> Result<Option<(i64, String)>, StoreError> {
        Ok(sqlx::query_as("SELECT questionnaire_id, district FROM questionnaire_links WHERE token = $1")
            .bind(token.to_owned())
            .fetch_optional(&self.0.pool)
            .await?)
    }

    /// Stores responses through the writer: each is acknowledged once its transaction is
    /// durable. A respondent who answered before gets the earlier response back (`created`
    /// false), its tallies untouched.
    pub async fn submit(&self, responses: Vec<NewResponse>) -> Result<Vec<Stored>, StoreError> {
        let (reply, answer) = oneshot::channel();
        self.0.writer.send(Job::Respond { responses, reply }).await.map_err(|_| StoreError::WriterStopped)?;
        answer.await.map_err(|_| StoreError::WriterStopped)?
    }

    /// Responses stored for a questionnaire (all when `None`).
    pub async fn count(&self, questionnaire: Option<i64>) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM questionnaire_responses WHERE ($1 = 0 OR questionnaire_id = $1)")
            .bind(questionnaire.unwrap_or(0))
            .fetch_one(&self.0.pool)
            .await?)
    }

    /// A questionnaire's responses, newest first, at most `limit`.
    pub async fn responses(&self, questionnaire: i64, limit: u32) -> Result<Vec<ResponseRecord>, StoreError> {
        Ok(sqlx::query_as(AssertSqlSafe(format!(
            "SELECT id, questionnaire_id, respondent, channel, region, month, answers, score, submitted_at FROM questionnaire_responses \
             WHERE questionnaire_id = $1 ORDER BY id DESC LIMIT {limit}"
        )))
        .bind(questionnaire)
        .fetch_all(&self.0.pool)
        .await?)
    }

    /// The tallies of `period` summed per region key — each street's code cut to its first
    /// `key_len` characters (6: its district; 12: itself) — and measure, of one questionnaire or
    /// all. Summed in the database: a month of a city's answers is a few thousand tally rows,
    /// the sums a few hundred.
    pub async fn measure_totals(&self, period: Period, key_len: usize, questionnaire: Option<i64>) -> Result<Vec<MeasureTotal>, StoreError> {
        let rows: Vec<(String, String, i64, f64, f64)> = sqlx::query_as(AssertSqlSafe(format!(
            "SELECT substr(region, 1, {key_len}), measure, CAST(SUM(n) AS BIGINT), CAST(SUM(total) AS DOUBLE PRECISION), CAST(SUM(total_sq) AS DOUBLE PRECISION) \
             FROM questionnaire_tallies WHERE month >= $1 AND month <= $2 AND ($3 = 0 OR questionnaire_id = $3) GROUP BY 1, 2"
        )))
        .bind(period.first.to_string())
        .bind(period.last.to_string())
        .bind(questionnaire.unwrap_or(0))
        .fetch_all(&self.0.pool)
        .await?;
        Ok(rows.into_iter().map(|(region, measure, n, sum, sum_sq)| MeasureTotal { region, measure, moments: Moments { n, sum, sum_sq } }).collect())
    }

    /// Writes (or replaces) the office's 点评 of a month for a region ("" = the city).
    pub async fn put_comment(&self, month: &str, region: &str, text: &str, by: i64, at: Timestamp) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO evaluation_comments (month, region, text, written_by, written_at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (month, region) DO UPDATE SET text = excluded.text, written_by = excluded.written_by, written_at = excluded.written_at",
        )
        .bind(month.to_owned())
        .bind(region.to_owned())
        .bind(text.to_owned())
        .bind(by)
        .bind(millis(at))
        .execute(&self.0.pool)
        .await?;
        Ok(())
    }

    /// The 点评 texts of a month, by region.
    pub async fn comments(&self, month: &str) -> Result<Vec<CommentRecord>, StoreError> {
        Ok(sqlx::query_as("SELECT month, region, text, written_by, written_at FROM evaluation_comments WHERE month = $1 ORDER BY region")
            .bind(month.to_owned())
            .fetch_all(&self.0.pool)
            .await?)
    }
}

/// Rows per multi-row upsert of tallies (7 parameters each).
const TALLIES_PER_UPSERT: usize = 500;

/// Inside the writer's transaction: inserts the responses (a respondent's second one is not
/// inserted: its earlier one is looked up) and adds the new ones to the tallies.
pub(crate) async fn insert_responses(conn: &mut AnyConnection, backend: Backend, responses: &[NewResponse]) -> Result<Vec<Stored>, StoreError> {
    let mut out = Vec::with_capacity(responses.len());
    let mut tallies: BTreeMap<(i64, &str, &str, &str), Moments> = BTreeMap::new();
    for r in responses {
        let clauses = serde_json::to_string(&r.clauses).map_err(StoreError::corrupt)?;
        let id: Option<i64> = sqlx::query_scalar(
            "INSERT INTO questionnaire_responses (questionnaire_id, respondent, channel, region, month, answers, score, clauses, entered_by, submitted_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (questionnaire_id, respondent) DO NOTHING RETURNING id",
        )
        .bind(r.questionnaire)
        .bind(r.respondent.clone())
        .bind(r.channel.as_str())
        .bind(r.region.clone())
        .bind(r.month.clone())
        .bind(r.answers.clone())
        .bind(NullableDouble(r.score))
        .bind(clauses)
        .bind(r.entered_by)
        .bind(millis(r.submitted_at))
        .fetch_optional(&mut *conn)
        .await?;
        match id {
            Some(id) => {
                if let Some(score) = r.score {
                    tallies.entry((r.questionnaire, &r.region, &r.month, "")).or_default().add(Moments::of(score));
                }
                for (clause, value) in &r.clauses {
                    tallies.entry((r.questionnaire, &r.region, &r.month, clause)).or_default().add(Moments::of(*value));
                }
                out.push(Stored { id, created: true, same: false });
            }
            None => {
                let (id, region, answers): (i64, String, String) =
                    sqlx::query_as("SELECT id, region, answers FROM questionnaire_responses WHERE questionnaire_id = $1 AND respondent = $2")
                        .bind(r.questionnaire)
                        .bind(r.respondent.clone())
                        .fetch_one(&mut *conn)
                        .await?;
                out.push(Stored { id, created: false, same: region == r.region && answers == r.answers });
            }
        }
    }
    let rows: Vec<_> = tallies.into_iter().collect();
    for chunk in rows.chunks(TALLIES_PER_UPSERT) {
        let mut args = AnyArguments::default();
        for ((questionnaire, region, month, measure), m) in chunk {
            args.add(*questionnaire).map_err(StoreError::corrupt)?;
            args.add((*region).to_owned()).map_err(StoreError::corrupt)?;
            args.add((*month).to_owned()).map_err(StoreError::corrupt)?;
            args.add((*measure).to_owned()).map_err(StoreError::corrupt)?;
            args.add(m.n).map_err(StoreError::corrupt)?;
            args.add(m.sum).map_err(StoreError::corrupt)?;
            args.add(m.sum_sq).map_err(StoreError::corrupt)?;
        }
        let sql = format!(
            "INSERT INTO questionnaire_tallies (questionnaire_id, region, month, measure, n, total, total_sq) VALUES {} \
             ON CONFLICT (questionnaire_id, region, month, measure) DO UPDATE SET n = questionnaire_tallies.n + excluded.n, \
             total = questionnaire_tallies.total + excluded.total, total_sq = questionnaire_tallies.total_sq + excluded.total_sq",
            row_placeholders(backend, 7, chunk.len())
        );
        sqlx::query_with(AssertSqlSafe(sql), args).execute(&mut *conn).await?;
    }
    Ok(out)
}
