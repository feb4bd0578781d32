//! Geography: Beijing's region tree (district → street/township → community → grid cell) with
//! the official codes, the street boundaries, `locate` (a point → its street and district),
//! `geocode` (an address → the same), grid cells, and the coordinate systems of Chinese maps.
//!
//! Everything is built into the binary from `data/regions/` and `data/geo/` (see the
//! PROVENANCE.md files there); nothing is read at run time.
#![forbid(unsafe_code)]

pub mod boundary;
pub mod crs;
pub mod gazetteer;
pub mod grid;
pub mod index;
pub mod lines;

use std::sync::{Arc, OnceLock};

use gridline_core::region::{Region, RegionLevel, RegionTree};
use serde::{Deserialize, Serialize};

use crate::boundary::{Polygon, Shape, read_shapes, text_property};
pub use crate::crs::{Crs, LatLon};
pub use crate::gazetteer::{Candidate, DEFAULT_THRESHOLD, Gazetteer, Geocoded, Named};
use crate::index::{AreaIndex, DEFAULT_CELL_DEG};

#[derive(Debug, thiserror::Error)]
pub enum GeoError {
    #[error("region file, line {line}: {message}")]
    RegionFile { line: u64, message: String },
    #[error("GeoJSON{}: {message}", feature.map(|n| format!(", feature {n}")).unwrap_or_default())]
    GeoJson { feature: Option<usize>, message: String },
    #[error("{0}")]
    Address(String),
    #[error("{0}")]
    Grid(String),
    #[error(transparent)]
    Domain(#[from] gridline_core::DomainError),
}

#[derive(Deserialize)]
struct RegionRow {
    code: String,
    name: String,
    level: RegionLevel,
    parent: String,
    lat: Option<f64>,
    lon: Option<f64>,
}

/// Reads a region CSV (`code,name,level,parent,lat,lon`) into a checked tree.
pub fn read_regions(text: &str) -> Result<RegionTree, GeoError> {
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let mut regions = Vec::new();
    for row in reader.deserialize::<RegionRow>() {
        let row = row.map_err(|e| GeoError::RegionFile {
            line: e.position().map_or(0, |p| p.line()),
            message: e.to_string(),
        })?;
        regions.push(Region {
            code: row.code,
            name: row.name,
            level: row.level,
            parent: (!row.parent.is_empty()).then_some(row.parent),
            label_point: row.lat.zip(row.lon),
        });
    }
    Ok(RegionTree::new(regions)?)
}

/// Beijing's city, 16 districts, 349 streets/townships and 7,535 communities/villages
/// (统计用区划代码, 2023 edition).
pub fn beijing() -> RegionTree {
    read_regions(include_str!("../../../data/regions/beijing.csv")).expect("the built-in region file is valid (tested)")
}

/// Street boundaries and district boundaries as served to the web map (simplified to ~50 m).
pub const STREETS_WEB_GEOJSON: &str = include_str!("../../../data/geo/streets.web.geojson");
pub const DISTRICTS_WEB_GEOJSON: &str = include_str!("../../../data/geo/districts.web.geojson");
const STREETS_GEOJSON: &str = include_str!("../../../data/geo/streets.geojson");

/// Where a point is.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Located {
    /// False outside Beijing: then every level is null.
    pub inside: bool,
    /// The point in WGS-84, after conversion from the input's system.
    pub wgs84: LatLon,
    pub district: Option<Named>,
    pub street: Option<Named>,
    /// Communities have no published boundaries: known only from a grid cell's code.
    pub community: Option<Named>,
    pub grid: Option<Named>,
}

struct Street {
    code: String,
    district: String,
    polygons: Vec<Polygon>,
}

/// The built-in geography: region tree, street boundaries with their index, and the gazetteer.
pub struct Geography {
    regions: Arc<RegionTree>,
    streets: Vec<Street>,
    index: AreaIndex,
    gazetteer: Gazetteer,
}

impl Geography {
    /// Beijing, built once per process (parsing and indexing take a moment).
    pub fn beijing() -> &'static Geography {
        static BEIJING: OnceLock<Geography> = OnceLock::new();
        BEIJING.get_or_init(|| {
            let shapes = read_shapes(STREETS_GEOJSON).expect("the built-in street boundaries are valid (tested)");
            Geography::new(Arc::new(beijing()), &shapes).expect("the built-in boundaries match the region tree (tested)")
        })
    }

    /// Builds the geography from a tree and street shapes whose `code` property names a street of
    /// the tree.
    pub fn new(regions: Arc<RegionTree>, shapes: &[Shape]) -> Result<Geography, GeoError> {
        let mut streets = Vec::with_capacity(shapes.len());
        let mut polygons: Vec<&[Polygon]> = Vec::with_capacity(shapes.len());
        for (n, shape) in shapes.iter().enumerate() {
            let fail = |message: String| GeoError::GeoJson { feature: Some(n), message };
            let code = text_property(&shape.properties, "code").ok_or_else(|| fail("has no code".into()))?;
            let region = regions.get(&code).ok_or_else(|| fail(format!("code {code} is not in the region tree")))?;
            if region.level != RegionLevel::Street {
                return Err(fail(format!("{code} ({}) is not a street/township", region.name)));
            }
            let district = region.parent.clone().ok_or_else(|| fail(format!("{code} has no district")))?;
            streets.push(Street { code, district, polygons: shape.polygons.clone() });
            polygons.push(&shape.polygons);
        }
        let index = AreaIndex::build(&polygons, DEFAULT_CELL_DEG);
        let gazetteer = Gazetteer::new(&regions);
        Ok(Geography { regions, streets, index, gazetteer })
    }

    pub fn regions(&self) -> &Arc<RegionTree> {
        &self.regions
    }

    pub fn gazetteer(&self) -> &Gazetteer {
        &self.gazetteer
    }

    fn named(&self, code: &str) -> Option<Named> {
        self.regions.get(code).map(|r| Named { code: r.code.clone(), name: r.name.clone() })
    }

    /// Whether a street/township has a boundary. The functional areas (北京经济技术开发区 …) have
    /// none: their land lies in the surrounding streets' polygons, so `locate` never answers them.
    pub fn has_boundary(&self, code: &str) -> bool {
        self.streets.iter().any(|s| s.code == code)
    }

    /// A street's boundary, if it has one.
    pub fn street_polygons(&self, code: &str) -> Option<&[Polygon]> {
        self.streets.iter().find(|s| s.code == code).map(|s| s.polygons.as_slice())
    }

    /// The street code containing a WGS-84 point (the fast path; no allocation).
    #[inline]
    pub fn street_at(&self, point: LatLon) -> Option<&str> {
        self.index.locate(point.lon, point.lat).map(|i| self.streets[i].code.as_str())
    }

    /// The district and street of a point given in `crs`; outside Beijing is an answer with
    /// `inside: false`, not an error.
    pub fn locate(&self, point: LatLon, crs: Crs) -> Located {
        let wgs84 = crs.to_wgs84(point);
        let found = self.index.locate(wgs84.lon, wgs84.lat).map(|i| &self.streets[i]);
        Located {
            inside: found.is_some(),
            wgs84,
            district: found.and_then(|s| self.named(&s.district)),
            street: found.and_then(|s| self.named(&s.code)),
            community: None,
            grid: None,
        }
    }

    /// Geocodes an address (see [`Gazetteer::geocode`]).
    pub fn geocode(&self, address: &str, threshold: f64) -> Result<Geocoded, GeoError> {
        self.gazetteer.geocode(address, threshold)
    }

    /// Learns an address from a case located by GPS: the place part of the address is filed under
    /// the point's street. Returns whether anything was learned.
    pub fn learn(&self, address: &str, point: LatLon) -> bool {
        self.street_at(point).is_some_and(|street| self.gazetteer.learn(address, street))
    }

    /// Index size, for the benchmark report: (cells, cell-edge entries).
    pub fn index_size(&self) -> (usize, usize) {
        self.index.size()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn beijing_is_the_nbs_2023_tree_with_label_points_for_every_street_with_a_boundary() {
        let tree = beijing();
        assert_eq!(tree.at_level(RegionLevel::District).count(), 16);
        assert_eq!(tree.at_level(RegionLevel::Street).count(), 349);
        assert_eq!(tree.at_level(RegionLevel::Community).count(), 7535);
        let wangjing = tree.iter().find(|r| r.name == "望京街道").expect("望京街道");
        assert_eq!(tree.ancestor_at(&wangjing.code, RegionLevel::District).unwrap().name, "朝阳区");
        let geo = Geography::beijing();
        for street in tree.at_level(RegionLevel::Street) {
            match street.label_point {
                Some((lat, lon)) => {
                    assert!(geo.has_boundary(&street.code), "{}", street.name);
                    assert!((39.4..41.1).contains(&lat) && (115.4..117.6).contains(&lon), "{}", street.name);
                }
                None => assert!(!geo.has_boundary(&street.code), "{} has a boundary but no label point", street.name),
            }
        }
        assert_eq!(geo.streets.len(), 343);
    }

    #[test]
    fn functional_areas_are_regions_under_their_district_that_locate_never_answers() {
        let geo = Geography::beijing();
        let tree = geo.regions();
        for (code, district) in [("110115403000", "大兴区"), ("110115406000", "大兴区"), ("110116400000", "怀柔区")] {
            let area = tree.get(code).expect(code);
            assert_eq!(area.level, RegionLevel::Street);
            assert_eq!(tree.ancestor_at(code, RegionLevel::District).unwrap().name, district);
            assert!(!geo.has_boundary(code));
        }
        // A point in 亦庄's development area lies in a township with a polygon.
        let yizhuang = geo.locate(LatLon { lat: 39.795, lon: 116.506 }, Crs::Wgs84);
        assert!(yizhuang.inside);
        assert_ne!(yizhuang.street.unwrap().code, "110115403000");
    }

    #[test]
    fn a_broken_region_file_names_its_line() {
        let err = read_regions("code,name,level,parent,lat,lon\n110000000000,北京市,city,,x,1\n").unwrap_err();
        assert!(err.to_string().contains("line 2"), "{err}");
        let err = read_regions("code,name,level,parent,lat,lon\n110101000000,东城区,district,110000000000,,\n").unwrap_err();
        assert!(err.to_string().contains("unknown parent"), "{err}");
    }

    #[test]
    fn outside_beijing_is_a_clear_answer() {
        let geo = Geography::beijing();
        for p in [LatLon { lat: 31.23, lon: 121.47 }, LatLon { lat: 0.0, lon: 0.0 }, LatLon { lat: f64::NAN, lon: 116.4 }] {
            let located = geo.locate(p, Crs::Wgs84);
            assert!(!located.inside);
            assert!(located.district.is_none() && located.street.is_none());
        }
    }

    #[test]
    fn boundaries_naming_unknown_or_non_street_codes_are_refused() {
        let tree = Arc::new(beijing());
        let shape = |code: &str| {
            read_shapes(&format!(
                r#"{{"type":"FeatureCollection","features":[{{"properties":{{"code":"{code}"}},"geometry":{{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}}}}]}}"#
            ))
            .unwrap()
        };
        let err = |code: &str| Geography::new(tree.clone(), &shape(code)).err().unwrap().to_string();
        assert!(err("110199999000").contains("not in the region tree"));
        assert!(err("110105000000").contains("not a street"));
    }
}
