//! Near-duplicate cases (并案): a 64-bit SimHash of each open case's text (character 3-gram
//! shingles hashed with FNV-1a), kept in memory in buckets by street and by a grid cell about
//! as wide as the search radius. A new case is compared with the recent open cases in its
//! street and the cells around its point; text similarity, same category and nearness make a
//! score, and those above the threshold are suggested for the dispatcher to merge.

use std::collections::HashMap;

use serde::Serialize;

use crate::features::normalise_char;
use crate::{fnv1a64, is_han};

/// SimHash (Charikar 2002) over the character 3-grams of the letters and digits in `text`
/// (normalised); texts shorter than three such characters hash their whole run.
///
/// It runs on every intake: a sliding window of the last three letters, rather than a
/// normalised copy of the text, a list of its characters and a buffer per 3-gram.
pub fn simhash(text: &str) -> u64 {
    let mut votes = Votes { lanes: [0; 8], in_lanes: 0, ones: [0; 64], hashes: 0 };
    let mut window = ['\0'; 3];
    let mut letters = 0usize;
    for c in text.chars() {
        normalise_char(c, |c| {
            // An ideograph is a letter: most of a message skips Unicode's tables.
            if is_han(c) || c.is_alphanumeric() {
                window = [window[1], window[2], c];
                letters += 1;
                if letters >= 3 {
                    votes.add(fnv1a64_chars(&window));
                }
            }
        });
    }
    if (1..3).contains(&letters) {
        votes.add(fnv1a64_chars(&window[3 - letters..]));
    }
    votes.fingerprint()
}

/// One bit of each of a byte's eight bits, spread one to a byte: `SPREAD[0b101]` is `0x0001_0001`.
const SPREAD: [u64; 256] = {
    let mut table = [0u64; 256];
    let mut byte = 0;
    while byte < 256 {
        let mut bit = 0;
        while bit < 8 {
            if byte >> bit & 1 == 1 {
                table[byte] |= 1 << (8 * bit);
            }
            bit += 1;
        }
        byte += 1;
    }
    table
};

/// SimHash's votes: for each of the 64 bits, how many hashes set it. Counted eight bits to a
/// u64 of one-byte counters (a table look-up and an add per byte of a hash rather than 64
/// compares), emptied into the totals before a counter can overflow.
struct Votes {
    lanes: [u64; 8],
    in_lanes: u32,
    ones: [u32; 64],
    hashes: u32,
}

impl Votes {
    fn add(&mut self, hash: u64) {
        for (j, lane) in self.lanes.iter_mut().enumerate() {
            *lane += SPREAD[(hash >> (8 * j) & 0xff) as usize];
        }
        self.hashes += 1;
        self.in_lanes += 1;
        if self.in_lanes == 255 {
            self.empty_lanes();
        }
    }

    fn empty_lanes(&mut self) {
        for (j, lane) in self.lanes.iter_mut().enumerate() {
            for i in 0..8 {
                self.ones[8 * j + i] += (*lane >> (8 * i) & 0xff) as u32;
            }
            *lane = 0;
        }
        self.in_lanes = 0;
    }

    /// Each bit set where more hashes set it than not.
    fn fingerprint(mut self) -> u64 {
        self.empty_lanes();
        self.ones.iter().enumerate().fold(0u64, |acc, (bit, &ones)| if 2 * ones > self.hashes { acc | 1 << bit } else { acc })
    }
}

/// FNV-1a of the UTF-8 bytes of at most three characters.
fn fnv1a64_chars(chars: &[char]) -> u64 {
    let mut bytes = [0u8; 12];
    let mut len = 0;
    for c in chars {
        len += c.encode_utf8(&mut bytes[len..]).len();
    }
    fnv1a64(&bytes[..len])
}

/// How alike two SimHashes say the texts are: 1 for equal, 0 at 32 differing bits (what two
/// unrelated texts show on average) or more.
pub fn text_similarity(a: u64, b: u64) -> f32 {
    let distance = (a ^ b).count_ones() as f32;
    (1.0 - distance / 32.0).max(0.0)
}

#[derive(Clone, Debug, PartialEq)]
pub struct OpenCase {
    pub id: i64,
    pub street: Option<String>,
    /// WGS-84 latitude and longitude.
    pub point: Option<(f64, f64)>,
    pub category: Option<String>,
    /// Seconds since the Unix epoch when the case was received.
    pub received: i64,
    pub fingerprint: u64,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DedupeSettings {
    /// Cases within this many metres count as nearby (besides those of the same street).
    pub radius_m: f64,
    /// Only cases received within this many days before (or after) are compared.
    pub days: i64,
    /// Suggestions score at least this.
    pub min_score: f32,
}

impl Default for DedupeSettings {
    fn default() -> Self {
        DedupeSettings { radius_m: 500.0, days: 7, min_score: 0.6 }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DuplicateSuggestion {
    pub case: i64,
    pub score: f32,
    pub text_similarity: f32,
    pub same_category: bool,
    pub same_street: bool,
    /// Metres between the two points, when both have one.
    pub distance_m: Option<f64>,
}

const METRES_PER_DEGREE: f64 = 111_320.0;

/// What a bucket keeps of a case: enough to rule most candidates out in a sequential scan,
/// without looking each one up.
#[derive(Clone, Copy, Debug)]
struct Entry {
    id: i64,
    received: i64,
    fingerprint: u64,
    /// The interned street, [`NO_STREET`] when the case has none.
    street: u32,
}

const NO_STREET: u32 = u32::MAX;

pub struct DuplicateIndex {
    settings: DedupeSettings,
    cases: HashMap<i64, OpenCase>,
    streets: HashMap<String, u32>,
    by_street: HashMap<u32, Vec<Entry>>,
    by_cell: HashMap<(i32, i32), Vec<Entry>>,
}

impl DuplicateIndex {
    pub fn new(settings: DedupeSettings) -> DuplicateIndex {
        DuplicateIndex { settings, cases: HashMap::new(), streets: HashMap::new(), by_street: HashMap::new(), by_cell: HashMap::new() }
    }

    pub fn settings(&self) -> DedupeSettings {
        self.settings
    }

    pub fn len(&self) -> usize {
        self.cases.len()
    }

    pub fn is_empty(&self) -> bool {
        self.cases.is_empty()
    }

    /// Whether the index holds the case.
    pub fn holds(&self, id: i64) -> bool {
        self.cases.contains_key(&id)
    }

    fn cell_degrees(&self) -> f64 {
        self.settings.radius_m.max(1.0) / METRES_PER_DEGREE
    }

    fn cell(&self, (lat, lon): (f64, f64)) -> (i32, i32) {
        let size = self.cell_degrees();
        ((lat / size).floor() as i32, (lon / size).floor() as i32)
    }

    fn street_id(&self, street: Option<&String>) -> u32 {
        street.and_then(|s| self.streets.get(s)).copied().unwrap_or(NO_STREET)
    }

    /// Adds or replaces a case.
    pub fn insert(&mut self, case: OpenCase) {
        self.remove(case.id);
        let street = match &case.street {
            Some(name) => {
                let next = u32::try_from(self.streets.len()).unwrap_or(NO_STREET - 1);
                *self.streets.entry(name.clone()).or_insert(next)
            }
            None => NO_STREET,
        };
        let entry = Entry { id: case.id, received: case.received, fingerprint: case.fingerprint, street };
        if street != NO_STREET {
            self.by_street.entry(street).or_default().push(entry);
        }
        if let Some(point) = case.point {
            let cell = self.cell(point);
            self.by_cell.entry(cell).or_default().push(entry);
        }
        self.cases.insert(case.id, case);
    }

    /// Forgets a case (closed, merged, rejected).
    pub fn remove(&mut self, id: i64) {
        let Some(old) = self.cases.remove(&id) else { return };
        let street = self.street_id(old.street.as_ref());
        if let Some(entries) = self.by_street.get_mut(&street) {
            entries.retain(|e| e.id != id);
        }
        if let Some(point) = old.point {
            let cell = self.cell(point);
            if let Some(entries) = self.by_cell.get_mut(&cell) {
                entries.retain(|e| e.id != id);
            }
        }
    }

    /// The open cases that `case` may duplicate, best first.
    pub fn candidates(&self, case: &OpenCase) -> Vec<DuplicateSuggestion> {
        let street = self.street_id(case.street.as_ref());
        // Text weighs 0.75 and the rest at most 0.25: a text less alike than this cannot reach
        // the threshold, so most candidates are ruled out by a popcount alone.
        let least_text = (self.settings.min_score - 0.25) / 0.75;
        let window = self.settings.days * 86_400;
        let mut out = Vec::new();
        let consider = |entry: &Entry, out: &mut Vec<DuplicateSuggestion>| {
            if entry.id == case.id
                || (case.received - entry.received).abs() > window
                || text_similarity(case.fingerprint, entry.fingerprint) < least_text
            {
                return;
            }
            if let Some(other) = self.cases.get(&entry.id)
                && let Some(s) = self.score(case, other)
            {
                out.push(s);
            }
        };
        if let Some(entries) = self.by_street.get(&street) {
            entries.iter().for_each(|e| consider(e, &mut out));
        }
        if let Some((lat, lon)) = case.point {
            let (row, col) = self.cell((lat, lon));
            // A degree of longitude shrinks with the cosine of the latitude: look that many
            // more cells east and west.
            let span = (1.0 / lat.to_radians().cos().max(0.05)).ceil() as i32;
            for r in row - 1..=row + 1 {
                for c in col - span..=col + span {
                    if let Some(entries) = self.by_cell.get(&(r, c)) {
                        // Cases of the same street were considered with the street.
                        entries.iter().filter(|e| street == NO_STREET || e.street != street).for_each(|e| consider(e, &mut out));
                    }
                }
            }
        }
        out.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.case.cmp(&b.case)));
        out
    }

    fn score(&self, case: &OpenCase, other: &OpenCase) -> Option<DuplicateSuggestion> {
        if (case.received - other.received).abs() > self.settings.days * 86_400 {
            return None;
        }
        let distance_m = case.point.zip(other.point).map(|(a, b)| distance_m(a, b));
        let same_street = case.street.is_some() && case.street == other.street;
        if !same_street && distance_m.is_none_or(|d| d > self.settings.radius_m) {
            return None;
        }
        let text = text_similarity(case.fingerprint, other.fingerprint);
        let same_category = case.category.is_some() && case.category == other.category;
        let nearness = distance_m.map_or(0.5, |d| (1.0 - d / self.settings.radius_m.max(1.0)).max(0.0)) as f32;
        // Text decides; category and nearness only tip close calls. The weights are documented
        // in docs/text.md.
        let score = 0.75 * text + 0.15 * f32::from(u8::from(same_category)) + 0.10 * nearness;
        (score >= self.settings.min_score).then_some(DuplicateSuggestion {
            case: other.id,
            score,
            text_similarity: text,
            same_category,
            same_street,
            distance_m,
        })
    }
}

/// Great-circle distance in metres (haversine; plenty for a few kilometres).
pub fn distance_m((lat1, lon1): (f64, f64), (lat2, lon2): (f64, f64)) -> f64 {
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = p2 - p1;
    let dl = (lon2 - lon1).to_radians();
    let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * 6_371_000.0 * a.sqrt().asin()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn case(id: i64, text: &str, street: &str, point: Option<(f64, f64)>, day: i64) -> OpenCase {
        OpenCase {
            id,
            street: (!street.is_empty()).then(|| street.to_owned()),
            point,
            category: Some("0101".into()),
            received: day * 86_400,
            fingerprint: simhash(text),
        }
    }

    #[test]
    fn simhash_is_stable_and_near_for_near_texts() {
        let a = simhash("望京街道阜通东大街6号门口暴露垃圾，两天没人清运");
        assert_eq!(a, simhash("望京街道阜通东大街6号门口暴露垃圾，两天没人清运"));
        let b = simhash("阜通东大街6号门口暴露垃圾两天了没人清运！");
        let c = simhash("孩子学校门口的交通信号灯坏了，早上非常危险");
        assert!(text_similarity(a, b) > 0.6, "{}", text_similarity(a, b));
        assert!(text_similarity(a, c) < 0.3, "{}", text_similarity(a, c));
        assert_eq!(simhash(""), 0);
        assert_ne!(simhash("垃"), 0);
    }

    #[test]
    fn simhash_counts_on_past_the_byte_counters_in_a_long_text() {
        // 1,000 letters, 998 3-grams: the one-byte counters are emptied three times on the way.
        let text: String = "井盖丢失路灯不亮".chars().cycle().take(1000).collect();
        let chars: Vec<char> = text.chars().collect();
        let mut ones = [0u32; 64];
        for gram in chars.windows(3) {
            let hash = fnv1a64_chars(gram);
            for (bit, n) in ones.iter_mut().enumerate() {
                *n += (hash >> bit & 1) as u32;
            }
        }
        let expected = ones.iter().enumerate().fold(0u64, |acc, (bit, &n)| if 2 * n > 998 { acc | 1 << bit } else { acc });
        assert_eq!(simhash(&text), expected);
    }

    #[test]
    fn simhash_keeps_its_fingerprints() {
        // As computed by the first implementation (a normalised copy, a list of characters, a
        // buffer per 3-gram): the sliding window must give the same bits, short runs, full-width
        // forms, letters lower-cased to two characters and punctuation included.
        for (text, fingerprint) in [
            ("", 0),
            ("垃", 0x1a03_fe1b_664f_6c5b),
            ("垃圾", 0xefd2_272e_3ab7_b924),
            ("望京街道阜通东大街6号门口暴露垃圾，两天没人清运", 0x70c7_d407_63b1_d362),
            ("ＡＢＣ１２３\u{3000}Ok ÄΣ İstanbul", 0x0267_4619_0139_c4d9),
            ("朝阳区第12号楼附近有问题需要处理,市民反映已持续多日", 0x87a9_a341_2331_88c0),
            ("a-b", 0x089c_4407_b545_986a),
            ("!!", 0),
            ("ǅx", 0x400b_f51c_0cb7_4168),
        ] {
            assert_eq!(simhash(text), fingerprint, "{text:?}");
        }
    }

    #[test]
    fn a_duplicate_in_the_same_street_is_found_and_old_far_or_other_ones_are_not() {
        let mut index = DuplicateIndex::new(DedupeSettings::default());
        let text = "望京街道阜通东大街6号门口暴露垃圾，两天没人清运";
        index.insert(case(1, text, "110105026000", None, 100));
        index.insert(case(2, text, "110105026000", None, 80)); // too old
        index.insert(case(3, text, "110101001000", Some((39.9, 116.4)), 100)); // elsewhere
        index.insert(case(4, "孩子学校门口的交通信号灯坏了，早上非常危险", "110105026000", None, 100));
        let new = case(10, "阜通东大街6号门口暴露垃圾两天了没人清运！", "110105026000", Some((40.0, 116.47)), 101);
        let found = index.candidates(&new);
        assert_eq!(found.iter().map(|s| s.case).collect::<Vec<_>>(), vec![1]);
        assert!(found[0].same_street && found[0].same_category && found[0].score >= 0.6);
        index.remove(1);
        assert!(index.candidates(&new).is_empty());
        assert_eq!(index.len(), 3);
    }

    #[test]
    fn a_duplicate_nearby_across_a_street_boundary_is_found_by_distance() {
        let mut index = DuplicateIndex::new(DedupeSettings { radius_m: 300.0, ..DedupeSettings::default() });
        let text = "小区东门外井盖丢失，晚上有人差点掉下去";
        index.insert(case(1, text, "A", Some((39.90000, 116.40000)), 5)); // ~170 m east
        index.insert(case(2, text, "B", Some((39.90000, 116.41000)), 5)); // ~850 m east
        let new = case(3, text, "C", Some((39.90000, 116.40200)), 5);
        let found = index.candidates(&new);
        assert_eq!(found.iter().map(|s| s.case).collect::<Vec<_>>(), vec![1]);
        let d = found[0].distance_m.unwrap();
        assert!((150.0..190.0).contains(&d), "{d}");
    }

    #[test]
    fn a_case_in_the_same_street_and_nearby_is_suggested_once_and_unlike_texts_never() {
        let mut index = DuplicateIndex::new(DedupeSettings::default());
        let text = "望京街道阜通东大街6号门口暴露垃圾，两天没人清运";
        index.insert(case(1, text, "A", Some((39.9, 116.4)), 1));
        // Many unlike texts in the same street and cell, one without a street.
        for id in 2..200 {
            index.insert(case(id, &format!("{id}号楼下路灯不亮，晚上一片漆黑{id}"), "A", Some((39.9, 116.4)), 1));
        }
        index.insert(case(300, text, "", Some((39.9001, 116.4001)), 1));
        let found = index.candidates(&case(400, text, "A", Some((39.9, 116.4)), 1));
        assert_eq!(found.iter().map(|s| s.case).collect::<Vec<_>>(), vec![1, 300], "{found:?}");
        // A new case of a street the index has not seen is compared by its point.
        let found = index.candidates(&case(401, text, "Z", Some((39.9, 116.4)), 1));
        assert_eq!(found.iter().map(|s| s.case).collect::<Vec<_>>(), vec![1, 300], "{found:?}");
    }

    #[test]
    fn reinserting_a_case_replaces_it() {
        let mut index = DuplicateIndex::new(DedupeSettings::default());
        index.insert(case(1, "井盖丢失", "A", Some((39.9, 116.4)), 1));
        index.insert(case(1, "井盖丢失", "B", Some((40.5, 116.4)), 1));
        assert_eq!(index.len(), 1);
        assert!(index.candidates(&case(2, "井盖丢失", "A", Some((39.9, 116.4)), 1)).is_empty());
    }

    #[test]
    fn the_index_holds_a_case_until_it_is_removed() {
        let mut index = DuplicateIndex::new(DedupeSettings::default());
        index.insert(case(1, "井盖丢失", "A", None, 1));
        assert!(index.holds(1) && !index.holds(2));
        index.remove(1);
        assert!(!index.holds(1));
    }
}
