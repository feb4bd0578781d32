//! Word segmentation: jieba's embedded dictionary plus the words that matter to gridline, taken
//! from the catalogue (entry names and keywords) and the region tree (district and street names
//! with and without their 区/街道/镇/乡/地区 suffix), so that 望京 or 堆物堆料 stay one word.

use gridline_core::catalogue::Catalogue;
use gridline_core::region::RegionTree;
use jieba_rs::Jieba;

/// Frequency given to added words: high enough that jieba keeps them whole over its own
/// splits, as jieba's user dictionaries do.
const ADDED_WORD_FREQUENCY: usize = 2000;

pub struct Segmenter {
    jieba: Jieba,
    added: Vec<String>,
}

impl Segmenter {
    /// jieba's dictionary plus `words` (blank and single-character words are skipped: they
    /// would only fragment the text).
    pub fn new(words: &[String]) -> Segmenter {
        let mut jieba = Jieba::new();
        let mut added = Vec::new();
        for word in words {
            let word = word.trim();
            if word.chars().count() >= 2 && !word.chars().any(char::is_whitespace) && !added.iter().any(|w| w == word) {
                jieba.add_word(word, Some(ADDED_WORD_FREQUENCY), None);
                added.push(word.to_owned());
            }
        }
        Segmenter { jieba, added }
    }

    /// The words added to jieba's dictionary, in order (a model file keeps them).
    pub fn added_words(&self) -> &[String] {
        &self.added
    }

    /// The words of `text`, whitespace and punctuation dropped. No HMM guessing of unknown
    /// words: it is slower and its guesses are unstable across similar messages.
    pub fn words<'a>(&self, text: &'a str) -> Vec<&'a str> {
        self.jieba.cut(text, false).into_iter().filter(|w| w.chars().any(char::is_alphanumeric)).collect()
    }
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
