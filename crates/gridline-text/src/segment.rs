//! Word segmentation: jieba's embedded dictionary plus the words that matter to gridline, taken
//! from the catalogue (entry names and keywords) and the region tree (district and street names
//! with and without their 区/街道/镇/乡/地区 suffix), so that 望京 or 堆物堆料 stay one word.

use gridline_core::catalogue::Catalogue;
use gridline_core::region::RegionTree;

use crate::dictionary::Dictionary;
use crate::is_han;

/// Frequency given to added words: high enough that they stay whole over jieba's own splits,
/// as jieba's user dictionaries do.
const ADDED_WORD_FREQUENCY: u64 = 2000;

/// Segments as jieba-rs's `Jieba::cut(text, false)` does with the same added words (the test
/// `tests/segmentation.rs` holds it to that on every real message), without its per-message
/// allocations: the maximum-probability route through the words of jieba's dictionary, within
/// runs of CJK ideographs, ASCII letters, digits and `+#&._%-`.
pub struct Segmenter {
    dictionary: Dictionary,
    added: Vec<String>,
}

/// What segmenting reuses from text to text: one set per thread.
#[derive(Default)]
pub struct SegmentBuffers {
    /// Dictionary codes of the characters of the current run.
    codes: Vec<u32>,
    /// Byte offset of each character of the run, and the run's length.
    starts: Vec<usize>,
    /// For each character, the best route's score from there to the end of the run, and
    /// where the first word of that route ends (a character index).
    route: Vec<(f64, usize)>,
}

impl Segmenter {
    /// jieba's dictionary plus `words` (blank and single-character words are skipped: they
    /// would only fragment the text).
    pub fn new(words: &[String]) -> Segmenter {
        let mut added: Vec<String> = Vec::new();
        for word in words {
            let word = word.trim();
            if word.chars().count() >= 2 && !word.chars().any(char::is_whitespace) && !added.iter().any(|w| w == word) {
                added.push(word.to_owned());
            }
        }
        Segmenter { dictionary: Dictionary::jieba_with(&added, ADDED_WORD_FREQUENCY), added }
    }

    /// The words added to jieba's dictionary, in order (a model file keeps them).
    pub fn added_words(&self) -> &[String] {
        &self.added
    }

    /// The words of `text`, whitespace and punctuation dropped. No HMM guessing of unknown
    /// words: it is slower and its guesses are unstable across similar messages.
    pub fn words<'t>(&self, text: &'t str) -> Vec<&'t str> {
        let mut words = Vec::new();
        self.each_word(text, &mut SegmentBuffers::default(), |w| words.push(w));
        words
    }

    /// Calls `word` with each word of `text` in order, as [`Segmenter::words`] lists them,
    /// allocating nothing once `buffers` have grown to the longest run.
    pub fn each_word<'t>(&self, text: &'t str, buffers: &mut SegmentBuffers, mut word: impl FnMut(&'t str)) {
        let mut run_start = None;
        for (i, c) in text.char_indices() {
            if in_dictionary_run(c) {
                run_start.get_or_insert(i);
                continue;
            }
            if let Some(start) = run_start.take() {
                self.cut_run(&text[start..i], buffers, &mut word);
            }
            // Outside the runs jieba gives each character alone, and whitespace runs whole:
            // only letters and digits are kept.
            if c.is_alphanumeric() {
                word(&text[i..i + c.len_utf8()]);
            }
        }
        if let Some(start) = run_start {
            self.cut_run(&text[start..], buffers, &mut word);
        }
    }

    /// jieba's route through one run: from the last character back, each character takes
    /// the word starting there that maximises the word's score plus the best score after it
    /// (ties to the longer word); a character no word starts with stands alone.
    fn cut_run<'t>(&self, run: &'t str, buffers: &mut SegmentBuffers, word: &mut impl FnMut(&'t str)) {
        let SegmentBuffers { codes, starts, route } = buffers;
        codes.clear();
        starts.clear();
        for (i, c) in run.char_indices() {
            starts.push(i);
            codes.push(self.dictionary.code(c));
        }
        starts.push(run.len());
        let n = codes.len();
        route.clear();
        route.resize(n + 1, (0.0, n));
        let unknown = self.dictionary.unknown_score();
        for i in (0..n).rev() {
            let mut best: Option<(f64, usize)> = None;
            self.dictionary.prefixes(&codes[i..], |length, score| {
                let candidate = score + route[i + length].0;
                if best.is_none_or(|(b, _)| candidate >= b) {
                    best = Some((candidate, i + length));
                }
            });
            route[i] = best.unwrap_or((unknown + route[i + 1].0, i + 1));
        }

        let mut keep = |piece: &'t str| {
            // An ideograph is a letter (tested in lib.rs): most pieces skip Unicode's tables.
            if piece.chars().any(|c| is_han(c) || c.is_alphanumeric()) {
                word(piece);
            }
        };
        // jieba joins consecutive single ASCII letters and digits into one word ("a3").
        let mut ascii_run: Option<usize> = None;
        let mut x = 0;
        while x < n {
            let y = route[x].1;
            let piece = &run[starts[x]..starts[y]];
            if y == x + 1 && piece.as_bytes()[0].is_ascii_alphanumeric() {
                ascii_run.get_or_insert(x);
            } else {
                if let Some(from) = ascii_run.take() {
                    keep(&run[starts[from]..starts[x]]);
                }
                keep(piece);
            }
            x = y;
        }
        if let Some(from) = ascii_run {
            keep(&run[starts[from]..]);
        }
    }
}

/// The characters jieba cuts with its dictionary (its `RE_HAN_DEFAULT`): CJK ideographs, ASCII
/// letters and digits, and `+#&._%-`.
fn in_dictionary_run(c: char) -> bool {
    matches!(c,
        'a'..='z' | 'A'..='Z' | '0'..='9' | '+' | '#' | '&' | '.' | '_' | '%' | '-'
        | '\u{3400}'..='\u{4dbf}' | '\u{4e00}'..='\u{9fff}' | '\u{f900}'..='\u{faff}'
        | '\u{20000}'..='\u{2a6df}' | '\u{2a700}'..='\u{2ebef}' | '\u{2f800}'..='\u{2fa1f}')
}

/// Catalogue names and keywords, for the segmenter's dictionary.
pub fn catalogue_words(catalogue: &Catalogue) -> Vec<String> {
    catalogue.iter().flat_map(|e| std::iter::once(e.name.clone()).chain(e.keywords.iter().cloned())).collect()
}

/// Region names, full and short (朝阳区 and 朝阳, 望京街道 and 望京).
pub fn place_words(regions: &RegionTree) -> Vec<String> {
    let mut words = Vec::new();
    for region in regions.iter() {
        words.push(region.name.clone());
        if let Some(short) = short_place_name(&region.name) {
            words.push(short.to_owned());
        }
    }
    words
}

/// A place name without its administrative suffix, when at least two characters remain.
pub fn short_place_name(name: &str) -> Option<&str> {
    ["街道办事处", "街道", "地区", "镇", "乡", "区", "市"]
        .iter()
        .find_map(|suffix| name.strip_suffix(suffix))
        .filter(|short| short.chars().count() >= 2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn place_and_catalogue_words_stay_whole() {
        let regions = gridline_geo::beijing();
        let catalogue = Catalogue::builtin();
        let mut words = place_words(&regions);
        words.extend(catalogue_words(&catalogue));
        let seg = Segmenter::new(&words);
        let out = seg.words("望京街道阜通东大街门口堆物堆料，两天没人清运！");
        assert!(out.contains(&"望京街道"), "{out:?}");
        assert!(out.contains(&"堆物堆料"), "{out:?}");
        assert!(!out.iter().any(|w| w.contains('，') || w.contains('！')), "{out:?}");
        assert!(seg.added_words().iter().any(|w| w == "望京"));
    }

    #[test]
    fn short_names_drop_only_the_administrative_suffix() {
        assert_eq!(short_place_name("朝阳区"), Some("朝阳"));
        assert_eq!(short_place_name("望京街道"), Some("望京"));
        assert_eq!(short_place_name("南口镇"), Some("南口"));
        assert_eq!(short_place_name("东区"), None);
    }
}
