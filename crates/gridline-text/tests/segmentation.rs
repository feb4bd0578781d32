//! The segmenter must cut every real message exactly as jieba-rs's `cut(text, false)` does with
//! the same added words (the classifier's quality was measured with jieba-rs), raw and after
//! the classifier's normalisation.


use gridline_testing::shared_data;
use gridline_core::catalogue::Catalogue;
use gridline_text::features::normalise;
use gridline_text::segment::{Segmenter, catalogue_words, place_words};
use gridline_text::table::Table;
use jieba_rs::Jieba;

/// Subject and detail of every message of a file, joined as the commands join them.
fn messages(file: &str) -> Option<Vec<String>> {
    let table = Table::read(&shared_data(file)?).unwrap();
    let columns = table.columns(&["留言主题".to_owned(), "留言详情".to_owned()]).unwrap();
    Some((0..table.rows.len()).map(|r| table.joined(r, &columns)).collect())
}

fn jieba_words<'t>(jieba: &Jieba, text: &'t str) -> Vec<&'t str> {
    jieba.cut(text, false).into_iter().filter(|w| w.chars().any(char::is_alphanumeric)).collect()
}

#[test]
fn every_message_is_cut_exactly_as_jieba_cuts_it() {
    let mut dictionary = catalogue_words(&Catalogue::builtin());
    dictionary.extend(place_words(&gridline_geo::beijing()));
    let segmenter = Segmenter::new(&dictionary);
    let mut jieba = Jieba::new();
    for word in segmenter.added_words() {
        jieba.add_word(word, Some(2000), None);
    }
    let plain = Segmenter::new(&[]);
    let plain_jieba = Jieba::new();

    let mut texts: Vec<String> = ["labelled_messages.csv", "hotspot_messages.csv"]
        .iter()
        .filter_map(|f| messages(&format!("complaints/{f}")))
        .flatten()
        .collect();
    if texts.is_empty() {
        return;
    }
    // Edges of jieba's rules: ASCII runs joined, its extra run characters, other scripts,
    // whitespace of every kind, characters outside the Basic Multilingual Plane.
    texts.push("A3区xx路12号LED灯a-b_c.d%e&f#g+h 4S店 ＡＢ　ｃ\r\n\tcafé №5 ①② Ⅻ 𠀀𠀁 x²".into());
    let mut words = 0;
    for text in &texts {
        for text in [text.clone(), normalise(text)] {
            let ours = segmenter.words(&text);
            assert_eq!(ours, jieba_words(&jieba, &text), "with the added words: {text}");
            assert_eq!(plain.words(&text), jieba_words(&plain_jieba, &text), "jieba's dictionary alone: {text}");
            words += ours.len();
        }
    }
    eprintln!("{} texts, {words} words: identical to jieba-rs", texts.len() * 2);
}
