//! Geocoding: a free-text Chinese address → district, street/township and, where the address
//! says so, community, with a confidence and the candidates considered.
//!
//! The gazetteer holds every region name of the tree in its official form and the forms people
//! write (乡 / 地区 / 镇 interchanged, the suffix dropped, 社区 / 村 for a 居委会 / 村委会), plus
//! what the platform learns: the road or place part of addresses on cases that were located by
//! GPS. All names are matched at once (Aho-Corasick); each match is evidence for regions, and
//! regions whose chain agrees (the district named and the street inside it) add up. When the
//! evidence is weak or split the answer is "unknown" at that level, with the candidates listed.

use std::collections::HashMap;
use std::sync::RwLock;

use aho_corasick::{AhoCorasick, MatchKind};
use gridline_core::region::{RegionLevel, RegionTree};
use serde::Serialize;

use crate::GeoError;

/// A level is answered when its confidence reaches this (the API's default).
pub const DEFAULT_THRESHOLD: f64 = 0.5;
/// Longest address accepted, in characters.
pub const MAX_ADDRESS_CHARS: usize = 300;
/// Learned place keys kept at most: enough for a city's roads and estates, bounded against floods.
const MAX_LEARNED_KEYS: usize = 200_000;
/// A learned key is a road or place name: a few characters, not a whole sentence.
const LEARNED_KEY_CHARS: std::ops::RangeInclusive<usize> = 2..=16;

/// How much one name says about a region.
mod weight {
    pub const OFFICIAL: f64 = 1.0;
    /// 乡 written as 地区 or 镇, 县 for a former county, a functional area's usual name.
    pub const VARIANT: f64 = 0.9;
    /// A community as 某某社区 / 某某村.
    pub const COMMUNITY_COMMON: f64 = 0.8;
    /// The bare name: 望京, 朝阳.
    pub const BARE: f64 = 0.6;
    /// A bare community name (某某 for 某某社区居委会): often also a road or estate nearby.
    pub const BARE_COMMUNITY: f64 = 0.35;
    /// A bare name that is the start of a road's name (羊坊店路): the road usually runs through
    /// the place but may run along its edge (景山前街 borders 东华门): with the district named it
    /// just passes the API's default threshold, with a confidence (~0.55) below the case intake's.
    pub const IN_ROAD_NAME: f64 = 0.35;
    /// The district named and the street inside it: the chain agrees (a factor 1 + this × the
    /// district name's weight).
    pub const DISTRICT_AGREES: f64 = 0.5;
    /// The street or community lies outside the district named.
    pub const DISTRICT_DISAGREES: f64 = 0.25;
    /// All cases learned under a key lay in one street.
    pub const LEARNED: f64 = 1.2;
}

/// Official suffixes of streets/townships and the forms people use instead.
const TOWNSHIP_SUFFIXES: [&str; 3] = ["地区", "镇", "乡"];
const STREET_SUFFIXES: [&str; 5] = ["街道", "地区", "民族乡", "镇", "乡"];
/// Functional areas' everyday names (the official ones are long).
const FUNCTIONAL_AREA_NAMES: [(&str, &[&str]); 3] = [
    ("110115403000", &["经济技术开发区", "经开区", "亦庄经济技术开发区", "亦庄开发区"]),
    ("110115406000", &["大兴机场"]),
    ("110116400000", &["雁栖经济开发区"]),
];
/// Community suffixes, longest first, and what the community is commonly called.
const COMMUNITY_SUFFIXES: [(&str, &str); 7] = [
    ("社区居民委员会", "社区"),
    ("社区居委会", "社区"),
    ("居民委员会", "社区"),
    ("居委会", "社区"),
    ("村民委员会", "村"),
    ("村委会", "村"),
    ("委员会", ""),
];

#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Named {
    pub code: String,
    pub name: String,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Candidate {
    pub district: Named,
    pub street: Named,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub community: Option<Named>,
    /// This candidate's share of the evidence (0–1).
    pub share: f64,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Geocoded {
    pub district: Option<Named>,
    pub street: Option<Named>,
    pub community: Option<Named>,
    /// Confidence of the deepest level answered (0 when nothing is).
    pub confidence: f64,
    /// The streets considered, best first (at most five).
    pub candidates: Vec<Candidate>,
    /// The names found in the address.
    pub matched: Vec<String>,
}

struct Place {
    code: String,
    name: String,
    level: RegionLevel,
    district: usize,
    street: Option<usize>,
}

#[derive(Clone, Copy)]
struct Sense {
    place: usize,
    weight: f64,
    /// An official or variant name of a district, street or community: what precedes the road
    /// or place part of an address (bare names are often part of that road's name).
    administrative: bool,
}

pub struct Gazetteer {
    matcher: AhoCorasick,
    names: Vec<String>,
    senses: Vec<Vec<Sense>>,
    places: Vec<Place>,
    by_code: HashMap<String, usize>,
    learned: RwLock<HashMap<String, Vec<(usize, u32)>>>,
}

fn strength(score: f64) -> f64 {
    1.0 - (-1.5 * score).exp()
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// Full-width letters and digits to ASCII; spaces and control characters dropped.
pub fn normalize(address: &str) -> String {
    address
        .chars()
        .filter_map(|c| {
            let c = match c {
                '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
                _ => c,
            };
            (!c.is_whitespace() && !c.is_control()).then_some(c)
        })
        .collect()
}

/// Whether the text right after a bare name continues it into a road's name: 路, 街, 大街, 桥, 巷,
/// 胡同, optionally after a direction (羊坊店路, 中关村南大街, 景山前街).
fn starts_road(rest: &str) -> bool {
    let rest = rest.strip_prefix(['东', '西', '南', '北', '中', '前', '后']).unwrap_or(rest);
    ["路", "街", "大街", "桥", "巷", "胡同"].iter().any(|r| rest.starts_with(r))
}

impl Gazetteer {
    pub fn new(tree: &RegionTree) -> Gazetteer {
        let mut places = Vec::new();
        let mut by_code = HashMap::new();
        for level in [RegionLevel::District, RegionLevel::Street, RegionLevel::Community] {
            for region in tree.at_level(level) {
                let up = |l: RegionLevel| tree.ancestor_at(&region.code, l).and_then(|r| by_code.get(&r.code).copied());
                let (Some(district), street) = (up(RegionLevel::District).or((level == RegionLevel::District).then_some(places.len())), up(RegionLevel::Street))
                else {
                    continue;
                };
                by_code.insert(region.code.clone(), places.len());
                places.push(Place { code: region.code.clone(), name: region.name.clone(), level, district, street });
            }
        }
        let mut names: HashMap<String, Vec<Sense>> = HashMap::new();
        let mut add = |name: &str, place: usize, weight: f64, administrative: bool| {
            if name.chars().count() < 2 {
                return;
            }
            let senses = names.entry(name.to_owned()).or_default();
            match senses.iter_mut().find(|s| s.place == place) {
                Some(s) if s.weight < weight => *s = Sense { place, weight, administrative },
                Some(_) => {}
                None => senses.push(Sense { place, weight, administrative }),
            }
        };
        for (i, place) in places.iter().enumerate() {
            let name = place.name.as_str();
            add(name, i, weight::OFFICIAL, true);
            match place.level {
                RegionLevel::District => {
                    if let Some(bare) = name.strip_suffix('区') {
                        add(bare, i, weight::BARE, false);
                        // 密云 and 延庆 were counties until 2015; old addresses say 县.
                        add(&format!("{bare}县"), i, weight::VARIANT, true);
                    }
                }
                RegionLevel::Street => {
                    if let Some((bare, suffix)) = STREET_SUFFIXES.iter().find_map(|s| name.strip_suffix(s).map(|b| (b, *s))) {
                        add(bare, i, weight::BARE, false);
                        if TOWNSHIP_SUFFIXES.contains(&suffix) {
                            for other in TOWNSHIP_SUFFIXES {
                                add(&format!("{bare}{other}"), i, weight::VARIANT, true);
                            }
                        }
                        add(&format!("{bare}街道办事处"), i, weight::OFFICIAL, true);
                    }
                    if let Some((_, common)) = FUNCTIONAL_AREA_NAMES.iter().find(|(code, _)| *code == place.code) {
                        for form in *common {
                            add(form, i, weight::VARIANT, true);
                        }
                    }
                }
                _ => {
                    if let Some((bare, common)) = COMMUNITY_SUFFIXES.iter().find_map(|(s, c)| name.strip_suffix(s).map(|b| (b, *c))) {
                        let bare = bare.strip_suffix("社区").unwrap_or(bare);
                        if !common.is_empty() {
                            add(&format!("{bare}{common}"), i, weight::COMMUNITY_COMMON, true);
                        }
                        // Two-character bare names (花园, 中心) are too common to mean the community.
                        if bare.chars().count() >= 3 {
                            add(bare, i, weight::BARE_COMMUNITY, false);
                        }
                    }
                }
            }
        }
        let mut list: Vec<(String, Vec<Sense>)> = names.into_iter().collect();
        list.sort_by(|a, b| a.0.cmp(&b.0));
        let (names, senses): (Vec<String>, Vec<Vec<Sense>>) = list.into_iter().unzip();
        let matcher = AhoCorasick::builder()
            .match_kind(MatchKind::Standard)
            .build(&names)
            .expect("region names build an automaton");
        Gazetteer { matcher, names, senses, places, by_code, learned: RwLock::new(HashMap::new()) }
    }

    fn named(&self, place: usize) -> Named {
        Named { code: self.places[place].code.clone(), name: self.places[place].name.clone() }
    }

    /// How many names the gazetteer knows (built-in forms, then learned keys).
    pub fn size(&self) -> (usize, usize) {
        (self.names.len(), self.learned.read().expect("learned keys").len())
    }

    /// Matches in the address, longest wins where names nest (望京街道 over 望京).
    fn matches(&self, text: &str) -> Vec<(usize, usize, usize)> {
        let all: Vec<(usize, usize, usize)> =
            self.matcher.find_overlapping_iter(text).map(|m| (m.start(), m.end(), m.pattern().as_usize())).collect();
        all.iter()
            .copied()
            .filter(|&(s, e, _)| !all.iter().any(|&(s2, e2, _)| s2 <= s && e <= e2 && e2 - s2 > e - s))
            .collect()
    }

    /// The road or place part of an address: what follows its administrative names, up to the
    /// house number. 朝阳区望京街道阜通东大街6号 → 阜通东大街.
    fn place_key(&self, text: &str, matches: &[(usize, usize, usize)]) -> Option<String> {
        let mut start = ["中国", "北京市", "北京"].iter().fold(0, |at, prefix| if text[at..].starts_with(prefix) { at + prefix.len() } else { at });
        for &(_, end, pattern) in matches {
            if self.senses[pattern].iter().any(|s| s.administrative) {
                start = start.max(end);
            }
        }
        let key: String = text[start..]
            .chars()
            .take_while(|c| !c.is_ascii_digit() && !c.is_ascii_punctuation() && !"，。、；：（）【】“”《》".contains(*c))
            .collect();
        LEARNED_KEY_CHARS.contains(&key.chars().count()).then_some(key)
    }

    /// Remembers that the place named in `address` lies in the street `street_code` (a case located
    /// by GPS). Returns whether something was learned: an address with no place part after its
    /// administrative names, an unknown street, or a full key table teaches nothing.
    pub fn learn(&self, address: &str, street_code: &str) -> bool {
        let Some(&street) = self.by_code.get(street_code).filter(|&&p| self.places[p].level == RegionLevel::Street) else {
            return false;
        };
        let text = normalize(address);
        if text.chars().count() > MAX_ADDRESS_CHARS {
            return false;
        }
        let Some(key) = self.place_key(&text, &self.matches(&text)) else {
            return false;
        };
        let mut learned = self.learned.write().expect("learned keys");
        if !learned.contains_key(&key) && learned.len() >= MAX_LEARNED_KEYS {
            return false;
        }
        let counts = learned.entry(key).or_default();
        match counts.iter_mut().find(|(s, _)| *s == street) {
            Some((_, n)) => *n = n.saturating_add(1),
            None => counts.push((street, 1)),
        }
        true
    }

    /// Geocodes `address`; levels whose confidence is below `threshold` are left unknown.
    pub fn geocode(&self, address: &str, threshold: f64) -> Result<Geocoded, GeoError> {
        let text = normalize(address);
        if text.is_empty() {
            return Err(GeoError::Address("the address is empty".into()));
        }
        if text.chars().count() > MAX_ADDRESS_CHARS {
            return Err(GeoError::Address(format!("the address is longer than {MAX_ADDRESS_CHARS} characters")));
        }
        let matches = self.matches(&text);
        let mut districts: HashMap<usize, f64> = HashMap::new();
        let mut streets: HashMap<usize, f64> = HashMap::new();
        // Per street, its best community and that community's weight.
        let mut communities: HashMap<usize, (usize, f64)> = HashMap::new();
        for &(_, end, pattern) in &matches {
            let road = starts_road(&text[end..]);
            let senses = &self.senses[pattern];
            for sense in senses {
                let place = &self.places[sense.place];
                let w = if road && !sense.administrative { sense.weight.min(weight::IN_ROAD_NAME) } else { sense.weight };
                let slot = match place.level {
                    RegionLevel::District => districts.entry(sense.place).or_default(),
                    RegionLevel::Street => streets.entry(sense.place).or_default(),
                    _ => {
                        let Some(street) = place.street else { continue };
                        // One name that is both a street's and one of its communities' (羊坊店) is
                        // one piece of evidence, not two.
                        if senses.iter().any(|s| s.place == street) {
                            continue;
                        }
                        let best = communities.entry(street).or_insert((sense.place, 0.0));
                        if w > best.1 {
                            *best = (sense.place, w);
                        }
                        continue;
                    }
                };
                *slot = slot.max(w);
            }
        }
        if let Some(key) = self.place_key(&text, &matches) {
            let learned = self.learned.read().expect("learned keys");
            if let Some(counts) = learned.get(&key) {
                let total: u32 = counts.iter().map(|(_, n)| n).sum();
                for &(street, n) in counts {
                    *streets.entry(street).or_default() += weight::LEARNED * f64::from(n) / f64::from(total);
                }
            }
        }
        let mut scored: Vec<(usize, f64, Option<usize>)> = streets
            .keys()
            .chain(communities.keys())
            .copied()
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .map(|street| {
                let community = communities.get(&street).copied();
                let mut score = streets.get(&street).copied().unwrap_or(0.0) + community.map_or(0.0, |c| c.1);
                if !districts.is_empty() {
                    match districts.get(&self.places[street].district) {
                        Some(w) => score *= 1.0 + weight::DISTRICT_AGREES * w,
                        None => score *= weight::DISTRICT_DISAGREES,
                    }
                }
                (street, score, community.map(|c| c.0))
            })
            .collect();
        scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        let total: f64 = scored.iter().map(|s| s.1).sum();
        let candidates = scored
            .iter()
            .take(5)
            .map(|&(street, score, community)| Candidate {
                district: self.named(self.places[street].district),
                street: self.named(street),
                community: community.map(|c| self.named(c)),
                share: round3(score / total),
            })
            .collect();
        let matched = matches.iter().map(|&(_, _, p)| self.names[p].clone()).collect();
        let mut answer = Geocoded { district: None, street: None, community: None, confidence: 0.0, candidates, matched };

        let confidence = |best: f64, second: f64| strength(best) * best / (best + second);
        if let Some(&(street, best, community)) = scored.first() {
            let second = scored.get(1).map_or(0.0, |s| s.1);
            let c = confidence(best, second);
            if c >= threshold {
                answer.street = Some(self.named(street));
                answer.district = Some(self.named(self.places[street].district));
                answer.confidence = round3(c);
                answer.community = community
                    .filter(|_| communities.get(&street).is_some_and(|c| c.1 >= weight::COMMUNITY_COMMON))
                    .map(|c| self.named(c));
                return Ok(answer);
            }
        }
        // No street: the district if the evidence for one (named, or its streets') is clear.
        let mut by_district: HashMap<usize, f64> = districts.clone();
        for &(street, score, _) in &scored {
            let d = by_district.entry(self.places[street].district).or_default();
            *d = d.max(districts.get(&self.places[street].district).copied().unwrap_or(0.0) + score);
        }
        let mut ranked: Vec<(usize, f64)> = by_district.into_iter().collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        if let Some(&(district, best)) = ranked.first() {
            let c = confidence(best, ranked.get(1).map_or(0.0, |d| d.1));
            if c >= threshold {
                answer.district = Some(self.named(district));
                answer.confidence = round3(c);
            }
        }
        Ok(answer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gazetteer() -> Gazetteer {
        Gazetteer::new(&crate::beijing())
    }

    fn answer(g: &Gazetteer, address: &str) -> (Option<String>, Option<String>) {
        let a = g.geocode(address, DEFAULT_THRESHOLD).unwrap();
        (a.district.map(|d| d.name), a.street.map(|s| s.name))
    }

    #[test]
    fn the_issues_examples_land_in_their_streets() {
        let g = gazetteer();
        assert_eq!(answer(&g, "朝阳区望京街道阜通东大街6号"), (Some("朝阳区".into()), Some("望京街道".into())));
        assert_eq!(answer(&g, "西城区什刹海烟袋斜街"), (Some("西城区".into()), Some("什刹海街道".into())));
        // A road named after a street usually, not always, lies in it: answered, with less confidence.
        let road = g.geocode("海淀区羊坊店路11号", DEFAULT_THRESHOLD).unwrap();
        assert_eq!((road.district.unwrap().name.as_str(), road.street.unwrap().name.as_str()), ("海淀区", "羊坊店街道"));
        assert!((0.5..0.6).contains(&road.confidence), "{}", road.confidence);
        let strict = g.geocode("海淀区羊坊店路11号", 0.6).unwrap();
        assert_eq!((strict.street, strict.candidates[0].street.name.as_str()), (None, "羊坊店街道"));
    }

    #[test]
    fn common_forms_of_township_names_are_understood() {
        let g = gazetteer();
        // The official name is 南磨房地区; maps and people say 南磨房乡.
        assert_eq!(answer(&g, "北京市朝阳区南磨房乡某小区").1.as_deref(), Some("南磨房地区"));
        assert_eq!(answer(&g, "北京 朝阳 南磨房").1.as_deref(), Some("南磨房地区"));
        assert_eq!(answer(&g, "ＢＪ密云县鼓楼街道").0.as_deref(), Some("密云区"));
        let area = g.geocode("北京经济技术开发区科创十三街", DEFAULT_THRESHOLD).unwrap();
        assert_eq!(area.street.map(|s| s.code).as_deref(), Some("110115403000"));
    }

    #[test]
    fn a_district_alone_answers_the_district_and_leaves_the_street_unknown() {
        let g = gazetteer();
        let a = g.geocode("朝阳区某某路88号", DEFAULT_THRESHOLD).unwrap();
        assert_eq!(a.district.map(|d| d.name).as_deref(), Some("朝阳区"));
        assert_eq!(a.street, None);
        assert!(a.confidence > 0.5);
        let none = g.geocode("上海市浦东新区世纪大道100号", DEFAULT_THRESHOLD).unwrap();
        assert_eq!((none.district, none.street, none.confidence), (None, None, 0.0));
    }

    #[test]
    fn a_street_outside_the_named_district_is_not_believed_blindly() {
        let g = gazetteer();
        // 望京街道 is in 朝阳; the district named contradicts it.
        let a = g.geocode("海淀区望京街道", DEFAULT_THRESHOLD).unwrap();
        assert_ne!(a.street.map(|s| s.name).as_deref(), Some("望京街道"));
        assert!(!a.candidates.is_empty());
    }

    #[test]
    fn a_community_named_in_full_is_answered_with_its_street() {
        let g = gazetteer();
        let a = g.geocode("东城区多福巷社区", DEFAULT_THRESHOLD).unwrap();
        assert_eq!(a.community.map(|c| c.name).as_deref(), Some("多福巷社区居委会"));
        assert_eq!(a.district.map(|d| d.name).as_deref(), Some("东城区"));
        assert!(a.street.is_some());
    }

    #[test]
    fn learned_places_are_found_again_and_bad_lessons_are_refused() {
        let g = gazetteer();
        assert_eq!(answer(&g, "阜通东大街6号").1, None);
        assert!(g.learn("北京市朝阳区阜通东大街1号", "110105026000"));
        assert_eq!(answer(&g, "阜通东大街6号"), (Some("朝阳区".into()), Some("望京街道".into())));
        assert!(!g.learn("北京市朝阳区阜通东大街1号", "110105000000"), "a district is not a street");
        assert!(!g.learn("北京市朝阳区阜通东大街1号", "999"), "unknown code");
        assert!(!g.learn("朝阳区123号", "110105026000"), "no place part");
        assert!(!g.learn(&"路".repeat(400), "110105026000"), "oversized");
        assert_eq!(g.size().1, 1);
    }

    #[test]
    fn empty_and_oversized_addresses_are_refused() {
        let g = gazetteer();
        assert!(g.geocode("  \t ", DEFAULT_THRESHOLD).is_err());
        assert!(g.geocode(&"朝".repeat(301), DEFAULT_THRESHOLD).is_err());
        // Hostile but valid text is just unknown.
        let a = g.geocode("'; DROP TABLE cases; --<script>", DEFAULT_THRESHOLD).unwrap();
        assert_eq!(a.district, None);
    }
}
