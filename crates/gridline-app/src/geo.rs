//! Geography as the intake uses it: placing a new case in its street (gridline-geo).

use gridline_core::case::Intake;
use gridline_core::ids::RegionCode;
use gridline_geo::{Geography, LatLon};

/// A case's street is taken from its address only with at least this confidence: a road named
/// after a street (~0.55) is not enough to route on, the street or community named is.
pub const INTAKE_GEOCODE_THRESHOLD: f64 = 0.6;

/// Builds the geography before the first request needs it (about half a second).
pub fn prepare() {
    Geography::beijing();
}

/// Places a new case: a case with a location but no region gets the point's street; one with only
/// an address gets the street (or district) its address names with enough confidence. A case
/// with both a location and an address teaches the gazetteer the address.
pub fn place(intake: &mut Intake) {
    let geo = Geography::beijing();
    let point = intake.location.map(|p| LatLon { lat: p.lat, lon: p.lon });
    if let (Some(point), Some(address)) = (point, &intake.address) {
        geo.learn(address, point);
    }
    if intake.region.is_some() {
        return;
    }
    intake.region = match (point, &intake.address) {
        (Some(point), _) => geo.street_at(point).and_then(|code| RegionCode::parse(code).ok()),
        (None, Some(address)) => geo
            .geocode(address, INTAKE_GEOCODE_THRESHOLD)
            .ok()
            .and_then(|g| g.street.or(g.district))
            .and_then(|r| RegionCode::parse(&r.code).ok()),
        (None, None) => None,
    };
}


/// Whether a WGS-84 point lies in one of the city's streets.
pub fn inside_city(point: gridline_core::case::GeoPoint) -> bool {
    Geography::beijing().street_at(LatLon { lat: point.lat, lon: point.lon }).is_some()
}
