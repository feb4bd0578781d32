//! Geography under `/api/v1/geo`: locate a point, geocode an address, teach the gazetteer an
//! address, and the district and street boundaries for the web map. Placing a new case is the
//! application layer's (`gridline_app::geo::place`).

use axum::extract::Query;
use axum::extract::rejection::QueryRejection;
use axum::http::header;
use axum::response::IntoResponse;
use axum::Json;
use gridline_core::actor::Role;
use gridline_geo::{Crs, DEFAULT_THRESHOLD, Geocoded, Geography, LatLon, Located, Named};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::SignedIn;
use crate::error::ApiError;
use crate::ApiJson;

fn number(field: &str, text: Option<&str>, range: std::ops::RangeInclusive<f64>) -> Result<f64, ApiError> {
    let text = text.ok_or_else(|| ApiError::invalid(field, format!("{field} is required")))?;
    let value = text.trim().parse::<f64>().map_err(|_| ApiError::invalid(field, format!("{field} must be a number, not {text:?}")))?;
    in_range(field, value, range)
}

fn in_range(field: &str, value: f64, range: std::ops::RangeInclusive<f64>) -> Result<f64, ApiError> {
    if value.is_finite() && range.contains(&value) {
        Ok(value)
    } else {
        Err(ApiError::invalid(field, format!("{field} must be from {} to {}, not {value}", range.start(), range.end())))
    }
}

fn crs(text: Option<&str>) -> Result<Crs, ApiError> {
    match text {
        None => Ok(Crs::Wgs84),
        Some(t) => Crs::parse(t).ok_or_else(|| ApiError::invalid("crs", format!("unknown coordinate system {t:?}; one of wgs84, gcj02, bd09"))),
    }
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct LocateQuery {
    /// Latitude, -90 to 90.
    // Optional here so that leaving it out is a 422 naming it rather than the extractor's 400;
    // the document still says it is required.
    #[param(required = true)]
    lat: Option<String>,
    /// Longitude, -180 to 180.
    #[param(required = true)]
    lon: Option<String>,
    /// The coordinate system of the point: wgs84 (the default), gcj02 or bd09.
    crs: Option<String>,
}

/// `GET /api/v1/geo/locate?lat=&lon=&crs=wgs84|gcj02|bd09`: the district and street of a point;
/// outside Beijing is `inside: false` with null levels.
#[utoipa::path(get, path = "/geo/locate", tag = "geo", security(("bearer" = [])), params(LocateQuery),
    responses((status = 200, description = "where the point is; every level null outside Beijing", body = Located),
        (status = 422, description = "a missing or invalid coordinate, or an unknown coordinate system")))]
pub async fn locate(_who: SignedIn, query: Result<Query<LocateQuery>, QueryRejection>) -> Result<Json<Located>, ApiError> {
    let Query(q) = query?;
    let point = LatLon { lat: number("lat", q.lat.as_deref(), -90.0..=90.0)?, lon: number("lon", q.lon.as_deref(), -180.0..=180.0)? };
    Ok(Json(Geography::beijing().locate(point, crs(q.crs.as_deref())?)))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct GeocodeQuery {
    /// The address text.
    #[param(required = true)]
    address: Option<String>,
    /// The confidence (0 to 1) a level needs to be named.
    threshold: Option<String>,
}

/// `GET /api/v1/geo/geocode?address=&threshold=`: district, street and community named by an
/// address, each null when unknown, with `confidence` and `candidates`.
#[utoipa::path(get, path = "/geo/geocode", tag = "geo", security(("bearer" = [])), params(GeocodeQuery),
    responses((status = 200, description = "the address's district, street and community, each null when unknown, with the candidates", body = Geocoded),
        (status = 422, description = "a missing or unreadable address, or a threshold outside 0 to 1")))]
pub async fn geocode(_who: SignedIn, query: Result<Query<GeocodeQuery>, QueryRejection>) -> Result<Json<Geocoded>, ApiError> {
    let Query(q) = query?;
    let threshold = match q.threshold.as_deref() {
        None => DEFAULT_THRESHOLD,
        Some(t) => number("threshold", Some(t), 0.0..=1.0)?,
    };
    let address = q.address.ok_or_else(|| ApiError::invalid("address", "address is required"))?;
    let answer = Geography::beijing().geocode(&address, threshold).map_err(|e| ApiError::invalid("address", e.to_string()))?;
    Ok(Json(answer))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KnownAddress {
    address: String,
    lat: f64,
    lon: f64,
    #[serde(default)]
    crs: Option<String>,
}

/// What teaching the gazetteer an address did.
#[derive(Serialize, ToSchema)]
pub struct Learned {
    /// Whether the address's place was filed under the point's street.
    learned: bool,
    street: Option<Named>,
    district: Option<Named>,
}

/// `POST /api/v1/geo/addresses` `{"address", "lat", "lon", "crs"?}`: teaches the gazetteer where an
/// address is (dispatchers, supervisors and administrators; cases teach it too).
#[utoipa::path(post, path = "/geo/addresses", tag = "geo", security(("bearer" = [])),
    request_body(content = KnownAddress, description = "`{address, lat, lon, crs?: wgs84|gcj02|bd09}`"),
    responses((status = 200, description = "whether the gazetteer learned something, and where the point is", body = Learned),
        (status = 403, description = "dispatchers, supervisors and administrators only"),
        (status = 422, description = "a point outside Beijing, a coordinate out of range, an unknown coordinate system, or an address not 1–300 characters")))]
pub async fn learn(who: SignedIn, ApiJson(known): ApiJson<KnownAddress>) -> Result<Json<Learned>, ApiError> {
    if !matches!(who.actor.role, Role::Admin | Role::Supervisor | Role::Dispatcher) {
        return Err(ApiError::Forbidden(format!("role {} may not teach the gazetteer", who.actor.role.as_str())));
    }
    let lat = in_range("lat", known.lat, -90.0..=90.0)?;
    let lon = in_range("lon", known.lon, -180.0..=180.0)?;
    let geo = Geography::beijing();
    let located = geo.locate(LatLon { lat, lon }, crs(known.crs.as_deref())?);
    if !located.inside {
        return Err(ApiError::invalid("lat", "the point is outside Beijing"));
    }
    let address = known.address.trim();
    if address.is_empty() || address.chars().count() > gridline_geo::gazetteer::MAX_ADDRESS_CHARS {
        return Err(ApiError::invalid("address", "address must be 1–300 characters"));
    }
    let learned = geo.learn(address, located.wgs84);
    Ok(Json(Learned { learned, street: located.street, district: located.district }))
}

fn geojson(body: &'static str) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/geo+json"), (header::CACHE_CONTROL, "public, max-age=86400")], body)
}

/// `GET /api/v1/geo/districts.geojson`: the 16 districts, simplified to ~50 m, properties `code`, `name`.
#[utoipa::path(get, path = "/geo/districts.geojson", tag = "geo", security(("bearer" = [])),
    responses((status = 200, description = "a GeoJSON FeatureCollection of the districts (properties `code`, `name`)", content_type = "application/geo+json", body = serde_json::Value)))]
pub async fn districts(_who: SignedIn) -> impl IntoResponse {
    geojson(gridline_geo::DISTRICTS_WEB_GEOJSON)
}

/// `GET /api/v1/geo/streets.geojson`: the 343 streets/townships with boundaries, simplified to
/// ~50 m, properties `code`, `name`, `district`.
#[utoipa::path(get, path = "/geo/streets.geojson", tag = "geo", security(("bearer" = [])),
    responses((status = 200, description = "a GeoJSON FeatureCollection of the streets and townships (properties `code`, `name`, `district`)", content_type = "application/geo+json", body = serde_json::Value)))]
pub async fn streets(_who: SignedIn) -> impl IntoResponse {
    geojson(gridline_geo::STREETS_WEB_GEOJSON)
}
