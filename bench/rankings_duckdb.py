"""The analyst's alternative for `gridline bench rankings`: the same month's street ranking and
district hotspot list computed by DuckDB over the generated cases exported to Parquet.

usage: rankings_duckdb.py FACTS.csv MONTH DISTRICT_PREFIX REPEAT   (needs `pip install duckdb`)
"""
import sys
import time

import duckdb

facts, month, district, repeat = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
parquet = facts.rsplit(".", 1)[0] + ".parquet"
con = duckdb.connect()
t = time.perf_counter()
con.execute(f"COPY (SELECT * FROM read_csv_auto('{facts}', header=true, all_varchar=true)) TO '{parquet}' (FORMAT parquet)")
print(f"  CSV → Parquet in {time.perf_counter() - t:.1f} s")
rows = con.execute(f"SELECT COUNT(*) FROM '{parquet}'").fetchone()[0]
print(f"  {rows} cases in {parquet}")

# The same definitions as gridline_core::rates with the default weights (0.10, 0.45, 0.45);
# a missing rate leaves the score to the others.
RANKING = f"""
WITH d AS (
  SELECT street, COUNT(*) AS dispatched, SUM(CAST(responded AS INT)) AS responded
  FROM '{parquet}' WHERE dispatch_month = '{month}' GROUP BY street),
c AS (
  SELECT street, COUNT(*) AS called_back, SUM(CAST(resolved AS INT)) AS resolved, SUM(CAST(satisfied AS INT)) AS satisfied
  FROM '{parquet}' WHERE callback_month = '{month}' AND called_back = '1' GROUP BY street),
r AS (
  SELECT COALESCE(d.street, c.street) AS street,
         100.0 * responded / NULLIF(dispatched, 0) AS response,
         100.0 * resolved / NULLIF(called_back, 0) AS resolution,
         100.0 * satisfied / NULLIF(called_back, 0) AS satisfaction
  FROM d FULL OUTER JOIN c ON d.street = c.street),
s AS (
  SELECT *, (COALESCE(0.10 * response, 0) + COALESCE(0.45 * resolution, 0) + COALESCE(0.45 * satisfaction, 0))
            / NULLIF((CASE WHEN response IS NULL THEN 0 ELSE 0.10 END) + (CASE WHEN resolution IS NULL THEN 0 ELSE 0.45 END)
                   + (CASE WHEN satisfaction IS NULL THEN 0 ELSE 0.45 END), 0) AS score
  FROM r)
SELECT street, score, RANK() OVER (ORDER BY score DESC) AS rank FROM s ORDER BY score DESC, street
"""

HOTSPOTS = f"""
SELECT category,
       SUM(CASE WHEN received_month = '{month}' THEN 1 ELSE 0 END) AS now,
       SUM(CASE WHEN received_month = strftime(CAST('{month}-01' AS DATE) - INTERVAL 1 MONTH, '%Y-%m') THEN 1 ELSE 0 END) AS previous,
       SUM(CASE WHEN received_month = strftime(CAST('{month}-01' AS DATE) - INTERVAL 1 YEAR, '%Y-%m') THEN 1 ELSE 0 END) AS last_year
FROM '{parquet}' WHERE street LIKE '{district}%'
GROUP BY category HAVING now > 0 ORDER BY now DESC, category
"""


def timed(name, sql):
    times, result = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        result = con.execute(sql).fetchall()
        times.append(time.perf_counter() - t)
    times.sort()
    print(f"  {name}: {len(result)} rows; median {times[len(times) // 2] * 1000:.2f} ms, max {times[-1] * 1000:.2f} ms over {repeat} runs")
    return result


ranking = timed("street ranking", RANKING)
timed(f"hotspot list of {district}", HOTSPOTS)
print("  best three streets: " + ", ".join(f"{s} {score:.1f}" for s, score, _ in ranking[:3]))
