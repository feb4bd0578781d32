//! Attachments of cases: upload (multipart), list, and the file itself. The application layer
//! checks and keeps them (gridline_app::attachments); here the multipart body is read with each
//! file's limit enforced as it streams in, and the answers are shaped.

use std::sync::Arc;

use axum::Json;
use axum::extract::multipart::{Multipart, MultipartError, MultipartRejection};
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use gridline_app::attachments::{Content, Size, Upload};
use gridline_core::Reason;
use gridline_core::actor::Actor;
use gridline_core::attachment::{Expect, MAX_FILES_PER_UPLOAD, MediaType, Stage};
use gridline_store::{CaseAttachment, StoredAttachment};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::AppState;
use crate::auth::SignedIn;
use crate::cases::{parse_id, path_id};
use crate::error::ApiError;
use crate::views::{Items, local_time};

/// Largest upload request: up to [`MAX_FILES_PER_UPLOAD`] files, each within its own limit
/// (15 MB a photo, 20 MB a file), which is checked as the file streams in.
pub const UPLOAD_BODY_LIMIT_BYTES: usize = 100 * 1024 * 1024;

/// An attachment as the API shows it.
#[derive(Serialize, ToSchema)]
pub struct AttachmentView {
    id: i64,
    /// When in the case's life it was added; none for an attachment not (yet) on a case.
    stage: Option<Stage>,
    /// What the file is, read from its bytes.
    media_type: MediaType,
    /// The name it was uploaded under.
    name: String,
    /// Bytes, as uploaded.
    size: i64,
    /// A photo's size as shown (upright), in pixels.
    width: Option<u32>,
    height: Option<u32>,
    /// SHA-256 of the bytes as uploaded (hex).
    sha256: String,
    uploaded_at: String,
    /// The photo (upright, without its metadata) or the file, for the web pages, which send the
    /// session cookie: `/files/{id}`. API clients use `GET /api/v1/attachments/{id}`.
    url: String,
    /// A photo's thumbnail for the web pages: `/files/{id}/thumb`; none for a file.
    thumbnail_url: Option<String>,
}

impl AttachmentView {
    pub(crate) fn new(attachment: StoredAttachment, stage: Option<Stage>) -> AttachmentView {
        let id = attachment.id;
        AttachmentView {
            id,
            stage,
            media_type: attachment.media,
            name: attachment.name,
            size: attachment.size,
            width: attachment.width,
            height: attachment.height,
            sha256: attachment.sha256,
            uploaded_at: local_time(attachment.uploaded_at),
            url: format!("/files/{id}"),
            thumbnail_url: attachment.media.is_image().then(|| format!("/files/{id}/thumb")),
        }
    }

    fn of_case(attachment: CaseAttachment) -> AttachmentView {
        AttachmentView::new(attachment.attachment, Some(attachment.stage))
    }
}

/// The body of an upload (`multipart/form-data`).
#[derive(ToSchema)]
pub struct UploadForm {
    /// intake, handling, verification or callback.
    pub(crate) stage: Option<Stage>,
    /// Photos: JPEG, PNG or WebP (read from the bytes), at most 15 MB each.
    #[schema(value_type = Vec<String>, format = Binary)]
    pub(crate) photo: Vec<Upload>,
    /// Other files: a photo, PDF, Word or Excel, at most 20 MB each.
    #[schema(value_type = Vec<String>, format = Binary)]
    pub(crate) file: Vec<Upload>,
}

fn multipart_error(err: MultipartError) -> ApiError {
    if err.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::PayloadTooLarge(format!("an upload is at most {} MiB", UPLOAD_BODY_LIMIT_BYTES / (1024 * 1024)))
    } else {
        ApiError::BadRequest(err.body_text())
    }
}

/// Reads the form, refusing a file as soon as it passes its limit.
pub(crate) async fn read_form(multipart: Result<Multipart, MultipartRejection>) -> Result<UploadForm, ApiError> {
    let mut parts = read_parts(multipart, &["stage"]).await?;
    let stage = match parts.fields.remove("stage") {
        Some(text) => Some(Stage::parse(text.trim()).ok_or_else(|| ApiError::Refused(Reason::new("unknown_stage").on("stage").with("stage", text.trim())))?),
        None => None,
    };
    Ok(UploadForm { stage, photo: parts.photo, file: parts.file })
}

/// A multipart body as read: its text fields and its photos and files.
pub(crate) struct Parts {
    pub(crate) fields: std::collections::HashMap<&'static str, String>,
    pub(crate) photo: Vec<Upload>,
    pub(crate) file: Vec<Upload>,
}

/// Reads a multipart body of `photo` and `file` parts and the text `fields` named (each at most
/// as large as a JSON body), refusing a file as soon as it passes its limit, and more than
/// [`MAX_FILES_PER_UPLOAD`] files.
pub(crate) async fn read_parts(multipart: Result<Multipart, MultipartRejection>, fields: &[&'static str]) -> Result<Parts, ApiError> {
    let mut multipart = multipart.map_err(|_| ApiError::UnsupportedMediaType("send the files as multipart/form-data".into()))?;
    let mut form = Parts { fields: Default::default(), photo: Vec::new(), file: Vec::new() };
    while let Some(mut part) = multipart.next_field().await.map_err(multipart_error)? {
        let name = part.name().unwrap_or_default().to_owned();
        let expect = match name.as_str() {
            "photo" => Expect::Photo,
            "file" => Expect::File,
            other => {
                let Some(field) = fields.iter().find(|f| **f == other) else {
                    return Err(ApiError::invalid(other, format!("unknown part {other:?}: send {}, photo and file", fields.join(", "))));
                };
                let mut bytes = Vec::new();
                while let Some(chunk) = part.chunk().await.map_err(multipart_error)? {
                    bytes.extend_from_slice(&chunk);
                    if bytes.len() > crate::BODY_LIMIT_BYTES {
                        return Err(ApiError::PayloadTooLarge(format!("the part {field} is larger than {} KiB", crate::BODY_LIMIT_BYTES / 1024)));
                    }
                }
                let text = String::from_utf8(bytes).map_err(|_| ApiError::invalid(field, format!("the part {field} is not UTF-8 text")))?;
                form.fields.insert(field, text);
                continue;
            }
        };
        if form.photo.len() + form.file.len() >= MAX_FILES_PER_UPLOAD {
            return Err(ApiError::Refused(Reason::new("too_many_files").with("max", MAX_FILES_PER_UPLOAD)));
        }
        let file_name = part.file_name().unwrap_or_default().to_owned();
        let mut bytes = Vec::new();
        while let Some(chunk) = part.chunk().await.map_err(multipart_error)? {
            bytes.extend_from_slice(&chunk);
            expect.check_size(bytes.len())?;
        }
        let upload = Upload { bytes, name: file_name, expect };
        match expect {
            Expect::Photo => form.photo.push(upload),
            Expect::File => form.file.push(upload),
        }
    }
    Ok(form)
}

/// `POST /api/v1/cases/{id}/attachments`: photos and files added to a case at a stage.
#[utoipa::path(post, path = "/cases/{id}/attachments", tag = "cases", security(("bearer" = [])), params(("id" = i64, Path, description = "case id")),
    request_body(content = UploadForm, content_type = "multipart/form-data",
        description = "`stage` (intake, handling, verification, callback) and one or more `photo` (JPEG, PNG, WebP; 15 MB each) or `file` (also PDF, Word, Excel; 20 MB each) parts, at most 9; the type is read from the bytes"),
    responses((status = 201, description = "the attachments added, each acknowledged once its bytes are on disk", body = Items<AttachmentView>),
        (status = 400, description = "a malformed multipart body"),
        (status = 403, description = "the role adds no attachments at this stage"),
        (status = 404, description = "no such case, or not visible to you"),
        (status = 413, description = "`file_too_large`: a file over its limit (the request over 100 MiB)"),
        (status = 415, description = "`photo_not_image`: a photo that is not a JPEG, PNG or WebP image; `file_type_refused`: a file of another type; or a body that is not multipart/form-data"),
        (status = 422, description = "no stage or no file, an unknown stage or part, an empty or unreadable photo, too many files or pixels"),
        (status = 503, description = "`attachments_unavailable`: the server has no attachments directory")))]
pub async fn upload(
    State(state): State<Arc<AppState>>,
    who: SignedIn,
    path: Result<Path<String>, PathRejection>,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<(StatusCode, Json<Items<AttachmentView>>), ApiError> {
    let id = parse_id(path)?;
    // The case first: nobody learns about the limits of a case they may not see.
    state.visible_case(id, &who.actor).await?;
    let form = read_form(multipart).await?;
    let stage = form.stage.ok_or_else(|| ApiError::Refused(Reason::new("required").on("stage")))?;
    let uploads = form.photo.into_iter().chain(form.file).collect();
    let added = state.attach_to_case(id, stage, uploads, &who.actor, Timestamp::now()).await?;
    Ok((StatusCode::CREATED, Json(Items { items: added.into_iter().map(AttachmentView::of_case).collect() })))
}

/// `GET /api/v1/cases/{id}/attachments`: a case's photos and files, oldest first.
#[utoipa::path(get, path = "/cases/{id}/attachments", tag = "cases", security(("bearer" = [])), params(("id" = i64, Path, description = "case id")),
    responses((status = 200, description = "the case's attachments, oldest first", body = Items<AttachmentView>),
        (status = 404, description = "no such case, or not visible to you")))]
pub async fn list(
    State(state): State<Arc<AppState>>,
    who: SignedIn,
    path: Result<Path<String>, PathRejection>,
) -> Result<Json<Items<AttachmentView>>, ApiError> {
    let id = parse_id(path)?;
    let attachments = state.case_attachments(id, &who.actor).await?;
    Ok(Json(Items { items: attachments.into_iter().map(AttachmentView::of_case).collect() }))
}

/// Query of `GET /api/v1/attachments/{id}`.
#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ContentQuery {
    /// `full` (default) or `thumb`: a photo's rendering; a file is served as uploaded either way.
    size: Option<String>,
}

/// `GET /api/v1/attachments/{id}[?size=thumb]`: a photo upright and without its metadata (no
/// location), or its thumbnail, as JPEG; a file as uploaded.
#[utoipa::path(get, path = "/attachments/{id}", tag = "cases", security(("bearer" = [])),
    params(("id" = i64, Path, description = "attachment id"), ContentQuery),
    responses((status = 200, description = "the photo's rendering, or the file",
            content((Vec<u8> = "image/jpeg"), (Vec<u8> = "application/pdf"),
                (Vec<u8> = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
                (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        (status = 404, description = "no such attachment, or on no case visible to you"),
        (status = 422, description = "`size` is neither full nor thumb"),
        (status = 503, description = "`attachments_unavailable`: the server has no attachments directory")))]
pub async fn content(
    State(state): State<Arc<AppState>>,
    who: SignedIn,
    path: Result<Path<String>, PathRejection>,
    query: Result<Query<ContentQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let id = path_id("attachment", path)?;
    let Query(query) = query?;
    let size = match query.size.as_deref() {
        None | Some("full") => Size::Full,
        Some("thumb") => Size::Thumbnail,
        Some(other) => return Err(ApiError::invalid("size", format!("size is full or thumb, not {other:?}"))),
    };
    serve(&state, id, size, &who.actor).await
}

/// An attachment's bytes for `actor` (the API's route and the web pages' `/files/{id}`).
pub(crate) async fn serve(state: &AppState, id: i64, size: Size, actor: &Actor) -> Result<Response, ApiError> {
    let Content { bytes, mime, name, rendered } = state.attachment_content(id, size, actor).await?;
    let disposition = format!("{}; filename*=UTF-8''{}", if rendered { "inline" } else { "attachment" }, crate::web::percent_encode(&name));
    Ok((
        [
            (header::CONTENT_TYPE, mime.to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
            // Only this user's browser keeps it: what it may see can change with a case.
            (header::CACHE_CONTROL, "private, max-age=3600".to_owned()),
            // A file is never run as a page of this site.
            (header::CONTENT_SECURITY_POLICY, "default-src 'none'; sandbox".to_owned()),
        ],
        bytes,
    )
        .into_response())
}
