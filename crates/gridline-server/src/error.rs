//! The one error type of the HTTP edge. Every failure leaves as
//! `{"error": {"code": "...", "message": "..."}}` with the matching status; 500s are logged and
//! their text hidden.

use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use gridline_app::AppError;
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
    /// What went wrong, for people.
    pub message: String,
    /// The field at fault (`invalid`): a JSON body's path such as `reporter.phone`, or a query
    /// parameter's name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Every problem of refused reference files (`invalid_files`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problems: Option<Vec<gridline_core::FileProblem>>,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        let message = match &self {
            ApiError::Internal(detail) => {
                tracing::error!(%detail, "request failed");
                "the server failed to complete the request; it has been logged".to_owned()
            }
            other => other.to_string(),
        };
        let retry_after = match &self {
            ApiError::TooManyRequests { retry_after_seconds, .. } => Some((*retry_after_seconds).max(1)),
            _ => None,
        };
        let body = ErrorBody {
            error: ErrorDetail {
                code: code.to_owned(),
                message,
                field: match &self {
                    ApiError::Invalid { field, .. } => field.clone(),
                    _ => None,
                },
                problems: match self {
                    ApiError::InvalidFiles(problems) => Some(problems),
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
