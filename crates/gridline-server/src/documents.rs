//! Documents over HTTP: preview a 简报, 通报, 督办单, 体检报告, ledger report or 季点名 notice (nothing stored;
//! the snapshot's hash in `X-Snapshot-Sha256`), issue it (numbered and stored with its snapshot
//! and hashes; refused when the snapshot is not the one previewed), list and search the issued
//! ones, and download a file, checked against the hash stored when it was issued.

use std::sync::Arc;

use axum::Json;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use gridline_app::documents::{DocumentRequest, DocumentSettings, IssueOptions, parse_format, parse_template};
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
    /// bulletin, notice, supervision_order, health_report, ledger_report or alley_rollcall
    kind: String,
    /// 简报, 通报, 督办单, 体检报告, 台账年度报告, 背街小巷季点名通报
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

/// The header of a preview carrying its snapshot's SHA-256.
pub const SNAPSHOT_HEADER: &str = "x-snapshot-sha256";

/// What to preview.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreviewRequest {
    document: DocumentRequest,
    /// The id of an issued document of the same kind that this one would correct.
    #[serde(default)]
    corrects: Option<i64>,
    /// The office's own template, as JSON text in the shape of the built-in ones; without it the
    /// kind's built-in template.
    #[serde(default)]
    template: Option<String>,
}

fn options(corrects: Option<i64>, template: Option<&str>, expect_sha256: Option<String>) -> Result<IssueOptions, ApiError> {
    Ok(IssueOptions { corrects, template: template.map(parse_template).transpose()?, expect_sha256 })
}

/// `POST /api/v1/documents/preview?format=pdf|docx`: the document as it would be issued now.
#[utoipa::path(post, path = "/documents/preview", tag = "documents", security(("bearer" = [])), params(FormatQuery),
    request_body(content = PreviewRequest, description = "`{document: {kind: bulletin, articles} | {kind: notice, period, level} | {kind: supervision_order, order} | \
        {kind: health_report, region, period} | {kind: ledger_report, year} | {kind: alley_rollcall, quarter, region?}, corrects?, template?}`"),
    responses((status = 200, description = "the document, numbered as the next of its series; nothing is stored. The snapshot's SHA-256 is in \
            `X-Snapshot-Sha256`: give it to `POST /documents` to issue exactly this",
            headers(("X-Snapshot-Sha256" = String, description = "SHA-256 of the frozen data snapshot shown")),
            content((Vec<u8> = "application/pdf"), (Vec<u8> = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"))),
        (status = 403, description = "supervisors and administrators only"),
        (status = 404, description = "a period or year with nothing to report, an unknown order or corrected document"),
        (status = 422, description = "an article without a title or body, a template naming a field the document has no data for, \
            an unknown level, region or format, a quarter not over or with no alley scored")))]
pub async fn preview(
    State(state): State<Arc<AppState>>,
    who: SignedIn,
    query: Result<Query<FormatQuery>, QueryRejection>,
    ApiJson(request): ApiJson<PreviewRequest>,
) -> Result<Response, ApiError> {
    let format = format_of(query)?;
    let settings = DocumentSettings::from_env()?;
    let options = options(request.corrects, request.template.as_deref(), None)?;
    let preview = state.preview_document(&who.actor, &request.document, &settings, &options, format, Timestamp::now()).await?;
    let mut response = file_response(format, "preview", preview.bytes);
    if let Ok(value) = axum::http::HeaderValue::from_str(&preview.snapshot_sha256) {
        response.headers_mut().insert(SNAPSHOT_HEADER, value);
    }
    Ok(response)
}

/// What to issue.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IssueRequest {
    document: DocumentRequest,
    /// The id of an issued document of the same kind that this one corrects.
    #[serde(default)]
    corrects: Option<i64>,
    /// The office's own template, as JSON text in the shape of the built-in ones.
    #[serde(default)]
    template: Option<String>,
    /// The `X-Snapshot-Sha256` of the preview the issuer read: a snapshot that differs (the data or
    /// the number changed since) is refused with 409 and nothing is issued.
    #[serde(default)]
    snapshot_sha256: Option<String>,
}

/// `POST /api/v1/documents` `{document, corrects?, template?, snapshot_sha256?}`: issues a document.
#[utoipa::path(post, path = "/documents", tag = "documents", security(("bearer" = [])),
    request_body(content = IssueRequest, description = "the document to issue, the issued one it corrects, the template, the previewed snapshot's hash"),
    responses((status = 201, description = "the issued document: numbered, stored in both formats with its snapshot and their SHA-256", body = DocumentView),
        (status = 403, description = "supervisors and administrators only"),
        (status = 404, description = "a period or year with nothing to report, an unknown order or corrected document"),
        (status = 409, description = "the snapshot's hash is not the one previewed; nothing is issued"),
        (status = 422, description = "an article without a title or body, a template naming a missing field, an unknown level or region, \
            a quarter not over or with no alley scored; nothing is issued")))]
pub async fn issue(
    State(state): State<Arc<AppState>>,
    who: SignedIn,
    ApiJson(request): ApiJson<IssueRequest>,
) -> Result<(StatusCode, Json<DocumentView>), ApiError> {
    let settings = DocumentSettings::from_env()?;
    let options = options(request.corrects, request.template.as_deref(), request.snapshot_sha256)?;
    let doc = state.issue_document(&who.actor, &request.document, &settings, &options, Timestamp::now()).await?;
    Ok((StatusCode::CREATED, Json(document_view(doc))))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// bulletin, notice, supervision_order, health_report, ledger_report or alley_rollcall.
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
        Kind::parse(kind).ok_or_else(|| ApiError::invalid("kind", format!("unknown kind {kind:?}: {}", Kind::names())))?;
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
