#!/usr/bin/env python3
"""Builds gridline's built-in geography from the public Beijing data in ../shared/data/geo
(see data/regions/PROVENANCE.md and data/geo/PROVENANCE.md):

- data/regions/beijing.csv: the NBS 2023 region tree (city, 16 districts, 349 streets/townships,
  7,535 communities/villages) with a label point for every district and street that has a polygon;
- data/geo/streets.geojson, data/geo/districts.geojson: the boundaries, repaired (consecutive
  duplicate points and zero-area rings dropped), coordinates unchanged, for locating points;
- data/geo/streets.web.geojson, data/geo/districts.web.geojson: the same simplified
  (Douglas-Peucker, about 50 m) for the web map.

Usage: python3 scripts/build_regions.py [SHARED_GEO_DIR]
"""
import csv
import json
import sys
from pathlib import Path

geo = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parents[2] / "shared/data/geo")
repo = Path(__file__).resolve().parents[1]

# Simplification tolerance for the web map, in degrees (~50 m at Beijing's latitude).
WEB_TOLERANCE = 0.0005
LEVELS = {"1": "city", "3": "district", "4": "street", "5": "community"}


def ring_area(ring):
    return 0.5 * sum(a[0] * b[1] - b[0] * a[1] for a, b in zip(ring, ring[1:]))


def repair_ring(ring):
    """Drops consecutive duplicate points and closes the ring; None when nothing with an area is left."""
    out = []
    for p in ring:
        if not out or out[-1] != p:
            out.append(p)
    if out and out[0] != out[-1]:
        out.append(out[0])
    if len(out) < 4 or abs(ring_area(out)) < 1e-12:
        return None
    return out


def polygons_of(geometry):
    polys = [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
    repaired = []
    for poly in polys:
        rings = [repair_ring(r) for r in poly]
        if rings[0] is None:  # a polygon whose shell has no area is dropped with its holes
            continue
        repaired.append([rings[0]] + [r for r in rings[1:] if r is not None])
    return repaired


def simplify(points, tol):
    """Douglas-Peucker on an open or closed line."""
    if len(points) < 3:
        return points
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        i, j = stack.pop()
        (ax, ay), (bx, by) = points[i], points[j]
        dx, dy = bx - ax, by - ay
        norm = (dx * dx + dy * dy) ** 0.5
        best, best_k = -1.0, -1
        for k in range(i + 1, j):
            px, py = points[k]
            d = abs(dy * (px - ax) - dx * (py - ay)) / norm if norm else ((px - ax) ** 2 + (py - ay) ** 2) ** 0.5
            if d > best:
                best, best_k = d, k
        if best > tol:
            keep[best_k] = True
            stack += [(i, best_k), (best_k, j)]
    return [p for p, k in zip(points, keep) if k]


def simplify_ring(ring, tol):
    # Split a closed ring at its farthest point so both halves have distinct ends.
    far = max(range(len(ring)), key=lambda k: (ring[k][0] - ring[0][0]) ** 2 + (ring[k][1] - ring[0][1]) ** 2)
    out = simplify(ring[: far + 1], tol)[:-1] + simplify(ring[far:], tol)
    out = [[round(x, 5), round(y, 5)] for x, y in out]
    return repair_ring(out)


def web_polygons(polys):
    out = []
    for poly in polys:
        rings = [simplify_ring(r, WEB_TOLERANCE) for r in poly]
        if rings[0] is not None:
            out.append([rings[0]] + [r for r in rings[1:] if r is not None])
    return out


def feature(props, polys):
    return {"type": "Feature", "properties": props, "geometry": {"type": "MultiPolygon", "coordinates": polys}}


def write_geojson(path, features):
    text = json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False, separators=(",", ":"))
    path.write_text(text + "\n", "utf-8")


divisions = list(csv.DictReader((geo / "beijing_divisions_nbs2023.csv").open(encoding="utf-8")))
official = {r["code12"]: r for r in divisions}
district_features = json.loads((geo / "beijing_districts_tianditu_wgs84.geojson").read_text("utf-8"))["features"]
street_features = json.loads((geo / "beijing_streets_tianditu_wgs84.geojson").read_text("utf-8"))["features"]

label = {}
districts, streets = [], []
for f in sorted(district_features, key=lambda f: f["properties"]["code"]):
    p = f["properties"]
    code = str(p["code"])
    label[code] = p["labelPoint"]  # the source stores [lat, lng]
    polys = polygons_of(f["geometry"])
    districts.append((code, official[code]["name"], polys))
for f in sorted(street_features, key=lambda f: f["properties"]["code"]):
    p = f["properties"]
    code = str(p["code"])
    label[code] = p["labelPoint"]
    # Join on the code: 56 names differ between the map (乡) and the official list (地区).
    streets.append((code, official[code]["name"], official[code]["parent_code12"], polys_ := polygons_of(f["geometry"])))

rows = []
for r in divisions:
    lat, lon = label.get(r["code12"], ("", ""))
    if r["code12"] == "110000000000":
        lat, lon = 39.90469, 116.40717  # Tiananmen Square
    rows.append((r["code12"], r["name"], LEVELS[r["level"]], r["parent_code12"], lat and f"{lat:.5f}", lon and f"{lon:.5f}"))
level_order = {"city": 0, "district": 1, "street": 2, "community": 3}
rows.sort(key=lambda row: (level_order[row[2]], row[0]))
with (repo / "data/regions/beijing.csv").open("w", encoding="utf-8", newline="") as fh:
    w = csv.writer(fh, lineterminator="\n")
    w.writerow(("code", "name", "level", "parent", "lat", "lon"))
    w.writerows(rows)

out = repo / "data/geo"
out.mkdir(exist_ok=True)
write_geojson(out / "districts.geojson", [feature({"code": c, "name": n}, p) for c, n, p in districts])
write_geojson(out / "streets.geojson", [feature({"code": c, "name": n, "district": d}, p) for c, n, d, p in streets])
write_geojson(out / "districts.web.geojson", [feature({"code": c, "name": n}, web_polygons(p)) for c, n, p in districts])
write_geojson(out / "streets.web.geojson", [feature({"code": c, "name": n, "district": d}, web_polygons(p)) for c, n, d, p in streets])
print(f"wrote {len(rows)} regions, {len(districts)} district and {len(streets)} street boundaries")
