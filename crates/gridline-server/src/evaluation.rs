//! The evaluation (测评) over HTTP: the indicator system, the point registry, rounds of field
//! checks and their answers, the scores and a district's health report. Handlers parse, call
//! the application's evaluation service and shape the answer.

use std::sync::Arc;

use axum::Json;
use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use gridline_app::evaluation::{AssignedPoint, Comment, EvaluationNotice, Findings, HealthReport, MIN_POINTS_CHECKED, PointResult, RoundSummary, ScoreLevel, Scores, SystemInForce};
use gridline_core::period::Month;
use gridline_core::evaluation::{Answer, InspectionPoint, NewPoint, NewRound, PointType};
use jiff::Timestamp;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::analytics::parse_period;
use crate::attachments::{AttachmentView, UploadForm, read_form};
use crate::auth::SignedIn;
use crate::cases::path_id;
use crate::error::ApiError;
use crate::views::Items;
use crate::{ApiJson, AppState};

/// The most points one list answers with.
const MAX_POINTS: u32 = 5000;

/// `GET /api/v1/evaluation/indicators`: the indicator system in force.
#[utoipa::path(get, path = "/evaluation/indicators", tag = "evaluation", security(("bearer" = [])),
    responses((status = 200, description = "the revision in force: categories → items → clauses with their methods, points, rules, point types and catalogue entries", body = SystemInForce)))]
pub async fn indicators(State(state): State<Arc<AppState>>, _who: SignedIn) -> Result<Json<SystemInForce>, ApiError> {
    Ok(Json(state.indicator_system().await?))
}

/// An indicator system to import, in its TOML form (docs/evaluation.md).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IndicatorsBody {
    pub document: String,
}

/// `POST /api/v1/evaluation/indicators` `{document}`: the next revision of its year.
#[utoipa::path(post, path = "/evaluation/indicators", tag = "evaluation", security(("bearer" = [])),
    request_body(content = IndicatorsBody, description = "`{document}`: the system as TOML"),
    responses((status = 201, description = "the new revision, now in force", body = SystemInForce), (status = 403, description = "the office only"),
        (status = 422, description = "every problem of the file: points that do not add up, unknown point types or catalogue entries, …")))]
pub async fn import_indicators(
    State(state): State<Arc<AppState>>,
    who: SignedIn,
    ApiJson(body): ApiJson<IndicatorsBody>,
) -> Result<(StatusCode, Json<SystemInForce>), ApiError> {
    Ok((StatusCode::CREATED, Json(state.import_indicators(&who.actor, &body.document, Timestamp::now()).await?)))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PointsQuery {
    /// A district or street code: the points inside it (default: the city).
    region: Option<String>,
    /// A point type (`back_alley`, …) or its Chinese name.
    #[serde(rename = "type")]
    #[param(rename = "type")]
    point_type: Option<String>,
    /// At most this many (default and most 5000).
    limit: Option<String>,
}

/// `GET /api/v1/evaluation/points?region=&type=&limit=`
#[utoipa::path(get, path = "/evaluation/points", tag = "evaluation", security(("bearer" = [])), params(PointsQuery),
    responses((status = 200, description = "points by code", body = Items<InspectionPoint>), (status = 422, description = "an unknown region or type, or a bad limit")))]
pub async fn points(
    State(state): State<Arc<AppState>>,
    _who: SignedIn,
    query: Result<Query<PointsQuery>, QueryRejection>,
) -> Result<Json<Items<InspectionPoint>>, ApiError> {
    let Query(query) = query?;
    let point_type = query.point_type.as_deref().map(PointType::parse).transpose()?;
    let limit = match query.limit.as_deref() {
        None => MAX_POINTS,
        Some(text) => text
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=MAX_POINTS).contains(n))
            .ok_or_else(|| ApiError::invalid("limit", format!("limit is a whole number from 1 to {MAX_POINTS}, not {text:?}")))?,
    };
    Ok(Json(Items { items: state.points(query.region.as_deref(), point_type, limit).await? }))
}

/// Query of `POST /api/v1/evaluation/points/import`.
#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PointsImportQuery {
    /// The file's name, as problems name it (`点位.xlsx` by default).
    file: Option<String>,
    /// A CSV file's text encoding, a WHATWG label such as gb18030; UTF-8 by default.
    encoding: Option<String>,
}

/// `POST /api/v1/evaluation/points/import`: the office's spreadsheet of points, sent as the body
/// (XLSX, or CSV as `text/csv`); every bad row is named and nothing of the file is written.
#[utoipa::path(post, path = "/evaluation/points/import", tag = "evaluation", security(("bearer" = [])), params(PointsImportQuery),
    request_body(description = "the spreadsheet: one row a point under the headers 编码, 名称, 类型, and 纬度 + 经度 or 线路 (`纬度,经度; …`), optionally 责任单位 and 地址 (docs/evaluation.md); up to 8 MiB",
        content((Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), (String = "text/csv"))),
    responses((status = 201, description = "the points registered, each with its street", body = Items<InspectionPoint>),
        (status = 403, description = "the office only"), (status = 413, description = "the file is larger than 8 MiB"),
        (status = 415, description = "neither XLSX nor text/csv"),
        (status = 422, description = "the file was refused: every problem with its row in `error.problems`, nothing written")))]
pub async fn import_points(
    State(state): State<Arc<AppState>>,
    who: SignedIn,
    query: Result<Query<PointsImportQuery>, QueryRejection>,
    headers: axum::http::HeaderMap,
    body: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<(StatusCode, Json<Items<InspectionPoint>>), ApiError> {
    let Query(query) = query?;
    // The role first: nobody else's file is read.
    gridline_app::evaluation::require_office(&who.actor, "register inspection points")?;
    let file = query.file.filter(|f| !f.trim().is_empty()).unwrap_or_else(|| "点位.xlsx".to_owned());
    let table = crate::ledger::uploaded_table(&file, &headers, body, query.encoding.as_deref())?;
    let items = state.import_points(&who.actor, &file, &table, Timestamp::now()).await?;
    Ok((StatusCode::CREATED, Json(Items { items })))
}

/// `POST /api/v1/evaluation/points`: registers a point, placed in its street by locate.
#[utoipa::path(post, path = "/evaluation/points", tag = "evaluation", security(("bearer" = [])),
    request_body(content = NewPoint, description = "`{code, name, point_type, location, unit?, address?}`"),
    responses((status = 201, description = "the point with its street", body = InspectionPoint), (status = 403, description = "the office only"),
        (status = 409, description = "the code is taken"), (status = 422, description = "an invalid field, or a location outside the city")))]
pub async fn create_point(
    State(state): State<Arc<AppState>>,
    who: SignedIn,
    ApiJson(new): ApiJson<NewPoint>,
) -> Result<(StatusCode, Json<InspectionPoint>), ApiError> {
    Ok((StatusCode::CREATED, Json(state.create_point(&who.actor, new, Timestamp::now()).await?)))
}

/// `GET /api/v1/evaluation/rounds`: every round for the office, an evaluator's own for an inspector.
#[utoipa::path(get, path = "/evaluation/rounds", tag = "evaluation", security(("bearer" = [])),
    responses((status = 200, description = "up to 200 rounds, newest first, with their progress", body = Items<RoundSummary>),
        (status = 403, description = "roles that take no part in field checks")))]
pub async fn rounds(State(state): State<Arc<AppState>>, who: SignedIn) -> Result<Json<Items<RoundSummary>>, ApiError> {
    Ok(Json(Items { items: state.rounds(&who.actor, 200).await? }))
}

/// `POST /api/v1/evaluation/rounds`: draws the round's points from the seed (random when absent).
#[utoipa::path(post, path = "/evaluation/rounds", tag = "evaluation", security(("bearer" = [])),
    request_body(content = NewRound, description = "`{name, starts, deadline, plan: {level, per_type, regions}, evaluators, seed?}`"),
    responses((status = 201, description = "the round with its seed and the number of points drawn", body = RoundSummary), (status = 403, description = "the office only"),
        (status = 422, description = "an invalid field, evaluators who are not inspectors, or a plan no point matches")))]
pub async fn create_round(
    State(state): State<Arc<AppState>>,
    who: SignedIn,
    ApiJson(new): ApiJson<NewRound>,
) -> Result<(StatusCode, Json<RoundSummary>), ApiError> {
    Ok((StatusCode::CREATED, Json(state.create_round(&who.actor, new, Timestamp::now()).await?)))
}

/// `GET /api/v1/evaluation/rounds/{id}/points`: the round's points (an evaluator's own).
#[utoipa::path(get, path = "/evaluation/rounds/{id}/points", tag = "evaluation", security(("bearer" = [])), params(("id" = i64, Path, description = "round id")),
    responses((status = 200, description = "the points with their evaluator and the clauses answered", body = Items<AssignedPoint>),
        (status = 403, description = "a role that takes no part in field checks"),
        (status = 404, description = "no such round, or none of its points is the evaluator's")))]
pub async fn round_points(
    State(state): State<Arc<AppState>>,
    who: SignedIn,
    path: Result<Path<String>, PathRejection>,
) -> Result<Json<Items<AssignedPoint>>, ApiError> {
    let id = path_id("round", path)?;
    Ok(Json(Items { items: state.round_points(&who.actor, id).await? }))
}

fn round_and_point(path: Result<Path<(String, String)>, PathRejection>) -> Result<(i64, i64), ApiError> {
    let Path((round, point)) = path?;
    let parse = |what: &str, text: &str| {
        text.parse::<i64>().ok().filter(|n| *n > 0).ok_or_else(|| ApiError::BadRequest(format!("{what} id must be a positive number, not {text:?}")))
    };
    Ok((parse("round", &round)?, parse("point", &point)?))
}

/// `GET /api/v1/evaluation/rounds/{id}/points/{point}`: the point's checklist and answers.
#[utoipa::path(get, path = "/evaluation/rounds/{id}/points/{point}", tag = "evaluation", security(("bearer" = [])),
    params(("id" = i64, Path, description = "round id"), ("point" = i64, Path, description = "point id")),
    responses((status = 200, description = "the clauses of the point's type with the answers, their cases and rectifications", body = PointResult),
        (status = 403, description = "a role that takes no part in field checks"),
        (status = 404, description = "not a point of the round (or not the evaluator's)")))]
pub async fn point_result(
    State(state): State<Arc<AppState>>,
    who: SignedIn,
    path: Result<Path<(String, String)>, PathRejection>,
) -> Result<Json<PointResult>, ApiError> {
    let (round, point) = round_and_point(path)?;
    Ok(Json(state.point_result(&who.actor, round, point).await?))
}

/// The answers to a point's clauses.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswersBody {
    pub answers: Vec<Answer>,
}

/// `POST /api/v1/evaluation/rounds/{id}/points/{point}/answers` `{answers}`: each failure is filed
/// as a case; the same answers again change nothing.
#[utoipa::path(post, path = "/evaluation/rounds/{id}/points/{point}/answers", tag = "evaluation", security(("bearer" = [])),
    params(("id" = i64, Path, description = "round id"), ("point" = i64, Path, description = "point id")),
    request_body(content = AnswersBody, description = "`{answers: [{clause, outcome, count?, note?, position?, photos?}]}`; `photos` are ids from `POST …/photos`"),
    responses((status = 200, description = "the point with its answers and the cases filed", body = PointResult),
        (status = 403, description = "a role that takes no part in field checks"),
        (status = 404, description = "the point is not assigned to the evaluator in the round"),
        (status = 409, description = "the round is past its deadline, or a clause was answered before differently"),
        (status = 422, description = "a clause unknown or not applying to the point's type, a count contradicting the verdict, or `photo_not_uploaded`: a photo id that is not the evaluator's own upload")))]
pub async fn submit_answers(
    State(state): State<Arc<AppState>>,
    who: SignedIn,
    path: Result<Path<(String, String)>, PathRejection>,
    ApiJson(body): ApiJson<AnswersBody>,
) -> Result<Json<PointResult>, ApiError> {
    let (round, point) = round_and_point(path)?;
    Ok(Json(state.submit_answers(&who.actor, round, point, body.answers, Timestamp::now()).await?))
}

/// `POST /api/v1/evaluation/rounds/{id}/points/{point}/photos`: photos taken at a point, kept
/// before the answers that name them.
#[utoipa::path(post, path = "/evaluation/rounds/{id}/points/{point}/photos", tag = "evaluation", security(("bearer" = [])),
    params(("id" = i64, Path, description = "round id"), ("point" = i64, Path, description = "point id")),
    request_body(content = UploadForm, content_type = "multipart/form-data",
        description = "one or more `photo` parts (JPEG, PNG, WebP; 15 MB each), at most 9; the type is read from the bytes"),
    responses((status = 201, description = "the photos kept, each acknowledged once its bytes are on disk; their ids go into the answers' `photos`", body = Items<AttachmentView>),
        (status = 400, description = "a malformed multipart body"),
        (status = 404, description = "the point is not assigned to the evaluator in the round"),
        (status = 409, description = "the round is past its deadline"),
        (status = 413, description = "`file_too_large`: a photo over 15 MB"),
        (status = 415, description = "`photo_not_image`: not a JPEG, PNG or WebP image; or a body that is not multipart/form-data"),
        (status = 422, description = "no photo, an unknown part, an empty or unreadable photo, too many photos or pixels"),
        (status = 503, description = "`attachments_unavailable`: the server has no attachments directory")))]
pub async fn upload_photos(
    State(state): State<Arc<AppState>>,
    who: SignedIn,
    path: Result<Path<(String, String)>, PathRejection>,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<(StatusCode, Json<Items<AttachmentView>>), ApiError> {
    let (round, point) = round_and_point(path)?;
    let now = Timestamp::now();
    // The assignment first: nobody uploads to a point that is not theirs.
    state.answerable_round(&who.actor, round, point, now).await?;
    let form = read_form(multipart).await?;
    if form.stage.is_some() || !form.file.is_empty() {
        return Err(ApiError::invalid("photo", "send the photos as `photo` parts only"));
    }
    let kept = state.store_check_photos(&who.actor, round, point, form.photo, now).await?;
    Ok((StatusCode::CREATED, Json(Items { items: kept.into_iter().map(|a| AttachmentView::new(a, None)).collect() })))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ScoresQuery {
    /// A month YYYY-MM or months YYYY-MM..YYYY-MM.
    #[param(required = true)]
    period: Option<String>,
    /// district (default) or street.
    level: Option<String>,
    /// The fewest points checked for a region to be ranked (default 1): fewer is 样本不足.
    min_points: Option<String>,
}

fn min_points(text: Option<&str>) -> Result<u64, ApiError> {
    match text {
        None => Ok(MIN_POINTS_CHECKED),
        Some(text) => text.parse::<u64>().ok().filter(|n| *n <= 10_000).ok_or_else(|| ApiError::invalid("min_points", format!("min_points is a whole number from 0 to 10000, not {text:?}"))),
    }
}

/// `GET /api/v1/evaluation/scores?period=P&level=district|street`
#[utoipa::path(get, path = "/evaluation/scores", tag = "evaluation", security(("bearer" = [])), params(ScoresQuery),
    responses((status = 200, description = "every district or street with its rank, composite score 0–100, per-method sub-scores and movement", body = Scores),
        (status = 422, description = "a missing or malformed period, an unknown level or a bad min_points")))]
pub async fn scores(
    State(state): State<Arc<AppState>>,
    _who: SignedIn,
    query: Result<Query<ScoresQuery>, QueryRejection>,
) -> Result<Json<Scores>, ApiError> {
    let Query(query) = query?;
    let period = parse_period(query.period.as_deref())?;
    let level = ScoreLevel::parse(query.level.as_deref().unwrap_or("district"))?;
    Ok(Json(state.evaluation_scores_with(period, level, min_points(query.min_points.as_deref())?).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct NoticeQuery {
    /// A month YYYY-MM.
    #[param(required = true)]
    month: Option<String>,
    /// district (default) or street.
    level: Option<String>,
    /// How many of the lowest ranked are on the interview (约谈) list (default 3, at most 50).
    bottom: Option<String>,
    /// The fewest points checked for a region to be ranked (default 1).
    min_points: Option<String>,
}

/// `GET /api/v1/evaluation/notice?month=YYYY-MM&level=&bottom=N&min_points=`: the data of the
/// month's notice (通报): ranking, the office's 点评, the interview list.
#[utoipa::path(get, path = "/evaluation/notice", tag = "evaluation", security(("bearer" = [])), params(NoticeQuery),
    responses((status = 200, description = "the ranking, the 点评 texts and the bottom N (样本不足 regions are neither ranked nor listed)", body = EvaluationNotice),
        (status = 422, description = "a missing or malformed month, an unknown level, a bad bottom or min_points")))]
pub async fn notice(
    State(state): State<Arc<AppState>>,
    _who: SignedIn,
    query: Result<Query<NoticeQuery>, QueryRejection>,
) -> Result<Json<EvaluationNotice>, ApiError> {
    let Query(query) = query?;
    let month = Month::parse(query.month.as_deref().ok_or_else(|| ApiError::invalid("month", "give month=YYYY-MM"))?)?;
    let level = ScoreLevel::parse(query.level.as_deref().unwrap_or("district"))?;
    let bottom = match query.bottom.as_deref() {
        None => 3,
        Some(text) => text.parse::<usize>().ok().filter(|n| *n <= 50).ok_or_else(|| ApiError::invalid("bottom", format!("bottom is a whole number from 0 to 50, not {text:?}")))?,
    };
    Ok(Json(state.evaluation_notice(month, level, bottom, min_points(query.min_points.as_deref())?).await?))
}

/// The office's 点评 of a month.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommentBody {
    /// YYYY-MM
    pub month: String,
    /// A district or street; absent: the city-wide 点评.
    pub region: Option<String>,
    pub text: String,
}

/// `PUT /api/v1/evaluation/comments` `{month, region?, text}`: writes or replaces a 点评.
#[utoipa::path(put, path = "/evaluation/comments", tag = "evaluation", security(("bearer" = [])),
    request_body(content = CommentBody, description = "`{month: YYYY-MM, region?, text}`"),
    responses((status = 200, description = "the 点评 as stored", body = Comment), (status = 403, description = "the office only"),
        (status = 422, description = "a malformed month, a region that is no district or street, an empty or too long text")))]
pub async fn put_comment(State(state): State<Arc<AppState>>, who: SignedIn, ApiJson(body): ApiJson<CommentBody>) -> Result<Json<Comment>, ApiError> {
    let month = Month::parse(&body.month)?;
    Ok(Json(state.put_evaluation_comment(&who.actor, month, body.region.as_deref(), &body.text, Timestamp::now()).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct HealthReportQuery {
    /// A district's code.
    #[param(required = true)]
    region: Option<String>,
    /// A month YYYY-MM or months YYYY-MM..YYYY-MM.
    #[param(required = true)]
    period: Option<String>,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct FindingsQuery {
    /// A district's or street's code.
    #[param(required = true)]
    region: Option<String>,
    /// A month YYYY-MM or months YYYY-MM..YYYY-MM.
    #[param(required = true)]
    period: Option<String>,
}

/// `GET /api/v1/evaluation/findings?region=CODE&period=P`: what a field-check score lost points on.
#[utoipa::path(get, path = "/evaluation/findings", tag = "evaluation", security(("bearer" = [])), params(FindingsQuery),
    responses((status = 200, description = "every field-check answer that lost points in the district or street over the period (at most 1000, `truncated` when more), \
        with its round, point, clause, count, note, points earned and possible, case and rectification; and the points lost of those possible", body = Findings),
        (status = 422, description = "a missing period or region, or a region that is neither a district nor a street")))]
pub async fn findings(
    State(state): State<Arc<AppState>>,
    _who: SignedIn,
    query: Result<Query<FindingsQuery>, QueryRejection>,
) -> Result<Json<Findings>, ApiError> {
    let Query(query) = query?;
    let period = parse_period(query.period.as_deref())?;
    let region = query.region.ok_or_else(|| ApiError::invalid("region", "give region=CODE, a district's or street's code"))?;
    Ok(Json(state.evaluation_findings(&region, period).await?))
}

/// `GET /api/v1/evaluation/health-report?region=CODE&period=P`: 体检报告.
#[utoipa::path(get, path = "/evaluation/health-report", tag = "evaluation", security(("bearer" = [])), params(HealthReportQuery),
    responses((status = 200, description = "the district against the city average and the best district, by category and item; the clauses that lost most; \
        points failing again and again; hotline and grid volume of the same problems; the six-month trend; open rectifications", body = HealthReport),
        (status = 422, description = "a missing period or region, or a region that is not a district")))]
pub async fn health_report(
    State(state): State<Arc<AppState>>,
    _who: SignedIn,
    query: Result<Query<HealthReportQuery>, QueryRejection>,
) -> Result<Json<HealthReport>, ApiError> {
    let Query(query) = query?;
    let period = parse_period(query.period.as_deref())?;
    let region = query.region.ok_or_else(|| ApiError::invalid("region", "give region=CODE, a district's code"))?;
    Ok(Json(state.health_report(&region, period).await?))
}
