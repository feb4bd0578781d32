//! Chinese text intelligence for gridline, pure Rust and CPU only: segmentation with domain and
//! place dictionaries ([`segment`]), a trainable complaint classifier ([`model`]) with its
//! evaluation ([`metrics`]), extra examples labelled from official replies ([`distant`]) and word
//! vectors learnt from unlabelled messages ([`embedding`]),
//! near-duplicate detection for 并案 ([`dedupe`]), hot-issue grouping ([`hotspots`]),
//! reply-quality scoring ([`replies`]), names in pinyin for search ([`pinyin`]), and the table
//! readers the commands use ([`table`]).
#![forbid(unsafe_code)]

pub mod dedupe;
mod dictionary;
pub mod distant;
pub mod embedding;
mod error;
pub mod features;
pub mod hotspots;
pub mod keywords;
pub mod metrics;
pub mod model;
pub mod pinyin;
pub mod replies;
pub mod segment;
pub mod table;

pub use error::TextError;

/// FNV-1a, 64 bits: the one stable hash of this crate (feature hashing, SimHash, shingles).
/// `std`'s SipHash is keyed per process and is no on-disk format.
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

/// Whether a character is a CJK ideograph (the unified block and extension A).
pub fn is_han(c: char) -> bool {
    matches!(c, '\u{4e00}'..='\u{9fff}' | '\u{3400}'..='\u{4dbf}')
}

/// Checks that a message is something the Chinese models can read: not empty, and mostly
/// Chinese. Text in another language gets an error rather than a confident-looking guess.
pub fn check_chinese(text: &str) -> Result<(), TextError> {
    let (mut letters, mut han) = (0usize, 0usize);
    for c in text.chars() {
        // An ideograph is a letter: counted without Unicode's tables, which are slow for it.
        if is_han(c) {
            han += 1;
            letters += 1;
        } else if c.is_alphabetic() {
            letters += 1;
        }
    }
    if letters == 0 {
        return Err(TextError::EmptyText("the text is empty (no letters or characters to read)".into()));
    }
    // A fifth of the letters is lenient enough for messages full of addresses, plate numbers
    // and brand names, and still refuses English, Uyghur or Korean text.
    if han * 5 < letters {
        return Err(TextError::NotChinese(format!(
            "the text is not Chinese ({han} Chinese characters among {letters} letters); the models read Chinese only"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv1a64_matches_the_published_test_vectors() {
        assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a64(b"foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn every_ideograph_is_a_letter() {
        let odd: Vec<char> = ('\u{3400}'..='\u{9fff}').filter(|&c| is_han(c) && !c.is_alphabetic()).collect();
        assert!(odd.is_empty(), "{odd:?}");
    }

    #[test]
    fn empty_and_foreign_text_is_refused_with_a_reason() {
        assert!(matches!(check_chinese("   \n\t 123 !!"), Err(TextError::EmptyText(_))));
        assert!(matches!(check_chinese("The street light is broken"), Err(TextError::NotChinese(_))));
        assert!(matches!(check_chinese("가로등이 고장났어요"), Err(TextError::NotChinese(_))));
        check_chinese("A3区 xx路 路灯坏了 LED").unwrap();
    }
}
