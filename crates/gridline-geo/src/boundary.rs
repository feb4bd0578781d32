//! Boundaries: polygons read from GeoJSON, repaired, and the exact point-in-polygon test.
//!
//! Coordinates are `[lon, lat]` (GeoJSON order), WGS-84. A point is inside a polygon by the
//! even-odd rule over all its rings, so holes and self-touching rings need no special case; what
//! repair removes is what has no area: repeated points and rings that enclose nothing.

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::GeoError;

/// A closed ring: first point equals last, at least four points, a non-zero area.
pub type Ring = Vec<[f64; 2]>;

/// A polygon's rings, the outer shell first, then its holes.
#[derive(Clone, Debug, PartialEq)]
pub struct Polygon {
    pub rings: Vec<Ring>,
}

/// A feature of a boundary file: its properties and its polygons (never empty).
#[derive(Clone, Debug)]
pub struct Shape {
    pub properties: Map<String, Value>,
    pub polygons: Vec<Polygon>,
}

/// Smaller than any real ring in degrees² (1e-12 deg² ≈ 0.01 m²): such rings are spikes or
/// repeated points, not land.
const MIN_RING_AREA: f64 = 1e-12;
/// Limits for imported files: Beijing's own street file has about 130,000 points.
const MAX_POINTS: usize = 2_000_000;

#[derive(Deserialize)]
struct FeatureCollection {
    #[serde(rename = "type")]
    kind: String,
    features: Vec<Feature>,
}

#[derive(Deserialize)]
struct Feature {
    #[serde(default)]
    properties: Option<Map<String, Value>>,
    geometry: Option<Geometry>,
}

#[derive(Deserialize)]
#[serde(tag = "type")]
enum Geometry {
    Polygon { coordinates: Vec<Vec<Vec<f64>>> },
    MultiPolygon { coordinates: Vec<Vec<Vec<Vec<f64>>>> },
}

/// Reads a GeoJSON FeatureCollection of (Multi)Polygons, repairing each polygon; a feature left
/// with no polygon, a position that is not a finite `[lon, lat]`, or another geometry type is
/// an error naming the feature.
pub fn read_shapes(text: &str) -> Result<Vec<Shape>, GeoError> {
    let collection: FeatureCollection =
        serde_json::from_str(text).map_err(|e| GeoError::GeoJson { feature: None, message: e.to_string() })?;
    if collection.kind != "FeatureCollection" {
        return Err(GeoError::GeoJson { feature: None, message: format!("expected a FeatureCollection, not {}", collection.kind) });
    }
    let mut points = 0usize;
    let mut shapes = Vec::with_capacity(collection.features.len());
    for (n, feature) in collection.features.into_iter().enumerate() {
        let fail = |message: String| GeoError::GeoJson { feature: Some(n), message };
        let raw = match feature.geometry {
            Some(Geometry::Polygon { coordinates }) => vec![coordinates],
            Some(Geometry::MultiPolygon { coordinates }) => coordinates,
            None => return Err(fail("has no geometry".into())),
        };
        let mut polygons = Vec::with_capacity(raw.len());
        for rings in raw {
            let mut checked = Vec::with_capacity(rings.len());
            for ring in rings {
                points += ring.len();
                if points > MAX_POINTS {
                    return Err(fail(format!("the file has more than {MAX_POINTS} points")));
                }
                let ring = ring
                    .into_iter()
                    .map(|p| match p.as_slice() {
                        [lon, lat, ..] if lon.is_finite() && lat.is_finite() && lon.abs() <= 180.0 && lat.abs() <= 90.0 => {
                            Ok([*lon, *lat])
                        }
                        _ => Err(fail(format!("position {p:?} is not a [lon, lat] pair in range"))),
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                checked.push(ring);
            }
            polygons.extend(repair_polygon(checked));
        }
        if polygons.is_empty() {
            return Err(fail("has no polygon with an area".into()));
        }
        shapes.push(Shape { properties: feature.properties.unwrap_or_default(), polygons });
    }
    Ok(shapes)
}

/// Drops repeated consecutive points, closes open rings and removes rings without area; a
/// polygon whose shell has no area goes with its holes.
pub fn repair_polygon(rings: Vec<Vec<[f64; 2]>>) -> Option<Polygon> {
    let mut rings = rings.into_iter().map(repair_ring);
    let shell = rings.next().flatten()?;
    Some(Polygon { rings: std::iter::once(shell).chain(rings.flatten()).collect() })
}

fn repair_ring(ring: Vec<[f64; 2]>) -> Option<Ring> {
    let mut out: Ring = Vec::with_capacity(ring.len() + 1);
    for p in ring {
        if out.last() != Some(&p) {
            out.push(p);
        }
    }
    if let (Some(&first), Some(&last)) = (out.first(), out.last())
        && first != last
    {
        out.push(first);
    }
    (out.len() >= 4 && ring_area(&out).abs() >= MIN_RING_AREA).then_some(out)
}

/// Signed area in degrees² (positive counter-clockwise).
pub fn ring_area(ring: &[[f64; 2]]) -> f64 {
    0.5 * ring.windows(2).map(|w| w[0][0] * w[1][1] - w[1][0] * w[0][1]).sum::<f64>()
}

/// Area of the polygons (shells minus holes), degrees².
pub fn area(polygons: &[Polygon]) -> f64 {
    polygons
        .iter()
        .map(|p| p.rings.iter().enumerate().map(|(i, r)| if i == 0 { ring_area(r).abs() } else { -ring_area(r).abs() }).sum::<f64>())
        .sum()
}

/// `[min_lon, min_lat, max_lon, max_lat]`.
pub fn bbox(polygons: &[Polygon]) -> [f64; 4] {
    let mut b = [f64::INFINITY, f64::INFINITY, f64::NEG_INFINITY, f64::NEG_INFINITY];
    for p in polygons.iter().flat_map(|p| &p.rings[0]) {
        b = [b[0].min(p[0]), b[1].min(p[1]), b[2].max(p[0]), b[3].max(p[1])];
    }
    b
}

/// Exact even-odd test by a ray to the east; the reference the fast index is checked against.
pub fn contains(polygons: &[Polygon], lon: f64, lat: f64) -> bool {
    let mut inside = false;
    for ring in polygons.iter().flat_map(|p| &p.rings) {
        for w in ring.windows(2) {
            let ([ax, ay], [bx, by]) = (w[0], w[1]);
            if (ay > lat) != (by > lat) && lon < ax + (lat - ay) * (bx - ax) / (by - ay) {
                inside = !inside;
            }
        }
    }
    inside
}

/// The property as text, whether the file stores it as a string or a number.
pub fn text_property(properties: &Map<String, Value>, key: &str) -> Option<String> {
    match properties.get(key)? {
        Value::String(s) => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SQUARE_WITH_HOLE: &str = r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"code":"1"},
        "geometry":{"type":"Polygon","coordinates":[[[0,0],[4,0],[4,4],[0,4],[0,0]],[[1,1],[2,1],[2,2],[1,2],[1,1]]]}}]}"#;

    #[test]
    fn a_hole_is_outside_and_the_rest_of_the_square_inside() {
        let shapes = read_shapes(SQUARE_WITH_HOLE).unwrap();
        let polys = &shapes[0].polygons;
        assert!(contains(polys, 3.0, 3.0));
        assert!(!contains(polys, 1.5, 1.5));
        assert!(!contains(polys, 5.0, 1.0));
        assert!((area(polys) - 15.0).abs() < 1e-12);
        assert_eq!(bbox(polys), [0.0, 0.0, 4.0, 4.0]);
    }

    #[test]
    fn repair_drops_repeated_points_zero_area_rings_and_closes_open_rings() {
        let spike = vec![[0.0, 0.0], [1.0, 1.0], [2.0, 2.0], [0.0, 0.0]];
        let open = vec![[0.0, 0.0], [0.0, 0.0], [1.0, 0.0], [1.0, 1.0]];
        let polygon = repair_polygon(vec![open, spike.clone()]).unwrap();
        assert_eq!(polygon.rings, vec![vec![[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0]]]);
        assert_eq!(repair_polygon(vec![spike]), None);
    }

    #[test]
    fn malformed_files_are_refused_with_the_feature_named() {
        for (text, needle) in [
            ("", "EOF"),
            ("{\"type\":\"Feature\",\"features\":[]}", "FeatureCollection"),
            (r#"{"type":"FeatureCollection","features":[{"properties":{},"geometry":{"type":"Point","coordinates":[1,2]}}]}"#, "unknown variant"),
            (r#"{"type":"FeatureCollection","features":[{"properties":{},"geometry":null}]}"#, "feature 0"),
            (r#"{"type":"FeatureCollection","features":[{"geometry":{"type":"Polygon","coordinates":[[[0,0],[1]]]}}]}"#, "not a [lon, lat]"),
            (r#"{"type":"FeatureCollection","features":[{"geometry":{"type":"Polygon","coordinates":[[[0,0],[500,0],[1,1],[0,0]]]}}]}"#, "in range"),
            (r#"{"type":"FeatureCollection","features":[{"geometry":{"type":"Polygon","coordinates":[[[0,0],[1,1],[0,0]]]}}]}"#, "no polygon with an area"),
        ] {
            let err = read_shapes(text).unwrap_err().to_string();
            assert!(err.contains(needle), "{text}: {err}");
        }
    }
}
