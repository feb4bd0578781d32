//! Locate against the original boundaries in the shared data folder (`../shared/data/geo`): the
//! built-in, repaired copy and its index must agree with them.

use gridline_testing::shared_data;
use gridline_geo::crs::distance_m;
use gridline_geo::{Crs, Geography, LatLon};
use rand::{Rng, SeedableRng};
use serde_json::Value;

/// A shared data file's text; these tests need it wherever they run.
fn read_shared(file: &str) -> String {
    let path = shared_data(file).unwrap_or_else(|| panic!("{file} not found: set GRIDLINE_SHARED_DATA to the shared data folder"));
    std::fs::read_to_string(path).unwrap()
}

/// A feature's rings straight from the file, with no repair: the independent reference.
struct Reference {
    code: String,
    name: String,
    rings: Vec<Vec<[f64; 2]>>,
}

fn reference(file: &str) -> Vec<Reference> {
    let doc: Value = serde_json::from_str(&read_shared(file)).unwrap();
    doc["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let geometry = &f["geometry"];
            let polygons = match geometry["type"].as_str() {
                Some("Polygon") => vec![geometry["coordinates"].clone()],
                _ => geometry["coordinates"].as_array().unwrap().clone(),
            };
            let rings = polygons
                .iter()
                .flat_map(|p| p.as_array().unwrap().iter())
                .map(|r| r.as_array().unwrap().iter().map(|p| [p[0].as_f64().unwrap(), p[1].as_f64().unwrap()]).collect())
                .collect();
            let code = match &f["properties"]["code"] {
                Value::Number(n) => n.to_string(),
                other => other.as_str().unwrap().to_owned(),
            };
            Reference { code, name: f["properties"]["name"].as_str().unwrap().to_owned(), rings }
        })
        .collect()
}

fn inside(rings: &[Vec<[f64; 2]>], x: f64, y: f64) -> bool {
    let mut odd = false;
    for ring in rings {
        for w in ring.windows(2) {
            let ([ax, ay], [bx, by]) = (w[0], w[1]);
            if (ay > y) != (by > y) && x < ax + (y - ay) * (bx - ax) / (by - ay) {
                odd = !odd;
            }
        }
    }
    odd
}

fn bbox(rings: &[Vec<[f64; 2]>]) -> [f64; 4] {
    rings.iter().flatten().fold([f64::MAX, f64::MAX, f64::MIN, f64::MIN], |b, p| [b[0].min(p[0]), b[1].min(p[1]), b[2].max(p[0]), b[3].max(p[1])])
}

/// Random points inside a street's original polygons.
fn points_inside(street: &Reference, n: usize, rng: &mut impl Rng) -> Vec<LatLon> {
    let [x0, y0, x1, y1] = bbox(&street.rings);
    let mut points = Vec::with_capacity(n);
    while points.len() < n {
        let (x, y) = (rng.random_range(x0..x1), rng.random_range(y0..y1));
        if inside(&street.rings, x, y) {
            points.push(LatLon { lat: y, lon: x });
        }
    }
    points
}

#[test]
fn locate_agrees_with_the_original_polygons_on_random_points_inside_every_street() {
    let geo = Geography::beijing();
    let streets = reference("geo/beijing_streets_tianditu_wgs84.geojson");
    assert_eq!(streets.len(), 343);
    let mut rng = rand::rngs::StdRng::seed_from_u64(20_261_122);
    let mut checked = 0;
    for street in &streets {
        for p in points_inside(street, 200, &mut rng) {
            let got = geo.street_at(p);
            if got != Some(street.code.as_str()) {
                // Only an overlap of the source polygons may answer another street, and that
                // street's own polygon must then contain the point too.
                let other = streets.iter().find(|s| Some(s.code.as_str()) == got);
                assert!(other.is_some_and(|o| inside(&o.rings, p.lon, p.lat)), "{p:?} in {} ({}) located as {got:?}", street.name, street.code);
            }
            checked += 1;
        }
    }
    assert_eq!(checked, 343 * 200);
}

#[test]
fn points_outside_every_street_polygon_are_outside_beijing() {
    let geo = Geography::beijing();
    let streets = reference("geo/beijing_streets_tianditu_wgs84.geojson");
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let mut outside = 0;
    let boxes: Vec<[f64; 4]> = streets.iter().map(|s| bbox(&s.rings)).collect();
    // Random points over the city's bounding box and a margin around it.
    for _ in 0..5_000 {
        let p = LatLon { lat: rng.random_range(39.3..41.2), lon: rng.random_range(115.3..117.6) };
        let expected = streets
            .iter()
            .zip(&boxes)
            .find(|(s, b)| (b[0]..=b[2]).contains(&p.lon) && (b[1]..=b[3]).contains(&p.lat) && inside(&s.rings, p.lon, p.lat));
        match expected {
            None => {
                assert!(!geo.locate(p, Crs::Wgs84).inside, "{p:?}");
                outside += 1;
            }
            Some((s, _)) => assert_eq!(geo.street_at(p), Some(s.code.as_str()), "{p:?} in {}", s.name),
        }
    }
    assert!(outside > 500, "the sample reaches beyond the city: {outside}");
}

#[test]
fn locate_agrees_with_the_district_polygons_on_real_places() {
    let geo = Geography::beijing();
    let districts = reference("geo/beijing_districts_tianditu_wgs84.geojson");
    // Well-known places, WGS-84, away from district boundaries.
    let places = [
        ("故宫", 39.9163, 116.3972, "东城区"),
        ("天坛", 39.8822, 116.4066, "东城区"),
        ("北海公园", 39.9250, 116.3890, "西城区"),
        ("西单", 39.9130, 116.3740, "西城区"),
        ("国家体育场", 39.9929, 116.3965, "朝阳区"),
        ("国贸", 39.9087, 116.4591, "朝阳区"),
        ("首都机场", 40.0720, 116.5900, "朝阳区"),
        ("颐和园", 39.9999, 116.2755, "海淀区"),
        ("北京大学", 39.9929, 116.3057, "海淀区"),
        ("香山公园", 39.9925, 116.1880, "海淀区"),
        ("卢沟桥", 39.8492, 116.2137, "丰台区"),
        ("八宝山", 39.9072, 116.2338, "石景山区"),
        ("潭柘寺", 39.9036, 116.0230, "门头沟区"),
        ("周口店遗址", 39.6890, 115.9270, "房山区"),
        ("北京环球度假区", 39.8550, 116.6790, "通州区"),
        ("奥林匹克水上公园", 40.1630, 116.7170, "顺义区"),
        ("十三陵长陵", 40.3017, 116.2433, "昌平区"),
        ("回龙观", 40.0700, 116.3300, "昌平区"),
        ("黄村", 39.7270, 116.3380, "大兴区"),
        ("慕田峪长城", 40.4313, 116.5650, "怀柔区"),
        ("雁栖湖", 40.4050, 116.6750, "怀柔区"),
        ("平谷城区", 40.1400, 117.1200, "平谷区"),
        ("密云水库", 40.5200, 116.9200, "密云区"),
        ("八达岭长城", 40.3599, 116.0200, "延庆区"),
    ];
    for (place, lat, lon, district) in places {
        let located = geo.locate(LatLon { lat, lon }, Crs::Wgs84);
        let got = located.district.map(|d| d.name);
        assert_eq!(got.as_deref(), Some(district), "{place}");
        let polygon = districts.iter().find(|d| inside(&d.rings, lon, lat)).map(|d| d.name.as_str());
        assert_eq!(polygon, Some(district), "{place}: the district polygons say otherwise");
    }
    // Every street's label point: the street's district polygon contains it.
    let streets = reference("geo/beijing_streets_tianditu_wgs84.geojson");
    for street in &streets {
        let region = geo.regions().get(&street.code).unwrap();
        let (lat, lon) = region.label_point.unwrap();
        let located = geo.locate(LatLon { lat, lon }, Crs::Wgs84);
        let district = located.district.unwrap();
        let polygons: Vec<&str> = districts.iter().filter(|d| inside(&d.rings, lon, lat)).map(|d| d.code.as_str()).collect();
        assert!(polygons.contains(&district.code.as_str()), "{}: located in {} but district polygons say {polygons:?}", street.name, district.name);
    }
}

#[test]
fn gcj02_and_bd09_inputs_land_in_the_same_street_as_their_wgs84_originals() {
    let geo = Geography::beijing();
    let streets = reference("geo/beijing_streets_tianditu_wgs84.geojson");
    let mut rng = rand::rngs::StdRng::seed_from_u64(11);
    for street in &streets {
        for p in points_inside(street, 20, &mut rng) {
            let origin = geo.locate(p, Crs::Wgs84);
            for crs in [Crs::Gcj02, Crs::Bd09] {
                let shifted = crs.from_wgs84(p);
                assert!(distance_m(p, shifted) > 100.0, "the systems differ by hundreds of metres");
                let located = geo.locate(shifted, crs);
                assert!(distance_m(located.wgs84, p) < 0.01);
                assert_eq!(located.street, origin.street, "{crs:?} {p:?} in {}", street.name);
            }
        }
    }
}
