//! Hot issues (高频问题, 高频点位): messages that raise the same problem about the same place
//! within a time window are grouped, and the groups ranked by a heat index.
//!
//! Grouping: each message becomes a TF-IDF vector of its words (two characters or more, common
//! boilerplate dropped) and a set of place names (a name before a place word such as 小区, 花园,
//! 路, 学校, or a word ending in one). Two messages are linked when they were sent within
//! `window_days` of each other and either name a common place and have cosine similarity at
//! least `place_similarity`, or have cosine at least `text_similarity` without a common place.
//! Groups are the connected components; candidate pairs come from an inverted index of each
//! message's strongest words, so the work grows with the number of similar pairs, not n².
//!
//! Heat index of a group (docs/text.md): with N messages, R distinct reporters, L likes in
//! total and a span of S days from first to last message,
//! `heat = (R + 0.25·(N − R)) × (1 + log10(1 + L)) × (1 + min(S, 90) / 180)`:
//! distinct people count most, repeats by one person a quarter, likes multiply on a log scale
//! (10 likes double the heat) and an issue that persists for three months weighs up to half
//! as much again.

use std::collections::HashMap;

use serde::Serialize;

use crate::features::normalise;
use crate::segment::Segmenter;
use crate::TextError;

#[derive(Clone, Debug, PartialEq)]
pub struct Message {
    pub id: String,
    pub reporter: String,
    pub text: String,
    /// Seconds since the Unix epoch.
    pub time: i64,
    pub likes: u32,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct HotspotSettings {
    pub window_days: i64,
    pub place_similarity: f32,
    pub text_similarity: f32,
    /// Groups with fewer distinct reporters are not reported.
    pub min_reporters: usize,
}

impl Default for HotspotSettings {
    fn default() -> Self {
        HotspotSettings { window_days: 90, place_similarity: 0.2, text_similarity: 0.5, min_reporters: 2 }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct HotIssue {
    pub rank: usize,
    pub heat: f64,
    pub messages: usize,
    pub reporters: usize,
    pub likes: u64,
    pub first: i64,
    pub last: i64,
    pub span_days: f64,
    /// The place named most often in the group.
    pub place: Option<String>,
    /// The group's strongest words.
    pub keywords: Vec<String>,
    /// The title-like first line of the most representative message.
    pub example: String,
    pub ids: Vec<String>,
}

/// The documented heat index (see the module documentation).
pub fn heat(messages: usize, reporters: usize, likes: u64, span_days: f64) -> f64 {
    let people = reporters as f64 + 0.25 * (messages.saturating_sub(reporters)) as f64;
    people * (1.0 + (1.0 + likes as f64).log10()) * (1.0 + span_days.clamp(0.0, 90.0) / 180.0)
}

/// Words that say nothing about the problem: the board's boilerplate and anonymised places.
const STOPWORDS: &[&str] = &[
    "我们", "你们", "他们", "这个", "那个", "什么", "怎么", "没有", "可以", "已经", "就是", "还是", "但是", "因为",
    "所以", "如果", "希望", "请问", "您好", "你好", "领导", "相关", "部门", "有关", "问题", "反映", "情况", "一个",
    "现在", "目前", "进行", "要求", "能够", "不能", "自己", "这样", "这些", "那些", "以及", "或者", "非常", "严重",
    "尽快", "处理", "解决", "谢谢", "感谢", "政府", "市民", "群众", "居民", "百姓", "时候", "已经", "多次", "今年",
    "去年", "一直", "至今", "还有", "同时", "对于", "关于", "其中", "通过", "等等", "而且", "并且", "需要", "应该",
];

/// Words that end a place name (the place is the name before them, or the word itself).
const PLACE_WORDS: &[&str] = &[
    "小区", "花园", "家园", "新城", "公寓", "大厦", "广场", "社区", "村", "路", "大道", "街", "学校", "学院", "大学",
    "中学", "小学", "幼儿园", "医院", "市场", "商场", "公园", "苑", "城", "府", "湾", "园", "工业园", "车站", "站",
];

/// Whether a word is an anonymised or generic administrative name (A市, A3区, B7县): these
/// appear in nearly every message of the public data and identify no place.
fn generic_place(word: &str) -> bool {
    let mut chars = word.chars();
    let first = chars.next();
    first.is_some_and(|c| c.is_ascii_alphabetic()) && chars.as_str().trim_end_matches(['市', '区', '县']).chars().all(|c| c.is_ascii_digit())
}

/// Place names in segmented words.
pub fn places(words: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    for (i, word) in words.iter().enumerate() {
        if generic_place(word) {
            continue;
        }
        let chars = word.chars().count();
        let ends_in_place = PLACE_WORDS.iter().any(|p| word.ends_with(p));
        if ends_in_place && chars >= 3 {
            out.push((*word).to_owned());
        } else if PLACE_WORDS.contains(word) && i > 0 {
            // The name before a separate place word: the words just before it, up to three of
            // them until the name has four characters (魅力+之+城), never a generic one.
            let mut name = String::new();
            for prev in words[i.saturating_sub(3)..i].iter().rev() {
                if generic_place(prev) || STOPWORDS.contains(prev) || name.chars().count() >= 4 {
                    break;
                }
                name.insert_str(0, prev);
            }
            if name.chars().count() >= 2 && name.chars().all(|c| crate::is_han(c) || c.is_alphanumeric()) {
                out.push(name + word);
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

struct Document {
    vector: Vec<(u32, f32)>,
    places: Vec<u32>,
}

/// Groups `messages` into hot issues, hottest first.
pub fn hot_issues(messages: &[Message], segmenter: &Segmenter, settings: &HotspotSettings) -> Result<Vec<HotIssue>, TextError> {
    if messages.is_empty() {
        return Err(TextError::Invalid("no messages to group".into()));
    }
    let mut vocabulary: HashMap<String, u32> = HashMap::new();
    let intern = |w: &str, vocabulary: &mut HashMap<String, u32>| {
        let next = vocabulary.len() as u32;
        *vocabulary.entry(w.to_owned()).or_insert(next)
    };
    let mut counts: Vec<Vec<(u32, f32)>> = Vec::with_capacity(messages.len());
    let mut place_ids: Vec<Vec<u32>> = Vec::with_capacity(messages.len());
    for m in messages {
        let text = normalise(&m.text);
        let words = segmenter.words(&text);
        let mut ids: Vec<u32> = words
            .iter()
            .filter(|w| w.chars().count() >= 2 && !STOPWORDS.contains(w) && !generic_place(w))
            .map(|w| intern(w, &mut vocabulary))
            .collect();
        let mut place_set: Vec<u32> = places(&words).iter().map(|p| intern(&format!("@{p}"), &mut vocabulary)).collect();
        place_set.sort_unstable();
        // A place name also counts as a strong word of the text.
        ids.extend(place_set.iter().copied().chain(place_set.iter().copied()));
        ids.sort_unstable();
        let mut c: Vec<(u32, f32)> = Vec::new();
        for id in ids {
            match c.last_mut() {
                Some((last, n)) if *last == id => *n += 1.0,
                _ => c.push((id, 1.0)),
            }
        }
        counts.push(c);
        place_ids.push(place_set);
    }
    let n = messages.len() as f32;
    let mut df = vec![0u32; vocabulary.len()];
    counts.iter().flatten().for_each(|&(i, _)| df[i as usize] += 1);
    let idf: Vec<f32> = df.iter().map(|&d| ((1.0 + n) / (1.0 + d as f32)).ln() + 1.0).collect();
    let docs: Vec<Document> = counts
        .into_iter()
        .zip(place_ids)
        .map(|(c, places)| {
            let mut vector: Vec<(u32, f32)> = c.into_iter().map(|(i, tf)| (i, (1.0 + tf.ln()) * idf[i as usize])).collect();
            let norm = vector.iter().map(|(_, v)| v * v).sum::<f32>().sqrt().max(f32::MIN_POSITIVE);
            vector.iter_mut().for_each(|(_, v)| *v /= norm);
            Document { vector, places }
        })
        .collect();

    // Candidate pairs: messages sharing one of their eight strongest words, skipping words
    // so common that they tie everything to everything.
    const STRONG_WORDS: usize = 8;
    let max_postings = (messages.len() / 20).max(50);
    let mut postings: HashMap<u32, Vec<usize>> = HashMap::new();
    for (d, doc) in docs.iter().enumerate() {
        let mut strongest = doc.vector.clone();
        strongest.sort_by(|a, b| b.1.total_cmp(&a.1));
        for &(term, _) in strongest.iter().take(STRONG_WORDS) {
            postings.entry(term).or_default().push(d);
        }
    }
    let mut groups = UnionFind::new(docs.len());
    let window = settings.window_days * 86_400;
    for list in postings.values().filter(|l| l.len() <= max_postings) {
        for (k, &a) in list.iter().enumerate() {
            for &b in &list[k + 1..] {
                if groups.find(a) == groups.find(b) || (messages[a].time - messages[b].time).abs() > window {
                    continue;
                }
                let cosine = sparse_cosine(&docs[a].vector, &docs[b].vector);
                let shared_place = docs[a].places.iter().any(|p| docs[b].places.binary_search(p).is_ok());
                if cosine >= settings.text_similarity || (shared_place && cosine >= settings.place_similarity) {
                    groups.union(a, b);
                }
            }
        }
    }

    let names: HashMap<u32, &str> = vocabulary.iter().map(|(w, &i)| (i, w.as_str())).collect();
    let mut members: HashMap<usize, Vec<usize>> = HashMap::new();
    for d in 0..docs.len() {
        members.entry(groups.find(d)).or_default().push(d);
    }
    let mut issues: Vec<HotIssue> = members
        .into_values()
        .filter_map(|mut group| {
            group.sort_by_key(|&d| (messages[d].time, d));
            let mut reporters: Vec<&str> = group.iter().map(|&d| messages[d].reporter.as_str()).collect();
            reporters.sort_unstable();
            reporters.dedup();
            if reporters.len() < settings.min_reporters.max(1) {
                return None;
            }
            let likes: u64 = group.iter().map(|&d| u64::from(messages[d].likes)).sum();
            let (first, last) = (messages[group[0]].time, messages[*group.last().expect("non-empty")].time);
            let span_days = (last - first) as f64 / 86_400.0;
            let mut centroid: HashMap<u32, f32> = HashMap::new();
            for &d in &group {
                for &(t, v) in &docs[d].vector {
                    *centroid.entry(t).or_default() += v;
                }
            }
            let mut terms: Vec<(u32, f32)> = centroid.into_iter().collect();
            terms.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
            let mut place_votes: HashMap<u32, usize> = HashMap::new();
            group.iter().flat_map(|&d| &docs[d].places).for_each(|&p| *place_votes.entry(p).or_default() += 1);
            let place = place_votes
                .into_iter()
                .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)))
                .map(|(p, _)| names[&p].trim_start_matches('@').to_owned());
            let keywords: Vec<String> =
                terms.iter().filter(|(t, _)| !names[t].starts_with('@')).take(5).map(|(t, _)| names[t].to_owned()).collect();
            let centroid_sparse: Vec<(u32, f32)> = {
                let mut c = terms.clone();
                c.sort_by_key(|x| x.0);
                c
            };
            let representative = *group
                .iter()
                .max_by(|&&a, &&b| {
                    sparse_cosine(&docs[a].vector, &centroid_sparse).total_cmp(&sparse_cosine(&docs[b].vector, &centroid_sparse))
                })
                .expect("non-empty");
            let example = messages[representative].text.trim().lines().next().unwrap_or_default().chars().take(80).collect();
            Some(HotIssue {
                rank: 0,
                heat: heat(group.len(), reporters.len(), likes, span_days),
                messages: group.len(),
                reporters: reporters.len(),
                likes,
                first,
                last,
                span_days,
                place,
                keywords,
                example,
                ids: group.iter().map(|&d| messages[d].id.clone()).collect(),
            })
        })
        .collect();
    issues.sort_by(|a, b| b.heat.total_cmp(&a.heat).then_with(|| a.ids.cmp(&b.ids)));
    for (i, issue) in issues.iter_mut().enumerate() {
        issue.rank = i + 1;
    }
    Ok(issues)
}

/// Cosine of two unit vectors with ascending indices (the dot product).
fn sparse_cosine(a: &[(u32, f32)], b: &[(u32, f32)]) -> f32 {
    let (mut i, mut j, mut dot) = (0, 0, 0.0);
    while i < a.len() && j < b.len() {
        match a[i].0.cmp(&b[j].0) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                dot += a[i].1 * b[j].1;
                i += 1;
                j += 1;
            }
        }
    }
    dot
}

struct UnionFind(Vec<usize>);

impl UnionFind {
    fn new(n: usize) -> Self {
        UnionFind((0..n).collect())
    }

    fn find(&mut self, mut x: usize) -> usize {
        while self.0[x] != x {
            self.0[x] = self.0[self.0[x]];
            x = self.0[x];
        }
        x
    }

    fn union(&mut self, a: usize, b: usize) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra != rb {
            self.0[ra.max(rb)] = ra.min(rb);
        }
    }
}

/// Parses the times message boards export: `2019/2/28 11:25:05`, `2019-02-28 11:25`,
/// `2019-02-28T11:25:05`, or a date alone; read as Beijing time.
pub fn parse_time(text: &str) -> Result<i64, TextError> {
    let parts: Vec<i64> = text
        .split(|c: char| !c.is_ascii_digit())
        .filter(|p| !p.is_empty())
        .map(|p| p.parse::<i64>().unwrap_or(i64::MAX))
        .collect();
    let bad = || TextError::Invalid(format!("not a date and time: {text:?} (expected e.g. 2019/2/28 11:25:05)"));
    if !(3..=6).contains(&parts.len()) || parts.len() == 4 {
        return Err(bad());
    }
    let get = |i: usize| parts.get(i).copied().unwrap_or(0);
    let small = |v: i64| i8::try_from(v).map_err(|_| bad());
    let date = jiff::civil::Date::new(i16::try_from(get(0)).map_err(|_| bad())?, small(get(1))?, small(get(2))?).map_err(|_| bad())?;
    let time = jiff::civil::Time::new(small(get(3))?, small(get(4))?, small(get(5))?, 0).map_err(|_| bad())?;
    let zoned = date.to_datetime(time).to_zoned(jiff::tz::TimeZone::fixed(jiff::tz::offset(8))).map_err(|_| bad())?;
    Ok(zoned.timestamp().as_second())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(id: &str, who: &str, text: &str, day: i64, likes: u32) -> Message {
        Message { id: id.into(), reporter: who.into(), text: text.into(), time: day * 86_400, likes }
    }

    #[test]
    fn the_heat_index_follows_its_formula() {
        assert!((heat(1, 1, 0, 0.0) - 1.0).abs() < 1e-12);
        // 4 messages by 2 people, 9 likes, 90 days: (2 + 0.5) × 2 × 1.5.
        assert!((heat(4, 2, 9, 90.0) - 7.5).abs() < 1e-9);
        assert!(heat(3, 3, 0, 0.0) > heat(3, 1, 0, 0.0));
        assert!((heat(2, 2, 0, 400.0) - heat(2, 2, 0, 90.0)).abs() < 1e-12, "persistence is capped");
    }

    #[test]
    fn places_come_from_place_words_and_generic_names_are_skipped() {
        let seg = Segmenter::new(&[]);
        let text = normalise("A5区魅力之城小区临街门面油烟扰民，A市劳动东路车太多");
        let p = places(&seg.words(&text));
        assert!(p.iter().any(|x| x.contains("魅力之城")), "{p:?}");
        assert!(!p.iter().any(|x| x.starts_with("a5") || x.starts_with("a市")), "{p:?}");
    }

    #[test]
    fn complaints_about_one_estate_form_one_hot_issue() {
        let seg = Segmenter::new(&[]);
        let messages = vec![
            m("1", "u1", "A5区魅力之城小区临街门面油烟扰民，晚上噪音也很大", 10, 3),
            m("2", "u2", "魅力之城小区楼下餐馆油烟直排，噪音扰民到深夜", 12, 0),
            m("3", "u3", "投诉魅力之城小区一楼门面烧烤油烟和噪音", 40, 5),
            m("4", "u1", "魅力之城小区的油烟噪音问题还是没人管", 70, 0),
            m("5", "u9", "A3区某中学乱收补课费", 11, 50),
            m("6", "u8", "魅力之城小区油烟扰民", 400, 0), // outside the window of all others
        ];
        let issues = hot_issues(&messages, &seg, &HotspotSettings::default()).unwrap();
        assert_eq!(issues.len(), 1, "{issues:#?}");
        let top = &issues[0];
        assert_eq!(top.ids, vec!["1", "2", "3", "4"]);
        assert_eq!((top.messages, top.reporters, top.likes, top.rank), (4, 3, 8, 1));
        assert!(top.place.as_deref().is_some_and(|p| p.contains("魅力之城")), "{:?}", top.place);
        assert!(top.keywords.iter().any(|k| k == "油烟"), "{:?}", top.keywords);
        assert!((top.span_days - 60.0).abs() < 1e-9);
    }

    #[test]
    fn no_messages_is_an_error() {
        assert!(hot_issues(&[], &Segmenter::new(&[]), &HotspotSettings::default()).is_err());
    }

    #[test]
    fn board_times_parse_and_nonsense_does_not() {
        assert_eq!(parse_time("2019/2/28 11:25:05").unwrap(), parse_time("2019-02-28T11:25:05").unwrap());
        assert_eq!(parse_time("2019/2/28").unwrap() + 11 * 3600 + 25 * 60, parse_time("2019-02-28 11:25").unwrap());
        assert_eq!(parse_time("1970-01-01 08:00:00").unwrap(), 0);
        for bad in ["", "yesterday", "2019/13/01", "2019/2/30 1:00", "2019/2/28 25:00:00", "99999999999/1/1"] {
            assert!(parse_time(bad).is_err(), "{bad}");
        }
    }
}
