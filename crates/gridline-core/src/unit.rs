//! Units: the departments, street offices, member units and service companies that handle cases,
//! each covering a set of regions.

use serde::{Deserialize, Serialize};

use crate::ids::UnitCode;
use crate::region::RegionTree;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum UnitKind {
    /// 职能部门: a city or district department (城管委, 交通委, 住建委, …).
    Department,
    /// 街道办事处 / 乡镇政府.
    StreetOffice,
    /// 首都文明委成员单位.
    MemberUnit,
    /// 公共服务企业: water, power, gas, telecoms.
    PublicService,
}

impl UnitKind {
    pub fn parse(text: &str) -> Option<Self> {
        serde_json::from_value(serde_json::Value::String(text.to_owned())).ok()
    }

    pub fn as_str(self) -> &'static str {
        match self {
            UnitKind::Department => "department",
            UnitKind::StreetOffice => "street_office",
            UnitKind::MemberUnit => "member_unit",
            UnitKind::PublicService => "public_service",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Unit {
    pub code: UnitCode,
    pub name: String,
    pub kind: UnitKind,
    /// Region codes the unit is responsible for; it covers everything inside them.
    pub regions: Vec<String>,
    /// The unit types (routing file vocabulary: street_office, water_supply, …) whose cases it handles.
    #[serde(default)]
    pub types: Vec<String>,
}

impl Unit {
    pub fn covers(&self, tree: &RegionTree, region: &str) -> bool {
        self.covering_region(tree, region).is_some()
    }

    /// The most specific of the unit's regions that contains `region`.
    pub fn covering_region<'a>(&self, tree: &'a RegionTree, region: &str) -> Option<&'a crate::region::Region> {
        self.regions
            .iter()
            .filter(|r| tree.is_within(region, r))
            .filter_map(|r| tree.get(r))
            .max_by_key(|r| r.level)
    }

    pub fn has_type(&self, unit_type: &str) -> bool {
        self.types.iter().any(|t| t == unit_type)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::region::tests::small_tree;

    #[test]
    fn a_district_unit_covers_its_streets_only() {
        let tree = small_tree();
        let unit = Unit {
            code: "DC-CGW".parse().unwrap(),
            name: "东城区城市管理委员会".into(),
            kind: UnitKind::Department,
            regions: vec!["110101000000".into()],
            types: vec!["district_city_management".into()],
        };
        assert!(unit.covers(&tree, "110101001000"));
        assert!(!unit.covers(&tree, "110102001000"));
        assert_eq!(UnitKind::parse("street_office"), Some(UnitKind::StreetOffice));
        assert_eq!(UnitKind::parse("office"), None);
    }
}
