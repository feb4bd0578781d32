//! The one attachments service: every photo and file gridline keeps goes through
//! [`App::store_attachment`] — a case's (intake, handling, verification, call-back, through
//! [`App::attach_to_case`]), a material review's submissions, and the evaluation's field checks
//! and the alley patrols, which call it with the bytes they received and link the id it returns
//! to their own records.
//!
//! What a file is comes from its bytes (gridline_core::attachment); the original is kept durably
//! under its SHA-256 before the upload is acknowledged. A photo is served only as re-encoded
//! renderings — its EXIF orientation applied, every metadata block (the GPS position among them)
//! left out, at most 2048 px — and a thumbnail; both are made in the background after the upload
//! and again on demand if missing. The background ones are made one photo at a time, on a
//! thread of their own at the lowest priority, from a bounded queue (crate::background), so that
//! they never take a core from the next upload's acknowledgement. An attachment is served to
//! whoever may see a case or a material submission or a field check it belongs to, and to
//! whoever uploaded it; to nobody else (not found, as for a case).

use std::io::Cursor;
use std::sync::{Arc, OnceLock};

use gridline_core::DomainError;
use gridline_core::actor::Actor;
use gridline_core::attachment::{DISPLAY_SIDE, Expect, MAX_FILES_PER_UPLOAD, MAX_PHOTO_MEGAPIXELS, MediaType, Stage, THUMBNAIL_SIDE, clean_name};
use gridline_core::case::CaseId;
use gridline_core::message::Reason;
use gridline_store::{CaseAttachment, FilesDir, NewAttachment, StoreError, StoredAttachment, Variant};
use image::{DynamicImage, ImageDecoder, ImageReader};
use jiff::Timestamp;
use sha2::{Digest, Sha256};

use crate::background::{BACKGROUND_NICE, Background};
use crate::{App, AppError};

/// One file received: its bytes, the name the client gave, and whether it must be a photo.
pub struct Upload {
    pub bytes: Vec<u8>,
    pub name: String,
    pub expect: Expect,
}

/// What is served of an attachment.
pub struct Content {
    pub bytes: Vec<u8>,
    /// The MIME type served.
    pub mime: &'static str,
    /// The name to save it under.
    pub name: String,
    /// A rendering made from a photo (served inline) rather than the file as uploaded.
    pub rendered: bool,
}

/// Which rendering of a photo is asked for; files are served as uploaded either way.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Size {
    Full,
    Thumbnail,
}

fn refused(code: &'static str) -> AppError {
    AppError::Domain(DomainError::Refused(Reason::new(code)))
}

/// The store's "no directory configured" as the refusal the edges answer 503 with.
fn files_error(err: StoreError) -> AppError {
    match err {
        StoreError::Unsupported(_) => refused("attachments_unavailable"),
        other => other.into(),
    }
}

/// A photo's width and height as shown (its EXIF orientation applied), read from its header
/// without decoding it; refused when unreadable or larger than [`MAX_PHOTO_MEGAPIXELS`].
fn measure(bytes: &[u8]) -> Result<(u32, u32), AppError> {
    let unreadable = |_| AppError::Domain(DomainError::Refused(Reason::new("photo_unreadable").on("file")));
    let mut decoder = ImageReader::new(Cursor::new(bytes)).with_guessed_format().map_err(|e| unreadable(e.to_string()))?.into_decoder().map_err(|e| unreadable(e.to_string()))?;
    let (width, height) = decoder.dimensions();
    let orientation = decoder.orientation().map_err(|e| unreadable(e.to_string()))?;
    if width == 0 || height == 0 {
        return Err(unreadable(String::new()));
    }
    if u64::from(width) * u64::from(height) > MAX_PHOTO_MEGAPIXELS * 1_000_000 {
        return Err(AppError::Domain(DomainError::Refused(Reason::new("photo_too_big").on("file").with("max", MAX_PHOTO_MEGAPIXELS))));
    }
    use image::metadata::Orientation::*;
    Ok(match orientation {
        Rotate90 | Rotate270 | Rotate90FlipH | Rotate270FlipH => (height, width),
        _ => (width, height),
    })
}

/// The photo as served and its thumbnail, as JPEGs: decoded, turned upright by its EXIF
/// orientation, shrunk, and encoded afresh — nothing of the original's metadata is carried over.
pub fn render(bytes: &[u8]) -> Result<(Vec<u8>, Vec<u8>), image::ImageError> {
    let mut decoder = ImageReader::new(Cursor::new(bytes)).with_guessed_format()?.into_decoder()?;
    let orientation = decoder.orientation()?;
    let mut image = DynamicImage::from_decoder(decoder)?;
    image.apply_orientation(orientation);
    let display = if image.width().max(image.height()) > DISPLAY_SIDE {
        image.resize(DISPLAY_SIDE, DISPLAY_SIDE, image::imageops::FilterType::Triangle)
    } else {
        image
    };
    let thumbnail = display.thumbnail(THUMBNAIL_SIDE, THUMBNAIL_SIDE);
    Ok((jpeg(&display, 85)?, jpeg(&thumbnail, 80)?))
}

fn jpeg(image: &DynamicImage, quality: u8) -> Result<Vec<u8>, image::ImageError> {
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality).encode_image(&image.to_rgb8())?;
    Ok(out)
}

/// How many photos may wait for their background renderings; those of an upload past that are
/// made when first asked for. A waiting photo is its hash (its bytes are read back when its turn
/// comes), so a long queue costs little memory.
const RENDER_QUEUE: usize = 1024;

/// A photo waiting for its renderings.
struct RenderJob {
    files: FilesDir,
    sha256: String,
}

/// The process's one rendering thread (started with the first photo kept); none if it could not
/// be started, and then every photo is rendered when first asked for.
fn render_queue() -> Option<&'static Background<RenderJob>> {
    static QUEUE: OnceLock<Option<Background<RenderJob>>> = OnceLock::new();
    QUEUE
        .get_or_init(|| match Background::start("gridline-render", RENDER_QUEUE, BACKGROUND_NICE, render_in_background) {
            Ok(queue) => Some(queue),
            Err(err) => {
                tracing::warn!(%err, "no thread for the photos' renderings; they are made when first asked for");
                None
            }
        })
        .as_ref()
}

/// Makes and keeps a photo's renderings, unless both are there already (asked for meanwhile).
fn render_in_background(job: RenderJob) {
    let RenderJob { files, sha256 } = job;
    if files.has_derived(&sha256, Variant::Display) && files.has_derived(&sha256, Variant::Thumbnail) {
        return;
    }
    let made = files.original(&sha256).map_err(|e| e.to_string()).and_then(|original| {
        let (display, thumbnail) = render(&original).map_err(|e| e.to_string())?;
        files.put_derived(&sha256, Variant::Display, &display).map_err(|e| e.to_string())?;
        files.put_derived(&sha256, Variant::Thumbnail, &thumbnail).map_err(|e| e.to_string())
    });
    if let Err(err) = made {
        tracing::warn!(%sha256, %err, "rendering a photo failed; it is tried again when asked for");
    }
}

impl App {
    /// Checks an upload by its bytes (type, size, a photo's header) and keeps them durably under
    /// their SHA-256; the row naming them is the caller's to commit.
    async fn keep(&self, upload: Upload, actor: &Actor, now: Timestamp) -> Result<NewAttachment, AppError> {
        let (media, width, height) = check_upload(&upload)?;
        let size = i64::try_from(upload.bytes.len()).unwrap_or(i64::MAX);
        let bytes: Arc<[u8]> = upload.bytes.into();
        let sha256 = hex::encode(Sha256::digest(&bytes));
        self.store.attachments().put_original(&sha256, bytes).await.map_err(files_error)?;
        let name = clean_name(&upload.name, media);
        Ok(NewAttachment { sha256, media, size, width, height, name, uploaded_by: actor.user_id, uploaded_at: now })
    }

    /// Queues a photo's renderings once its row is committed (never waiting: with the queue
    /// full, they are made when first asked for).
    fn render_later(&self, attachment: &StoredAttachment) {
        if !attachment.media.is_image() {
            return;
        }
        let Ok(files) = self.store.attachments().files_dir() else { return };
        if files.has_derived(&attachment.sha256, Variant::Thumbnail) {
            return;
        }
        let queued = render_queue().is_some_and(|queue| queue.offer(RenderJob { files, sha256: attachment.sha256.clone() }));
        if !queued {
            tracing::debug!(sha256 = %attachment.sha256, "the rendering queue is full; the photo is rendered when first asked for");
        }
    }

    /// Keeps one file and records who uploaded it: checked by its bytes (type, size, a photo's
    /// header), stored durably under its SHA-256, and recorded; the photo's renderings follow in
    /// the background. Returns the record, whose `id` the caller links to its own (a case through
    /// [`App::attach_to_case`], a field check or a patrol in their own tables).
    pub async fn store_attachment(&self, upload: Upload, actor: &Actor, now: Timestamp) -> Result<StoredAttachment, AppError> {
        let kept = self.keep(upload, actor, now).await?;
        let stored = self.store.attachments().insert(kept).await?;
        self.render_later(&stored);
        Ok(stored)
    }

    /// Keeps `uploads` and adds them to the case at `stage`, for an actor who may see the case
    /// and adds attachments at that stage: every file durably under its hash first, then their
    /// rows and their links to the case in one transaction. Returns the case's attachments added.
    pub async fn attach_to_case(&self, id: CaseId, stage: Stage, uploads: Vec<Upload>, actor: &Actor, now: Timestamp) -> Result<Vec<CaseAttachment>, AppError> {
        self.visible_case(id, actor).await?;
        check_attaching(stage, uploads.len(), actor)?;
        let mut news = Vec::with_capacity(uploads.len());
        for upload in uploads {
            news.push(self.keep(upload, actor, now).await?);
        }
        let added = self.store.attachments().insert_on_case(id, news, stage, actor.user_id, now).await?;
        for attachment in &added {
            self.render_later(&attachment.attachment);
        }
        Ok(added)
    }

    /// A case's attachments, for an actor who may see the case.
    pub async fn case_attachments(&self, id: CaseId, actor: &Actor) -> Result<Vec<CaseAttachment>, AppError> {
        self.visible_case(id, actor).await?;
        Ok(self.store.attachments().of_case(id).await?)
    }

    /// The attachment if `actor` may see it: its uploader, whoever may see a case it belongs to,
    /// a material submission it was submitted with, or a field check it was taken at. Not found
    /// otherwise, like a case.
    pub async fn visible_attachment(&self, id: i64, actor: &Actor) -> Result<StoredAttachment, AppError> {
        let not_found = || AppError::Domain(DomainError::Refused(Reason::new("attachment_not_found").with("id", id)));
        let attachment = self.store.attachments().get(id).await?.ok_or_else(not_found)?;
        if attachment.uploaded_by == actor.user_id {
            return Ok(attachment);
        }
        for case in self.store.attachments().cases_of(id).await? {
            if self.visible_case(case, actor).await.is_ok() {
                return Ok(attachment);
            }
        }
        for (_, region) in self.store.material().submissions_with_file(id).await? {
            if self.sees_material_of(actor, &region) {
                return Ok(attachment);
            }
        }
        if self.sees_check_photo(actor, id).await? {
            return Ok(attachment);
        }
        Err(not_found())
    }

    /// What is served of an attachment `actor` may see: a photo as its rendering of `size`
    /// (never the original, which may carry where it was taken), a file as uploaded.
    pub async fn attachment_content(&self, id: i64, size: Size, actor: &Actor) -> Result<Content, AppError> {
        let attachment = self.visible_attachment(id, actor).await?;
        let files = self.store.attachments();
        if !attachment.media.is_image() {
            let bytes = files.original(&attachment.sha256).await.map_err(files_error)?;
            return Ok(Content { bytes, mime: attachment.media.mime(), name: attachment.name, rendered: false });
        }
        let variant = match size {
            Size::Full => Variant::Display,
            Size::Thumbnail => Variant::Thumbnail,
        };
        let bytes = match files.derived(&attachment.sha256, variant).await.map_err(files_error)? {
            Some(bytes) => bytes,
            None => {
                let original: Arc<[u8]> = files.original(&attachment.sha256).await.map_err(files_error)?.into();
                let (display, thumbnail) = renderings(&self.store, &attachment.sha256, original).await?;
                if variant == Variant::Display { display } else { thumbnail }
            }
        };
        let stem = attachment.name.rsplit_once('.').map_or(attachment.name.as_str(), |(stem, _)| stem);
        Ok(Content { bytes, mime: "image/jpeg", name: format!("{stem}.jpg"), rendered: true })
    }
}

/// What an upload is, read from its bytes before anything is kept: its type and a photo's size
/// as shown. Refused when the part may not carry it (`photo_not_image`, `file_type_refused`) or
/// the photo is unreadable or too big. A request that keeps several things (a patrol and its
/// photos) checks each upload with it first, so that a refused one leaves nothing written.
pub fn check_upload(upload: &Upload) -> Result<(MediaType, Option<u32>, Option<u32>), AppError> {
    let media = upload.expect.check(&upload.bytes)?;
    let (width, height) = if media.is_image() { measure(&upload.bytes).map(|(w, h)| (Some(w), Some(h)))? } else { (None, None) };
    Ok((media, width, height))
}

/// Whether `actor` may add `count` uploads (at least one, at most [`MAX_FILES_PER_UPLOAD`]) to a
/// case at `stage`.
pub(crate) fn check_attaching(stage: Stage, count: usize, actor: &Actor) -> Result<(), AppError> {
    if !stage.open_to(actor.role) {
        return Err(AppError::forbidden(format!("role {} adds no attachments at the {} stage", actor.role.as_str(), stage.as_str())));
    }
    if count == 0 {
        return Err(AppError::Domain(DomainError::Refused(Reason::new("required").on("file"))));
    }
    if count > MAX_FILES_PER_UPLOAD {
        return Err(AppError::Domain(DomainError::Refused(Reason::new("too_many_files").with("max", MAX_FILES_PER_UPLOAD))));
    }
    Ok(())
}

/// Makes and keeps a photo's two renderings; returns them.
async fn renderings(store: &gridline_store::Store, sha256: &str, original: Arc<[u8]>) -> Result<(Vec<u8>, Vec<u8>), AppError> {
    let (display, thumbnail) = tokio::task::spawn_blocking(move || render(&original))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?
        .map_err(|e| AppError::Internal(format!("rendering photo {sha256}: {e}")))?;
    let files = store.attachments();
    files.put_derived(sha256, Variant::Display, display.clone()).await.map_err(files_error)?;
    files.put_derived(sha256, Variant::Thumbnail, thumbnail.clone()).await.map_err(files_error)?;
    Ok((display, thumbnail))
}
