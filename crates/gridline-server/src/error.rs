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
use serde_json::json;

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
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// A stored document no longer matches its hash; the message says which, and is shown.
    #[error("{0}")]
    Integrity(String),
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
            ApiError::UnsupportedMediaType(_) => (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type"),
            ApiError::Integrity(_) => (StatusCode::INTERNAL_SERVER_ERROR, "integrity"),
            ApiError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }
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
        let mut body = json!({ "error": { "code": code, "message": message } });
        if let ApiError::Invalid { field: Some(field), .. } = &self {
            body["error"]["field"] = json!(field);
        }
        if let ApiError::InvalidFiles(problems) = &self {
            body["error"]["problems"] = json!(problems);
        }
        (status, Json(body)).into_response()
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
