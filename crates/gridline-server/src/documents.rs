//! Documents over HTTP: preview a 简报, 通报 or 督办单 (nothing stored), issue it (numbered and
//! stored with its snapshot and hashes), list and search the issued ones, and download a file,
//! checked against the hash stored when it was issued.

use std::sync::Arc;

use axum::Json;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use gridline_app::documents::{DocumentRequest, DocumentSettings, parse_format};
use gridline_report::{Format, Kind};
use gridline_store::{DocumentFilter, IssuedDocument};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::SignedIn;
use crate::cases::path_id;
use crate::error::ApiError;
use crate::views::Items;
use crate::{ApiJson, AppState};

/// An issued document, without its files.
#[derive(Serialize, ToSchema)]
pub struct DocumentView {
    id: i64,
    /// bulletin, notice or supervision_order
    kind: String,
    /// 简报, 通报, 督办单
    kind_label: String,
    title: String,
    /// 第 `number` 期 of `year`, 总第 `total` 期.
    year: i64,
    number: i64,
    total: i64,
    /// SHA-256 of the frozen data snapshot the document was rendered from.
    snapshot_sha256: String,
    docx_sha256: String,
    pdf_sha256: String,
    /// The issued document this one corrects.
    corrects: Option<i64>,
    issued_by: i64,
    issued_at: Timestamp,
}

fn document_view(doc: IssuedDocument) -> DocumentView {
    let kind_label = Kind::parse(&doc.kind).map_or_else(|| doc.kind.clone(), |k| k.label().to_owned());
    DocumentView {
        id: doc.id,
        kind: doc.kind,
        kind_label,
        title: doc.title,
        year: doc.year,
        number: doc.number,
        total: doc.total,
        snapshot_sha256: doc.snapshot_sha256,
        docx_sha256: doc.docx_sha256,
        pdf_sha256: doc.pdf_sha256,
        corrects: doc.corrects,
        issued_by: doc.issued_by,
        issued_at: doc.issued_at,
    }
}

/// `?format=docx|pdf`
#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct FormatQuery {
    /// docx or pdf (the default).
    format: Option<String>,
}

fn format_of(query: Result<Query<FormatQuery>, QueryRejection>) -> Result<Format, ApiError> {
    let Query(query) = query?;
    Ok(parse_format(query.format.as_deref().unwrap_or("pdf"))?)
}

fn file_response(format: Format, name: &str, bytes: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, format.media_type().to_owned()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}.{}\"", format.extension())),
        ],
        bytes,
    )
        .into_response()
}

/// `POST /api/v1/documents/preview?format=pdf|docx`: the document as it would be issued now.
#[utoipa::path(post, path = "/documents/preview", tag = "documents", security(("bearer" = [])), params(FormatQuery),
    request_body(content = DocumentRequest, description = "`{kind: bulletin, articles}`, `{kind: notice, period, level}` or `{kind: supervision_order, order}`"),
    responses((status = 200, description = "the document, numbered as the next of its series; nothing is stored",
            content((Vec<u8> = "application/pdf"), (Vec<u8> = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"))),
        (status = 403, description = "supervisors and administrators only"),
        (status = 404, description = "a period with nothing ranked, an unknown order"),
        (status = 422, description = "an article without a title or body, an unknown level or format")))]
pub async fn preview(
    State(state): State<Arc<AppState>>,
    who: SignedIn,
    query: Result<Query<FormatQuery>, QueryRejection>,
    ApiJson(request): ApiJson<DocumentRequest>,
) -> Result<Response, ApiError> {
    let format = format_of(query)?;
    let settings = DocumentSettings::from_env()?;
    let bytes = state.preview_document(&who.actor, &request, &settings, format, Timestamp::now()).await?;
    Ok(file_response(format, "preview", bytes))
}

/// What to issue.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IssueRequest {
    document: DocumentRequest,
    /// The id of an issued document of the same kind that this one corrects.
    #[serde(default)]
    corrects: Option<i64>,
}

/// `POST /api/v1/documents` `{document, corrects?}`: issues a document.
#[utoipa::path(post, path = "/documents", tag = "documents", security(("bearer" = [])),
    request_body(content = IssueRequest, description = "the document to issue, and the issued one it corrects"),
    responses((status = 201, description = "the issued document: numbered, stored in both formats with its snapshot and their SHA-256", body = DocumentView),
        (status = 403, description = "supervisors and administrators only"),
        (status = 404, description = "a period with nothing ranked, an unknown order or corrected document"),
        (status = 422, description = "an article without a title or body, a template naming a missing field; nothing is issued")))]
pub async fn issue(
    State(state): State<Arc<AppState>>,
    who: SignedIn,
    ApiJson(request): ApiJson<IssueRequest>,
) -> Result<(StatusCode, Json<DocumentView>), ApiError> {
    let settings = DocumentSettings::from_env()?;
    let doc = state.issue_document(&who.actor, &request.document, &settings, request.corrects, Timestamp::now()).await?;
    Ok((StatusCode::CREATED, Json(document_view(doc))))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// bulletin, notice or supervision_order.
    kind: Option<String>,
    /// Words in the title or the data.
    q: Option<String>,
    /// 1–500, default 50.
    limit: Option<i64>,
}

/// `GET /api/v1/documents?kind=&q=&limit=`: issued documents, newest first.
#[utoipa::path(get, path = "/documents", tag = "documents", security(("bearer" = [])), params(ListQuery),
    responses((status = 200, description = "issued documents, newest first", body = Items<DocumentView>),
        (status = 422, description = "an unknown kind or a limit out of range")))]
pub async fn list(
    State(state): State<Arc<AppState>>,
    _who: SignedIn,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Json<Items<DocumentView>>, ApiError> {
    let Query(query) = query?;
    if let Some(kind) = &query.kind {
        Kind::parse(kind).ok_or_else(|| ApiError::invalid("kind", format!("unknown kind {kind:?}: bulletin, notice or supervision_order")))?;
    }
    let limit = query.limit.unwrap_or(50);
    if !(1..=500).contains(&limit) {
        return Err(ApiError::invalid("limit", "limit is 1–500"));
    }
    let docs = state.issued_documents(&DocumentFilter { kind: query.kind, text: query.q.filter(|q| !q.trim().is_empty()), limit }).await?;
    Ok(Json(Items { items: docs.into_iter().map(document_view).collect() }))
}

/// `GET /api/v1/documents/{id}`
#[utoipa::path(get, path = "/documents/{id}", tag = "documents", security(("bearer" = [])), params(("id" = i64, Path, description = "the document's id")),
    responses((status = 200, description = "the issued document", body = DocumentView), (status = 404, description = "no such document")))]
pub async fn show(
    State(state): State<Arc<AppState>>,
    _who: SignedIn,
    path: Result<Path<String>, PathRejection>,
) -> Result<Json<DocumentView>, ApiError> {
    let id = path_id("document", path)?;
    Ok(Json(document_view(state.issued_document(id).await?)))
}

/// `GET /api/v1/documents/{id}/file?format=pdf|docx`: the stored file, checked against its hash.
#[utoipa::path(get, path = "/documents/{id}/file", tag = "documents", security(("bearer" = [])),
    params(("id" = i64, Path, description = "the document's id"), FormatQuery),
    responses((status = 200, description = "the file as issued",
            content((Vec<u8> = "application/pdf"), (Vec<u8> = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"))),
        (status = 404, description = "no such document"),
        (status = 500, description = "`integrity`: the stored file or snapshot no longer matches the hash stored at issue")))]
pub async fn file(
    State(state): State<Arc<AppState>>,
    _who: SignedIn,
    path: Result<Path<String>, PathRejection>,
    query: Result<Query<FormatQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let id = path_id("document", path)?;
    let format = format_of(query)?;
    let (doc, bytes) = state.document_file(id, format).await?;
    Ok(file_response(format, &format!("{}-{}-{}", doc.kind, doc.year, doc.number), bytes))
}
