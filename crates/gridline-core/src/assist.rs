//! Filling in what a submission lacks: the catalogue entry of a text ([`Classifier`]) and the
//! region of an address or a point ([`Locator`]). Bulk import and Open311 ask through these
//! traits, so a trained text classifier and a geocoder with street polygons replace the simple
//! stand-ins here without touching their callers.

use crate::case::GeoPoint;
use crate::catalogue::Catalogue;
use crate::region::{RegionLevel, RegionTree};

/// Suggests the catalogue entry (a fileable leaf code) a complaint text belongs to.
pub trait Classifier: Send + Sync {
    fn classify(&self, text: &str) -> Option<String>;
}

/// Finds the region (a region code) of an address text or a point.
pub trait Locator: Send + Sync {
    fn locate(&self, address: Option<&str>, point: Option<GeoPoint>) -> Option<String>;
}

/// The stand-in classifier: the leaf whose name or keyword occurs in the text, the longest
/// match winning (a more specific phrase says more than a short one).
pub struct KeywordClassifier {
    /// (phrase, leaf code), longest phrase first.
    phrases: Vec<(String, String)>,
}

impl KeywordClassifier {
    pub fn new(catalogue: &Catalogue) -> Self {
        let mut phrases: Vec<(String, String)> = catalogue
            .leaves()
            .flat_map(|entry| {
                std::iter::once(entry.name.clone())
                    .chain(entry.keywords.iter().cloned())
                    .filter(|p| p.chars().count() >= 2)
                    .map(|p| (p.to_lowercase(), entry.code.clone()))
                    .collect::<Vec<_>>()
            })
            .collect();
        phrases.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then_with(|| a.1.cmp(&b.1)));
        phrases.dedup_by(|a, b| a.0 == b.0);
        KeywordClassifier { phrases }
    }
}

impl Classifier for KeywordClassifier {
    fn classify(&self, text: &str) -> Option<String> {
        let text = text.to_lowercase();
        self.phrases.iter().find(|(phrase, _)| text.contains(phrase.as_str())).map(|(_, code)| code.clone())
    }
}

/// The stand-in locator: a district or street named in the address (a street inside a named
/// district preferred), else for a point the street whose label point is nearest, within
/// [`RegionNameLocator::MAX_DISTANCE_KM`]. Without street polygons the point rule can pick a
/// neighbour near a boundary; the geocoder of the geography work replaces it.
pub struct RegionNameLocator {
    /// (name as written in addresses, region code, level), longest name first.
    names: Vec<(String, String, RegionLevel)>,
    streets: Vec<(String, (f64, f64))>,
}

impl RegionNameLocator {
    pub const MAX_DISTANCE_KM: f64 = 5.0;

    pub fn new(regions: &RegionTree) -> Self {
        let mut names = Vec::new();
        for region in regions.iter().filter(|r| matches!(r.level, RegionLevel::District | RegionLevel::Street)) {
            names.push((region.name.clone(), region.code.clone(), region.level));
            // People write 望京 for 望京街道 and 朝阳 for 朝阳区.
            for suffix in ["街道", "地区", "区", "镇", "乡"] {
                if let Some(short) = region.name.strip_suffix(suffix)
                    && short.chars().count() >= 2
                {
                    names.push((short.to_owned(), region.code.clone(), region.level));
                }
            }
        }
        names.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then_with(|| a.1.cmp(&b.1)));
        let streets = regions
            .at_level(RegionLevel::Street)
            .filter_map(|r| r.label_point.map(|p| (r.code.clone(), p)))
            .collect();
        RegionNameLocator { names, streets }
    }

    fn by_address(&self, address: &str) -> Option<String> {
        let found: Vec<&(String, String, RegionLevel)> =
            self.names.iter().filter(|(name, _, _)| address.contains(name.as_str())).collect();
        let district = found.iter().find(|(_, _, level)| *level == RegionLevel::District).map(|(_, code, _)| &code[..6]);
        let street = found
            .iter()
            .filter(|(_, _, level)| *level == RegionLevel::Street)
            .find(|(_, code, _)| district.is_none_or(|d| code.starts_with(d)));
        street.or_else(|| found.iter().find(|(_, _, level)| *level == RegionLevel::District)).map(|(_, code, _)| code.clone())
    }

    fn by_point(&self, point: GeoPoint) -> Option<String> {
        self.streets
            .iter()
            .map(|(code, (lat, lon))| (code, distance_km(point.lat, point.lon, *lat, *lon)))
            .filter(|(_, d)| *d <= Self::MAX_DISTANCE_KM)
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(code, _)| code.clone())
    }
}

impl Locator for RegionNameLocator {
    fn locate(&self, address: Option<&str>, point: Option<GeoPoint>) -> Option<String> {
        address.and_then(|a| self.by_address(a)).or_else(|| point.and_then(|p| self.by_point(p)))
    }
}

/// Great-circle distance (haversine), good to metres at a city's scale.
fn distance_km(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = p2 - p1;
    let dl = (lon2 - lon1).to_radians();
    let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * 6371.0 * a.sqrt().asin()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::region::Region;

    fn tree() -> RegionTree {
        let region = |code: &str, name: &str, level, parent: Option<&str>, point| Region {
            code: code.into(),
            name: name.into(),
            level,
            parent: parent.map(Into::into),
            label_point: point,
        };
        RegionTree::new(vec![
            region("110000000000", "北京市", RegionLevel::City, None, None),
            region("110105000000", "朝阳区", RegionLevel::District, Some("110000000000"), None),
            region("110108000000", "海淀区", RegionLevel::District, Some("110000000000"), None),
            region("110105026000", "望京街道", RegionLevel::Street, Some("110105000000"), Some((40.0, 116.47))),
            region("110105001000", "建外街道", RegionLevel::Street, Some("110105000000"), Some((39.905, 116.45))),
            region("110108001000", "万寿路街道", RegionLevel::Street, Some("110108000000"), Some((39.91, 116.29))),
        ])
        .unwrap()
    }

    #[test]
    fn a_street_named_in_the_address_wins_over_its_district() {
        let locator = RegionNameLocator::new(&tree());
        assert_eq!(locator.locate(Some("朝阳区望京阜通东大街6号"), None).as_deref(), Some("110105026000"));
        assert_eq!(locator.locate(Some("北京市朝阳区某小区"), None).as_deref(), Some("110105000000"));
        assert_eq!(locator.locate(Some("A市A3区联丰路"), None), None);
    }

    #[test]
    fn a_point_goes_to_the_nearest_street_but_not_from_far_away() {
        let locator = RegionNameLocator::new(&tree());
        let near_wangjing = GeoPoint { lat: 40.002, lon: 116.475 };
        assert_eq!(locator.locate(None, Some(near_wangjing)).as_deref(), Some("110105026000"));
        let new_york = GeoPoint { lat: 40.83, lon: -73.92 };
        assert_eq!(locator.locate(None, Some(new_york)), None);
        // The address decides when both are given.
        assert_eq!(locator.locate(Some("万寿路"), Some(near_wangjing)).as_deref(), Some("110108001000"));
    }

    #[test]
    fn the_longest_catalogue_phrase_in_the_text_decides() {
        let catalogue = Catalogue::from_toml(
            r#"
            [[entry]]
            code = "01"
            name = "市容环境"
            unit_type = "district_city_management"
            time_limit = { amount = 2, unit = "working_days" }
            [[entry]]
            code = "0101"
            name = "暴露垃圾"
            parent = "01"
            keywords = ["垃圾"]
            [[entry]]
            code = "0102"
            name = "积存垃圾渣土"
            parent = "01"
            keywords = ["渣土"]
            "#,
        )
        .unwrap();
        let classifier = KeywordClassifier::new(&catalogue);
        assert_eq!(classifier.classify("门口积存垃圾渣土很多").as_deref(), Some("0102"));
        assert_eq!(classifier.classify("路边有垃圾").as_deref(), Some("0101"));
        assert_eq!(classifier.classify("噪音扰民"), None);
        // A group's name is not fileable and is never suggested.
        assert_eq!(classifier.classify("市容环境差"), None);
    }
}
