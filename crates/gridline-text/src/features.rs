//! Hashed sparse features of a message: jieba words, word bigrams and character n-grams, each
//! hashed with FNV-1a into 2^bits buckets (no vocabulary to store or grow), weighted by
//! sublinear term frequency × inverse document frequency and scaled to unit length.

use serde::{Deserialize, Serialize};

use crate::segment::Segmenter;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeatureConfig {
    /// log2 of the number of hash buckets.
    pub bits: u8,
    pub words: bool,
    pub word_bigrams: bool,
    /// Character n-grams from `char_min` to `char_max` (0 = none), within runs of letters and
    /// digits: they catch words the dictionary does not know (estate names, new slang).
    pub char_min: u8,
    pub char_max: u8,
}

impl Default for FeatureConfig {
    fn default() -> Self {
        FeatureConfig { bits: 18, words: true, word_bigrams: true, char_min: 2, char_max: 3 }
    }
}

impl FeatureConfig {
    pub fn dimension(&self) -> usize {
        1 << self.bits
    }

    pub fn check(&self) -> Result<(), String> {
        if !(10..=24).contains(&self.bits) {
            return Err(format!("feature bits must be within 10..=24, not {}", self.bits));
        }
        if self.char_max < self.char_min || self.char_max > 5 || (self.char_min == 0) != (self.char_max == 0) {
            return Err(format!("character n-grams {}..={} make no sense (1..=5, or 0 for none)", self.char_min, self.char_max));
        }
        if !self.words && !self.word_bigrams && self.char_max == 0 {
            return Err("no features chosen".into());
        }
        Ok(())
    }
}

/// A sparse vector: bucket indices ascending, each once.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SparseVector {
    pub entries: Vec<(u32, f32)>,
}

impl SparseVector {
    pub fn dot(&self, dense: &[f32]) -> f32 {
        self.entries.iter().map(|&(i, v)| v * dense[i as usize]).sum()
    }

    pub fn squared_norm(&self) -> f32 {
        self.entries.iter().map(|&(_, v)| v * v).sum()
    }
}

/// FNV-1a over a namespace byte and several parts, so `w`+"路灯" and `c`+"路灯" differ.
fn hash_parts(namespace: u8, parts: &[&[u8]]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |b: u8| {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    };
    eat(namespace);
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            eat(0x1f);
        }
        part.iter().for_each(|&b| eat(b));
    }
    hash
}

/// Full-width ASCII to half-width and Latin letters to lower case, so that `ＡＢＣ１` and `abc1`
/// count as one thing.
pub fn normalise(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\u{ff01}'..='\u{ff5e}' => char::from_u32(c as u32 - 0xfee0).unwrap_or(c),
            '\u{3000}' => ' ',
            _ => c,
        })
        .flat_map(char::to_lowercase)
        .collect()
}

pub struct Featuriser<'a> {
    pub config: FeatureConfig,
    pub segmenter: &'a Segmenter,
}

impl Featuriser<'_> {
    /// Hashed term counts of `text` (before weighting).
    pub fn counts(&self, text: &str) -> Vec<(u32, f32)> {
        let text = normalise(text);
        let mask = (1u64 << self.config.bits) - 1;
        let mut buckets: Vec<u32> = Vec::with_capacity(text.len());
        if self.config.words || self.config.word_bigrams {
            let words = self.segmenter.words(&text);
            if self.config.words {
                buckets.extend(words.iter().map(|w| (hash_parts(b'w', &[w.as_bytes()]) & mask) as u32));
            }
            if self.config.word_bigrams {
                buckets.extend(words.windows(2).map(|p| (hash_parts(b'b', &[p[0].as_bytes(), p[1].as_bytes()]) & mask) as u32));
            }
        }
        if self.config.char_max > 0 {
            let (lo, hi) = (usize::from(self.config.char_min), usize::from(self.config.char_max));
            for run in text.split(|c: char| !c.is_alphanumeric()).filter(|r| !r.is_empty()) {
                let starts: Vec<usize> = run.char_indices().map(|(i, _)| i).chain([run.len()]).collect();
                let chars = starts.len() - 1;
                for n in lo..=hi.min(chars) {
                    for s in 0..=chars - n {
                        let gram = &run.as_bytes()[starts[s]..starts[s + n]];
                        buckets.push((hash_parts(b'c', &[gram]) & mask) as u32);
                    }
                }
            }
        }
        buckets.sort_unstable();
        let mut counts: Vec<(u32, f32)> = Vec::with_capacity(buckets.len() / 2);
        for b in buckets {
            match counts.last_mut() {
                Some((last, n)) if *last == b => *n += 1.0,
                _ => counts.push((b, 1.0)),
            }
        }
        counts
    }

    /// The weighted, unit-length vector: (1 + ln tf) × idf, L2-normalised.
    pub fn vector(&self, text: &str, idf: &[f32]) -> SparseVector {
        let mut entries = self.counts(text);
        for (i, v) in &mut entries {
            *v = (1.0 + v.ln()) * idf[*i as usize];
        }
        let norm = entries.iter().map(|(_, v)| v * v).sum::<f32>().sqrt();
        if norm > 0.0 {
            entries.iter_mut().for_each(|(_, v)| *v /= norm);
        }
        SparseVector { entries }
    }
}

/// Smoothed inverse document frequency per bucket, ln((1 + n) / (1 + df)) + 1, as scikit-learn
/// computes it, from the bucket counts of a corpus.
pub fn inverse_document_frequency(dimension: usize, documents: &[Vec<(u32, f32)>]) -> Vec<f32> {
    let mut df = vec![0u32; dimension];
    for doc in documents {
        for &(i, _) in doc {
            df[i as usize] += 1;
        }
    }
    let n = documents.len() as f32;
    df.into_iter().map(|d| ((1.0 + n) / (1.0 + d as f32)).ln() + 1.0).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::segment::Segmenter;

    #[test]
    fn vectors_are_unit_length_and_repeatable() {
        let seg = Segmenter::new(&[]);
        let f = Featuriser { config: FeatureConfig::default(), segmenter: &seg };
        let text = "小区门口的路灯坏了，晚上一片漆黑。路灯坏了！";
        let idf = vec![1.0; f.config.dimension()];
        let v = f.vector(text, &idf);
        assert!((v.squared_norm() - 1.0).abs() < 1e-5);
        assert_eq!(v, f.vector(text, &idf));
        assert!(v.entries.windows(2).all(|p| p[0].0 < p[1].0), "indices ascend, each once");
        // "路灯" occurs twice as a word: its count says so.
        let counts = f.counts(text);
        let lamp = (hash_parts(b'w', &["路灯".as_bytes()]) & ((1 << 18) - 1)) as u32;
        assert_eq!(counts.iter().find(|(i, _)| *i == lamp).map(|c| c.1), Some(2.0));
    }

    #[test]
    fn full_width_and_case_do_not_matter() {
        assert_eq!(normalise("ＡＢＣ１２３　ok"), "abc123 ok");
    }

    #[test]
    fn empty_text_has_an_empty_vector() {
        let seg = Segmenter::new(&[]);
        let f = Featuriser { config: FeatureConfig::default(), segmenter: &seg };
        assert!(f.vector("，。！ ", &vec![1.0; 1 << 18]).entries.is_empty());
    }

    #[test]
    fn nonsense_configurations_are_refused() {
        assert!(FeatureConfig { bits: 30, ..FeatureConfig::default() }.check().is_err());
        assert!(FeatureConfig { char_min: 3, char_max: 2, ..FeatureConfig::default() }.check().is_err());
        assert!(FeatureConfig { words: false, word_bigrams: false, char_min: 0, char_max: 0, bits: 16 }.check().is_err());
        FeatureConfig::default().check().unwrap();
    }
}
