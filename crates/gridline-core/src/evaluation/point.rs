//! Inspection points (点位): typed places checked in the field. A back alley is a point of type
//! [`PointType::BackAlley`] whose location is the line it follows.

use serde::{Deserialize, Serialize};

use crate::case::GeoPoint;
use crate::error::DomainError;
use crate::ids::{RegionCode, UnitCode};
use crate::workflow::required;

/// The kinds of place the national 测评体系 samples.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PointType {
    /// 主次干道
    MainRoad,
    /// 商业大街
    CommercialStreet,
    /// 背街小巷
    BackAlley,
    /// 农贸市场
    FarmersMarket,
    /// 公交站台
    BusStop,
    /// 社区/小区
    Community,
    /// 学校周边
    SchoolArea,
    /// 医院
    Hospital,
    /// 公园广场
    ParkSquare,
    /// 窗口单位
    ServiceWindow,
    /// 建筑工地
    ConstructionSite,
}

impl PointType {
    pub const ALL: [PointType; 11] = [
        PointType::MainRoad,
        PointType::CommercialStreet,
        PointType::BackAlley,
        PointType::FarmersMarket,
        PointType::BusStop,
        PointType::Community,
        PointType::SchoolArea,
        PointType::Hospital,
        PointType::ParkSquare,
        PointType::ServiceWindow,
        PointType::ConstructionSite,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PointType::MainRoad => "main_road",
            PointType::CommercialStreet => "commercial_street",
            PointType::BackAlley => "back_alley",
            PointType::FarmersMarket => "farmers_market",
            PointType::BusStop => "bus_stop",
            PointType::Community => "community",
            PointType::SchoolArea => "school_area",
            PointType::Hospital => "hospital",
            PointType::ParkSquare => "park_square",
            PointType::ServiceWindow => "service_window",
            PointType::ConstructionSite => "construction_site",
        }
    }

    pub fn name_zh(self) -> &'static str {
        match self {
            PointType::MainRoad => "主次干道",
            PointType::CommercialStreet => "商业大街",
            PointType::BackAlley => "背街小巷",
            PointType::FarmersMarket => "农贸市场",
            PointType::BusStop => "公交站台",
            PointType::Community => "社区/小区",
            PointType::SchoolArea => "学校周边",
            PointType::Hospital => "医院",
            PointType::ParkSquare => "公园广场",
            PointType::ServiceWindow => "窗口单位",
            PointType::ConstructionSite => "建筑工地",
        }
    }

    /// Parses the code (`back_alley`) or the Chinese name (`背街小巷`).
    pub fn parse(text: &str) -> Result<PointType, DomainError> {
        PointType::ALL.into_iter().find(|t| t.as_str() == text || t.name_zh() == text).ok_or_else(|| {
            let known: Vec<&str> = PointType::ALL.iter().map(|t| t.as_str()).collect();
            DomainError::invalid("point_type", format!("unknown point type {text:?}; one of {}", known.join(", ")))
        })
    }
}

/// Where a point is: a place, or the line a road or alley follows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = PointLocation)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Location {
    Point { lat: f64, lon: f64 },
    Line { points: Vec<GeoPoint> },
}

/// Metres per degree of latitude; a degree of longitude is this times cos(latitude).
const METRES_PER_DEGREE: f64 = 111_320.0;

fn metres(a: GeoPoint, b: GeoPoint) -> f64 {
    let x = (b.lon - a.lon) * ((a.lat + b.lat) / 2.0).to_radians().cos();
    let y = b.lat - a.lat;
    (x * x + y * y).sqrt() * METRES_PER_DEGREE
}

impl Location {
    /// The position a case filed at the point gets and the point is placed in the region tree
    /// by: the place itself, or the point half way along the line.
    pub fn anchor(&self) -> GeoPoint {
        match self {
            Location::Point { lat, lon } => GeoPoint { lat: *lat, lon: *lon },
            Location::Line { points } => {
                let half = self.length_m() / 2.0;
                let mut walked = 0.0;
                for pair in points.windows(2) {
                    let step = metres(pair[0], pair[1]);
                    if walked + step >= half && step > 0.0 {
                        let t = (half - walked) / step;
                        return GeoPoint {
                            lat: pair[0].lat + t * (pair[1].lat - pair[0].lat),
                            lon: pair[0].lon + t * (pair[1].lon - pair[0].lon),
                        };
                    }
                    walked += step;
                }
                points[0]
            }
        }
    }

    /// The length of a line in metres (0 for a place), on a local flat approximation.
    pub fn length_m(&self) -> f64 {
        match self {
            Location::Point { .. } => 0.0,
            Location::Line { points } => points.windows(2).map(|p| metres(p[0], p[1])).sum(),
        }
    }

    fn check(&self) -> Result<(), DomainError> {
        let sound = |p: GeoPoint| p.lat.is_finite() && p.lon.is_finite() && (-90.0..=90.0).contains(&p.lat) && (-180.0..=180.0).contains(&p.lon);
        match self {
            Location::Point { lat, lon } if !sound(GeoPoint { lat: *lat, lon: *lon }) => {
                Err(DomainError::invalid("location", "lat must be within ±90 and lon within ±180"))
            }
            Location::Line { points } if points.len() < 2 || points.len() > 1000 => {
                Err(DomainError::invalid("location", "a line has from 2 to 1000 points"))
            }
            Location::Line { points } if !points.iter().all(|p| sound(*p)) => {
                Err(DomainError::invalid("location", "every point of the line must have lat within ±90 and lon within ±180"))
            }
            Location::Line { .. } if self.length_m() <= 0.0 => Err(DomainError::invalid("location", "the line has no length")),
            _ => Ok(()),
        }
    }
}

/// A registered inspection point.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct InspectionPoint {
    pub id: i64,
    /// The office's own code for the point, unique.
    pub code: String,
    pub name: String,
    pub point_type: PointType,
    pub location: Location,
    /// The street it lies in (by gridline's locate).
    pub region: RegionCode,
    /// The unit answerable for it (责任单位), when known.
    pub unit: Option<UnitCode>,
    pub address: Option<String>,
}

impl InspectionPoint {
    /// The district code of its street (the first six digits, padded).
    pub fn district(&self) -> String {
        district_of(&self.region)
    }
}

/// The district code of a street code.
pub fn district_of(street: &str) -> String {
    format!("{:0<12}", &street[..street.len().min(6)])
}

/// A point to register, as submitted; placed in its street by the application.
#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPoint {
    pub code: String,
    pub name: String,
    pub point_type: PointType,
    pub location: Location,
    #[serde(default)]
    pub unit: Option<UnitCode>,
    #[serde(default)]
    pub address: Option<String>,
}

impl NewPoint {
    /// Checks the fields; `unit_known` says whether a unit code exists.
    pub fn validate(mut self, unit_known: impl Fn(&str) -> bool) -> Result<NewPoint, DomainError> {
        self.code = required("code", &self.code)?;
        if self.code.len() > 64 || self.code.chars().any(|c| c.is_control() || c.is_whitespace()) {
            return Err(DomainError::invalid("code", "a point code is at most 64 bytes without spaces"));
        }
        self.name = required("name", &self.name)?;
        self.location.check()?;
        if let Some(unit) = &self.unit
            && !unit_known(unit)
        {
            return Err(DomainError::invalid("unit", format!("unknown unit {unit:?}")));
        }
        self.address = self.address.map(|a| a.trim().to_owned()).filter(|a| !a.is_empty());
        Ok(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn point_types_parse_by_code_or_chinese_name() {
        for t in PointType::ALL {
            assert_eq!(PointType::parse(t.as_str()).unwrap(), t);
            assert_eq!(PointType::parse(t.name_zh()).unwrap(), t);
        }
        assert!(PointType::parse("moon").unwrap_err().to_string().contains("back_alley"));
    }

    #[test]
    fn a_line_is_anchored_half_way_along_it() {
        // Two equal segments eastwards: half way is the middle vertex.
        let line = Location::Line {
            points: vec![
                GeoPoint { lat: 39.9, lon: 116.40 },
                GeoPoint { lat: 39.9, lon: 116.41 },
                GeoPoint { lat: 39.9, lon: 116.42 },
            ],
        };
        let a = line.anchor();
        assert!((a.lon - 116.41).abs() < 1e-9 && (a.lat - 39.9).abs() < 1e-9);
        // 0.02° of longitude at 39.9° N is about 1,708 m.
        assert!((line.length_m() - 1708.0).abs() < 5.0, "{}", line.length_m());
        assert_eq!(Location::Point { lat: 39.9, lon: 116.4 }.anchor(), GeoPoint { lat: 39.9, lon: 116.4 });
    }

    #[test]
    fn bad_points_are_refused_with_the_field() {
        let new = |location| NewPoint { code: "P1".into(), name: "某路".into(), point_type: PointType::MainRoad, location, unit: None, address: None };
        let err = |n: NewPoint| match n.validate(|_| false).unwrap_err() {
            DomainError::Invalid { field, message } => format!("{field}: {message}"),
            other => other.to_string(),
        };
        assert!(err(new(Location::Point { lat: 91.0, lon: 116.0 })).starts_with("location"));
        assert!(err(new(Location::Line { points: vec![GeoPoint { lat: 39.9, lon: 116.4 }] })).contains("from 2"));
        let same = GeoPoint { lat: 39.9, lon: 116.4 };
        assert!(err(new(Location::Line { points: vec![same, same] })).contains("no length"));
        let mut unknown = new(Location::Point { lat: 39.9, lon: 116.4 });
        unknown.unit = Some(UnitCode::parse("NOPE").unwrap());
        assert!(err(unknown).starts_with("unit"));
        let mut spaced = new(Location::Point { lat: 39.9, lon: 116.4 });
        spaced.code = "P 1".into();
        assert!(err(spaced).starts_with("code"));
    }
}
