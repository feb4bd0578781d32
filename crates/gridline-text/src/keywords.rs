//! The suggestion when no model is trained yet: the catalogue's own words. Each fileable entry
//! is scored by the distinct terms of it found in the message (its name, its keywords, and the
//! words of its name), longer terms counting more since they are more specific; the shares of
//! the total score are reported as confidences.

use gridline_core::catalogue::Catalogue;
use serde::Serialize;

use crate::features::normalise;
use crate::model::{Prediction, Scored};
use crate::segment::Segmenter;
use crate::{TextError, check_chinese};

pub struct KeywordSuggester {
    /// (entry code, its terms)
    entries: Vec<(String, Vec<String>)>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct KeywordSuggestion {
    pub prediction: Prediction,
    /// The catalogue terms found in the text for the best entry.
    pub matched: Vec<String>,
}

impl KeywordSuggester {
    pub fn new(catalogue: &Catalogue, segmenter: &Segmenter) -> KeywordSuggester {
        let entries = catalogue
            .leaves()
            .map(|entry| {
                let mut terms: Vec<String> = std::iter::once(entry.name.as_str())
                    .chain(entry.keywords.iter().map(String::as_str))
                    .chain(segmenter.words(&entry.name))
                    .map(normalise)
                    .filter(|t| t.chars().count() >= 2)
                    .collect();
                terms.sort();
                terms.dedup();
                (entry.code.clone(), terms)
            })
            .collect();
        KeywordSuggester { entries }
    }

    /// The best entries for `text`, or `None` when no catalogue term occurs in it.
    pub fn suggest(&self, text: &str) -> Result<Option<KeywordSuggestion>, TextError> {
        check_chinese(text)?;
        let text = normalise(text);
        let mut scored: Vec<(f32, &str, Vec<String>)> = self
            .entries
            .iter()
            .filter_map(|(code, terms)| {
                let matched: Vec<String> = terms.iter().filter(|t| text.contains(t.as_str())).cloned().collect();
                let score: f32 = matched.iter().map(|t| (t.chars().count() as f32).powf(1.5)).sum();
                (score > 0.0).then_some((score, code.as_str(), matched))
            })
            .collect();
        if scored.is_empty() {
            return Ok(None);
        }
        scored.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(b.1)));
        let total: f32 = scored.iter().map(|s| s.0).sum();
        let top: Vec<Scored> =
            scored.iter().take(3).map(|(s, code, _)| Scored { label: (*code).to_owned(), confidence: s / total }).collect();
        let matched = scored.swap_remove(0).2;
        Ok(Some(KeywordSuggestion {
            prediction: Prediction { label: top[0].label.clone(), confidence: top[0].confidence, top },
            matched,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_entry_whose_words_occur_wins_and_groups_are_never_suggested() {
        let catalogue = Catalogue::builtin();
        let seg = Segmenter::new(&[]);
        let s = KeywordSuggester::new(&catalogue, &seg);
        let got = s.suggest("楼下暴露垃圾好几天了，垃圾满溢无人清运").unwrap().unwrap();
        assert_eq!(got.prediction.label, "S0102", "{got:?}");
        assert!(got.matched.contains(&"暴露垃圾".to_owned()), "{:?}", got.matched);
        assert!(got.prediction.top.iter().all(|t| catalogue.is_leaf(&t.label)));
        assert!(got.prediction.top.windows(2).all(|w| w[0].confidence >= w[1].confidence));
    }

    #[test]
    fn unreadable_text_is_an_error() {
        let s = KeywordSuggester::new(&Catalogue::builtin(), &Segmenter::new(&[]));
        assert!(s.suggest("").is_err());
        assert!(s.suggest("rubbish everywhere").is_err());
    }
}
