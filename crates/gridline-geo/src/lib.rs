//! Geography: the region tree of Beijing, built into the binary from `data/regions/beijing.csv`.
#![forbid(unsafe_code)]

use gridline_core::region::{Region, RegionLevel, RegionTree};
use serde::Deserialize;

#[derive(Debug, thiserror::Error)]
pub enum GeoError {
    #[error("region file, line {line}: {message}")]
    RegionFile { line: u64, message: String },
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

/// Beijing's city, districts and streets/townships.
pub fn beijing() -> RegionTree {
    read_regions(include_str!("../../../data/regions/beijing.csv")).expect("the built-in region file is valid (tested)")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn beijing_has_16_districts_and_343_streets_each_inside_its_district() {
        let tree = beijing();
        assert_eq!(tree.at_level(RegionLevel::District).count(), 16);
        assert_eq!(tree.at_level(RegionLevel::Street).count(), 343);
        let wangjing = tree.iter().find(|r| r.name == "望京街道").expect("望京街道");
        assert_eq!(tree.ancestor_at(&wangjing.code, RegionLevel::District).unwrap().name, "朝阳区");
        for street in tree.at_level(RegionLevel::Street) {
            let (lat, lon) = street.label_point.expect("label point");
            assert!((39.4..41.1).contains(&lat) && (115.4..117.6).contains(&lon), "{}", street.name);
        }
    }

    #[test]
    fn a_broken_region_file_names_its_line() {
        let err = read_regions("code,name,level,parent,lat,lon\n110000000000,北京市,city,,x,1\n").unwrap_err();
        assert!(err.to_string().contains("line 2"), "{err}");
        let err = read_regions("code,name,level,parent,lat,lon\n110101000000,东城区,district,110000000000,,\n").unwrap_err();
        assert!(err.to_string().contains("unknown parent"), "{err}");
    }
}
