//! How the documents of cases and their events are kept (migration 0018): their JSON compressed
//! as one zstd frame against a dictionary of gridline's own document structure
//! (`documents.dict`, trained on the field names, codes, enums and timestamps of case and event
//! documents whose free text had been blanked, so that it holds no one's words). A few hundred
//! bytes of JSON are too short for zstd to find much to repeat in by itself; with the dictionary
//! the names and shapes it has seen cost a few bytes each.
//!
//! A document written before 0018 is its JSON as it was (the migration turned the text into
//! bytes unchanged): a stored value is a zstd frame when it starts with zstd's magic number, and
//! JSON (which starts with `{`) otherwise. The dictionary is part of the format: a frame names
//! its dictionary's id, and a new dictionary must be added beside this one, never in its place.

use std::borrow::Cow;
use std::cell::RefCell;
use std::sync::LazyLock;

use zstd::bulk::{Compressor, Decompressor};
use zstd::dict::{DecoderDictionary, EncoderDictionary};

use crate::StoreError;

/// The dictionary (its zstd id is in its header).
const DICTIONARY: &[u8] = include_bytes!("documents.dict");

/// zstd's level: 1. On documents of a few hundred bytes its default, 3, searched twice as long
/// for 6 % fewer bytes (a 681-byte intake event against the dictionary: 10.6 µs and 294 bytes at
/// level 3, 5.2 µs and 312 bytes at 1), and every intake and action packs one or two of them on
/// the request's thread. Higher levels gained little. The level is not part of the format.
const LEVEL: i32 = 1;

/// The largest document a frame may unpack to: far above any case (its texts are bounded at a
/// few thousand characters), so that a damaged row cannot make a reader allocate without bound.
const MAX_DOCUMENT: usize = 16 << 20;

const ZSTD_MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];

static ENCODER: LazyLock<EncoderDictionary<'static>> = LazyLock::new(|| EncoderDictionary::copy(DICTIONARY, LEVEL));
static DECODER: LazyLock<DecoderDictionary<'static>> = LazyLock::new(|| DecoderDictionary::copy(DICTIONARY));

thread_local! {
    static COMPRESSOR: RefCell<Option<Compressor<'static>>> = const { RefCell::new(None) };
    static DECOMPRESSOR: RefCell<Option<Decompressor<'static>>> = const { RefCell::new(None) };
}

/// `value` as a stored document: its JSON, compressed.
pub(crate) fn pack<T: serde::Serialize>(value: &T) -> Result<Vec<u8>, StoreError> {
    pack_json(&serde_json::to_vec(value).map_err(StoreError::corrupt)?)
}

/// A document's JSON, compressed.
pub(crate) fn pack_json(json: &[u8]) -> Result<Vec<u8>, StoreError> {
    COMPRESSOR.with(|cell| {
        let mut cell = cell.borrow_mut();
        let compressor = match &mut *cell {
            Some(compressor) => compressor,
            slot => slot.insert(Compressor::with_prepared_dictionary(&ENCODER).map_err(StoreError::corrupt)?),
        };
        compressor.compress(json).map_err(StoreError::corrupt)
    })
}

/// The JSON of a stored document, packed or (written before 0018) as it was.
pub(crate) fn unpack(stored: &[u8]) -> Result<Cow<'_, [u8]>, StoreError> {
    if !stored.starts_with(&ZSTD_MAGIC) {
        return Ok(Cow::Borrowed(stored));
    }
    DECOMPRESSOR.with(|cell| {
        let mut cell = cell.borrow_mut();
        let decompressor = match &mut *cell {
            Some(decompressor) => decompressor,
            slot => slot.insert(Decompressor::with_prepared_dictionary(&DECODER).map_err(StoreError::corrupt)?),
        };
        decompressor.decompress(stored, MAX_DOCUMENT).map(Cow::Owned).map_err(StoreError::corrupt)
    })
}

/// A stored document read back as `T`; `what` names it in the error.
pub(crate) fn read<T: serde::de::DeserializeOwned>(stored: &[u8], what: impl FnOnce() -> String) -> Result<T, StoreError> {
    unpack(stored)
        .and_then(|json| serde_json::from_slice(&json).map_err(StoreError::corrupt))
        .map_err(|e| StoreError::corrupt(format!("{}: {e}", what())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug)]
    struct Doc {
        status: String,
        description: String,
    }

    #[test]
    fn a_document_comes_back_as_it_went_in_and_smaller() {
        let doc = Doc { status: "dispatched".into(), description: "望京街道阜通东大街6号门口垃圾两天没人清运".repeat(3) };
        let packed = pack(&doc).expect("packed");
        assert!(packed.starts_with(&ZSTD_MAGIC));
        assert!(packed.len() < serde_json::to_vec(&doc).expect("json").len(), "{} bytes", packed.len());
        assert_eq!(read::<Doc>(&packed, || "doc".into()).expect("read"), doc);
    }

    #[test]
    fn a_document_written_before_packing_is_read_as_the_json_it_is() {
        let json = br#"{"status":"closed","description":"a"}"#;
        assert_eq!(read::<Doc>(json, || "doc".into()).expect("read"), Doc { status: "closed".into(), description: "a".into() });
    }

    #[test]
    fn a_damaged_frame_is_reported_with_what_it_was() {
        let mut packed = pack(&Doc { status: "closed".into(), description: "x".repeat(200) }).expect("packed");
        packed.truncate(packed.len() - 3);
        let err = read::<Doc>(&packed, || "case 7".into()).expect_err("a truncated frame");
        assert!(err.to_string().contains("case 7"), "{err}");
    }
}
