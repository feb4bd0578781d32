//! Questionnaires (问卷调查) over HTTP: the office's forms (XLSForm in, JSON out), their status
//! and public links, enumerators' responses, the satisfaction index — and the public form, read
//! and answered without signing in, under a CAPTCHA-free rate limit per address.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use base64::Engine as _;
use gridline_app::evaluation::ScoreLevel;
use gridline_app::questionnaires::{PublicForm, QuestionnaireLink, QuestionnaireSummary, Receipt, ResponseBody, SatisfactionIndex, read_xlsform};
use gridline_core::evaluation::Form;
use gridline_core::evaluation::questionnaire::{Questionnaire, QuestionnaireStatus};
use jiff::Timestamp;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::analytics::parse_period;
use crate::auth::{PeerAddress, SignedIn};
use crate::cases::path_id;
use crate::error::ApiError;
use crate::views::Items;
use crate::{ApiJson, AppState};

/// Answers the public form takes from one address per minute, unless
/// `GRIDLINE_FORM_ANSWERS_PER_MINUTE` says otherwise (0: no limit).
pub const DEFAULT_ANSWERS_PER_MINUTE: u32 = 10;

/// A fixed-window count of public answers per client address: no CAPTCHA, a bound on what one
/// address can pour into a survey.
pub struct FormLimiter {
    per_minute: u32,
    windows: Mutex<HashMap<String, (Instant, u32)>>,
}

impl FormLimiter {
    pub fn from_env() -> Result<FormLimiter, String> {
        let per_minute = match std::env::var("GRIDLINE_FORM_ANSWERS_PER_MINUTE") {
            Ok(text) => text.trim().parse().map_err(|_| format!("GRIDLINE_FORM_ANSWERS_PER_MINUTE must be a whole number, not {text:?}"))?,
            Err(_) => DEFAULT_ANSWERS_PER_MINUTE,
        };
        Ok(FormLimiter { per_minute, windows: Mutex::new(HashMap::new()) })
    }

    /// Counts an answer from `address`; the seconds to wait when over the limit.
    fn admit(&self, address: &str, now: Instant) -> Result<(), i64> {
        if self.per_minute == 0 {
            return Ok(());
        }
        let minute = Duration::from_secs(60);
        let mut windows = self.windows.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if windows.len() > 100_000 {
            windows.retain(|_, (start, _)| now.duration_since(*start) < minute);
        }
        let window = windows.entry(address.to_owned()).or_insert((now, 0));
        if now.duration_since(window.0) >= minute {
            *window = (now, 0);
        }
        if window.1 >= self.per_minute {
            return Err((minute - now.duration_since(window.0)).as_secs() as i64 + 1);
        }
        window.1 += 1;
        Ok(())
    }
}

/// A questionnaire to create: its code and its form, as an XLSForm workbook or as JSON.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewQuestionnaireBody {
    /// 1–64 letters, digits, - _ .
    pub code: String,
    /// An XLSForm workbook (XLSX), base64-encoded: sheets survey, choices, settings.
    pub xlsform: Option<String>,
    /// Or the form itself.
    pub form: Option<Form>,
}

fn form_of(xlsform: Option<String>, form: Option<Form>) -> Result<Form, ApiError> {
    match (xlsform, form) {
        (Some(data), None) => {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(data.trim())
                .map_err(|e| ApiError::invalid("xlsform", format!("xlsform is not base64: {e}")))?;
            Ok(read_xlsform(&bytes)?)
        }
        (None, Some(form)) => Ok(form),
        _ => Err(ApiError::invalid("xlsform", "give either xlsform (an XLSX workbook, base64) or form")),
    }
}

/// `GET /api/v1/questionnaires`
#[utoipa::path(get, path = "/questionnaires", tag = "questionnaires", security(("bearer" = [])),
    responses((status = 200, description = "every questionnaire, newest first, with its number of responses", body = Items<QuestionnaireSummary>),
        (status = 403, description = "roles that take no part in questionnaires")))]
pub async fn list(State(state): State<Arc<AppState>>, who: SignedIn) -> Result<Json<Items<QuestionnaireSummary>>, ApiError> {
    Ok(Json(Items { items: state.questionnaires(&who.actor).await? }))
}

/// `POST /api/v1/questionnaires` `{code, xlsform | form}`: a new questionnaire in draft.
#[utoipa::path(post, path = "/questionnaires", tag = "questionnaires", security(("bearer" = [])),
    request_body(content = NewQuestionnaireBody, description = "`{code, xlsform: base64 XLSX}` or `{code, form}`"),
    responses((status = 201, description = "the questionnaire, a draft", body = Questionnaire), (status = 403, description = "the office only"),
        (status = 409, description = "the code is taken"),
        (status = 422, description = "every problem of the XLSForm by sheet and row (an unknown question type, a broken relevant, …), or a clause that is not a questionnaire clause")))]
pub async fn create(
    State(state): State<Arc<AppState>>,
    who: SignedIn,
    ApiJson(body): ApiJson<NewQuestionnaireBody>,
) -> Result<(StatusCode, Json<Questionnaire>), ApiError> {
    let form = form_of(body.xlsform, body.form)?;
    Ok((StatusCode::CREATED, Json(state.create_questionnaire(&who.actor, &body.code, form, Timestamp::now()).await?)))
}

/// `GET /api/v1/questionnaires/{id}`
#[utoipa::path(get, path = "/questionnaires/{id}", tag = "questionnaires", security(("bearer" = [])), params(("id" = i64, Path, description = "questionnaire id")),
    responses((status = 200, description = "the questionnaire with its form", body = Questionnaire)))]
pub async fn show(State(state): State<Arc<AppState>>, _who: SignedIn, path: Result<Path<String>, PathRejection>) -> Result<Json<Questionnaire>, ApiError> {
    Ok(Json(state.questionnaire(path_id("questionnaire", path)?).await?))
}

/// A draft's new form.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FormBody {
    pub xlsform: Option<String>,
    pub form: Option<Form>,
}

/// `PUT /api/v1/questionnaires/{id}/form`: replaces a draft's form.
#[utoipa::path(put, path = "/questionnaires/{id}/form", tag = "questionnaires", security(("bearer" = [])), params(("id" = i64, Path, description = "questionnaire id")),
    request_body(content = FormBody, description = "`{xlsform: base64 XLSX}` or `{form}`"),
    responses((status = 200, description = "the questionnaire with its new form", body = Questionnaire), (status = 403, description = "the office only"),
        (status = 409, description = "the questionnaire is open or closed: its form no longer changes"),
        (status = 422, description = "the form's problems")))]
pub async fn replace_form(
    State(state): State<Arc<AppState>>,
    who: SignedIn,
    path: Result<Path<String>, PathRejection>,
    ApiJson(body): ApiJson<FormBody>,
) -> Result<Json<Questionnaire>, ApiError> {
    let id = path_id("questionnaire", path)?;
    Ok(Json(state.replace_questionnaire_form(&who.actor, id, form_of(body.xlsform, body.form)?).await?))
}

/// Opens or closes a questionnaire.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusBody {
    /// `open` (from draft) or `closed` (from open).
    pub status: QuestionnaireStatus,
    /// When opening: answers are refused from then on.
    pub closes_at: Option<Timestamp>,
}

/// `POST /api/v1/questionnaires/{id}/status` `{status, closes_at?}`: opens a draft (with a public
/// link per district) or closes an open questionnaire.
#[utoipa::path(post, path = "/questionnaires/{id}/status", tag = "questionnaires", security(("bearer" = [])), params(("id" = i64, Path, description = "questionnaire id")),
    request_body(content = StatusBody, description = "`{status: open | closed, closes_at?}`"),
    responses((status = 200, description = "the questionnaire in its new state", body = Questionnaire), (status = 403, description = "the office only"),
        (status = 409, description = "not a draft (to open) or not open (to close)"), (status = 422, description = "a closing time already past, or draft asked for")))]
pub async fn set_status(
    State(state): State<Arc<AppState>>,
    who: SignedIn,
    path: Result<Path<String>, PathRejection>,
    ApiJson(body): ApiJson<StatusBody>,
) -> Result<Json<Questionnaire>, ApiError> {
    let id = path_id("questionnaire", path)?;
    let now = Timestamp::now();
    Ok(Json(match body.status {
        QuestionnaireStatus::Open => state.open_questionnaire(&who.actor, id, body.closes_at, now).await?,
        QuestionnaireStatus::Closed => state.close_questionnaire(&who.actor, id, now).await?,
        QuestionnaireStatus::Draft => return Err(ApiError::invalid("status", "a questionnaire goes from draft to open to closed, never back")),
    }))
}

/// `GET /api/v1/questionnaires/{id}/links`: the public form's link per district.
#[utoipa::path(get, path = "/questionnaires/{id}/links", tag = "questionnaires", security(("bearer" = [])), params(("id" = i64, Path, description = "questionnaire id")),
    responses((status = 200, description = "one link per district (none before it is opened)", body = Items<QuestionnaireLink>), (status = 403, description = "the office only")))]
pub async fn links(State(state): State<Arc<AppState>>, who: SignedIn, path: Result<Path<String>, PathRejection>) -> Result<Json<Items<QuestionnaireLink>>, ApiError> {
    Ok(Json(Items { items: state.questionnaire_links(&who.actor, path_id("questionnaire", path)?).await? }))
}

fn receipt(receipt: Receipt) -> (StatusCode, Json<Receipt>) {
    (if receipt.created { StatusCode::CREATED } else { StatusCode::OK }, Json(receipt))
}

/// `POST /api/v1/questionnaires/{id}/responses`: a response entered by an enumerator.
#[utoipa::path(post, path = "/questionnaires/{id}/responses", tag = "questionnaires", security(("bearer" = [])), params(("id" = i64, Path, description = "questionnaire id")),
    request_body(content = ResponseBody, description = "`{respondent, street, answers: {question: value}}`"),
    responses((status = 201, description = "stored durably", body = Receipt), (status = 200, description = "the same response was stored before", body = Receipt),
        (status = 403, description = "roles that do not enter answers"),
        (status = 409, description = "the questionnaire is not open, or the respondent answered before differently"),
        (status = 422, description = "an answer that does not fit its question, a required question unanswered, a question its skip logic hides answered, an unknown street")))]
pub async fn respond(
    State(state): State<Arc<AppState>>,
    who: SignedIn,
    path: Result<Path<String>, PathRejection>,
    ApiJson(body): ApiJson<ResponseBody>,
) -> Result<(StatusCode, Json<Receipt>), ApiError> {
    let id = path_id("questionnaire", path)?;
    Ok(receipt(state.submit_enumerated(&who.actor, id, body, Timestamp::now()).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct IndexQuery {
    /// A month YYYY-MM or months YYYY-MM..YYYY-MM (a quarter: 2026-10..2026-12).
    #[param(required = true)]
    period: Option<String>,
    /// district (default) or street.
    level: Option<String>,
    /// One questionnaire's id (default: all together).
    questionnaire: Option<String>,
}

/// `GET /api/v1/questionnaires/satisfaction?period=P&level=district|street&questionnaire=ID`
#[utoipa::path(get, path = "/questionnaires/satisfaction", tag = "questionnaires", security(("bearer" = [])), params(IndexQuery),
    responses((status = 200, description = "the satisfaction index per region and for the city: respondents n, mean, standard deviation, 95 % margin of error, and the clause values", body = SatisfactionIndex),
        (status = 404, description = "no such questionnaire"),
        (status = 422, description = "a missing or malformed period, an unknown level, a malformed questionnaire id")))]
pub async fn satisfaction(
    State(state): State<Arc<AppState>>,
    _who: SignedIn,
    query: Result<Query<IndexQuery>, QueryRejection>,
) -> Result<Json<SatisfactionIndex>, ApiError> {
    let Query(query) = query?;
    let period = parse_period(query.period.as_deref())?;
    let level = ScoreLevel::parse(query.level.as_deref().unwrap_or("district"))?;
    let questionnaire = query
        .questionnaire
        .as_deref()
        .map(|text| text.parse::<i64>().ok().filter(|n| *n > 0).ok_or_else(|| ApiError::invalid("questionnaire", format!("questionnaire is an id, not {text:?}"))))
        .transpose()?;
    Ok(Json(state.satisfaction_index(questionnaire, period, level).await?))
}

fn link_token(path: Result<Path<String>, PathRejection>) -> Result<String, ApiError> {
    let Path(token) = path?;
    Ok(token)
}

/// `GET /api/v1/public/questionnaires/{token}`: the public form, without signing in.
#[utoipa::path(get, path = "/public/questionnaires/{token}", tag = "questionnaires", params(("token" = String, Path, description = "the link's token")),
    responses((status = 200, description = "the form, its district and the district's streets, and whether answers are taken now", body = PublicForm)))]
pub async fn public_form(State(state): State<Arc<AppState>>, path: Result<Path<String>, PathRejection>) -> Result<Json<PublicForm>, ApiError> {
    Ok(Json(state.public_form(&link_token(path)?, Timestamp::now()).await?))
}

/// `POST /api/v1/public/questionnaires/{token}/responses`: an answer through the public form;
/// one per respondent (device or invitation token), acknowledged once durable.
#[utoipa::path(post, path = "/public/questionnaires/{token}/responses", tag = "questionnaires", params(("token" = String, Path, description = "the link's token")),
    request_body(content = ResponseBody, description = "`{respondent, street, answers: {question: value}}`"),
    responses((status = 201, description = "stored durably", body = Receipt), (status = 200, description = "the same response was stored before", body = Receipt),
        (status = 409, description = "the questionnaire is closed (or not yet open), or this respondent answered before differently"),
        (status = 422, description = "an answer that does not fit its question, a required question unanswered, a question its skip logic hides answered, a street outside the link's district"),
        (status = 429, description = "too many answers from this address in the last minute (Retry-After)")))]
pub async fn public_respond(
    State(state): State<Arc<AppState>>,
    PeerAddress(address): PeerAddress,
    path: Result<Path<String>, PathRejection>,
    ApiJson(body): ApiJson<ResponseBody>,
) -> Result<(StatusCode, Json<Receipt>), ApiError> {
    let token = link_token(path)?;
    if let Err(retry_after_seconds) = state.form_limiter.admit(address.as_deref().unwrap_or("unknown"), Instant::now()) {
        return Err(ApiError::TooManyRequests { message: "too many answers from this address; try again in a minute".into(), retry_after_seconds });
    }
    Ok(receipt(state.submit_public(&token, body, Timestamp::now()).await?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_limit_counts_per_address_per_minute() {
        let limiter = FormLimiter { per_minute: 2, windows: Mutex::new(HashMap::new()) };
        let t0 = Instant::now();
        assert!(limiter.admit("a", t0).is_ok());
        assert!(limiter.admit("a", t0).is_ok());
        assert!(limiter.admit("a", t0 + Duration::from_secs(10)).unwrap_err() >= 50);
        assert!(limiter.admit("b", t0).is_ok());
        assert!(limiter.admit("a", t0 + Duration::from_secs(61)).is_ok());
        let open = FormLimiter { per_minute: 0, windows: Mutex::new(HashMap::new()) };
        assert!((0..100).all(|_| open.admit("a", t0).is_ok()));
    }
}
