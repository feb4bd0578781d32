#!/usr/bin/env python3
"""Builds data/regions/beijing.csv, the region tree built into gridline, from the public
Beijing geography in ../shared/data/geo (see data/regions/PROVENANCE.md).

Usage: python3 scripts/build_regions.py [SHARED_GEO_DIR]
"""
import csv
import json
import sys
from pathlib import Path

geo = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parents[2] / "shared/data/geo")
out = Path(__file__).resolve().parents[1] / "data/regions/beijing.csv"

districts = json.loads((geo / "beijing_districts_tianditu_wgs84.geojson").read_text("utf-8"))["features"]
streets = json.loads((geo / "beijing_streets_tianditu_wgs84.geojson").read_text("utf-8"))["features"]

rows = [("110000000000", "北京市", "city", "", "39.90469", "116.40717")]
for f in sorted(districts, key=lambda f: f["properties"]["code"]):
    p = f["properties"]
    lat, lon = p["labelPoint"]  # the source stores [lat, lng]
    rows.append((str(p["code"]), p["name"], "district", "110000000000", f"{lat:.5f}", f"{lon:.5f}"))
for f in sorted(streets, key=lambda f: f["properties"]["code"]):
    p = f["properties"]
    lat, lon = p["labelPoint"]
    # The official statistical name (nbs_name) wins over the map's label where they differ.
    name = p.get("nbs_name") or p["name"]
    rows.append((str(p["code"]), name, "street", str(p["parentCode"]), f"{lat:.5f}", f"{lon:.5f}"))

with out.open("w", encoding="utf-8", newline="") as fh:
    w = csv.writer(fh, lineterminator="\n")
    w.writerow(("code", "name", "level", "parent", "lat", "lon"))
    w.writerows(rows)
print(f"wrote {len(rows)} regions to {out}")
