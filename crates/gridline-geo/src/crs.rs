//! Coordinate systems of Chinese map apps and their conversion to WGS-84.
//!
//! Amap (高德) and Tencent give GCJ-02 (the state's obfuscated datum), Baidu gives BD-09 (a further
//! shift of GCJ-02); GPS devices give WGS-84. The boundaries are WGS-84, so every point is converted
//! before it is located. The formulas are the published ones (e.g. `eviltransform`); GCJ-02 has
//! no closed-form inverse, so WGS-84 is found by fixed-point iteration to well under a metre.

use serde::{Deserialize, Serialize};

/// A point, WGS-84 unless said otherwise.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct LatLon {
    pub lat: f64,
    pub lon: f64,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Crs {
    #[default]
    Wgs84,
    Gcj02,
    Bd09,
}

impl Crs {
    pub const ALL: [Crs; 3] = [Crs::Wgs84, Crs::Gcj02, Crs::Bd09];

    pub fn as_str(self) -> &'static str {
        match self {
            Crs::Wgs84 => "wgs84",
            Crs::Gcj02 => "gcj02",
            Crs::Bd09 => "bd09",
        }
    }

    pub fn parse(text: &str) -> Option<Crs> {
        Crs::ALL.into_iter().find(|c| c.as_str().eq_ignore_ascii_case(text.trim()))
    }

    /// The WGS-84 position of a point given in this system.
    pub fn to_wgs84(self, point: LatLon) -> LatLon {
        match self {
            Crs::Wgs84 => point,
            Crs::Gcj02 => gcj02_to_wgs84(point),
            Crs::Bd09 => gcj02_to_wgs84(bd09_to_gcj02(point)),
        }
    }

    /// The point as this system would give it (the forward direction; used by tests and tools).
    pub fn from_wgs84(self, point: LatLon) -> LatLon {
        match self {
            Crs::Wgs84 => point,
            Crs::Gcj02 => wgs84_to_gcj02(point),
            Crs::Bd09 => gcj02_to_bd09(wgs84_to_gcj02(point)),
        }
    }
}

/// Krasovsky 1940 ellipsoid, as GCJ-02 uses it.
const KRASOVSKY_A: f64 = 6_378_245.0;
const KRASOVSKY_EE: f64 = 0.006_693_421_622_965_943;
const BD_X_PI: f64 = std::f64::consts::PI * 3000.0 / 180.0;
/// Iteration stops once the forward image is this close to the input (degrees; ~0.1 mm).
const INVERSE_TOLERANCE_DEG: f64 = 1e-9;

/// GCJ-02 shifts points only inside mainland China's rough bounding box.
fn outside_china(p: LatLon) -> bool {
    !(72.004..=137.8347).contains(&p.lon) || !(0.8293..=55.8271).contains(&p.lat)
}

fn gcj_offset(p: LatLon) -> (f64, f64) {
    use std::f64::consts::PI;
    let (x, y) = (p.lon - 105.0, p.lat - 35.0);
    let common = (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0;
    let d_lat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * x.abs().sqrt()
        + common
        + (20.0 * (y * PI).sin() + 40.0 * (y / 3.0 * PI).sin()) * 2.0 / 3.0
        + (160.0 * (y / 12.0 * PI).sin() + 320.0 * (y * PI / 30.0).sin()) * 2.0 / 3.0;
    let d_lon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * x.abs().sqrt()
        + common
        + (20.0 * (x * PI).sin() + 40.0 * (x / 3.0 * PI).sin()) * 2.0 / 3.0
        + (150.0 * (x / 12.0 * PI).sin() + 300.0 * (x / 30.0 * PI).sin()) * 2.0 / 3.0;
    let rad_lat = p.lat / 180.0 * PI;
    let magic = 1.0 - KRASOVSKY_EE * rad_lat.sin().powi(2);
    let sqrt_magic = magic.sqrt();
    let d_lat = d_lat * 180.0 / ((KRASOVSKY_A * (1.0 - KRASOVSKY_EE)) / (magic * sqrt_magic) * PI);
    let d_lon = d_lon * 180.0 / (KRASOVSKY_A / sqrt_magic * rad_lat.cos() * PI);
    (d_lat, d_lon)
}

pub fn wgs84_to_gcj02(p: LatLon) -> LatLon {
    if outside_china(p) {
        return p;
    }
    let (d_lat, d_lon) = gcj_offset(p);
    LatLon { lat: p.lat + d_lat, lon: p.lon + d_lon }
}

pub fn gcj02_to_wgs84(g: LatLon) -> LatLon {
    if outside_china(g) {
        return g;
    }
    invert(wgs84_to_gcj02, g, g)
}

/// Solves `forward(x) = target` from `start`: the shifts change slowly with position, so
/// x ← x − (forward(x) − target) converges in a few steps.
fn invert(forward: fn(LatLon) -> LatLon, target: LatLon, start: LatLon) -> LatLon {
    let mut x = start;
    for _ in 0..30 {
        let image = forward(x);
        let (e_lat, e_lon) = (image.lat - target.lat, image.lon - target.lon);
        x = LatLon { lat: x.lat - e_lat, lon: x.lon - e_lon };
        if e_lat.abs() < INVERSE_TOLERANCE_DEG && e_lon.abs() < INVERSE_TOLERANCE_DEG {
            break;
        }
    }
    x
}

pub fn gcj02_to_bd09(g: LatLon) -> LatLon {
    let (x, y) = (g.lon, g.lat);
    let z = (x * x + y * y).sqrt() + 0.000_02 * (y * BD_X_PI).sin();
    let theta = y.atan2(x) + 0.000_003 * (x * BD_X_PI).cos();
    LatLon { lat: z * theta.sin() + 0.006, lon: z * theta.cos() + 0.0065 }
}

/// The published inverse is itself approximate (a few decimetres); refining it makes BD-09 →
/// WGS-84 as exact as GCJ-02 → WGS-84.
pub fn bd09_to_gcj02(b: LatLon) -> LatLon {
    invert(gcj02_to_bd09, b, bd09_to_gcj02_published(b))
}

fn bd09_to_gcj02_published(b: LatLon) -> LatLon {
    let (x, y) = (b.lon - 0.0065, b.lat - 0.006);
    let z = (x * x + y * y).sqrt() - 0.000_02 * (y * BD_X_PI).sin();
    let theta = y.atan2(x) - 0.000_003 * (x * BD_X_PI).cos();
    LatLon { lat: z * theta.sin(), lon: z * theta.cos() }
}

/// Distance in metres between two WGS-84 points (haversine; plenty for checks within a city).
pub fn distance_m(a: LatLon, b: LatLon) -> f64 {
    let r = 6_371_008.8;
    let (p1, p2) = (a.lat.to_radians(), b.lat.to_radians());
    let dp = p2 - p1;
    let dl = (b.lon - a.lon).to_radians();
    let h = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * r * h.sqrt().asin()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_formulas_reproduce_published_test_vectors() {
        // eviltransform's test vector for Beijing (WGS-84 → GCJ-02).
        let gcj = wgs84_to_gcj02(LatLon { lat: 39.911_954, lon: 116.377_817 });
        assert!(distance_m(gcj, LatLon { lat: 39.913_345_455_360_69, lon: 116.384_047_224_556_57 }) < 0.5, "{gcj:?}");
        // wandergis/coordtransform's vectors for GCJ-02 ↔ BD-09 at (39.915, 116.404).
        let p = LatLon { lat: 39.915, lon: 116.404 };
        let bd = gcj02_to_bd09(p);
        assert!(distance_m(bd, LatLon { lat: 39.921_336_993_510_21, lon: 116.410_369_493_710_29 }) < 0.5, "{bd:?}");
        let gcj = bd09_to_gcj02_published(p);
        assert!(distance_m(gcj, LatLon { lat: 39.908_656_739_576_31, lon: 116.397_627_291_193_15 }) < 0.5, "{gcj:?}");
        assert!(distance_m(gcj, bd09_to_gcj02(p)) < 1.0);
        assert!((300.0..800.0).contains(&distance_m(p, wgs84_to_gcj02(p))));
    }

    #[test]
    fn the_inverses_return_to_the_origin_within_a_centimetre_across_beijing() {
        for i in 0..40 {
            for j in 0..40 {
                let p = LatLon { lat: 39.4 + 1.7 * f64::from(i) / 40.0, lon: 115.4 + 2.1 * f64::from(j) / 40.0 };
                for crs in Crs::ALL {
                    let back = crs.to_wgs84(crs.from_wgs84(p));
                    assert!(distance_m(p, back) < 0.01, "{crs:?} {p:?} → {back:?}");
                }
                assert!(distance_m(p, bd09_to_gcj02(gcj02_to_bd09(p))) < 0.01);
            }
        }
    }

    #[test]
    fn points_outside_china_are_not_shifted() {
        let paris = LatLon { lat: 48.8566, lon: 2.3522 };
        assert_eq!(wgs84_to_gcj02(paris), paris);
        assert_eq!(gcj02_to_wgs84(paris), paris);
    }

    #[test]
    fn crs_names_parse_case_insensitively_and_unknown_ones_do_not() {
        assert_eq!(Crs::parse("GCJ02"), Some(Crs::Gcj02));
        assert_eq!(Crs::parse(" bd09 "), Some(Crs::Bd09));
        assert_eq!(Crs::parse("wgs84"), Some(Crs::Wgs84));
        assert_eq!(Crs::parse("epsg:3857"), None);
        assert_eq!(Crs::parse(""), None);
    }
}
