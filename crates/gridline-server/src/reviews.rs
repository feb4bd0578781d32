//! Material review (材料审核) over HTTP, under `/api/v1/evaluation/reviews`: half-yearly windows,
//! the units' submissions (text, then files as multipart), the reviewers' scores, the office's
//! settlement of the joint review (联审), and the reminders before a window closes. Handlers
//! parse, call the application's material-review service and shape the answer.

use std::sync::Arc;

use axum::Json;
use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use gridline_app::material::{ExpectedRegion, MaterialClause, RegionReminder, Reviewed, WindowDetail, WindowSummary};
use gridline_core::evaluation::review::{Joint, NewWindow, REMINDER_LEAD_DAYS, ReviewerScore, Settlement, Window};
use gridline_core::period::day_of;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::attachments::{AttachmentView, read_form};
use crate::auth::SignedIn;
use crate::cases::path_id;
use crate::error::ApiError;
use crate::views::Items;
use crate::{ApiJson, AppState};

/// A submission with its files, the reviewers' scores side by side and the joint review.
#[derive(Serialize, ToSchema)]
pub struct SubmissionView {
    id: i64,
    window: i64,
    region: String,
    region_name: String,
    clause: String,
    /// The clause's points: the most a score can be.
    points: f64,
    text: String,
    submitted_by: i64,
    submitted_at: Timestamp,
    files: Vec<AttachmentView>,
    /// Each reviewer's score and comment.
    reviews: Vec<ReviewerScore>,
    /// Mean, lowest, highest, spread, disagreement, and the score the submission counts with.
    joint: Joint,
    settlement: Option<Settlement>,
}

impl From<Reviewed> for SubmissionView {
    fn from(r: Reviewed) -> Self {
        let s = r.submission;
        SubmissionView {
            id: s.id,
            window: s.window,
            region: s.region,
            region_name: r.region_name,
            clause: s.clause,
            points: r.points,
            text: s.text,
            submitted_by: s.submitted_by,
            submitted_at: s.submitted_at,
            files: s.files.into_iter().map(|f| AttachmentView::new(f, None)).collect(),
            reviews: s.reviews,
            joint: r.joint,
            settlement: s.settlement,
        }
    }
}

/// A window's page: its progress, the clauses asked for, the regions expected (a unit's own),
/// the submissions (disagreeing unsettled ones first) and what the asker may do.
#[derive(Serialize, ToSchema)]
pub struct ReviewWindowView {
    #[serde(flatten)]
    summary: WindowSummary,
    clauses: Vec<MaterialClause>,
    regions: Vec<ExpectedRegion>,
    submissions: Vec<SubmissionView>,
    may_score: bool,
    may_settle: bool,
}

impl From<WindowDetail> for ReviewWindowView {
    fn from(d: WindowDetail) -> Self {
        ReviewWindowView {
            summary: d.summary,
            clauses: d.clauses,
            regions: d.regions,
            submissions: d.submissions.into_iter().map(SubmissionView::from).collect(),
            may_score: d.may_score,
            may_settle: d.may_settle,
        }
    }
}

fn window_and_submission(path: Result<Path<(String, String)>, PathRejection>) -> Result<(i64, i64), ApiError> {
    let Path((window, submission)) = path?;
    let parse = |what: &str, text: &str| {
        text.parse::<i64>().ok().filter(|n| *n > 0).ok_or_else(|| ApiError::BadRequest(format!("{what} id must be a positive number, not {text:?}")))
    };
    Ok((parse("window", &window)?, parse("submission", &submission)?))
}

/// `GET /api/v1/evaluation/reviews`: the windows, newest half first.
#[utoipa::path(get, path = "/evaluation/reviews", tag = "evaluation", security(("bearer" = [])),
    responses((status = 200, description = "the windows with their progress (for a unit: its own regions')", body = Items<WindowSummary>),
        (status = 403, description = "a role that takes no part in material review")))]
pub async fn windows(State(state): State<Arc<AppState>>, who: SignedIn) -> Result<Json<Items<WindowSummary>>, ApiError> {
    Ok(Json(Items { items: state.material_windows(&who.actor, day_of(Timestamp::now())).await? }))
}

/// `POST /api/v1/evaluation/reviews`: opens a window for a half-year.
#[utoipa::path(post, path = "/evaluation/reviews", tag = "evaluation", security(("bearer" = [])),
    request_body(content = NewWindow, description = "`{half: YYYY-H1|YYYY-H2, level: district|street, name?, opens, closes, reviewers: [user id]}`"),
    responses((status = 201, description = "the window, under the indicator system in force", body = Window), (status = 403, description = "the office only"),
        (status = 409, description = "the half has a window of this level already"),
        (status = 422, description = "a malformed half, a window closing before it opens, reviewers who are not inspectors or the office, or no material-review clause in force")))]
pub async fn create_window(State(state): State<Arc<AppState>>, who: SignedIn, ApiJson(new): ApiJson<NewWindow>) -> Result<(StatusCode, Json<Window>), ApiError> {
    Ok((StatusCode::CREATED, Json(state.create_material_window(&who.actor, new, Timestamp::now()).await?)))
}

/// `GET /api/v1/evaluation/reviews/{id}`: the window's page.
#[utoipa::path(get, path = "/evaluation/reviews/{id}", tag = "evaluation", security(("bearer" = [])), params(("id" = i64, Path, description = "window id")),
    responses((status = 200, description = "clauses, regions expected, the submissions with their joint reviews (a unit's own only)", body = ReviewWindowView),
        (status = 403, description = "a role that takes no part in material review")))]
pub async fn window(State(state): State<Arc<AppState>>, who: SignedIn, path: Result<Path<String>, PathRejection>) -> Result<Json<ReviewWindowView>, ApiError> {
    let id = path_id("window", path)?;
    Ok(Json(state.material_window(&who.actor, id, day_of(Timestamp::now())).await?.into()))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RemindersQuery {
    /// Remind this many days before the close (default 7, 0–60).
    days: Option<String>,
}

/// `GET /api/v1/evaluation/reviews/{id}/reminders?days=N`
#[utoipa::path(get, path = "/evaluation/reviews/{id}/reminders", tag = "evaluation", security(("bearer" = [])),
    params(("id" = i64, Path, description = "window id"), RemindersQuery),
    responses((status = 200, description = "while the window is open and its close at most N days away: each region (a unit's own) that has not submitted every clause, with the clauses missing, the units answering for it and the days left", body = Items<RegionReminder>),
        (status = 403, description = "a role that takes no part in material review"),
        (status = 422, description = "days is not a whole number from 0 to 60")))]
pub async fn reminders(
    State(state): State<Arc<AppState>>,
    who: SignedIn,
    path: Result<Path<String>, PathRejection>,
    query: Result<Query<RemindersQuery>, QueryRejection>,
) -> Result<Json<Items<RegionReminder>>, ApiError> {
    let id = path_id("window", path)?;
    let Query(query) = query?;
    let days = match query.days.as_deref() {
        None => REMINDER_LEAD_DAYS,
        Some(text) => text.parse::<i32>().ok().filter(|n| (0..=60).contains(n)).ok_or_else(|| ApiError::invalid("days", format!("days is a whole number from 0 to 60, not {text:?}")))?,
    };
    Ok(Json(Items { items: state.material_reminders(&who.actor, id, day_of(Timestamp::now()), days).await? }))
}

/// A unit's submission for a clause.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubmissionBody {
    /// The district's or street's code the materials are for (one of the unit's regions).
    pub region: String,
    /// A clause whose method is material review.
    pub clause: String,
    /// What the materials show, 1–5000 characters; files follow through `…/files`.
    pub text: String,
}

/// `POST /api/v1/evaluation/reviews/{id}/submissions`: the same text again answers 200 with the
/// submission as it was and writes nothing.
#[utoipa::path(post, path = "/evaluation/reviews/{id}/submissions", tag = "evaluation", security(("bearer" = [])), params(("id" = i64, Path, description = "window id")),
    request_body(content = SubmissionBody, description = "`{region, clause, text}`"),
    responses((status = 201, description = "the submission", body = SubmissionView),
        (status = 200, description = "the same submission sent again: as it was", body = SubmissionView),
        (status = 403, description = "not a unit, or a region the unit does not answer for"),
        (status = 409, description = "the window is not open today, or the clause was submitted already with another text"),
        (status = 422, description = "a region not at the window's level, a clause that is not material review, an empty or oversized text")))]
pub async fn submit(
    State(state): State<Arc<AppState>>,
    who: SignedIn,
    path: Result<Path<String>, PathRejection>,
    ApiJson(body): ApiJson<SubmissionBody>,
) -> Result<(StatusCode, Json<SubmissionView>), ApiError> {
    let id = path_id("window", path)?;
    let (reviewed, created) = state.submit_material(&who.actor, id, &body.region, &body.clause, &body.text, Timestamp::now()).await?;
    Ok((if created { StatusCode::CREATED } else { StatusCode::OK }, Json(reviewed.into())))
}

/// `POST /api/v1/evaluation/reviews/{id}/submissions/{submission}/files`: files of a unit's own
/// submission, as multipart `file` (or `photo`) parts; the same bytes again are not added twice.
#[utoipa::path(post, path = "/evaluation/reviews/{id}/submissions/{submission}/files", tag = "evaluation", security(("bearer" = [])),
    params(("id" = i64, Path, description = "window id"), ("submission" = i64, Path, description = "submission id")),
    request_body(content = crate::attachments::UploadForm, content_type = "multipart/form-data",
        description = "one or more `file` (PDF, Word, Excel or a photo; 20 MB each) or `photo` (15 MB) parts, at most 9 at once and 20 a submission; the type is read from the bytes"),
    responses((status = 201, description = "the submission with its files", body = SubmissionView),
        (status = 400, description = "a malformed multipart body"),
        (status = 403, description = "not a unit"),
        (status = 409, description = "the window is not open today"),
        (status = 413, description = "`file_too_large`: a file over its limit (the request over 100 MiB)"),
        (status = 415, description = "`file_type_refused` / `photo_not_image`: a file of a type not kept, or a body that is not multipart/form-data"),
        (status = 422, description = "no file, an empty or unreadable file, a `stage` part, too many files"),
        (status = 503, description = "`attachments_unavailable`: the server has no attachments directory")))]
pub async fn add_files(
    State(state): State<Arc<AppState>>,
    who: SignedIn,
    path: Result<Path<(String, String)>, PathRejection>,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<(StatusCode, Json<SubmissionView>), ApiError> {
    let (window, submission) = window_and_submission(path)?;
    let form = read_form(multipart).await?;
    if form.stage.is_some() {
        return Err(ApiError::invalid("stage", "a submission's files have no stage: send only file or photo parts"));
    }
    let uploads = form.photo.into_iter().chain(form.file).collect();
    let reviewed = state.add_material_files(&who.actor, window, submission, uploads, Timestamp::now()).await?;
    Ok((StatusCode::CREATED, Json(reviewed.into())))
}

/// A reviewer's score of a submission.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScoreBody {
    /// Points of the clause, from 0 to its points, at most two decimals.
    pub score: f64,
    /// Why, 1–1000 characters.
    pub comment: String,
}

/// `PUT /api/v1/evaluation/reviews/{id}/submissions/{submission}/score`: the reviewer's score
/// (replacing their earlier one until the office settles).
#[utoipa::path(put, path = "/evaluation/reviews/{id}/submissions/{submission}/score", tag = "evaluation", security(("bearer" = [])),
    params(("id" = i64, Path, description = "window id"), ("submission" = i64, Path, description = "submission id")),
    request_body(content = ScoreBody, description = "`{score, comment}`"),
    responses((status = 200, description = "the submission with the reviewers' scores and the joint review", body = SubmissionView),
        (status = 403, description = "neither a reviewer of the window nor the office"),
        (status = 409, description = "the submission is settled"),
        (status = 422, description = "a score outside 0 to the clause's points or with more than two decimals, an empty or too long comment")))]
pub async fn score(
    State(state): State<Arc<AppState>>,
    who: SignedIn,
    path: Result<Path<(String, String)>, PathRejection>,
    ApiJson(body): ApiJson<ScoreBody>,
) -> Result<Json<SubmissionView>, ApiError> {
    let (window, submission) = window_and_submission(path)?;
    Ok(Json(state.score_material(&who.actor, window, submission, body.score, &body.comment, Timestamp::now()).await?.into()))
}

/// The office's settlement of a joint review.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SettleBody {
    /// A score of the office's choosing (then `note` is required); absent: the reviewers' mean.
    #[serde(default)]
    pub score: Option<f64>,
    pub note: Option<String>,
}

/// `PUT /api/v1/evaluation/reviews/{id}/submissions/{submission}/settlement`: settles the score on
/// the reviewers' mean, or by hand with a note; settling again replaces it.
#[utoipa::path(put, path = "/evaluation/reviews/{id}/submissions/{submission}/settlement", tag = "evaluation", security(("bearer" = [])),
    params(("id" = i64, Path, description = "window id"), ("submission" = i64, Path, description = "submission id")),
    request_body(content = SettleBody, description = "`{score?, note?}`: no score settles on the mean of the reviewers' scores"),
    responses((status = 200, description = "the submission, settled", body = SubmissionView),
        (status = 403, description = "the office only"),
        (status = 409, description = "settling on the mean before any reviewer scored"),
        (status = 422, description = "a score outside 0 to the clause's points, a hand score without a note, a note too long")))]
pub async fn settle(
    State(state): State<Arc<AppState>>,
    who: SignedIn,
    path: Result<Path<(String, String)>, PathRejection>,
    ApiJson(body): ApiJson<SettleBody>,
) -> Result<Json<SubmissionView>, ApiError> {
    let (window, submission) = window_and_submission(path)?;
    Ok(Json(state.settle_material(&who.actor, window, submission, body.score, body.note.as_deref(), Timestamp::now()).await?.into()))
}
