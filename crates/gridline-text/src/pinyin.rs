//! A name's pinyin, for searching the catalogue from a phone's keyboard: typing `ljql` or
//! `lajiqingli` finds 垃圾清理. Readings come from the `pinyin` crate's table (Unicode's Unihan
//! readings with corrections), one character at a time, so a polyphone's reading in a word is not
//! known: the first reading is the one spelt out in full, and every reading's first letter is
//! accepted as the initial (行道树 answers to `xds` and to `hds`).

use pinyin::{ToPinyin, ToPinyinMulti};

/// The pinyin of a name: in full by each character's first reading, and the first letters each
/// character may be typed with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Spelling {
    /// The first readings, lower case, without tones or spaces (`lajiqingli`); characters with no
    /// reading (digits, Latin letters) as they are, lower-cased; punctuation and spaces left out.
    pub full: String,
    /// Per character kept, the letters its readings start with, the first reading's first
    /// (`["l", "j", "q", "l"]`; 行 is `"xh"`).
    pub initials: Vec<String>,
}

/// The pinyin of `name` (see [`Spelling`]).
pub fn spell(name: &str) -> Spelling {
    let mut full = String::new();
    let mut initials = Vec::new();
    for (c, (first, all)) in name.chars().zip(name.to_pinyin().zip(name.to_pinyin_multi())) {
        match (first, all) {
            (Some(first), Some(all)) => {
                full.push_str(first.plain());
                let mut letters = String::from(first.first_letter());
                for reading in all {
                    let letter = reading.first_letter();
                    if !letters.contains(letter) {
                        letters.push_str(letter);
                    }
                }
                initials.push(letters);
            }
            _ if c.is_alphanumeric() => {
                let lower: String = c.to_lowercase().collect();
                full.push_str(&lower);
                initials.push(lower);
            }
            _ => {}
        }
    }
    Spelling { full, initials }
}

#[cfg(test)]
mod tests {
    use gridline_core::catalogue::Catalogue;

    use super::*;

    fn spelling_of(name: &str) -> Spelling {
        let catalogue = Catalogue::builtin();
        let entry = catalogue.iter().find(|e| e.name == name).unwrap_or_else(|| panic!("{name} is in the catalogue"));
        spell(&entry.name)
    }

    /// Each character's letters joined by `/`: `l/j/q/l`.
    fn letters(spelling: &Spelling) -> String {
        spelling.initials.join("/")
    }

    #[test]
    fn the_catalogues_names_spell_out_with_their_initials() {
        // The table's rarer readings widen what is accepted (积, 土, 搭).
        for (name, full, initials) in [
            ("积存垃圾渣土", "jicunlajizhatu", "jz/c/l/j/z/tdc"),
            ("公交站亭", "gongjiaozhanting", "g/j/z/t"),
            ("垃圾分类桶站", "lajifenleitongzhan", "l/j/f/l/t/z"),
            ("私搭乱建", "sidaluanjian", "s/dt/l/j"),
        ] {
            let spelling = spelling_of(name);
            assert_eq!((spelling.full.as_str(), letters(&spelling).as_str()), (full, initials), "{name}");
        }
    }

    #[test]
    fn a_polyphone_offers_each_readings_initial_after_the_first_readings() {
        // 行 is xíng (行道树, the first reading) or háng; 倒 is dǎo or dào, one initial.
        let trees = spelling_of("行道树");
        assert_eq!((trees.full.as_str(), letters(&trees).as_str()), ("xingdaoshu", "xh/d/s"));
        assert_eq!(letters(&spelling_of("乱倒污水")), "l/d/w/s");
    }

    #[test]
    fn digits_and_latin_letters_are_kept_and_punctuation_dropped() {
        let spelling = spell("5G基站（室外）");
        assert_eq!(spelling.full, "5gjizhanshiwai");
        assert_eq!(letters(&spelling), "5/g/j/z/s/w");
    }
}
