//! Grid cells (单元网格): the smallest unit of grid management, each with its grid workers.
//!
//! A cell's code follows the digital city-management standard's layout (GB/T 30428.2 / CJ/T 213
//! 单元网格编码): district (6 digits) + street (3) + community (3) + serial (configurable width,
//! 4 by default). Cells come from a GeoJSON file when a street has real ones, or are generated as a
//! regular square grid over the street. Generated cells cannot know their community (there are no
//! published community boundaries), so their community digits are `000`.

use std::collections::HashSet;

use gridline_core::region::{RegionLevel, RegionTree};
use rstar::RTree;
use rstar::primitives::{GeomWithData, Rectangle};
use serde_json::{Value, json};

use crate::boundary::{Polygon, bbox, contains, read_shapes, text_property};
use crate::index::segment_touches_rect;
use crate::{GeoError, Geography, LatLon, Named};

pub const DEFAULT_SERIAL_WIDTH: usize = 4;
const SERIAL_WIDTHS: std::ops::RangeInclusive<usize> = 1..=8;
/// Generated cells: the standard's guidance is roughly 100–300 m on a side in built-up areas;
/// larger sizes suit townships.
pub const CELL_SIZE_M: std::ops::RangeInclusive<f64> = 50.0..=5000.0;
const METRES_PER_DEGREE_LAT: f64 = 111_320.0;
const MAX_WORKERS: usize = 20;
const MAX_CELLS: usize = 200_000;
/// The community digits of a cell whose community is not known.
const UNKNOWN_COMMUNITY: &str = "000";

#[derive(Clone, Debug, PartialEq)]
pub struct GridCell {
    pub code: String,
    /// The street/township's 12-digit code.
    pub street: String,
    /// The community's 12-digit code, when known.
    pub community: Option<String>,
    pub polygon: Polygon,
    pub workers: Vec<String>,
}

/// The cell code for a street, an optional community and a serial.
pub fn cell_code(street: &str, community: Option<&str>, serial: usize, width: usize) -> Result<String, GeoError> {
    if !SERIAL_WIDTHS.contains(&width) {
        return Err(GeoError::Grid(format!("serial width must be {}–{} digits", SERIAL_WIDTHS.start(), SERIAL_WIDTHS.end())));
    }
    if serial == 0 || serial.to_string().len() > width {
        return Err(GeoError::Grid(format!("serial {serial} does not fit {width} digits")));
    }
    let community_digits = match community {
        Some(c) if c.len() == 12 && c.starts_with(&street[..9]) => &c[9..12],
        Some(c) => return Err(GeoError::Grid(format!("community {c} is not in street {street}"))),
        None => UNKNOWN_COMMUNITY,
    };
    Ok(format!("{}{community_digits}{serial:0width$}", &street[..9]))
}

/// Generates square cells of `size_m` metres over a street: every square the street touches.
/// Serials run row by row from the north-west corner.
pub fn generate(geo: &Geography, street: &str, size_m: f64, serial_width: usize) -> Result<Vec<GridCell>, GeoError> {
    if !CELL_SIZE_M.contains(&size_m) {
        return Err(GeoError::Grid(format!("cell size must be {}–{} m", CELL_SIZE_M.start(), CELL_SIZE_M.end())));
    }
    let region = geo.regions().get(street).filter(|r| r.level == RegionLevel::Street);
    let region = region.ok_or_else(|| GeoError::Grid(format!("{street} is not a street/township code")))?;
    let polygons = geo
        .street_polygons(street)
        .ok_or_else(|| GeoError::Grid(format!("{street} ({}) has no boundary to lay a grid on", region.name)))?;
    let [x0, y0, x1, y1] = bbox(polygons);
    let dy = size_m / METRES_PER_DEGREE_LAT;
    let dx = dy / ((y0 + y1) / 2.0).to_radians().cos();
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let (nx, ny) = (((x1 - x0) / dx).ceil().max(1.0) as usize, ((y1 - y0) / dy).ceil().max(1.0) as usize);
    if nx * ny > MAX_CELLS {
        return Err(GeoError::Grid(format!("{nx} × {ny} cells is too many; choose a larger cell size")));
    }
    let square = |i: usize, j: usize| ([x0 + i as f64 * dx, y0 + j as f64 * dy], [x0 + (i + 1) as f64 * dx, y0 + (j + 1) as f64 * dy]);
    let mut touched = vec![false; nx * ny];
    for w in polygons.iter().flat_map(|p| &p.rings).flat_map(|r| r.windows(2)) {
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let span = |lo: f64, hi: f64, o: f64, d: f64, n: usize| (((lo - o) / d).floor().max(0.0) as usize, (((hi - o) / d).floor().max(0.0) as usize).min(n - 1));
        let (i0, i1) = span(w[0][0].min(w[1][0]), w[0][0].max(w[1][0]), x0, dx, nx);
        let (j0, j1) = span(w[0][1].min(w[1][1]), w[0][1].max(w[1][1]), y0, dy, ny);
        for j in j0..=j1 {
            for i in i0..=i1 {
                let (min, max) = square(i, j);
                if segment_touches_rect(w[0], w[1], min, max) {
                    touched[j * nx + i] = true;
                }
            }
        }
    }
    let mut cells = Vec::new();
    for j in (0..ny).rev() {
        for i in 0..nx {
            let (min, max) = square(i, j);
            if touched[j * nx + i] || contains(polygons, (min[0] + max[0]) / 2.0, (min[1] + max[1]) / 2.0) {
                let code = cell_code(street, None, cells.len() + 1, serial_width)?;
                let ring = vec![min, [max[0], min[1]], max, [min[0], max[1]], min];
                cells.push(GridCell { code, street: street.to_owned(), community: None, polygon: Polygon { rings: vec![ring] }, workers: vec![] });
            }
        }
    }
    Ok(cells)
}

/// Reads cells from GeoJSON. Each feature has `street` (12 digits) and may have `community`,
/// `code` (else one is given from the feature's order) and `workers` (names).
pub fn import(text: &str, regions: &RegionTree, serial_width: usize) -> Result<Vec<GridCell>, GeoError> {
    let shapes = read_shapes(text)?;
    if shapes.len() > MAX_CELLS {
        return Err(GeoError::Grid(format!("more than {MAX_CELLS} cells")));
    }
    let mut cells = Vec::with_capacity(shapes.len());
    for (n, shape) in shapes.into_iter().enumerate() {
        let fail = |message: String| GeoError::Grid(format!("feature {n}: {message}"));
        let street = text_property(&shape.properties, "street").ok_or_else(|| fail("has no street".into()))?;
        if regions.get(&street).is_none_or(|r| r.level != RegionLevel::Street) {
            return Err(fail(format!("{street:?} is not a street/township code")));
        }
        let community = text_property(&shape.properties, "community").filter(|c| !c.is_empty());
        if let Some(c) = &community
            && !regions.get(c).is_some_and(|r| r.level == RegionLevel::Community && r.parent.as_deref() == Some(street.as_str()))
        {
            return Err(fail(format!("{c:?} is not a community of street {street}")));
        }
        let code = match text_property(&shape.properties, "code") {
            Some(code) => {
                let expected = cell_code(&street, community.as_deref(), 1, serial_width).map_err(|e| fail(e.to_string()))?;
                if code.len() != expected.len() || !code.bytes().all(|b| b.is_ascii_digit()) || code[..12] != expected[..12] || code[12..].bytes().all(|b| b == b'0') {
                    return Err(fail(format!("code {code:?} is not {}… followed by a {serial_width}-digit serial", &expected[..12])));
                }
                code
            }
            None => cell_code(&street, community.as_deref(), n + 1, serial_width).map_err(|e| fail(e.to_string()))?,
        };
        let workers = match shape.properties.get("workers") {
            None | Some(Value::Null) => vec![],
            Some(Value::Array(names)) => names
                .iter()
                .map(|w| match w.as_str().map(str::trim) {
                    Some(name) if !name.is_empty() && name.chars().count() <= 50 => Ok(name.to_owned()),
                    _ => Err(fail(format!("worker {w} is not a name of 1–50 characters"))),
                })
                .collect::<Result<Vec<_>, _>>()?,
            Some(other) => return Err(fail(format!("workers must be a list of names, not {other}"))),
        };
        if workers.len() > MAX_WORKERS {
            return Err(fail(format!("more than {MAX_WORKERS} workers")));
        }
        let mut polygons = shape.polygons;
        if polygons.len() != 1 {
            return Err(fail("a cell is one polygon".into()));
        }
        cells.push(GridCell { code, street, community, polygon: polygons.remove(0), workers });
    }
    Ok(cells)
}

/// Cells indexed for lookup: an R-tree over their bounding boxes, then the exact test.
pub struct GridLayer {
    cells: Vec<GridCell>,
    tree: RTree<GeomWithData<Rectangle<[f64; 2]>, usize>>,
}

impl GridLayer {
    /// Refuses duplicate codes.
    pub fn new(cells: Vec<GridCell>) -> Result<GridLayer, GeoError> {
        let mut seen = HashSet::new();
        if let Some(dup) = cells.iter().find(|c| !seen.insert(c.code.as_str())) {
            return Err(GeoError::Grid(format!("cell code {} appears twice", dup.code)));
        }
        let boxes = cells
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let [x0, y0, x1, y1] = bbox(std::slice::from_ref(&c.polygon));
                GeomWithData::new(Rectangle::from_corners([x0, y0], [x1, y1]), i)
            })
            .collect();
        Ok(GridLayer { cells, tree: RTree::bulk_load(boxes) })
    }

    pub fn cells(&self) -> &[GridCell] {
        &self.cells
    }

    /// The cell of `street` containing the point (cells of neighbouring streets may overlap
    /// near the boundary; the street decides).
    pub fn cell_at(&self, street: &str, point: LatLon) -> Option<&GridCell> {
        self.tree
            .locate_all_at_point(&[point.lon, point.lat])
            .map(|g| &self.cells[g.data])
            .filter(|c| c.street == street && contains(std::slice::from_ref(&c.polygon), point.lon, point.lat))
            .min_by(|a, b| a.code.cmp(&b.code))
    }

    /// Fills in the grid cell (and its community, when the cell knows it) of a located point.
    pub fn refine(&self, geo: &Geography, located: &mut crate::Located) {
        let Some(street) = &located.street else { return };
        if let Some(cell) = self.cell_at(&street.code, located.wgs84) {
            located.grid = Some(Named { code: cell.code.clone(), name: cell.workers.join("、") });
            located.community = cell.community.as_deref().and_then(|c| geo.regions().get(c)).map(|r| Named { code: r.code.clone(), name: r.name.clone() });
        }
    }

    /// The cells as GeoJSON, ready to edit and import again.
    pub fn to_geojson(&self) -> Value {
        let features: Vec<Value> = self
            .cells
            .iter()
            .map(|c| {
                json!({
                    "type": "Feature",
                    "properties": {"code": c.code, "street": c.street, "community": c.community, "workers": c.workers},
                    "geometry": {"type": "Polygon", "coordinates": c.polygon.rings},
                })
            })
            .collect();
        json!({"type": "FeatureCollection", "features": features})
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const WANGJING: &str = "110105026000";

    #[test]
    fn codes_follow_district_street_community_serial() {
        assert_eq!(cell_code(WANGJING, None, 7, 4).unwrap(), "1101050260000007");
        assert_eq!(cell_code(WANGJING, Some("110105026001"), 12, 3).unwrap(), "110105026001012");
        assert!(cell_code(WANGJING, None, 10_000, 4).is_err());
        assert!(cell_code(WANGJING, None, 0, 4).is_err());
        assert!(cell_code(WANGJING, None, 1, 9).is_err());
        assert!(cell_code(WANGJING, Some("110101001001"), 1, 4).is_err());
    }

    #[test]
    fn a_generated_grid_covers_every_point_of_its_street_once() {
        let geo = Geography::beijing();
        let cells = generate(geo, WANGJING, 300.0, 4).unwrap();
        assert!(cells.len() > 20, "{}", cells.len());
        let layer = GridLayer::new(cells).unwrap();
        let (lat, lon) = geo.regions().get(WANGJING).unwrap().label_point.unwrap();
        let mut hits = 0;
        for i in 0..60 {
            for j in 0..60 {
                let p = LatLon { lat: lat - 0.03 + 0.001 * f64::from(i), lon: lon - 0.03 + 0.001 * f64::from(j) };
                let mut located = geo.locate(p, crate::Crs::Wgs84);
                layer.refine(geo, &mut located);
                let in_wangjing = located.street.as_ref().is_some_and(|s| s.code == WANGJING);
                assert_eq!(in_wangjing, located.grid.is_some(), "{p:?}");
                hits += usize::from(in_wangjing);
            }
        }
        assert!(hits > 100);
        assert!(matches!(generate(geo, WANGJING, 10.0, 4), Err(GeoError::Grid(_))));
        assert!(generate(geo, "110115403000", 300.0, 4).unwrap_err().to_string().contains("no boundary"));
        assert!(generate(geo, "110105000000", 300.0, 4).is_err());
        assert!(generate(geo, WANGJING, 100.0, 1).unwrap_err().to_string().contains("does not fit"));
    }

    #[test]
    fn an_exported_grid_imports_again_and_bad_cells_are_refused() {
        let geo = Geography::beijing();
        let mut cells = generate(geo, WANGJING, 1000.0, 4).unwrap();
        cells[0].workers = vec!["王芳".into()];
        let text = GridLayer::new(cells.clone()).unwrap().to_geojson().to_string();
        let again = import(&text, geo.regions(), 4).unwrap();
        assert_eq!(again.len(), cells.len());
        for (a, c) in again.iter().zip(&cells) {
            assert_eq!((&a.code, &a.street, &a.community, &a.workers), (&c.code, &c.street, &c.community, &c.workers));
            // JSON text round-trips coordinates to within a unit in the last place.
            let corners = |g: &GridCell| g.polygon.rings[0].iter().flatten().copied().collect::<Vec<f64>>();
            assert!(corners(a).iter().zip(corners(c)).all(|(x, y)| (x - y).abs() < 1e-12));
        }
        assert!(GridLayer::new(vec![cells[0].clone(), cells[0].clone()]).is_err());
        let feature = |props: &str| {
            format!(r#"{{"type":"FeatureCollection","features":[{{"properties":{props},"geometry":{{"type":"Polygon","coordinates":[[[116,40],[116.1,40],[116.1,40.1],[116,40]]]}}}}]}}"#)
        };
        for (props, needle) in [
            ("{}", "has no street"),
            (r#"{"street":"110105000000"}"#, "not a street"),
            (r#"{"street":"110105026000","community":"110101001001"}"#, "not a community of street"),
            (r#"{"street":"110105026000","code":"1101050260000000"}"#, "serial"),
            (r#"{"street":"110105026000","code":"11010502600000001"}"#, "serial"),
            (r#"{"street":"110105026000","workers":"张三"}"#, "list of names"),
            (r#"{"street":"110105026000","workers":[""]}"#, "1–50 characters"),
        ] {
            let err = import(&feature(props), geo.regions(), 4).unwrap_err().to_string();
            assert!(err.contains(needle), "{props}: {err}");
        }
        let ok = import(&feature(r#"{"street":110105026000,"workers":["李四"]}"#), geo.regions(), 4).unwrap();
        assert_eq!(ok[0].code, "1101050260000001");
    }
}
