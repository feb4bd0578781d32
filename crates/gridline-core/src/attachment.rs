//! Attachments: the photos and files that come with a case (at intake, with the unit's handling,
//! the verification and the call-back) and, through the same service, with an evaluation's field
//! check or an alley patrol. What a file is comes from its first bytes, never from its name or
//! the type the client declares; this module decides it and the limits, without I/O.

use serde::{Deserialize, Serialize};

use crate::actor::Role;
use crate::message::Reason;
use crate::DomainError;

/// Largest photo accepted: a phone camera's full-size JPEG is 3–8 MB.
pub const MAX_PHOTO_BYTES: usize = 15 * 1024 * 1024;
/// Largest other file accepted (a PDF report, a spreadsheet).
pub const MAX_FILE_BYTES: usize = 20 * 1024 * 1024;
/// Most files one upload carries.
pub const MAX_FILES_PER_UPLOAD: usize = 9;
/// Most pixels a photo may have, in millions (a phone's camera makes 12–50); decoding one takes
/// three bytes a pixel, so this bounds what a hostile upload can make the server allocate.
pub const MAX_PHOTO_MEGAPIXELS: u64 = 50;
/// Longest file name kept (characters); longer names are cut.
pub const MAX_NAME_CHARS: usize = 120;

/// What a file is, read from its first bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MediaType {
    Jpeg,
    Png,
    Webp,
    Pdf,
    /// A Word document (OOXML).
    Docx,
    /// An Excel workbook (OOXML).
    Xlsx,
}

impl MediaType {
    pub const ALL: [MediaType; 6] = [MediaType::Jpeg, MediaType::Png, MediaType::Webp, MediaType::Pdf, MediaType::Docx, MediaType::Xlsx];

    /// The type `bytes` hold, from their signature; `None` for anything gridline does not keep.
    pub fn sniff(bytes: &[u8]) -> Option<MediaType> {
        if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(MediaType::Jpeg)
        } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(MediaType::Png)
        } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
            Some(MediaType::Webp)
        } else if bytes.starts_with(b"%PDF-") {
            Some(MediaType::Pdf)
        } else if bytes.starts_with(b"PK\x03\x04") {
            // An OOXML package names its main part among the first entries; a bare zip is refused.
            let head = &bytes[..bytes.len().min(64 * 1024)];
            let has = |needle: &[u8]| head.windows(needle.len()).any(|w| w == needle);
            if has(b"word/") {
                Some(MediaType::Docx)
            } else if has(b"xl/") {
                Some(MediaType::Xlsx)
            } else {
                None
            }
        } else {
            None
        }
    }

    pub fn parse(text: &str) -> Option<MediaType> {
        MediaType::ALL.into_iter().find(|m| m.as_str() == text)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            MediaType::Jpeg => "jpeg",
            MediaType::Png => "png",
            MediaType::Webp => "webp",
            MediaType::Pdf => "pdf",
            MediaType::Docx => "docx",
            MediaType::Xlsx => "xlsx",
        }
    }

    /// The MIME type it is served with.
    pub fn mime(self) -> &'static str {
        match self {
            MediaType::Jpeg => "image/jpeg",
            MediaType::Png => "image/png",
            MediaType::Webp => "image/webp",
            MediaType::Pdf => "application/pdf",
            MediaType::Docx => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            MediaType::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            MediaType::Jpeg => "jpg",
            other => other.as_str(),
        }
    }

    pub fn is_image(self) -> bool {
        matches!(self, MediaType::Jpeg | MediaType::Png | MediaType::Webp)
    }
}

/// What an upload's part says it carries: `photo` must be an image, `file` may be any kept type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expect {
    Photo,
    File,
}

impl Expect {
    fn limit(self) -> usize {
        match self {
            Expect::Photo => MAX_PHOTO_BYTES,
            Expect::File => MAX_FILE_BYTES,
        }
    }

    /// Refuses `size` bytes when more than the limit: `file_too_large` (413).
    pub fn check_size(self, size: usize) -> Result<(), DomainError> {
        if size > self.limit() {
            return Err(DomainError::Refused(Reason::new("file_too_large").with("max_mb", self.limit() / (1024 * 1024))));
        }
        Ok(())
    }

    /// What `bytes` are, if this part may carry them: `photo_not_image` / `file_type_refused` (415)
    /// otherwise, `file_empty` (422) for nothing at all.
    pub fn check(self, bytes: &[u8]) -> Result<MediaType, DomainError> {
        if bytes.is_empty() {
            return Err(DomainError::Refused(Reason::new("file_empty").on("file")));
        }
        self.check_size(bytes.len())?;
        match (self, MediaType::sniff(bytes)) {
            (Expect::Photo, Some(media)) if media.is_image() => Ok(media),
            (Expect::Photo, _) => Err(DomainError::Refused(Reason::new("photo_not_image"))),
            (Expect::File, Some(media)) => Ok(media),
            (Expect::File, None) => Err(DomainError::Refused(Reason::new("file_type_refused"))),
        }
    }
}

/// When in a case's life an attachment was added.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// With the report: the problem as found.
    Intake,
    /// With the unit's handling: the problem as fixed.
    Handling,
    /// With the verification on the spot.
    Verification,
    /// With the call-back's note.
    Callback,
}

impl Stage {
    /// Whether `role` adds attachments at this stage (besides seeing the case): the reporters
    /// theirs, the unit its proof of the fix, the verifiers theirs, the operator the call-back's.
    pub fn open_to(self, role: Role) -> bool {
        role == Role::Admin
            || match self {
                Stage::Intake => matches!(role, Role::HotlineOperator | Role::GridWorker | Role::Inspector | Role::Dispatcher),
                Stage::Handling => matches!(role, Role::HandlingUnit | Role::MemberUnit),
                Stage::Verification => matches!(role, Role::GridWorker | Role::Inspector | Role::Supervisor),
                Stage::Callback => role == Role::HotlineOperator,
            }
    }

    pub const ALL: [Stage; 4] = [Stage::Intake, Stage::Handling, Stage::Verification, Stage::Callback];

    pub fn parse(text: &str) -> Option<Stage> {
        Stage::ALL.into_iter().find(|s| s.as_str() == text)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Intake => "intake",
            Stage::Handling => "handling",
            Stage::Verification => "verification",
            Stage::Callback => "callback",
        }
    }
}

/// A file name as kept: the last path component, control characters dropped, at most
/// [`MAX_NAME_CHARS`] characters; `file.EXT` when nothing is left.
pub fn clean_name(name: &str, media: MediaType) -> String {
    let last = name.rsplit(['/', '\\']).next().unwrap_or("");
    let kept: String = last.chars().filter(|c| !c.is_control()).take(MAX_NAME_CHARS).collect();
    let kept = kept.trim();
    if kept.is_empty() || kept == "." || kept == ".." { format!("file.{}", media.extension()) } else { kept.to_owned() }
}

/// The size of a thumbnail's longest side, in pixels.
pub const THUMBNAIL_SIDE: u32 = 320;
/// The longest side of a photo as served (the original, with its location, is kept but not served).
pub const DISPLAY_SIDE: u32 = 2048;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_come_from_the_bytes_not_the_name() {
        assert_eq!(MediaType::sniff(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0]), Some(MediaType::Jpeg));
        assert_eq!(MediaType::sniff(b"\x89PNG\r\n\x1a\n...."), Some(MediaType::Png));
        assert_eq!(MediaType::sniff(b"RIFF\0\0\0\0WEBPVP8 "), Some(MediaType::Webp));
        assert_eq!(MediaType::sniff(b"%PDF-1.7\n"), Some(MediaType::Pdf));
        assert_eq!(MediaType::sniff(b"PK\x03\x04....[Content_Types].xml....word/document.xml"), Some(MediaType::Docx));
        assert_eq!(MediaType::sniff(b"PK\x03\x04....xl/workbook.xml"), Some(MediaType::Xlsx));
        for other in [&b"PK\x03\x04 a plain zip"[..], b"<html><script>", b"GIF89a", b"#!/bin/sh", b""] {
            assert_eq!(MediaType::sniff(other), None, "{other:?}");
        }
    }

    #[test]
    fn a_photo_must_be_an_image_and_within_its_limit() {
        let jpeg = [0xFF, 0xD8, 0xFF, 0xE0];
        assert_eq!(Expect::Photo.check(&jpeg), Ok(MediaType::Jpeg));
        let refused = |r: Result<MediaType, DomainError>| match r {
            Err(DomainError::Refused(reason)) => reason.code(),
            other => panic!("{other:?}"),
        };
        assert_eq!(refused(Expect::Photo.check(b"%PDF-1.4")), "photo_not_image");
        assert_eq!(refused(Expect::Photo.check(b"<svg onload=alert(1)>")), "photo_not_image");
        assert_eq!(Expect::File.check(b"%PDF-1.4"), Ok(MediaType::Pdf));
        assert_eq!(refused(Expect::File.check(b"MZ\x90\0")), "file_type_refused");
        assert_eq!(refused(Expect::File.check(b"")), "file_empty");
        let mut big = vec![0u8; MAX_PHOTO_BYTES + 1];
        big[..3].copy_from_slice(&[0xFF, 0xD8, 0xFF]);
        assert_eq!(refused(Expect::Photo.check(&big)), "file_too_large");
        assert!(Expect::File.check(&big).is_ok(), "a file's limit is larger");
    }

    #[test]
    fn names_keep_their_last_component_without_control_characters() {
        assert_eq!(clean_name("../../etc/passwd", MediaType::Pdf), "passwd");
        assert_eq!(clean_name("C:\\photos\\现场.jpg", MediaType::Jpeg), "现场.jpg");
        assert_eq!(clean_name("a\u{0}b\n.png", MediaType::Png), "ab.png");
        assert_eq!(clean_name("", MediaType::Jpeg), "file.jpg");
        assert_eq!(clean_name("..", MediaType::Pdf), "file.pdf");
        assert_eq!(clean_name(&"长".repeat(500), MediaType::Pdf).chars().count(), MAX_NAME_CHARS);
        for stage in Stage::ALL {
            assert_eq!(Stage::parse(stage.as_str()), Some(stage));
            assert!(stage.open_to(Role::Admin));
        }
        assert!(Stage::Handling.open_to(Role::HandlingUnit) && !Stage::Handling.open_to(Role::HotlineOperator));
        assert!(Stage::Verification.open_to(Role::GridWorker) && !Stage::Verification.open_to(Role::HandlingUnit));
    }
}
