//! Lines near a point: which of many lines (the alleys) lie within a distance of a position, by
//! an R-tree of their envelopes and `geo`'s Euclidean distance in a local metric projection
//! (metres east and north of the line's mean latitude: exact enough at a city's scale).

use geo::{Distance, Euclidean, LineString, Point};
use gridline_core::case::GeoPoint;
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, RTree};

/// Metres per degree of latitude; a degree of longitude is this times cos(latitude).
const METRES_PER_DEGREE: f64 = 111_320.0;

/// A line projected to metres about its own mean latitude.
struct Projected {
    cos_lat: f64,
    line: LineString<f64>,
}

impl Projected {
    fn new(points: &[GeoPoint]) -> Projected {
        let mean_lat = points.iter().map(|p| p.lat).sum::<f64>() / points.len().max(1) as f64;
        let cos_lat = mean_lat.to_radians().cos();
        let line = points.iter().map(|p| (p.lon * cos_lat * METRES_PER_DEGREE, p.lat * METRES_PER_DEGREE)).collect::<Vec<_>>().into();
        Projected { cos_lat, line }
    }

    fn distance_m(&self, at: GeoPoint) -> f64 {
        let point = Point::new(at.lon * self.cos_lat * METRES_PER_DEGREE, at.lat * METRES_PER_DEGREE);
        Euclidean.distance(&point, &self.line)
    }
}

/// The distance in metres from a position to a line (a single point counts as a line).
pub fn distance_to_line_m(at: GeoPoint, line: &[GeoPoint]) -> f64 {
    Projected::new(line).distance_m(at)
}

/// Many lines, each found by the positions within `within_m` metres of it.
pub struct LineIndex {
    tree: RTree<GeomWithData<Rectangle<[f64; 2]>, usize>>,
    lines: Vec<Projected>,
    within_m: f64,
}

impl LineIndex {
    /// Indexes `lines` (each at least one point) for positions within `within_m` metres.
    pub fn new<'a>(lines: impl IntoIterator<Item = &'a [GeoPoint]>, within_m: f64) -> LineIndex {
        let mut boxes = Vec::new();
        let mut projected = Vec::new();
        for (i, line) in lines.into_iter().enumerate() {
            let p = Projected::new(line);
            let pad_lat = within_m / METRES_PER_DEGREE;
            let pad_lon = pad_lat / p.cos_lat.max(0.01);
            let (mut lo, mut hi) = ([f64::MAX; 2], [f64::MIN; 2]);
            for g in line {
                lo = [lo[0].min(g.lon - pad_lon), lo[1].min(g.lat - pad_lat)];
                hi = [hi[0].max(g.lon + pad_lon), hi[1].max(g.lat + pad_lat)];
            }
            boxes.push(GeomWithData::new(Rectangle::from_corners(lo, hi), i));
            projected.push(p);
        }
        LineIndex { tree: RTree::bulk_load(boxes), lines: projected, within_m }
    }

    /// The lines (by their position in the input) within the distance of `at`, with the
    /// distance in metres.
    pub fn near(&self, at: GeoPoint) -> impl Iterator<Item = (usize, f64)> + '_ {
        self.tree.locate_in_envelope_intersecting(&AABB::from_point([at.lon, at.lat])).filter_map(move |b| {
            let d = self.lines[b.data].distance_m(at);
            (d <= self.within_m).then_some((b.data, d))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 0.001° of latitude is 111.32 m.
    fn north_of(p: GeoPoint, metres: f64) -> GeoPoint {
        GeoPoint { lat: p.lat + metres / METRES_PER_DEGREE, lon: p.lon }
    }

    #[test]
    fn a_case_30_m_from_an_alley_is_near_it_and_one_300_m_away_is_not() {
        // An east–west alley of about 170 m (东四三条-like), and a second one 1 km north.
        let a = [GeoPoint { lat: 39.93, lon: 116.410 }, GeoPoint { lat: 39.93, lon: 116.412 }];
        let b = [north_of(a[0], 1000.0), north_of(a[1], 1000.0)];
        let index = LineIndex::new([&a[..], &b[..]], 50.0);
        let middle = GeoPoint { lat: 39.93, lon: 116.411 };
        let near: Vec<_> = index.near(north_of(middle, 30.0)).collect();
        assert_eq!(near.len(), 1);
        assert_eq!(near[0].0, 0);
        assert!((near[0].1 - 30.0).abs() < 0.01, "{}", near[0].1);
        assert_eq!(index.near(north_of(middle, 300.0)).count(), 0);
        // Beyond the end of the line the distance is to its end point: 30 m east of it counts.
        let east = GeoPoint { lat: 39.93, lon: 116.412 + 30.0 / (METRES_PER_DEGREE * 39.93f64.to_radians().cos()) };
        assert!((distance_to_line_m(east, &a) - 30.0).abs() < 0.01);
        assert_eq!(index.near(east).count(), 1);
    }
}
