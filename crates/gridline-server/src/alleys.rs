//! 背街小巷 over HTTP: the alley map as GeoJSON, an alley's page, the monthly ranking, the
//! street's patrol board, a steward's alleys and daily patrol, and the weekly check. Handlers
//! parse, call the application's alley service and shape the answer.

use std::sync::Arc;

use axum::Json;
use axum::body::Body;
use axum::extract::multipart::Multipart;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{FromRequest, Path, Query, Request, State};
use axum::http::{StatusCode, header};
use gridline_app::alleys::{AlleyDetail, AlleyRanking, alley_standard};
use gridline_app::attachments::Upload;
use gridline_core::Reason;
use gridline_core::evaluation::IndicatorSystem;
use gridline_core::alley::{Grade, NewPatrol, Patrol, Problem, TitleStatus, WeeklyCheck};
use gridline_core::period::{Month, day_of};
use gridline_store::AlleyEntry;
use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::attachments::read_parts;
use crate::auth::SignedIn;
use crate::cases::path_id;
use crate::error::ApiError;
use crate::input::json_from_bytes;
use crate::views::Items;
use crate::{ApiJson, AppState};

#[derive(Serialize, ToSchema)]
pub enum FeatureCollectionType {
    FeatureCollection,
}

#[derive(Serialize, ToSchema)]
pub enum FeatureType {
    Feature,
}

#[derive(Serialize, ToSchema)]
pub enum LineStringType {
    LineString,
}

/// The alleys of a region as a GeoJSON FeatureCollection (RFC 7946: coordinates `[lon, lat]`).
#[derive(Serialize, ToSchema)]
pub struct AlleyCollection {
    #[serde(rename = "type")]
    kind: FeatureCollectionType,
    /// The month whose scores the features carry (the latest evaluated when not asked for).
    month: Option<Month>,
    features: Vec<AlleyFeature>,
}

#[derive(Serialize, ToSchema)]
pub struct AlleyFeature {
    #[serde(rename = "type")]
    kind: FeatureType,
    id: i64,
    geometry: LineGeometry,
    properties: AlleyProperties,
}

#[derive(Serialize, ToSchema)]
pub struct LineGeometry {
    #[serde(rename = "type")]
    kind: LineStringType,
    /// `[lon, lat]` pairs.
    coordinates: Vec<[f64; 2]>,
}

#[derive(Serialize, ToSchema)]
pub struct AlleyProperties {
    id: i64,
    code: String,
    name: String,
    /// The street it lies in.
    street: String,
    street_name: String,
    /// The grade in force (downgraded when below the threshold).
    grade: Grade,
    /// The grade awarded.
    awarded: Grade,
    /// The month's score, when it was scored.
    score: Option<f64>,
    /// Under listed supervision (挂牌督办).
    listed: bool,
    length_m: f64,
    /// 首都文明街巷: where its title stands, if it has one.
    title: Option<TitleStatus>,
}

fn feature(state: &AppState, entry: AlleyEntry) -> AlleyFeature {
    let alley = entry.alley;
    AlleyFeature {
        kind: FeatureType::Feature,
        id: alley.point.id,
        geometry: LineGeometry { kind: LineStringType::LineString, coordinates: alley.line().iter().map(|p| [p.lon, p.lat]).collect() },
        properties: AlleyProperties {
            id: alley.point.id,
            street_name: state.regions.get(alley.point.region.as_str()).map(|r| r.name.clone()).unwrap_or_default(),
            street: alley.point.region.as_str().to_owned(),
            code: alley.point.code,
            name: alley.point.name,
            grade: alley.standing.grade,
            awarded: alley.awarded,
            score: entry.score,
            listed: entry.listed,
            length_m: alley.length_m,
            title: alley.title.map(|t| t.status),
        },
    }
}

fn parse_month(field: &'static str, text: &str) -> Result<Month, ApiError> {
    Month::parse(text).map_err(|_| ApiError::invalid(field, format!("{field} is a month written YYYY-MM, not {text:?}")))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct MapQuery {
    /// A district or street code (default: the city).
    region: Option<String>,
    /// The month of the scores, YYYY-MM (default: the latest evaluated).
    month: Option<String>,
}

/// `GET /api/v1/alleys?region=CODE&month=YYYY-MM`: the alley map.
#[utoipa::path(get, path = "/alleys", tag = "alleys", security(("bearer" = [])), params(MapQuery),
    responses((status = 200, description = "a GeoJSON FeatureCollection of the alleys, each a LineString with name, grade, score and listed", body = AlleyCollection),
        (status = 422, description = "an unknown region or a malformed month")))]
pub async fn map(State(state): State<Arc<AppState>>, _who: SignedIn, query: Result<Query<MapQuery>, QueryRejection>) -> Result<Json<AlleyCollection>, ApiError> {
    let Query(query) = query?;
    let month = match query.month.as_deref() {
        Some(text) => Some(parse_month("month", text)?),
        None => state.store.alleys().latest_month().await?,
    };
    let entries = state.alley_map(query.region.as_deref(), month.unwrap_or_else(|| Month::of(Timestamp::now()))).await?;
    Ok(Json(AlleyCollection { kind: FeatureCollectionType::FeatureCollection, month, features: entries.into_iter().map(|e| feature(&state, e)).collect() }))
}

/// `GET /api/v1/alleys/standard`: the alley standard in force (十无 · 五好 · 四有), in the form of an
/// indicator system.
#[utoipa::path(get, path = "/alleys/standard", tag = "alleys", security(("bearer" = [])),
    responses((status = 200, description = "the standard: categories 十无 (N, the monthly score), 五好 (G) and 四有 (H), their clauses with points, rules and catalogue entries", body = IndicatorSystem)))]
pub async fn standard(_who: SignedIn) -> Json<IndicatorSystem> {
    Json(alley_standard().clone())
}

/// `GET /api/v1/alleys/{id}`: an alley's page.
#[utoipa::path(get, path = "/alleys/{id}", tag = "alleys", security(("bearer" = [])), params(("id" = i64, Path, description = "alley id")),
    responses((status = 200, description = "the alley with its 四有, grade and standing, title, open listing, monthly scores, history, latest patrols and checks", body = AlleyDetail),
        (status = 404, description = "no such alley")))]
pub async fn show(State(state): State<Arc<AppState>>, _who: SignedIn, path: Result<Path<String>, PathRejection>) -> Result<Json<AlleyDetail>, ApiError> {
    let id = path_id("alley", path)?;
    Ok(Json(state.alley_detail(id).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RankingQuery {
    /// The month, YYYY-MM.
    #[param(required = true)]
    period: Option<String>,
    /// A district or street code (default: the city).
    region: Option<String>,
}

/// `GET /api/v1/alleys/ranking?period=YYYY-MM&region=CODE`: the month's ranking.
#[utoipa::path(get, path = "/alleys/ranking", tag = "alleys", security(("bearer" = [])), params(RankingQuery),
    responses((status = 200, description = "the alleys under the region scored that month, best first, each ranked in its street, district and city; at a quarter's end the quarter's worst (季点名)", body = AlleyRanking),
        (status = 422, description = "a missing or malformed period, or an unknown region")))]
pub async fn ranking(
    State(state): State<Arc<AppState>>,
    _who: SignedIn,
    query: Result<Query<RankingQuery>, QueryRejection>,
) -> Result<Json<AlleyRanking>, ApiError> {
    let Query(query) = query?;
    let period = query.period.ok_or_else(|| ApiError::invalid("period", "give period=YYYY-MM"))?;
    let month = parse_month("period", &period)?;
    Ok(Json(state.alley_ranking(month, query.region.as_deref()).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct BoardQuery {
    /// A street or district code.
    #[param(required = true)]
    region: Option<String>,
    /// The day, YYYY-MM-DD (default: today, Beijing time).
    day: Option<String>,
}

/// A row of the patrol board.
#[derive(Serialize, ToSchema)]
pub struct BoardRow {
    id: i64,
    code: String,
    name: String,
    street: String,
    patrols: i64,
    problems: i64,
    /// No patrol that day.
    missed: bool,
}

/// `GET /api/v1/alleys/patrol-board?region=CODE&day=YYYY-MM-DD`: which alleys were patrolled.
#[utoipa::path(get, path = "/alleys/patrol-board", tag = "alleys", security(("bearer" = [])), params(BoardQuery),
    responses((status = 200, description = "every alley under the region with its patrols and problems that day; those that missed their patrol marked", body = Items<BoardRow>),
        (status = 422, description = "a missing or unknown region, or a malformed day")))]
pub async fn patrol_board(
    State(state): State<Arc<AppState>>,
    _who: SignedIn,
    query: Result<Query<BoardQuery>, QueryRejection>,
) -> Result<Json<Items<BoardRow>>, ApiError> {
    let Query(query) = query?;
    let region = query.region.ok_or_else(|| ApiError::invalid("region", "give region=CODE, a street's or district's code"))?;
    let day = match query.day.as_deref() {
        Some(text) => text.parse::<Date>().map_err(|_| ApiError::invalid("day", format!("day is a date written YYYY-MM-DD, not {text:?}")))?,
        None => day_of(Timestamp::now()),
    };
    let rows = state.patrol_board(&region, day).await?;
    Ok(Json(Items {
        items: rows
            .into_iter()
            .map(|r| BoardRow { id: r.alley_id, missed: r.patrols == 0, code: r.code, name: r.name, street: r.region, patrols: r.patrols, problems: r.problems })
            .collect(),
    }))
}

/// An alley a steward patrols.
#[derive(Serialize, ToSchema)]
pub struct StewardAlley {
    id: i64,
    code: String,
    name: String,
    street_name: String,
}

/// `GET /api/v1/alleys/mine`: the alleys assigned to the signed-in steward.
#[utoipa::path(get, path = "/alleys/mine", tag = "alleys", security(("bearer" = [])),
    responses((status = 200, description = "the alleys the user patrols (小巷管家), by code", body = Items<StewardAlley>)))]
pub async fn mine(State(state): State<Arc<AppState>>, who: SignedIn) -> Result<Json<Items<StewardAlley>>, ApiError> {
    let alleys = state.store.alleys().of_steward(who.actor.user_id).await?;
    Ok(Json(Items {
        items: alleys
            .into_iter()
            .map(|a| StewardAlley {
                id: a.point.id,
                street_name: state.regions.get(a.point.region.as_str()).map(|r| r.name.clone()).unwrap_or_default(),
                code: a.point.code,
                name: a.point.name,
            })
            .collect(),
    }))
}

/// A patrol with its photos, as `multipart/form-data`.
// Described only: the form is read part by part (`PatrolBody`).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct PatrolForm {
    /// The patrol as JSON, as `application/json` would send it.
    patrol: NewPatrol,
    /// Photos of the problems (JPEG, PNG or WebP, read from the bytes; 15 MB each, at most 9),
    /// added to every case the patrol files.
    #[schema(value_type = Option<Vec<String>>, format = Binary)]
    photo: Option<Vec<String>>,
}

/// The body of a patrol: JSON, or multipart with its photos (the phone sends a patrol without
/// photos as JSON, one with photos as a form).
pub struct PatrolBody {
    patrol: NewPatrol,
    photos: Vec<Upload>,
}

impl<S: Send + Sync> FromRequest<S> for PatrolBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let multipart = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| v.starts_with("multipart/form-data"));
        if !multipart {
            // The route takes an upload's size; JSON alone keeps the limit of every JSON body.
            let (head, body) = req.into_parts();
            let bytes = axum::body::to_bytes(body, crate::BODY_LIMIT_BYTES)
                .await
                .map_err(|_| ApiError::PayloadTooLarge(format!("the request body is larger than {} KiB", crate::BODY_LIMIT_BYTES / 1024)))?;
            let ApiJson(patrol) = ApiJson::from_request(Request::from_parts(head, Body::from(bytes)), state).await?;
            return Ok(PatrolBody { patrol, photos: vec![] });
        }
        let mut parts = read_parts(Multipart::from_request(req, state).await, &["patrol"]).await?;
        let patrol = parts.fields.remove("patrol").ok_or_else(|| ApiError::Refused(Reason::new("required").on("patrol")))?;
        if !parts.file.is_empty() {
            return Err(ApiError::invalid("file", "a patrol takes photo parts only"));
        }
        Ok(PatrolBody { patrol: json_from_bytes(patrol.as_bytes())?, photos: parts.photo })
    }
}

/// `POST /api/v1/alleys/{id}/patrols` `{id, problems: [{clause, count?, note?}], position?}`: a
/// steward's daily patrol; each problem becomes a case. With photos, as a form: its `patrol`
/// part and `photo` parts, added to each of its cases.
#[utoipa::path(post, path = "/alleys/{id}/patrols", tag = "alleys", security(("bearer" = [])), params(("id" = i64, Path, description = "alley id")),
    request_body(content((NewPatrol = "application/json"), (PatrolForm = "multipart/form-data")),
        description = "`{id, problems: [{clause, count?, note?}], position?: {lat, lon}}`; `id` is the phone's own. With photos, `multipart/form-data`: that JSON as the `patrol` part and up to 9 `photo` parts (JPEG, PNG, WebP; 15 MB each), which every case of the patrol gets at its intake"),
    responses((status = 201, description = "the patrol recorded, each problem with its case (and the photos on each case)", body = Patrol),
        (status = 200, description = "the same patrol sent again: the one recorded, nothing filed or attached twice", body = Patrol),
        (status = 403, description = "the alley is not assigned to the user for patrol"),
        (status = 404, description = "no such alley"),
        (status = 409, description = "a different patrol was recorded under this id"),
        (status = 413, description = "`file_too_large`: a photo over 15 MB; a JSON body over 64 KiB"),
        (status = 415, description = "`photo_not_image`: a photo that is not a JPEG, PNG or WebP image (nothing is filed), or a body neither JSON nor multipart/form-data"),
        (status = 422, description = "a bad id or position, a clause unknown to the standard or given twice, a count of 0; `patrol_photos_without_problem`: photos and no problem; an unreadable photo, too many"),
        (status = 503, description = "`attachments_unavailable`: photos, and the server has no attachments directory")))]
pub async fn patrol(
    State(state): State<Arc<AppState>>,
    who: SignedIn,
    path: Result<Path<String>, PathRejection>,
    body: PatrolBody,
) -> Result<(StatusCode, Json<Patrol>), ApiError> {
    let id = path_id("alley", path)?;
    let (patrol, created) = state.submit_patrol_with_photos(&who.actor, id, body.patrol, body.photos, Timestamp::now()).await?;
    Ok((if created { StatusCode::CREATED } else { StatusCode::OK }, Json(patrol)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AlleyCheckBody {
    /// The day of the check, YYYY-MM-DD.
    #[schema(value_type = String, format = Date)]
    day: Date,
    /// The clauses that fail; the rest of the standard passes.
    #[serde(default)]
    problems: Vec<Problem>,
}

/// `POST /api/v1/alleys/{id}/checks` `{day, problems}`: the street's weekly check (周查).
#[utoipa::path(post, path = "/alleys/{id}/checks", tag = "alleys", security(("bearer" = [])), params(("id" = i64, Path, description = "alley id")),
    request_body(content = AlleyCheckBody, description = "`{day, problems: [{clause, count?, note?}]}`"),
    responses((status = 201, description = "the check with its 十无 points", body = WeeklyCheck),
        (status = 403, description = "the office and inspectors only"),
        (status = 404, description = "no such alley"),
        (status = 409, description = "the alley was checked that day already"),
        (status = 422, description = "a clause unknown to the standard or given twice, a count of 0")))]
pub async fn check(
    State(state): State<Arc<AppState>>,
    who: SignedIn,
    path: Result<Path<String>, PathRejection>,
    ApiJson(body): ApiJson<AlleyCheckBody>,
) -> Result<(StatusCode, Json<WeeklyCheck>), ApiError> {
    let id = path_id("alley", path)?;
    Ok((StatusCode::CREATED, Json(state.record_alley_check(&who.actor, id, body.day, body.problems, Timestamp::now()).await?)))
}
