//! `cargo bench -p gridline-geo`: locate and geocode throughput on one core, and geocoding
//! accuracy on the labelled sample. Figures go to BENCHMARKS.md.

#[path = "../tests/common/mod.rs"]
mod common;

use std::hint::black_box;
use std::time::Instant;

use gridline_geo::{Crs, DEFAULT_THRESHOLD, Geography, LatLon};
use rand::{Rng, SeedableRng};

fn points(n: usize, lat: std::ops::Range<f64>, lon: std::ops::Range<f64>, seed: u64) -> Vec<LatLon> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    (0..n).map(|_| LatLon { lat: rng.random_range(lat.clone()), lon: rng.random_range(lon.clone()) }).collect()
}

/// Best of three runs, in operations per second.
fn rate(n: usize, mut run: impl FnMut() -> usize) -> (f64, usize) {
    let mut best = f64::MAX;
    let mut found = 0;
    for _ in 0..3 {
        let start = Instant::now();
        found = black_box(run());
        best = best.min(start.elapsed().as_secs_f64());
    }
    (n as f64 / best, found)
}

fn main() {
    let start = Instant::now();
    let geo = Geography::beijing();
    let (cells, edges) = geo.index_size();
    println!("build: {:.0} ms (parse boundaries, index {cells} cells with {edges} cell-edge entries, gazetteer)", start.elapsed().as_secs_f64() * 1e3);

    const N: usize = 2_000_000;
    let city = points(N, 39.44..41.06, 115.42..117.50, 1);
    let centre = points(N, 39.80..40.05, 116.20..116.55, 2);
    for (what, pts) in [("whole bounding box", &city), ("central districts", &centre)] {
        let (per_s, found) = rate(N, || pts.iter().filter(|p| geo.street_at(**p).is_some()).count());
        println!("locate, WGS-84, {what}: {:.2} M points/s ({found} of {N} inside)", per_s / 1e6);
    }
    let gcj: Vec<LatLon> = centre.iter().map(|p| Crs::Gcj02.from_wgs84(*p)).collect();
    let (per_s, _) = rate(N, || gcj.iter().filter(|p| geo.street_at(Crs::Gcj02.to_wgs84(**p)).is_some()).count());
    println!("locate, GCJ-02 converted to WGS-84 first, central districts: {:.2} M points/s", per_s / 1e6);
    let (per_s, _) = rate(N, || gcj.iter().filter(|p| geo.locate(**p, Crs::Gcj02).inside).count());
    println!("locate, GCJ-02, the full answer with names (as the API builds it): {:.2} M points/s", per_s / 1e6);

    let sample = common::sample();
    let addresses: Vec<&str> = sample.iter().map(|r| r.address.as_str()).cycle().take(200_000).collect();
    let (per_s, found) = rate(addresses.len(), || {
        addresses.iter().filter(|a| geo.geocode(a, DEFAULT_THRESHOLD).is_ok_and(|g| g.street.is_some())).count()
    });
    println!("geocode: {:.0} addresses/s ({found} of {} with a street)", per_s, addresses.len());

    let acc = common::evaluate(geo);
    println!("geocoding accuracy on {} labelled addresses:", sample.len());
    println!("  {}", acc.district.line("district"));
    println!("  {}", acc.street_named.line("street, address names it"));
    println!("  {}", acc.street_place.line("street, road/landmark only"));
}
