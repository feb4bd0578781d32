//! Hashed sparse features of a message: jieba words (optionally word bigrams and character
//! n-grams), each hashed with FNV-1a into 2^bits buckets (no vocabulary to store or grow),
//! weighted by sublinear term frequency × inverse document frequency and scaled to unit length.
//! The first line of a message is its subject (留言主题) and counts `title_weight` times; a word
//! that names exactly one class in a category scheme adds a feature for that class.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::embedding::Embedding;
use crate::segment::{SegmentBuffers, Segmenter};

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
    /// How many times the words of the first line (the subject) count.
    pub title_weight: u8,
    /// The subject's words also as features of their own, apart from the same words in the
    /// details: a word in a one-line summary says more about the topic than in the story, and a
    /// field per feature space is how several text fields are usually combined. Absent (false)
    /// in models trained before it, which then featurise as they were trained.
    #[serde(default)]
    pub subject_words: bool,
    /// Values of the message's vector made of word vectors learnt from the training and
    /// unlabelled messages (crate::embedding), 0 for none. A trained model's configuration says
    /// what it has: 0 when the corpus had too few words, and in models trained before it.
    #[serde(default)]
    pub embedding: u16,
}

/// Words only, the subject three times and once more as subject words, and a message vector of
/// 200 values: on the labelled messages, bigrams and character n-grams lowered cross-validated
/// macro-F1, the subject weight, the subject's own words and the word vectors raised it
/// (BENCHMARKS.md).
impl Default for FeatureConfig {
    fn default() -> Self {
        FeatureConfig {
            bits: 18,
            words: true,
            word_bigrams: false,
            char_min: 0,
            char_max: 0,
            title_weight: 3,
            subject_words: true,
            embedding: 200,
        }
    }
}

impl FeatureConfig {
    /// The hashed features' buckets.
    pub fn buckets(&self) -> usize {
        1 << self.bits
    }

    /// All features: the buckets, then the message vector's values.
    pub fn dimension(&self) -> usize {
        self.buckets() + usize::from(self.embedding)
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
        if !(1..=10).contains(&self.title_weight) {
            return Err(format!("the subject's weight must be within 1..=10, not {}", self.title_weight));
        }
        if self.embedding > 1000 {
            return Err(format!("word vectors of {} values are too long (at most 1000)", self.embedding));
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

/// The hash of a word's feature, by which class words and word vectors are looked up too.
pub(crate) fn word_hash(word: &str) -> u64 {
    hash_parts(b'w', &[word.as_bytes()])
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
    let mut out = String::with_capacity(text.len());
    normalise_into(text, &mut out);
    out
}

fn normalise_into(text: &str, out: &mut String) {
    out.clear();
    for c in text.chars() {
        normalise_char(c, |n| out.push(n));
    }
}

/// [`normalise`] of one character, handed to `push` (a few letters lower-case to more than one).
pub(crate) fn normalise_char(c: char, mut push: impl FnMut(char)) {
    let c = match c {
        '\u{ff01}'..='\u{ff5e}' => char::from_u32(c as u32 - 0xfee0).unwrap_or(c),
        '\u{3000}' => ' ',
        _ => c,
    };
    if c.is_ascii() {
        push(c.to_ascii_lowercase());
    } else if has_no_case(c) {
        push(c);
    } else {
        c.to_lowercase().for_each(push);
    }
}

/// CJK punctuation, kana and ideographs have no lower case: most of a message skips the
/// Unicode case tables.
fn has_no_case(c: char) -> bool {
    matches!(c, '\u{3000}'..='\u{9fff}')
}

/// Words of a category scheme that name exactly one class (word → class).
pub type PriorTerms = BTreeMap<String, String>;

/// Turns messages into hashed term counts: the segmenter, the configuration, the class words
/// and the word vectors.
pub struct Featuriser {
    config: FeatureConfig,
    segmenter: Segmenter,
    /// The class words by the hash of their word feature (sorted), each with its class's
    /// feature hash: a word is looked up by the hash it needs anyway.
    class_words: Vec<(u64, String, u64)>,
    embedding: Option<Arc<Embedding>>,
}

/// What featurising reuses from message to message: one set per thread.
#[derive(Default)]
pub struct FeatureBuffers {
    text: String,
    segment: SegmentBuffers,
    terms: Vec<(u32, f32)>,
    /// The rows of the message's word vectors, each with its weight, as the words come.
    word_vectors: Vec<(u32, f32)>,
    word_vector_shares: Vec<(u32, f32)>,
}

impl FeatureBuffers {
    /// After [`Featuriser::count_into`]: the rows of the message's word vectors, each once, with
    /// its share in the message's vector (the shares sum to 1).
    pub fn word_vector_shares(&self) -> &[(u32, f32)] {
        &self.word_vector_shares
    }
}

/// Sorts `pairs` by key and sums the values of equal keys into `out`.
fn sum_by_key(pairs: &mut [(u32, f32)], out: &mut Vec<(u32, f32)>) {
    pairs.sort_unstable_by_key(|p| p.0);
    out.clear();
    for &(key, value) in pairs.iter() {
        match out.last_mut() {
            Some((last, total)) if *last == key => *total += value,
            _ => out.push((key, value)),
        }
    }
}

/// Words made of ASCII letters and digits only (numbers, codes, anonymised names such as "A3")
/// say nothing about the topic, nor do single characters (了, 的, 市); dropping both raised
/// cross-validated macro-F1 a little.
fn informative(word: &str) -> bool {
    !word.is_ascii() && word.chars().nth(1).is_some()
}

/// The words of `text` that features are made of, in order (the subject's once): what word
/// vectors are learnt from.
pub fn informative_words(segmenter: &Segmenter, text: &str) -> Vec<String> {
    segmenter.words(&normalise(text)).into_iter().filter(|w| informative(w)).map(str::to_owned).collect()
}

impl Featuriser {
    /// The configuration's `embedding` is taken from `embedding` (0 without).
    pub fn new(config: FeatureConfig, segmenter: Segmenter, prior_terms: &PriorTerms, embedding: Option<Arc<Embedding>>) -> Featuriser {
        let mut class_words: Vec<(u64, String, u64)> = prior_terms
            .iter()
            .map(|(word, class)| (word_hash(word), word.clone(), hash_parts(b'p', &[class.as_bytes()])))
            .collect();
        class_words.sort_unstable();
        let embedding_values = embedding.as_ref().map_or(0, |e| u16::try_from(e.dimension()).expect("checked dimension"));
        Featuriser { config: FeatureConfig { embedding: embedding_values, ..config }, segmenter, class_words, embedding }
    }

    pub fn config(&self) -> &FeatureConfig {
        &self.config
    }

    pub fn segmenter(&self) -> &Segmenter {
        &self.segmenter
    }

    pub fn embedding(&self) -> Option<&Embedding> {
        self.embedding.as_deref()
    }

    /// Hashed term counts of `text` (before weighting), bucket indices ascending: the first
    /// line's terms count `title_weight` times when more lines follow, and once more as subject
    /// words when the configuration says so. With word vectors, the message's vector follows at
    /// the indices past the buckets: the mean of its words' vectors, each weighing its word's
    /// weight times the word's count (unless no word has a vector).
    pub fn counts(&self, text: &str) -> Vec<(u32, f32)> {
        let (mut buffers, mut counts) = (FeatureBuffers::default(), Vec::new());
        self.count_into(text, &mut buffers, &mut counts);
        if let Some(embedding) = &self.embedding.as_ref().filter(|_| !buffers.word_vector_shares.is_empty()) {
            let mut mean = vec![0.0; embedding.dimension()];
            for &(row, share) in &buffers.word_vector_shares {
                embedding.add_row(row, share, &mut mean);
            }
            let first = self.config.buckets() as u32;
            counts.extend(mean.into_iter().enumerate().map(|(i, v)| (first + i as u32, v)));
        }
        counts
    }

    /// The hashed term counts of [`Featuriser::counts`] into `counts`, allocating nothing once
    /// the buffers have grown; the message's vector is left as the shares of its words' vectors
    /// ([`FeatureBuffers::word_vector_shares`]), so that a model can take it through each word's
    /// projection on its classes rather than build it.
    pub fn count_into(&self, text: &str, buffers: &mut FeatureBuffers, counts: &mut Vec<(u32, f32)>) {
        let FeatureBuffers { text: normalised, segment, terms, word_vectors, word_vector_shares } = buffers;
        normalise_into(text, normalised);
        terms.clear();
        word_vectors.clear();
        match normalised.split_once('\n') {
            Some((title, body)) => {
                self.push_terms(title, f32::from(self.config.title_weight), self.config.subject_words, segment, terms, word_vectors);
                self.push_terms(body, 1.0, false, segment, terms, word_vectors);
            }
            None => self.push_terms(normalised, 1.0, false, segment, terms, word_vectors),
        }
        sum_by_key(terms, counts);
        sum_by_key(word_vectors, word_vector_shares);
        let total: f32 = word_vector_shares.iter().map(|s| s.1).sum();
        word_vector_shares.iter_mut().for_each(|s| s.1 /= total);
    }

    /// The terms of `text`, each counting `weight`; with `subject`, its words also count once as
    /// subject words. The rows of the words' vectors go to `word_vectors`, each weighing `weight`
    /// times its word's own weight.
    fn push_terms(
        &self,
        text: &str,
        weight: f32,
        subject: bool,
        segment: &mut SegmentBuffers,
        terms: &mut Vec<(u32, f32)>,
        word_vectors: &mut Vec<(u32, f32)>,
    ) {
        let mask = (1u64 << self.config.bits) - 1;
        let mut push = |hash: u64, weight: f32| terms.push(((hash & mask) as u32, weight));
        if self.config.words || self.config.word_bigrams || subject || !self.class_words.is_empty() || self.embedding.is_some() {
            let mut previous: Option<&str> = None;
            self.segmenter.each_word(text, segment, |word| {
                if !informative(word) {
                    return;
                }
                let hash = word_hash(word);
                if let Some((row, own)) = self.embedding.as_ref().and_then(|e| e.lookup(hash)) {
                    word_vectors.push((row, weight * own));
                }
                if self.config.words {
                    push(hash, weight);
                }
                if subject {
                    push(hash_parts(b's', &[word.as_bytes()]), 1.0);
                }
                if let Some(previous) = previous.filter(|_| self.config.word_bigrams) {
                    push(hash_parts(b'b', &[previous.as_bytes(), word.as_bytes()]), weight);
                }
                previous = Some(word);
                if let Some(class) = self.class_of(hash, word) {
                    push(class, weight);
                }
            });
        }
        if self.config.char_max > 0 {
            let (lo, hi) = (usize::from(self.config.char_min), usize::from(self.config.char_max));
            for run in text.split(|c: char| !c.is_alphanumeric()).filter(|r| !r.is_empty()) {
                let starts: Vec<usize> = run.char_indices().map(|(i, _)| i).chain([run.len()]).collect();
                let chars = starts.len() - 1;
                for n in lo..=hi.min(chars) {
                    for s in 0..=chars - n {
                        push(hash_parts(b'c', &[&run.as_bytes()[starts[s]..starts[s + n]]]), weight);
                    }
                }
            }
        }
    }

    /// The feature hash of the class `word` names, if it is a class word.
    fn class_of(&self, hash: u64, word: &str) -> Option<u64> {
        let at = self.class_words.partition_point(|c| c.0 < hash);
        self.class_words[at..].iter().take_while(|c| c.0 == hash).find(|c| c.1 == word).map(|c| c.2)
    }
}

/// Weights term counts in place, (1 + ln tf) × idf, and scales them to unit length; the
/// message's vector past the buckets (past the IDF table) stays as it is: a mean of unit
/// vectors (of length 0.42 on average on the public messages), it did as well beside the words
/// as the same vector scaled to 0.5, and better than the mean halved or made half as long again
/// (BENCHMARKS.md).
pub fn weigh(counts: &mut [(u32, f32)], idf: &[f32]) {
    let buckets = counts.partition_point(|(i, _)| (*i as usize) < idf.len());
    let terms = &mut counts[..buckets];
    for (i, v) in terms.iter_mut() {
        *v = (1.0 + v.ln()) * idf[*i as usize];
    }
    let norm = terms.iter().map(|(_, v)| v * v).sum::<f32>().sqrt();
    if norm > 0.0 {
        terms.iter_mut().for_each(|(_, v)| *v /= norm);
    }
}

/// Smoothed inverse document frequency per bucket, ln((1 + n) / (1 + df)) + 1, as scikit-learn
/// computes it, from the bucket counts of a corpus (a message vector past the buckets has none).
pub fn inverse_document_frequency<'a>(buckets: usize, documents: impl IntoIterator<Item = &'a [(u32, f32)]>) -> Vec<f32> {
    let mut df = vec![0u32; buckets];
    let mut n = 0usize;
    for doc in documents {
        n += 1;
        for &(i, _) in doc.iter().take_while(|(i, _)| (*i as usize) < buckets) {
            df[i as usize] += 1;
        }
    }
    let n = n as f32;
    df.into_iter().map(|d| ((1.0 + n) / (1.0 + d as f32)).ln() + 1.0).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::segment::Segmenter;

    #[test]
    fn vectors_are_unit_length_and_repeatable() {
        let f = Featuriser::new(FeatureConfig::default(), Segmenter::new(&[]), &PriorTerms::new(), None);
        let text = "小区门口的路灯坏了，晚上一片漆黑。路灯坏了！";
        let idf = vec![1.0; FeatureConfig::default().buckets()];
        let vector = |text| {
            let mut entries = f.counts(text);
            weigh(&mut entries, &idf);
            SparseVector { entries }
        };
        let v = vector(text);
        assert!((v.squared_norm() - 1.0).abs() < 1e-5);
        assert_eq!(v, vector(text));
        assert!(v.entries.windows(2).all(|p| p[0].0 < p[1].0), "indices ascend, each once");
        // "路灯" occurs twice as a word: its count says so.
        let counts = f.counts(text);
        let lamp = (hash_parts(b'w', &["路灯".as_bytes()]) & ((1 << 18) - 1)) as u32;
        assert_eq!(counts.iter().find(|(i, _)| *i == lamp).map(|c| c.1), Some(2.0));
    }

    #[test]
    fn the_subject_counts_more_codes_count_nothing_and_class_words_add_their_class() {
        let terms: PriorTerms = [("拖欠".to_owned(), "劳动".to_owned())].into();
        let f = Featuriser::new(FeatureConfig::default(), Segmenter::new(&[]), &terms, None);
        let bucket = |namespace, s: &str| (hash_parts(namespace, &[s.as_bytes()]) & ((1 << 18) - 1)) as u32;
        let counts = f.counts("路灯\n路灯，拖欠维修费");
        let of = |b| counts.iter().find(|c| c.0 == b).map(|c| c.1);
        assert_eq!(of(bucket(b'w', "路灯")), Some(4.0), "three from the subject, one from the body");
        assert_eq!(of(bucket(b'w', "拖欠")), Some(1.0));
        assert_eq!(of(bucket(b'p', "劳动")), Some(1.0));
        assert_eq!(of(bucket(b's', "路灯")), Some(1.0), "once more as a subject word");
        assert_eq!(of(bucket(b's', "拖欠")), None, "words of the body are not subject words");
        assert_eq!(f.counts("A3 2020 路灯"), f.counts("路灯"), "numbers and codes are dropped");
        let without = Featuriser::new(FeatureConfig { subject_words: false, ..FeatureConfig::default() }, Segmenter::new(&[]), &terms, None);
        assert!(without.counts("路灯
路灯").iter().all(|c| c.0 != bucket(b's', "路灯")));
    }

    #[test]
    fn a_model_trained_before_subject_words_featurises_without_them() {
        let old = r#"{"bits":18,"words":true,"word_bigrams":false,"char_min":0,"char_max":0,"title_weight":3}"#;
        let config: FeatureConfig = serde_json::from_str(old).unwrap();
        assert!(!config.subject_words);
    }

    #[test]
    fn full_width_and_case_do_not_matter() {
        assert_eq!(normalise("ＡＢＣ１２３　ok ÄΣ"), "abc123 ok äσ");
    }

    #[test]
    fn the_characters_taken_as_caseless_have_no_lower_case() {
        let changed: Vec<char> = ('\u{3000}'..='\u{9fff}').filter(|&c| has_no_case(c) && c.to_lowercase().ne([c])).collect();
        assert!(changed.is_empty(), "{changed:?}");
    }

    #[test]
    fn buffers_reused_across_messages_give_the_same_counts() {
        let terms: PriorTerms = [("拖欠".to_owned(), "劳动".to_owned())].into();
        let f = Featuriser::new(FeatureConfig { word_bigrams: true, ..FeatureConfig::default() }, Segmenter::new(&[]), &terms, None);
        let (mut buffers, mut counts) = (FeatureBuffers::default(), Vec::new());
        for text in ["公司拖欠工资三个月\n老板跑了，工资没着落", "路灯", "小区门口垃圾堆积没人清运"] {
            f.count_into(text, &mut buffers, &mut counts);
            assert_eq!(counts, f.counts(text));
        }
    }

    #[test]
    fn empty_text_has_an_empty_vector() {
        let f = Featuriser::new(FeatureConfig::default(), Segmenter::new(&[]), &PriorTerms::new(), None);
        assert!(f.counts("，。！ ").is_empty());
    }

    #[test]
    fn nonsense_configurations_are_refused() {
        assert!(FeatureConfig { bits: 30, ..FeatureConfig::default() }.check().is_err());
        assert!(FeatureConfig { char_min: 3, char_max: 2, ..FeatureConfig::default() }.check().is_err());
        assert!(FeatureConfig { words: false, word_bigrams: false, char_min: 0, char_max: 0, ..FeatureConfig::default() }.check().is_err());
        assert!(FeatureConfig { title_weight: 0, ..FeatureConfig::default() }.check().is_err());
        FeatureConfig::default().check().unwrap();
    }
}
