//! The dashboard map's cases as the cells of a grid (issue 20): a city of 100,000 cases is drawn
//! as the few thousand cells they fall in, each with its count, so that the answer stays small and
//! the page draws it at once. A cell is 10^-precision degrees on each side: precision 3 is about
//! 100 m in Beijing, 5 about 1 m (each case its own cell, but for cases at the same spot).

use std::collections::BTreeMap;

/// The coarsest and the finest grid.
pub const PRECISIONS: std::ops::RangeInclusive<u8> = 2..=5;

/// The grid a scope is drawn on by default: the city about 100 m, a district 10 m, a street 1 m.
pub fn default_precision(level: crate::region::RegionLevel) -> u8 {
    use crate::region::RegionLevel;
    match level {
        RegionLevel::City => 3,
        RegionLevel::District => 4,
        _ => 5,
    }
}

/// Cells with cases, as parallel columns sorted by (x, y). A cell's south-west corner is
/// (x, y) × 10^-precision degrees of longitude and latitude.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Cells {
    pub precision: u8,
    pub x: Vec<i64>,
    pub y: Vec<i64>,
    /// The cases in each cell.
    pub count: Vec<u32>,
    /// Of them, those past their deadline.
    pub overdue: Vec<u32>,
}

/// The cells of `places` — (longitude, latitude, overdue) — on the grid of `precision`.
pub fn cells(places: impl IntoIterator<Item = (f64, f64, bool)>, precision: u8) -> Cells {
    let scale = 10_f64.powi(i32::from(precision));
    let mut grid: BTreeMap<(i64, i64), (u32, u32)> = BTreeMap::new();
    for (lon, lat, overdue) in places {
        if !(lon.is_finite() && lat.is_finite()) {
            continue;
        }
        // `as` saturates: a wild coordinate lands in an edge cell instead of wrapping.
        let cell = grid.entry(((lon * scale).floor() as i64, (lat * scale).floor() as i64)).or_default();
        cell.0 += 1;
        cell.1 += u32::from(overdue);
    }
    let mut out = Cells { precision, ..Cells::default() };
    for ((x, y), (count, overdue)) in grid {
        out.x.push(x);
        out.y.push(y);
        out.count.push(count);
        out.overdue.push(overdue);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cases_fall_into_the_cell_of_their_south_west_corner() {
        let places = [(116.4071, 39.9042, false), (116.4079, 39.9048, true), (116.4081, 39.9042, false), (-0.5, -0.5, true), (f64::NAN, 1.0, true)];
        let c = cells(places, 3);
        assert_eq!(c.precision, 3);
        assert_eq!(c.x, [-500, 116407, 116408]);
        assert_eq!(c.y, [-500, 39904, 39904]);
        assert_eq!(c.count, [1, 2, 1]);
        assert_eq!(c.overdue, [1, 1, 0]);
        // One case each on the finest grid.
        assert_eq!(cells(places, 5).count, [1, 1, 1, 1]);
        assert_eq!(cells([], 2), Cells { precision: 2, ..Cells::default() });
    }
}
