//! The built-in catalogue and routing rules over Beijing's real regions: a representative case
//! of every class in several districts goes to the unit the rules say, and the rule is shown.

use gridline_core::reference::Reference;
use gridline_core::region::{RegionLevel, RegionTree};
use gridline_core::routing::{Route, RouteQuery};
use gridline_core::unit::{Unit, UnitKind};
use jiff::Timestamp;
use jiff::tz::TimeZone;

const DONGHUAMEN: &str = "110101001000";
const QIANMEN: &str = "110101011000";
const WANGJING: &str = "110105026000";
const WANSHOULU: &str = "110108001000";
const YIZHUANG: &str = "110115403000";

/// Types handled by one unit per district; the rest by one city-wide unit.
const DISTRICT_TYPES: [&str; 14] = [
    "district_city_management",
    "city_management_enforcement",
    "housing",
    "market_regulation",
    "human_resources",
    "ecology_environment",
    "education",
    "health",
    "public_security",
    "civil_affairs",
    "greening",
    "roads",
    "traffic_police",
    "planning_natural_resources",
];

/// A city in which every unit type has a unit covering every street: each street its office,
/// each district its departments, the city its service companies.
fn units(reference: &Reference, regions: &RegionTree) -> Vec<Unit> {
    let unit = |code: String, region: &str, unit_type: &str| Unit {
        name: code.clone(),
        code: code.parse().unwrap(),
        kind: UnitKind::Department,
        regions: vec![region.to_owned()],
        types: vec![unit_type.to_owned()],
    };
    let mut units = Vec::new();
    for street in regions.at_level(RegionLevel::Street) {
        units.push(unit(format!("{}-JD", street.code), &street.code, "street_office"));
    }
    for district in regions.at_level(RegionLevel::District) {
        for t in DISTRICT_TYPES {
            units.push(unit(format!("{}-{t}", district.code), &district.code, t));
        }
    }
    for t in reference.routing.unit_types().iter().map(|t| t.code.as_str()) {
        if t != "street_office" && !DISTRICT_TYPES.contains(&t) {
            units.push(unit(format!("BJ-{t}"), "110000000000", t));
        }
    }
    units
}

struct City {
    reference: Reference,
    regions: RegionTree,
    units: Vec<Unit>,
    zone: TimeZone,
}

impl City {
    fn new() -> City {
        let regions = gridline_geo::beijing();
        let reference = Reference::builtin(&regions);
        let units = units(&reference, &regions);
        City { reference, regions, units, zone: TimeZone::get("Asia/Shanghai").unwrap() }
    }

    fn route(&self, category: &str, region: &str, local: &str) -> Route {
        let at: Timestamp =
            jiff::civil::DateTime::strptime("%Y-%m-%d %H:%M", local).unwrap().to_zoned(self.zone.clone()).unwrap().timestamp();
        let query = RouteQuery { category, region: Some(region), at, time_zone: &self.zone };
        self.reference.routing.route(query, &self.reference.catalogue, &self.regions, &self.units)
    }
}

#[test]
fn representative_cases_go_where_the_rules_say() {
    let city = City::new();
    let weekday = "2026-07-15 10:00";
    let cases = [
        // (category, region, when, the rule that decides, the unit)
        ("S0102", DONGHUAMEN, weekday, "catalogue:S01", "110101001000-JD"),
        ("S0201", DONGHUAMEN, weekday, "catalogue:S02", "110101001000-JD"),
        ("S0201", WANGJING, weekday, "R-chaoyang-ads", "110105000000-district_city_management"),
        ("S0301", WANGJING, weekday, "catalogue:S03", "110105000000-housing"),
        ("S0301", WANGJING, "2026-07-15 23:30", "R-noise-night", "110105000000-city_management_enforcement"),
        ("S0501", QIANMEN, weekday, "R-qianmen-vendors", "110101000000-city_management_enforcement"),
        ("S0501", DONGHUAMEN, weekday, "catalogue:S05", "110101001000-JD"),
        ("S0507", WANSHOULU, "2026-07-01 20:00", "R-bbq-summer-2026", "110108000000-city_management_enforcement"),
        ("S0507", WANSHOULU, "2026-10-09 20:00", "catalogue:S05", "110108001000-JD"),
        ("B0103", WANSHOULU, weekday, "R-cover-drainage", "BJ-drainage"),
        ("B0113", WANSHOULU, weekday, "R-cover-orphan", "110108000000-district_city_management"),
        ("W0503", DONGHUAMEN, weekday, "R-dongcheng-alleys", "110101001000-JD"),
        ("W0503", WANSHOULU, weekday, "catalogue:W05", "110108000000-district_city_management"),
        ("W0201", WANGJING, weekday, "catalogue:W02", "110105000000-traffic_police"),
        ("R0101", WANGJING, "2026-07-15 23:30", "R-social-noise-night", "110105000000-public_security"),
        ("R0101", WANGJING, weekday, "catalogue:R01", "110105026000-JD"),
        ("R0901", WANSHOULU, weekday, "R-wage-arrears", "110108000000-human_resources"),
        ("R0301", DONGHUAMEN, weekday, "catalogue:R03", "BJ-heating"),
        // A functional area without street offices: its rule sends street-level problems to the district.
        ("S0102", YIZHUANG, weekday, "R-bda-functional-area", "110115000000-district_city_management"),
    ];
    for (category, region, when, rule, unit) in cases {
        let route = city.route(category, region, when);
        println!(
            "{category} @ {region} {when}: {} → {:?} — {}",
            route.rule.as_ref().map_or("-", |r| r.id.as_str()),
            route.unit,
            route.reason
        );
        assert!(route.certain, "{category} @ {region}: {}", route.reason);
        assert_eq!(route.rule.as_ref().map(|r| r.id.as_str()), Some(rule), "{category} @ {region} {when}");
        assert_eq!(route.unit.as_deref(), Some(unit), "{category} @ {region} {when}");
    }
}

#[test]
fn every_class_routes_to_a_unit_in_every_sample_district() {
    let city = City::new();
    let catalogue = &city.reference.catalogue;
    let classes: Vec<_> = catalogue
        .iter()
        .filter(|e| e.parent.as_ref().is_some_and(|p| catalogue.get(p).is_some_and(|g| g.parent.is_none())))
        .collect();
    assert!(classes.len() >= 30, "{}", classes.len());
    for class in classes {
        let leaf = catalogue.children(&class.code).next().unwrap_or_else(|| panic!("{} has entries", class.code));
        for region in [DONGHUAMEN, WANGJING, WANSHOULU] {
            let route = city.route(&leaf.code, region, "2026-07-15 10:00");
            let rule = route.rule.as_ref().expect("a rule or the catalogue decides");
            println!("{} {} @ {region}: {} → {:?}", leaf.code, leaf.name, rule.id, route.unit);
            assert!(route.certain, "{} @ {region}: {}", leaf.code, route.reason);
            let unit = city.units.iter().find(|u| Some(&u.code) == route.unit.as_ref()).unwrap();
            assert_eq!(Some(&unit.types[0]), route.unit_type.as_ref(), "{}: the unit is of the chosen type", leaf.code);
            assert!(unit.covers(&city.regions, region));
        }
    }
}
