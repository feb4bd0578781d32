-- Registered cases per district, month received, catalogue entry and channel: the street volume
-- summed by district, kept beside it so that a district's hotspot list reads one key range of a
-- few thousand rows however many cases there are. Written with rollup_volume, always.
CREATE TABLE rollup_district_volume (
    district TEXT NOT NULL,
    month    TEXT NOT NULL,
    category TEXT NOT NULL,
    channel  TEXT NOT NULL,
    n        BIGINT NOT NULL,
    PRIMARY KEY (district, month, category, channel)
);

INSERT INTO rollup_district_volume (district, month, category, channel, n)
SELECT substr(region, 1, 6), month, category, channel, SUM(n)
FROM rollup_volume
GROUP BY substr(region, 1, 6), month, category, channel
HAVING SUM(n) <> 0;
