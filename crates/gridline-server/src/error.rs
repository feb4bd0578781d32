//! The one error type of the HTTP edge. Every failure leaves as
//! `{"error": {"code": "...", "reason": "...", "message": "...", "params": {...}}}` with the
//! matching status; 500s are logged and their text hidden. `code` is the class of the answer
//! (`invalid`, `not_found`, …), `reason` the precise refusal (`unknown_unit`, `case_not_found`, …,
//! or the class again when there is none), `params` its parameters. Every code and reason is
//! stable and has a Chinese and an English text (gridline_core::message::TEXTS); the message is
//! told in the language the request's `Accept-Language` asks for first (Chinese for `zh…`,
//! English otherwise).

use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use gridline_app::AppError;
use gridline_core::message::{Class, Lang, Reason};
use gridline_core::DomainError;
use gridline_store::StoreError;
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    MalformedJson(String),
    #[error("{message}")]
    Invalid { field: Option<String>, message: String },
    /// Reference files refused whole; every problem with its file and line.
    #[error("{} problem(s) in the files", .0.len())]
    InvalidFiles(Vec<gridline_core::FileProblem>),
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    MethodNotAllowed(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    PayloadTooLarge(String),
    /// Too many failed sign-ins: refused until `retry_after_seconds` have passed.
    #[error("{message}")]
    TooManyRequests { message: String, retry_after_seconds: i64 },
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// A stored document no longer matches its hash; the message says which, and is shown.
    #[error("{0}")]
    Integrity(String),
    /// The server cannot answer now (the database does not): 503.
    #[error("{0}")]
    Unavailable(String),
    #[error("internal error: {0}")]
    Internal(String),
    /// A refusal with a precise code and parameters.
    #[error("{0}")]
    Refused(Reason),
}

tokio::task_local! {
    /// The language of the request being answered (set by [`answered_in`]).
    static LANG: Lang;
}

/// The language a request's errors are answered in: that of its `Accept-Language`.
pub(crate) fn language_of(headers: &axum::http::HeaderMap) -> Lang {
    headers.get(axum::http::header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()).map_or(Lang::En, Lang::from_accept_language)
}

/// Answers a request with its errors in `lang`.
pub(crate) async fn answered_in<F: std::future::Future>(lang: Lang, answer: F) -> F::Output {
    LANG.scope(lang, answer).await
}

/// The language of the request being answered; English outside a request.
pub fn request_lang() -> Lang {
    LANG.try_with(|lang| *lang).unwrap_or_default()
}

impl ApiError {
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        ApiError::Invalid { field: Some(field.to_owned()), message: message.into() }
    }

    fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            ApiError::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request"),
            ApiError::MalformedJson(_) => (StatusCode::BAD_REQUEST, "malformed_json"),
            ApiError::Invalid { .. } => (StatusCode::UNPROCESSABLE_ENTITY, "invalid"),
            ApiError::InvalidFiles(_) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_files"),
            ApiError::Unauthorized(_) => (StatusCode::UNAUTHORIZED, "unauthorized"),
            ApiError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            ApiError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            ApiError::MethodNotAllowed(_) => (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed"),
            ApiError::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            ApiError::PayloadTooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"),
            ApiError::TooManyRequests { .. } => (StatusCode::TOO_MANY_REQUESTS, "too_many_requests"),
            ApiError::UnsupportedMediaType(_) => (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type"),
            ApiError::Integrity(_) => (StatusCode::INTERNAL_SERVER_ERROR, "integrity"),
            ApiError::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
            ApiError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
            ApiError::Refused(reason) => match reason.class() {
                Some(Class::Invalid) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid"),
                Some(Class::Unauthorized) => (StatusCode::UNAUTHORIZED, "unauthorized"),
                Some(Class::Forbidden) => (StatusCode::FORBIDDEN, "forbidden"),
                Some(Class::NotFound) => (StatusCode::NOT_FOUND, "not_found"),
                Some(Class::Conflict) => (StatusCode::CONFLICT, "conflict"),
                Some(Class::TooLarge) => (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"),
                Some(Class::UnsupportedType) => (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type"),
                Some(Class::Unavailable) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
                None => (StatusCode::BAD_REQUEST, "bad_request"),
            },
        }
    }

    pub fn status(&self) -> StatusCode {
        self.status_and_code().0
    }

    /// The input field the error names.
    fn field(&self) -> Option<&str> {
        match self {
            ApiError::Invalid { field, .. } => field.as_deref(),
            ApiError::Refused(reason) => reason.field(),
            _ => None,
        }
    }

    /// The text for a reader of `lang`. English keeps the detail of a refusal without a precise
    /// code; Chinese tells its class (and field), so that no English reaches the Chinese pages.
    fn message(&self, lang: Lang) -> String {
        match (self, lang) {
            (ApiError::Refused(reason), _) => reason.render(lang),
            (ApiError::Internal(_), _) => Reason::new("internal").render(lang),
            (_, Lang::En) => self.to_string(),
            (_, Lang::Zh) => {
                let (_, code) = self.status_and_code();
                let reason = Reason::new(code);
                match self.field() {
                    Some(field) => reason.with("field", gridline_core::message::field_label(field, Lang::Zh)),
                    None if code == "invalid" => Reason::new("malformed_json"),
                    None => reason,
                }
                .render(Lang::Zh)
            }
        }
    }
}

/// Every refusal and failure of the API: `{"error": {code, message, field?, problems?}}`.
#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Serialize, ToSchema)]
pub struct ErrorDetail {
    /// What went wrong, for programs: `bad_request`, `malformed_json`, `invalid`, `invalid_files`,
    /// `unauthorized`, `forbidden`, `not_found`, `method_not_allowed`, `conflict`,
    /// `payload_too_large`, `unsupported_media_type`, `too_many_requests`, `unavailable`, `internal`.
    pub code: String,
    /// The precise refusal, stable, for programs and translations (`wrong_credentials`,
    /// `required`, `unknown_unit`, `case_not_found`, …; the code again when there is none). Every
    /// code and reason has a Chinese and an English text: gridline_core::message::TEXTS.
    pub reason: String,
    /// What went wrong, for people, in the language `Accept-Language` names first (zh or en).
    pub message: String,
    /// The reason's parameters (`field`, `unit`, `id`, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub params: Option<std::collections::BTreeMap<String, String>>,
    /// The field at fault (`invalid`): a JSON body's path such as `reporter.phone`, or a query
    /// parameter's name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Every problem of refused files (`invalid_files`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problems: Option<Vec<FileProblemBody>>,
}

/// One problem of a refused file: where, and what, as a stable code with parameters and told in
/// the language of `Accept-Language` (every code has a zh and an en text, as the errors' reasons).
#[derive(Serialize, ToSchema)]
#[schema(as = FileProblem)]
pub struct FileProblemBody {
    /// The file (or sheet) as the request named it.
    pub file: String,
    /// 1-based line or row, when the problem sits on one.
    pub line: Option<usize>,
    /// What is wrong, stable (`missing_column`, `not_member_unit`, `code_twice`, `unknown_parent`,
    /// `rule_contradicts`, `unknown_question_type`, `toml_syntax`, …).
    pub code: String,
    pub params: std::collections::BTreeMap<String, String>,
    /// For people, in the language `Accept-Language` names first.
    pub message: String,
}

impl FileProblemBody {
    fn new(problem: gridline_core::FileProblem, lang: Lang) -> Self {
        FileProblemBody {
            message: problem.render(lang),
            code: problem.reason.code().to_owned(),
            params: problem.reason.params().map(|(name, value)| (name.to_owned(), value.to_owned())).collect(),
            file: problem.file,
            line: problem.line,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        if let ApiError::Internal(detail) = &self {
            tracing::error!(%detail, "request failed");
        }
        let reason = match &self {
            ApiError::Refused(reason) => reason.code(),
            _ => code,
        };
        let retry_after = match &self {
            ApiError::TooManyRequests { retry_after_seconds, .. } => Some((*retry_after_seconds).max(1)),
            _ => None,
        };
        let lang = request_lang();
        let body = ErrorBody {
            error: ErrorDetail {
                code: code.to_owned(),
                reason: reason.to_owned(),
                message: self.message(lang),
                field: self.field().map(str::to_owned),
                params: match &self {
                    ApiError::Refused(reason) => Some(reason.params().map(|(name, value)| (name.to_owned(), value.to_owned())).collect()),
                    _ => None,
                },
                problems: match self {
                    ApiError::InvalidFiles(problems) => Some(problems.into_iter().map(|p| FileProblemBody::new(p, lang)).collect()),
                    _ => None,
                },
            },
        };
        let mut response = (status, Json(body)).into_response();
        if let Some(seconds) = retry_after {
            response.headers_mut().insert(axum::http::header::RETRY_AFTER, seconds.into());
        }
        response
    }
}

impl From<DomainError> for ApiError {
    fn from(err: DomainError) -> Self {
        match err {
            DomainError::Invalid { field, message } => ApiError::Invalid { field: Some(field.to_owned()), message },
            DomainError::Conflict { message } => ApiError::Conflict(message),
            DomainError::Forbidden { message } => ApiError::Forbidden(message),
            DomainError::InvalidData(message) => ApiError::Internal(message),
            DomainError::InvalidFiles(problems) => ApiError::InvalidFiles(problems),
            DomainError::Refused(reason) => ApiError::Refused(reason),
        }
    }
}

impl From<AppError> for ApiError {
    fn from(err: AppError) -> Self {
        match err {
            AppError::Domain(err) => err.into(),
            AppError::Store(err) => err.into(),
            AppError::Text(err) => ApiError::Internal(err.to_string()),
            AppError::NotFound(message) => ApiError::NotFound(message),
            AppError::Conflict(message) => ApiError::Conflict(message),
            AppError::Internal(message) => ApiError::Internal(message),
            AppError::Integrity(message) => ApiError::Integrity(message),
            AppError::LockedOut(until) => ApiError::TooManyRequests {
                message: format!("too many failed attempts; try again after {} or ask an administrator to lift the lockout", crate::views::local_time(until)),
                retry_after_seconds: until.duration_since(jiff::Timestamp::now()).as_secs(),
            },
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::Duplicate(message) => ApiError::Conflict(message),
            StoreError::VersionConflict { case_id, .. } => {
                ApiError::Conflict(format!("case {case_id} is being changed by someone else; try again"))
            }
            StoreError::ProjectChanged { project_id } => {
                ApiError::Conflict(format!("ledger project {project_id} is being changed by someone else; try again"))
            }
            other => ApiError::Internal(other.to_string()),
        }
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        let text = rejection.body_text();
        match rejection.status() {
            StatusCode::PAYLOAD_TOO_LARGE => ApiError::PayloadTooLarge(format!(
                "the request body is larger than {} KiB",
                crate::BODY_LIMIT_BYTES / 1024
            )),
            StatusCode::UNSUPPORTED_MEDIA_TYPE => {
                ApiError::UnsupportedMediaType("send the body as JSON with Content-Type: application/json".into())
            }
            StatusCode::UNPROCESSABLE_ENTITY => ApiError::Invalid { field: None, message: text },
            _ => ApiError::MalformedJson(text),
        }
    }
}

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> Self {
        ApiError::BadRequest(rejection.body_text())
    }
}

impl From<PathRejection> for ApiError {
    fn from(rejection: PathRejection) -> Self {
        ApiError::BadRequest(rejection.body_text())
    }
}
