//! The point-in-polygon index behind `locate`: a uniform grid over a tiling of areas (Beijing's
//! streets).
//!
//! Each cell stores the area containing its centre (computed once by a scanline sweep) and the
//! polygon edges that cross it. A point in a cell no edge crosses is in the centre's area: one
//! array read. Otherwise the segment from the centre to the point is tested against the cell's
//! few edges: crossing an area's edge an odd number of times toggles membership of that area.
//! This is the even-odd rule of [`crate::boundary::contains`] restricted to a short path, so both
//! agree everywhere except within rounding distance of an edge. A general R-tree lookup followed
//! by a full ray cast visits hundreds of edges per street; this visits about ten, in a
//! minority of cells (see BENCHMARKS.md).

use crate::boundary::{Polygon, area};

/// Cell size in degrees: ~220 m × ~280 m at Beijing's latitude, a few hundred thousand cells.
pub const DEFAULT_CELL_DEG: f64 = 0.0025;
const NONE: u32 = u32::MAX;

#[derive(Clone, Copy)]
struct Cell {
    /// The area answered for the centre (the smallest of `set`).
    area: u32,
    /// Index into `sets`: every area containing the centre (more than one only where areas overlap).
    set: u32,
    start: u32,
    len: u32,
}

#[derive(Clone, Copy)]
struct Edge {
    a: [f64; 2],
    b: [f64; 2],
    area: u32,
}

pub struct AreaIndex {
    origin: [f64; 2],
    cell: f64,
    nx: usize,
    ny: usize,
    cells: Vec<Cell>,
    edges: Vec<Edge>,
    sets: Vec<Vec<u32>>,
    /// Area sizes: where data overlaps (an enclave drawn on top of its surroundings) the smaller,
    /// more specific area wins.
    sizes: Vec<f64>,
}

fn orient(o: [f64; 2], p: [f64; 2], q: [f64; 2]) -> f64 {
    (p[0] - o[0]) * (q[1] - o[1]) - (p[1] - o[1]) * (q[0] - o[0])
}

/// Whether segment `a`–`b` touches the rectangle (closed, already widened by the caller).
pub(crate) fn segment_touches_rect(a: [f64; 2], b: [f64; 2], min: [f64; 2], max: [f64; 2]) -> bool {
    if a[0].max(b[0]) < min[0] || a[0].min(b[0]) > max[0] || a[1].max(b[1]) < min[1] || a[1].min(b[1]) > max[1] {
        return false;
    }
    let corners = [min, [max[0], min[1]], max, [min[0], max[1]]];
    let sides = corners.map(|c| orient(a, b, c));
    !(sides.iter().all(|&s| s > 0.0) || sides.iter().all(|&s| s < 0.0))
}

impl AreaIndex {
    /// Indexes `areas` (each a set of polygons) with cells of `cell` degrees.
    pub fn build(areas: &[&[Polygon]], cell: f64) -> AreaIndex {
        // A cell centre lying exactly on an edge line would make its membership ambiguous; the
        // data's coordinates are round decimals, so the grid is offset by an odd fraction and
        // moved again in the (never observed) case that a centre still lands on an edge.
        for attempt in 0..8u32 {
            if let Some(index) = Self::try_build(areas, cell, 0.137_035_999 + f64::from(attempt) * 0.071_828_182) {
                return index;
            }
        }
        panic!("no grid offset avoids the edges; the cell size {cell} is degenerate")
    }

    fn try_build(areas: &[&[Polygon]], cell: f64, offset: f64) -> Option<AreaIndex> {
        let mut bbox = [f64::INFINITY, f64::INFINITY, f64::NEG_INFINITY, f64::NEG_INFINITY];
        let mut edges = Vec::new();
        for (id, polygons) in areas.iter().enumerate() {
            let id = u32::try_from(id).expect("fewer than 4 billion areas");
            for ring in polygons.iter().flat_map(|p| &p.rings) {
                for w in ring.windows(2) {
                    bbox = [bbox[0].min(w[0][0]), bbox[1].min(w[0][1]), bbox[2].max(w[0][0]), bbox[3].max(w[0][1])];
                    edges.push(Edge { a: w[0], b: w[1], area: id });
                }
            }
        }
        if edges.is_empty() {
            bbox = [0.0, 0.0, 0.0, 0.0];
        }
        // Different offsets in x and y, so that no diagonal runs through a whole row of centres.
        let origin = [bbox[0] - cell * (1.0 + offset), bbox[1] - cell * (1.0 + offset * 1.618_033_988)];
        // Truncation is intended: spans are small positive multiples of the cell.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let (nx, ny) = (((bbox[2] - origin[0]) / cell) as usize + 2, ((bbox[3] - origin[1]) / cell) as usize + 2);
        let centre = |i: usize, j: usize| [origin[0] + (i as f64 + 0.5) * cell, origin[1] + (j as f64 + 0.5) * cell];
        let cell_of = |v: f64, o: f64, n: usize| -> usize {
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            let k = ((v - o) / cell).floor().max(0.0) as usize;
            k.min(n - 1)
        };

        // Which edges cross which cells (widened by a hair so that touching counts).
        let eps = cell * 1e-9;
        let mut pairs: Vec<(u32, u32)> = Vec::with_capacity(edges.len() * 2);
        for (e, edge) in edges.iter().enumerate() {
            let (i0, i1) = (cell_of(edge.a[0].min(edge.b[0]) - eps, origin[0], nx), cell_of(edge.a[0].max(edge.b[0]) + eps, origin[0], nx));
            let (j0, j1) = (cell_of(edge.a[1].min(edge.b[1]) - eps, origin[1], ny), cell_of(edge.a[1].max(edge.b[1]) + eps, origin[1], ny));
            for j in j0..=j1 {
                for i in i0..=i1 {
                    let min = [origin[0] + i as f64 * cell - eps, origin[1] + j as f64 * cell - eps];
                    let max = [min[0] + cell + 2.0 * eps, min[1] + cell + 2.0 * eps];
                    if segment_touches_rect(edge.a, edge.b, min, max) {
                        if orient(edge.a, edge.b, centre(i, j)) == 0.0 {
                            return None;
                        }
                        pairs.push((u32::try_from(j * nx + i).expect("cells fit u32"), u32::try_from(e).expect("edges fit u32")));
                    }
                }
            }
        }
        // Edges of one area sit together in a cell, so a query counts crossings area by area.
        pairs.sort_unstable_by_key(|&(c, e)| (c, edges[e as usize].area, e));

        // Scanline through the centres of each row: the crossings to the west of a centre with an
        // odd count name the areas containing it (the same half-open rule as `contains`).
        let mut crossings: Vec<Vec<(f64, u32)>> = vec![Vec::new(); ny];
        for edge in &edges {
            let (lo, hi) = (edge.a[1].min(edge.b[1]), edge.a[1].max(edge.b[1]));
            for (j, row) in crossings.iter_mut().enumerate().take(cell_of(hi, origin[1], ny) + 1).skip(cell_of(lo, origin[1], ny)) {
                let y = centre(0, j)[1];
                if (edge.a[1] > y) != (edge.b[1] > y) {
                    row.push((edge.a[0] + (y - edge.a[1]) * (edge.b[0] - edge.a[0]) / (edge.b[1] - edge.a[1]), edge.area));
                }
            }
        }
        let sizes: Vec<f64> = areas.iter().map(|p| area(p)).collect();
        let smallest = |set: &[u32]| set.iter().copied().min_by(|&x, &y| sizes[x as usize].total_cmp(&sizes[y as usize])).unwrap_or(NONE);
        let mut cells = vec![Cell { area: NONE, set: 0, start: 0, len: 0 }; nx * ny];
        let mut sets: Vec<Vec<u32>> = vec![vec![]];
        let mut set_ids: std::collections::HashMap<Vec<u32>, u32> = std::collections::HashMap::from([(vec![], 0)]);
        let mut inside: Vec<u32> = Vec::new();
        for (j, row) in crossings.iter_mut().enumerate() {
            row.sort_unstable_by(|p, q| p.0.total_cmp(&q.0));
            inside.clear();
            let mut next = 0;
            for i in 0..nx {
                let x = centre(i, j)[0];
                while next < row.len() && row[next].0 < x {
                    let area = row[next].1;
                    match inside.iter().position(|&a| a == area) {
                        Some(k) => {
                            inside.swap_remove(k);
                        }
                        None => inside.push(area),
                    }
                    next += 1;
                }
                let mut key = inside.clone();
                key.sort_unstable();
                let set = *set_ids.entry(key).or_insert_with_key(|key| {
                    sets.push(key.clone());
                    u32::try_from(sets.len() - 1).expect("sets fit u32")
                });
                cells[j * nx + i] = Cell { area: smallest(&inside), set, start: 0, len: 0 };
            }
        }
        let mut cell_edges = Vec::with_capacity(pairs.len());
        let mut k = 0;
        for (c, slot) in cells.iter_mut().enumerate() {
            slot.start = u32::try_from(cell_edges.len()).expect("edge list fits u32");
            while k < pairs.len() && pairs[k].0 as usize == c {
                cell_edges.push(edges[pairs[k].1 as usize]);
                k += 1;
            }
            slot.len = slot.start.abs_diff(u32::try_from(cell_edges.len()).expect("edge list fits u32"));
        }
        Some(AreaIndex { origin, cell, nx, ny, cells, edges: cell_edges, sets, sizes })
    }

    /// The index of the area containing the point, or `None` outside every area.
    #[inline]
    pub fn locate(&self, lon: f64, lat: f64) -> Option<usize> {
        let (fx, fy) = ((lon - self.origin[0]) / self.cell, (lat - self.origin[1]) / self.cell);
        // NaN fails both comparisons and lands outside too.
        if !(fx >= 0.0 && fy >= 0.0) {
            return None;
        }
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let (i, j) = (fx as usize, fy as usize);
        if i >= self.nx || j >= self.ny {
            return None;
        }
        let cell = self.cells[j * self.nx + i];
        if cell.len == 0 {
            return (cell.area != NONE).then_some(cell.area as usize);
        }
        let c = [self.origin[0] + (i as f64 + 0.5) * self.cell, self.origin[1] + (j as f64 + 0.5) * self.cell];
        let p = [lon, lat];
        let edges = &self.edges[cell.start as usize..(cell.start + cell.len) as usize];
        let centre_set = &self.sets[cell.set as usize];
        let mut found = NONE;
        let mut k = 0;
        while k < edges.len() {
            let area = edges[k].area;
            let mut odd = false;
            while k < edges.len() && edges[k].area == area {
                let Edge { a, b, .. } = edges[k];
                if (orient(c, p, a) > 0.0) != (orient(c, p, b) > 0.0) && (orient(a, b, c) > 0.0) != (orient(a, b, p) > 0.0) {
                    odd = !odd;
                }
                k += 1;
            }
            if centre_set.contains(&area) != odd {
                found = self.smaller(found, area);
            }
        }
        // Areas around the centre with no edge in this cell contain the whole cell.
        for &area in centre_set {
            if !edges.iter().any(|e| e.area == area) {
                found = self.smaller(found, area);
            }
        }
        (found != NONE).then_some(found as usize)
    }

    fn smaller(&self, current: u32, candidate: u32) -> u32 {
        if current == NONE || self.sizes[candidate as usize] < self.sizes[current as usize] { candidate } else { current }
    }

    /// How many cells and cell-edge entries the index holds (for the benchmark report).
    pub fn size(&self) -> (usize, usize) {
        (self.cells.len(), self.edges.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::boundary::contains;

    fn square(x0: f64, y0: f64, x1: f64, y1: f64) -> Vec<[f64; 2]> {
        vec![[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]
    }

    #[test]
    fn the_index_agrees_with_the_exact_test_on_a_dense_lattice_over_tricky_shapes() {
        // A diamond with a hole, a neighbour sharing an edge, an enclave drawn on top, and a
        // comb whose vertices sit on the lattice's rows and columns.
        let diamond = vec![Polygon { rings: vec![vec![[0.0, 0.5], [0.5, 0.0], [1.0, 0.5], [0.5, 1.0], [0.0, 0.5]], square(0.4, 0.4, 0.6, 0.6)] }];
        let neighbour = vec![Polygon { rings: vec![vec![[1.0, 0.5], [0.5, 0.0], [1.5, 0.0], [1.5, 1.0], [0.5, 1.0], [1.0, 0.5]]] }];
        let enclave = vec![Polygon { rings: vec![square(1.2, 0.2, 1.3, 0.3)] }];
        let comb = vec![Polygon {
            rings: vec![vec![[0.0, 1.2], [1.5, 1.2], [1.5, 1.5], [1.2, 1.3], [0.9, 1.5], [0.6, 1.3], [0.3, 1.5], [0.0, 1.2]]],
        }];
        let areas: Vec<&[Polygon]> = vec![&diamond, &neighbour, &enclave, &comb];
        for cell in [0.05, 0.1, 0.33] {
            let index = AreaIndex::build(&areas, cell);
            for i in -10..=160 {
                for j in -10..=160 {
                    let (x, y) = (f64::from(i) * 0.01 + 0.0003, f64::from(j) * 0.01 + 0.0007);
                    let expected: Vec<usize> = (0..areas.len()).filter(|&a| contains(areas[a], x, y)).collect();
                    let got = index.locate(x, y);
                    match expected.as_slice() {
                        [] => assert_eq!(got, None, "({x}, {y}) cell {cell}"),
                        [only] => assert_eq!(got, Some(*only), "({x}, {y}) cell {cell}"),
                        // Overlap: the enclave, being smaller, wins.
                        _ => assert_eq!(got, Some(2), "({x}, {y}) cell {cell}"),
                    }
                }
            }
        }
    }

    #[test]
    fn points_far_away_or_not_numbers_are_outside() {
        let unit = vec![Polygon { rings: vec![square(0.0, 0.0, 1.0, 1.0)] }];
        let index = AreaIndex::build(&[&unit], 0.1);
        assert_eq!(index.locate(0.5, 0.5), Some(0));
        for (x, y) in [(-5.0, 0.5), (50.0, 0.5), (0.5, 1e9), (f64::NAN, 0.5), (0.5, f64::INFINITY), (f64::NEG_INFINITY, 0.0)] {
            assert_eq!(index.locate(x, y), None, "({x}, {y})");
        }
        let empty = AreaIndex::build(&[], 0.1);
        assert_eq!(empty.locate(0.0, 0.0), None);
    }
}
