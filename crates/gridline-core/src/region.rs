//! The region tree: city → district → street/township → community → grid cell, keyed by the
//! official statistical division codes (统计用区划代码, 12 digits; grid cells extend them).

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::error::DomainError;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RegionLevel {
    City,
    District,
    Street,
    Community,
    Grid,
}

impl RegionLevel {
    /// How many leading digits of a code name the region at this level; every region below it
    /// shares them, which lets a store select a subtree with a range over an index.
    fn prefix_len(self) -> Option<usize> {
        match self {
            RegionLevel::City => Some(2),
            RegionLevel::District => Some(6),
            RegionLevel::Street => Some(9),
            RegionLevel::Community => Some(12),
            RegionLevel::Grid => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Region {
    pub code: String,
    pub name: String,
    pub level: RegionLevel,
    pub parent: Option<String>,
    /// A point inside the region (WGS-84 latitude, longitude), for maps and demo data.
    pub label_point: Option<(f64, f64)>,
}

impl Region {
    /// The leading digits shared by this region and everything inside it.
    pub fn code_prefix(&self) -> &str {
        match self.level.prefix_len() {
            Some(n) if n <= self.code.len() => &self.code[..n],
            _ => &self.code,
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct RegionTree {
    regions: Vec<Region>,
    by_code: HashMap<String, usize>,
}

impl RegionTree {
    /// Builds the tree, checking that codes are unique, parents exist and sit one level up, and
    /// that every code starts with its parent's prefix.
    pub fn new(regions: Vec<Region>) -> Result<Self, DomainError> {
        let mut by_code = HashMap::with_capacity(regions.len());
        for (i, region) in regions.iter().enumerate() {
            if region.code.is_empty() || !region.code.bytes().all(|b| b.is_ascii_digit()) {
                return Err(DomainError::InvalidData(format!(
                    "region code {:?} ({}) must be digits",
                    region.code, region.name
                )));
            }
            if by_code.insert(region.code.clone(), i).is_some() {
                return Err(DomainError::InvalidData(format!("region code {} appears twice", region.code)));
            }
        }
        let tree = RegionTree { regions, by_code };
        for region in &tree.regions {
            match &region.parent {
                None if region.level != RegionLevel::City => {
                    return Err(DomainError::InvalidData(format!("region {} has no parent", region.code)));
                }
                None => {}
                Some(parent_code) => {
                    let parent = tree.get(parent_code).ok_or_else(|| {
                        DomainError::InvalidData(format!("region {} names unknown parent {parent_code}", region.code))
                    })?;
                    if parent.level >= region.level {
                        return Err(DomainError::InvalidData(format!(
                            "region {} is not below its parent {parent_code}",
                            region.code
                        )));
                    }
                    if !region.code.starts_with(parent.code_prefix()) {
                        return Err(DomainError::InvalidData(format!(
                            "region code {} does not start with its parent's prefix {}",
                            region.code,
                            parent.code_prefix()
                        )));
                    }
                }
            }
        }
        Ok(tree)
    }

    pub fn get(&self, code: &str) -> Option<&Region> {
        self.by_code.get(code).map(|&i| &self.regions[i])
    }

    pub fn iter(&self) -> impl Iterator<Item = &Region> {
        self.regions.iter()
    }

    pub fn at_level(&self, level: RegionLevel) -> impl Iterator<Item = &Region> {
        self.regions.iter().filter(move |r| r.level == level)
    }

    /// The region and its ancestors, nearest first.
    pub fn lineage<'a>(&'a self, code: &str) -> impl Iterator<Item = &'a Region> + 'a {
        let mut next = self.get(code);
        std::iter::from_fn(move || {
            let current = next?;
            next = current.parent.as_deref().and_then(|p| self.get(p));
            Some(current)
        })
    }

    /// Whether `code` is `ancestor` or lies inside it.
    pub fn is_within(&self, code: &str, ancestor: &str) -> bool {
        self.lineage(code).any(|r| r.code == ancestor)
    }

    /// The ancestor of `code` at `level` (or the region itself when it is at that level).
    pub fn ancestor_at(&self, code: &str, level: RegionLevel) -> Option<&Region> {
        self.lineage(code).find(|r| r.level == level)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn region(code: &str, name: &str, level: RegionLevel, parent: Option<&str>) -> Region {
        Region { code: code.into(), name: name.into(), level, parent: parent.map(Into::into), label_point: None }
    }

    pub(crate) fn small_tree() -> RegionTree {
        RegionTree::new(vec![
            region("110000000000", "北京市", RegionLevel::City, None),
            region("110101000000", "东城区", RegionLevel::District, Some("110000000000")),
            region("110101001000", "东华门街道", RegionLevel::Street, Some("110101000000")),
            region("110101002000", "景山街道", RegionLevel::Street, Some("110101000000")),
            region("110102000000", "西城区", RegionLevel::District, Some("110000000000")),
            region("110102001000", "西长安街街道", RegionLevel::Street, Some("110102000000")),
        ])
        .unwrap()
    }

    #[test]
    fn a_street_lies_within_its_district_and_city_but_not_a_neighbouring_district() {
        let tree = small_tree();
        assert!(tree.is_within("110101001000", "110101000000"));
        assert!(tree.is_within("110101001000", "110000000000"));
        assert!(tree.is_within("110101001000", "110101001000"));
        assert!(!tree.is_within("110101001000", "110102000000"));
        assert_eq!(tree.ancestor_at("110101002000", RegionLevel::District).unwrap().name, "东城区");
    }

    #[test]
    fn code_prefixes_follow_the_level() {
        let tree = small_tree();
        assert_eq!(tree.get("110000000000").unwrap().code_prefix(), "11");
        assert_eq!(tree.get("110101000000").unwrap().code_prefix(), "110101");
        assert_eq!(tree.get("110101001000").unwrap().code_prefix(), "110101001");
    }

    #[test]
    fn a_tree_with_a_duplicate_code_an_orphan_or_a_foreign_prefix_is_refused() {
        let city = region("110000000000", "北京市", RegionLevel::City, None);
        let dup = vec![city.clone(), city.clone()];
        assert!(RegionTree::new(dup).is_err());
        let orphan = vec![city.clone(), region("110101000000", "东城区", RegionLevel::District, Some("119999000000"))];
        assert!(RegionTree::new(orphan).is_err());
        let foreign = vec![city, region("120101000000", "和平区", RegionLevel::District, Some("110000000000"))];
        assert!(RegionTree::new(foreign).is_err());
    }
}
