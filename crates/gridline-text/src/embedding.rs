//! Word vectors learnt from the messages themselves, and a message's vector made of its words'.
//!
//! A city has few labelled messages and many unlabelled ones. Words that stand near the same
//! words mean related things (油烟 and 排烟, 欠薪 and 拖欠), which a model of the labelled words
//! alone cannot know: a held-out message that says 排烟 where the labelled ones said 油烟 still
//! lands near them. Each word that occurs at least [`MIN_COUNT`] times gets a vector: the
//! positive pointwise mutual information of the words within [`WINDOW`] of each other (context
//! counts raised to 0.75, Levy, Goldberg & Dagan 2015), reduced to `dimension` columns by a
//! randomised truncated SVD (Halko, Martinsson & Tropp 2011), each word's row of U·√Σ scaled to
//! unit length and kept as bytes (each word's values scaled so that its largest is ±127: a
//! quarter of the memory, which is what classifying a message waits on). A message's vector is
//! the sum of its words' vectors, each weighted
//! a / (a + p(word)) (smooth inverse frequency, Arora, Liang & Ma 2017), scaled to unit length;
//! the classifier reads it beside the hashed words (`features::weigh`). On the labelled messages
//! it raised cross-validated macro-F1 by about a point (BENCHMARKS.md).

use std::collections::HashMap;

use nalgebra::{DMatrix, SymmetricEigen};
use nohash_hasher::IntMap;

use crate::TextError;
use crate::features::word_hash;
use crate::model::SplitMix;

/// A word seen fewer times has too few neighbours for its vector to mean anything.
pub const MIN_COUNT: u32 = 3;
/// Words at most this many words apart count as neighbours.
pub const WINDOW: usize = 5;
/// The `a` of smooth inverse frequency: words much more frequent than this weigh little.
const SIF_A: f64 = 1e-3;
/// Context counts are raised to this power, so rare contexts do not get extreme associations.
const CONTEXT_SMOOTHING: f64 = 0.75;
/// Extra columns of the random projection, and the subspace iterations that sharpen it: the
/// randomised SVD's usual settings (as scikit-learn's `randomized_svd` with `n_iter=6`).
const OVERSAMPLE: usize = 10;
const POWER_ITERATIONS: usize = 6;

/// Word vectors: each word of the vocabulary with its weight and unit-length vector.
#[derive(Clone, Debug, PartialEq)]
pub struct Embedding {
    dimension: usize,
    words: Vec<String>,
    /// Each word's row and weight by the word's hash (as the featuriser hashes a word, so not
    /// hashed again): one memory access finds both.
    rows: IntMap<u64, (u32, f32)>,
    /// a / (a + p(word)) for each row.
    weights: Vec<f32>,
    /// What a row's bytes are multiplied by to give its unit vector.
    scales: Vec<f32>,
    /// Row-major, `dimension` values per word.
    vectors: Vec<i8>,
}

impl Embedding {
    /// Learns vectors of `dimension` values from documents given as their words in order; none
    /// when the documents have fewer than four words per dimension seen [`MIN_COUNT`] times, too
    /// few for the reduction to find structure.
    pub fn learn(documents: &[Vec<&str>], dimension: usize, seed: u64) -> Option<Embedding> {
        let mut counts: HashMap<&str, u32> = HashMap::new();
        for &word in documents.iter().flatten() {
            *counts.entry(word).or_default() += 1;
        }
        let total: u64 = counts.values().map(|&n| u64::from(n)).sum();
        let mut vocabulary: Vec<(&str, u32)> = counts.iter().filter(|(_, n)| **n >= MIN_COUNT).map(|(w, n)| (*w, *n)).collect();
        if dimension == 0 || vocabulary.len() < 4 * dimension {
            return None;
        }
        // Frequent words first (ties by the word), so the rows and the result are repeatable.
        vocabulary.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        let row_of: HashMap<&str, u32> = vocabulary.iter().enumerate().map(|(i, (w, _))| (*w, i as u32)).collect();
        let association = association(documents, &row_of, vocabulary.len());
        let (u, singular) = truncated_svd(&association, dimension, seed);
        let scale: Vec<f64> = singular.iter().map(|s| s.sqrt()).collect();
        let (mut vectors, mut scales) = (Vec::with_capacity(vocabulary.len() * dimension), Vec::with_capacity(vocabulary.len()));
        for row in u.chunks_exact(dimension) {
            let scaled: Vec<f64> = row.iter().zip(&scale).map(|(x, s)| x * s).collect();
            let norm = scaled.iter().map(|x| x * x).sum::<f64>().sqrt();
            let largest = scaled.iter().fold(0.0f64, |m, x| m.max(x.abs()));
            let step = if norm > 0.0 && largest > 0.0 { largest / norm / 127.0 } else { 1.0 };
            vectors.extend(scaled.iter().map(|x| if norm > 0.0 { (x / norm / step).round() as i8 } else { 0 }));
            scales.push(step as f32);
        }
        let weights = vocabulary.iter().map(|(_, n)| (SIF_A / (SIF_A + f64::from(*n) / total as f64)) as f32).collect();
        let words = vocabulary.into_iter().map(|(w, _)| w.to_owned()).collect();
        Some(Embedding::assemble(dimension, words, weights, scales, vectors))
    }

    /// The lookup by hash over the rows; of two words with one hash (unseen in practice: 64
    /// bits) the more frequent keeps it.
    fn assemble(dimension: usize, words: Vec<String>, weights: Vec<f32>, scales: Vec<f32>, vectors: Vec<i8>) -> Embedding {
        let mut rows = IntMap::default();
        for (i, word) in words.iter().enumerate().rev() {
            rows.insert(word_hash(word), (i as u32, weights[i]));
        }
        Embedding { dimension, words, rows, weights, scales, vectors }
    }

    pub fn dimension(&self) -> usize {
        self.dimension
    }

    pub fn words(&self) -> &[String] {
        &self.words
    }

    /// The row and weight of the word whose hash is `hash`, if it has a vector.
    pub fn lookup(&self, hash: u64) -> Option<(u32, f32)> {
        self.rows.get(&hash).copied()
    }

    /// Adds `by` times the vector of `row` to `sum`.
    pub fn add_row(&self, row: u32, by: f32, sum: &mut [f32]) {
        let at = row as usize * self.dimension;
        let by = by * self.scales[row as usize];
        sum.iter_mut().zip(&self.vectors[at..at + self.dimension]).for_each(|(s, &v)| *s += by * f32::from(v));
    }

    /// The vector of `word`, for inspection and tests.
    pub fn vector(&self, word: &str) -> Option<Vec<f32>> {
        let (row, _) = self.lookup(word_hash(word))?;
        let mut vector = vec![0.0; self.dimension];
        self.add_row(row, 1.0, &mut vector);
        Some(vector)
    }

    /// The file section: the number of words (u32 LE), the byte length of the words (u32 LE),
    /// the words joined by newlines, each word's weight and each word's scale (f32 LE), then the
    /// vectors' bytes (i8), word after word.
    pub fn write(&self, out: &mut Vec<u8>) {
        let words = self.words.join("\n");
        out.extend_from_slice(&u32::try_from(self.words.len()).expect("fewer than 2^32 words").to_le_bytes());
        out.extend_from_slice(&u32::try_from(words.len()).expect("words under 4 GiB").to_le_bytes());
        out.extend_from_slice(words.as_bytes());
        for v in self.weights.iter().chain(&self.scales) {
            out.extend_from_slice(&v.to_le_bytes());
        }
        out.extend(self.vectors.iter().map(|v| v.to_le_bytes()[0]));
    }

    /// Reads [`Embedding::write`]'s section, which must be all of `bytes`.
    pub fn read(dimension: usize, bytes: &[u8]) -> Result<Embedding, TextError> {
        let format = |m: &str| TextError::ModelFormat(format!("word vectors: {m}"));
        let u32_at = |at: usize| bytes.get(at..at + 4).map(|b| u32::from_le_bytes(b.try_into().expect("4 bytes")) as usize);
        let (Some(count), Some(text_len)) = (u32_at(0), u32_at(4)) else {
            return Err(format("the section is truncated"));
        };
        let text = bytes.get(8..8 + text_len).ok_or_else(|| format("the words are truncated"))?;
        let text = std::str::from_utf8(text).map_err(|_| format("the words are not UTF-8"))?;
        let words: Vec<String> = if count == 0 { Vec::new() } else { text.split('\n').map(str::to_owned).collect() };
        if words.len() != count {
            return Err(format("the number of words does not match the section's header"));
        }
        let numbers = &bytes[8 + text_len..];
        if numbers.len() != count * (8 + dimension) {
            return Err(format("the weights and vectors do not match the number of words"));
        }
        let (floats, vectors) = numbers.split_at(8 * count);
        let mut floats = floats.chunks_exact(4).map(|c| f32::from_le_bytes(c.try_into().expect("4 bytes")));
        let weights: Vec<f32> = floats.by_ref().take(count).collect();
        let scales: Vec<f32> = floats.collect();
        let vectors = vectors.iter().map(|&b| i8::from_le_bytes([b])).collect();
        Ok(Embedding::assemble(dimension, words, weights, scales, vectors))
    }
}

/// A sparse matrix in compressed rows.
struct Sparse {
    columns: usize,
    starts: Vec<usize>,
    entries: Vec<(u32, f64)>,
}

impl Sparse {
    /// From (row, column, value) triples, each position once.
    fn from_triples(rows: usize, columns: usize, mut triples: Vec<(u32, u32, f64)>) -> Sparse {
        triples.sort_unstable_by_key(|t| (t.0, t.1));
        let mut starts = vec![0; rows + 1];
        triples.iter().for_each(|t| starts[t.0 as usize + 1] += 1);
        (0..rows).for_each(|r| starts[r + 1] += starts[r]);
        Sparse { columns, starts, entries: triples.into_iter().map(|t| (t.1, t.2)).collect() }
    }

    fn rows(&self) -> usize {
        self.starts.len() - 1
    }

    fn transpose(&self) -> Sparse {
        let triples = (0..self.rows())
            .flat_map(|r| self.entries[self.starts[r]..self.starts[r + 1]].iter().map(move |&(c, v)| (c, r as u32, v)))
            .collect();
        Sparse::from_triples(self.columns, self.rows(), triples)
    }

    /// This matrix times the row-major `dense` of `width` columns, row-major.
    fn times(&self, dense: &[f64], width: usize) -> Vec<f64> {
        let mut out = vec![0.0; self.rows() * width];
        in_parallel(&mut out, width, |first, block| {
            for (offset, out_row) in block.chunks_exact_mut(width).enumerate() {
                let r = first + offset;
                for &(c, v) in &self.entries[self.starts[r]..self.starts[r + 1]] {
                    let row = &dense[c as usize * width..(c as usize + 1) * width];
                    out_row.iter_mut().zip(row).for_each(|(o, x)| *o += v * x);
                }
            }
        });
        out
    }
}

/// Splits the row-major `out` (rows of `width`) into one block of rows per core and fills the
/// blocks at once: `fill(first row, block)`.
fn in_parallel(out: &mut [f64], width: usize, fill: impl Fn(usize, &mut [f64]) + Sync) {
    let rows = out.len() / width.max(1);
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(rows.max(1));
    let per_thread = rows.div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        for (i, block) in out.chunks_mut(per_thread * width).enumerate() {
            let fill = &fill;
            scope.spawn(move || fill(i * per_thread, block));
        }
    });
}

/// Positive pointwise mutual information of the vocabulary's words within [`WINDOW`] of each
/// other, a word with itself left out.
fn association(documents: &[Vec<&str>], row_of: &HashMap<&str, u32>, words: usize) -> Sparse {
    // Each pair once (smaller row first), counted by sorting: lighter than a map of millions.
    let mut pairs: Vec<u64> = Vec::new();
    for document in documents {
        let rows: Vec<Option<u32>> = document.iter().map(|w| row_of.get(w).copied()).collect();
        for (i, a) in rows.iter().enumerate() {
            let Some(a) = *a else { continue };
            for b in rows[i + 1..rows.len().min(i + 1 + WINDOW)].iter().flatten() {
                if a != *b {
                    pairs.push(u64::from(a.min(*b)) << 32 | u64::from(a.max(*b)));
                }
            }
        }
    }
    pairs.sort_unstable();
    let mut counted: Vec<(u32, u32, f64)> = Vec::new();
    for pair in pairs.chunk_by(|a, b| a == b) {
        counted.push(((pair[0] >> 32) as u32, pair[0] as u32, pair.len() as f64));
    }
    let mut row_sums = vec![0.0f64; words];
    for &(a, b, n) in &counted {
        row_sums[a as usize] += n;
        row_sums[b as usize] += n;
    }
    let total: f64 = row_sums.iter().sum();
    let smoothed_total: f64 = row_sums.iter().map(|s| s.powf(CONTEXT_SMOOTHING)).sum();
    let context: Vec<f64> = row_sums.iter().map(|s| s.powf(CONTEXT_SMOOTHING) / smoothed_total * total).collect();
    let mut triples = Vec::with_capacity(counted.len() * 2);
    for (a, b, n) in counted {
        for (w, c) in [(a, b), (b, a)] {
            let pmi = (n * total / (row_sums[w as usize] * context[c as usize])).ln();
            if pmi > 0.0 {
                triples.push((w, c, pmi));
            }
        }
    }
    Sparse::from_triples(words, words, triples)
}

/// The leading `rank` left singular vectors (row-major, `rank` per row) and singular values of
/// `matrix`, by randomised subspace iteration.
fn truncated_svd(matrix: &Sparse, rank: usize, seed: u64) -> (Vec<f64>, Vec<f64>) {
    let transposed = matrix.transpose();
    let width = (rank + OVERSAMPLE).min(matrix.rows()).min(matrix.columns);
    let mut random = SplitMix(seed);
    let start: Vec<f64> = (0..matrix.columns * width).map(|_| (random.next() >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0).collect();
    let mut basis = orthonormal(matrix.times(&start, width), width, false);
    for i in 0..POWER_ITERATIONS {
        let back = orthonormal(transposed.times(&basis, width), width, false);
        basis = orthonormal(matrix.times(&back, width), width, i + 1 == POWER_ITERATIONS);
    }
    // B = Qᵀ·A is small (width × columns); B·Bᵀ = (Aᵀ·Q)ᵀ·(Aᵀ·Q) gives its left singular vectors.
    let projected = transposed.times(&basis, width);
    let eigen = SymmetricEigen::new(DMatrix::from_row_slice(width, width, &gram(&projected, width)));
    let mut order: Vec<usize> = (0..width).collect();
    order.sort_by(|&a, &b| eigen.eigenvalues[b].total_cmp(&eigen.eigenvalues[a]));
    order.truncate(rank);
    let singular: Vec<f64> = order.iter().map(|&i| eigen.eigenvalues[i].max(0.0).sqrt()).collect();
    // U = Q·V, V the eigenvectors in the order of their values.
    let rotation: Vec<f64> = (0..width).flat_map(|r| order.iter().map(move |&c| (r, c))).map(|(r, c)| eigen.eigenvectors[(r, c)]).collect();
    (times_small(&basis, width, &rotation, order.len(), false), singular)
}

/// Yᵀ·Y of the row-major `y` with `width` columns, row-major: each core sums the products of a
/// block of rows.
fn gram(y: &[f64], width: usize) -> Vec<f64> {
    let rows = y.len() / width;
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(rows.max(1));
    let partial = |block: &[f64]| {
        let mut g = vec![0.0; width * width];
        for row in block.chunks_exact(width) {
            for (i, &a) in row.iter().enumerate() {
                g[i * width + i..(i + 1) * width].iter_mut().zip(&row[i..]).for_each(|(g, b)| *g += a * b);
            }
        }
        g
    };
    let mut g = std::thread::scope(|scope| {
        let blocks: Vec<_> = y.chunks(rows.div_ceil(threads).max(1) * width).map(|block| scope.spawn(move || partial(block))).collect();
        blocks.into_iter().map(|b| b.join().expect("a gram block")).reduce(|mut a, b| {
            a.iter_mut().zip(b).for_each(|(a, b)| *a += b);
            a
        })
    })
    .unwrap_or_else(|| vec![0.0; width * width]);
    for i in 0..width {
        for j in 0..i {
            g[i * width + j] = g[j * width + i];
        }
    }
    g
}

/// The row-major `a` (rows of `width`) times the small row-major `b` (`width` × `columns`);
/// with `upper`, `b` is upper triangular and its zeros are skipped.
fn times_small(a: &[f64], width: usize, b: &[f64], columns: usize, upper: bool) -> Vec<f64> {
    let mut out = vec![0.0; a.len() / width * columns];
    in_parallel(&mut out, columns, |first, block| {
        for (offset, out_row) in block.chunks_exact_mut(columns).enumerate() {
            let row = &a[(first + offset) * width..(first + offset + 1) * width];
            for (i, (&x, b_row)) in row.iter().zip(b.chunks_exact(columns)).enumerate() {
                let from = if upper { i } else { 0 };
                out_row[from..].iter_mut().zip(&b_row[from..]).for_each(|(o, y)| *o += x * y);
            }
        }
    });
    out
}

/// An orthonormal basis of the columns of `y` (row-major, `width` columns) by Cholesky QR: with
/// G = YᵀY = RᵀR, Q = Y·R⁻¹. One pass keeps the subspace iteration from overflowing; `accurate`
/// repeats it, which makes the basis orthonormal to rounding (Yamamoto et al. 2015). A
/// rank-deficient Y gets a tiny ridge, so that the factorisation exists.
fn orthonormal(mut y: Vec<f64>, width: usize, accurate: bool) -> Vec<f64> {
    for _ in 0..if accurate { 2 } else { 1 } {
        let mut g = DMatrix::from_row_slice(width, width, &gram(&y, width));
        let ridge = 1e-12 * g.trace().max(f64::MIN_POSITIVE);
        g.iter_mut().step_by(width + 1).for_each(|d| *d += ridge);
        let Some(cholesky) = g.cholesky() else { return y };
        let Some(inverse) = cholesky.l().transpose().try_inverse() else { return y };
        let inverse: Vec<f64> = (0..width).flat_map(|i| (0..width).map(move |j| (i, j))).map(|(i, j)| inverse[(i, j)]).collect();
        y = times_small(&y, width, &inverse, width, true);
    }
    y
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dot(a: &[f32], b: &[f32]) -> f32 {
        a.iter().zip(b).map(|(x, y)| x * y).sum()
    }

    #[test]
    fn the_svd_recovers_a_low_rank_matrix() {
        // A = 5·u1·v1ᵀ + 2·u2·v2ᵀ over 40 × 30, with orthonormal u's and v's of ±1/√n entries.
        let (m, n) = (40usize, 30usize);
        let u1 = |_: usize| 1.0 / (m as f64).sqrt();
        let u2 = |i: usize| if i % 2 == 0 { 1.0 } else { -1.0 } / (m as f64).sqrt();
        let v1 = |_: usize| 1.0 / (n as f64).sqrt();
        let v2 = |j: usize| if j < n / 2 { 1.0 } else { -1.0 } / (n as f64).sqrt();
        let triples = (0..m)
            .flat_map(|i| (0..n).map(move |j| (i, j)))
            .map(|(i, j)| (i as u32, j as u32, 5.0 * u1(i) * v1(j) + 2.0 * u2(i) * v2(j)))
            .collect();
        let a = Sparse::from_triples(m, n, triples);
        let (u, s) = truncated_svd(&a, 2, 7);
        assert!((s[0] - 5.0).abs() < 1e-6 && (s[1] - 2.0).abs() < 1e-6, "{s:?}");
        // The singular vectors up to their sign.
        let first: f64 = (0..m).map(|i| u[i * 2] * u1(i)).sum();
        let second: f64 = (0..m).map(|i| u[i * 2 + 1] * u2(i)).sum();
        assert!((first.abs() - 1.0).abs() < 1e-6 && (second.abs() - 1.0).abs() < 1e-6, "{first} {second}");
    }

    #[test]
    fn the_basis_is_orthonormal() {
        let mut random = SplitMix(3);
        let y: Vec<f64> = (0..200 * 6).map(|_| (random.next() % 1000) as f64 / 1000.0).collect();
        let q = orthonormal(y, 6, true);
        let g = gram(&q, 6);
        for i in 0..6 {
            for j in 0..6 {
                assert!((g[i * 6 + j] - if i == j { 1.0 } else { 0.0 }).abs() < 1e-9, "{i} {j}: {}", g[i * 6 + j]);
            }
        }
    }

    /// Two topics whose words never meet, each with synonyms that never meet each other either
    /// but share their neighbours.
    fn corpus() -> Vec<Vec<String>> {
        let wages = ["拖欠", "工资", "老板", "社保", "公司", "加班", "辞退", "补偿"];
        let noise = ["噪音", "施工", "夜间", "扰民", "工地", "休息", "投诉", "睡觉"];
        let mut documents = Vec::new();
        let mut random = SplitMix(11);
        for (topic, synonyms) in [(wages, ["欠薪", "讨薪"]), (noise, ["吵闹", "喧哗"])] {
            for synonym in synonyms {
                for _ in 0..60 {
                    let mut words: Vec<String> = (0..12).map(|_| topic[(random.next() % 8) as usize].to_owned()).collect();
                    words[6] = synonym.to_owned();
                    documents.push(words);
                }
            }
        }
        documents
    }

    #[test]
    fn words_of_one_topic_have_near_vectors() {
        let documents = corpus();
        let documents: Vec<Vec<&str>> = documents.iter().map(|d| d.iter().map(String::as_str).collect()).collect();
        let embedding = Embedding::learn(&documents, 4, 1).expect("20 words ≥ 4 × 4");
        let v = |w| embedding.vector(w).unwrap_or_else(|| panic!("{w} has a vector"));
        assert!((dot(&v("欠薪"), &v("欠薪")) - 1.0).abs() < 1e-2, "unit length, to the bytes' precision");
        // Synonyms that never met are near; words of the other topic are not.
        assert!(dot(&v("欠薪"), &v("讨薪")) > 0.8, "{}", dot(&v("欠薪"), &v("讨薪")));
        assert!(dot(&v("欠薪"), &v("吵闹")) < 0.3, "{}", dot(&v("欠薪"), &v("吵闹")));
        assert!(embedding.vector("路灯").is_none());
        // The same documents and seed give the same vectors.
        assert_eq!(Embedding::learn(&documents, 4, 1).unwrap(), embedding);
        // Too few words for the dimension: none.
        assert!(Embedding::learn(&documents, 6, 1).is_none());
    }

    #[test]
    fn the_section_round_trips_and_damage_is_named() {
        let documents = corpus();
        let documents: Vec<Vec<&str>> = documents.iter().map(|d| d.iter().map(String::as_str).collect()).collect();
        let embedding = Embedding::learn(&documents, 4, 1).unwrap();
        let mut bytes = Vec::new();
        embedding.write(&mut bytes);
        assert_eq!(Embedding::read(4, &bytes).unwrap(), embedding);
        assert!(Embedding::read(4, &bytes[..bytes.len() - 4]).unwrap_err().to_string().contains("do not match"));
        assert!(Embedding::read(4, &bytes[..6]).unwrap_err().to_string().contains("truncated"));
        assert!(Embedding::read(5, &bytes).is_err());
    }
}
