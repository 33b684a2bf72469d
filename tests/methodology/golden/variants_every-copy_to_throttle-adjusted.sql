-- $c0_assets = []
-- $c0_include_synthetic = false
-- $c0_instrument_kinds = ["perpetual", "dated_future", "account"]
-- $c0_liquidation_kinds = ["market", "backstop"]
-- $c0_venues = []
-- $h0_base = "0.24"
-- $h0_dispersion = "2.22"
-- $h0_k = 5
-- $h0_slope = "1.29"
-- $k0_min = "0"
-- $k1_min = "0"
-- $sampled_venues = ["binance_usdm", "okx_swap"]
-- $scan_end = 1766880005000000000  (2025-12-28T00:00:05.000Z)
-- $scan_start = 1766793595000000000  (2025-12-26T23:59:55.000Z)
-- $w0_end = 1766880000000000000  (2025-12-28T00:00:00.000Z)
-- $w0_start = 1766793600000000000  (2025-12-27T00:00:00.000Z)
WITH base AS MATERIALIZED (
  SELECT venue, market, instrument_kind, base_asset, liquidation_kind, synthetic, liquidated_side, ts_event,
         notional_usd, notional_order_usd, row_number() OVER (PARTITION BY event_id ORDER BY ts_recv, record_key) = 1 AS first_copy
  FROM events
  WHERE ts_event >= $scan_start AND ts_event < $scan_end
),
h0_occupied AS (
  SELECT venue, market, ts_event // 1000000000 AS second, count(*) AS observed,
         sum(CAST(notional_usd AS DOUBLE)) AS usd_fill, sum(CAST(notional_usd AS DOUBLE) ^ 2) AS usd2_fill
  FROM (SELECT * FROM base WHERE first_copy AND list_contains($sampled_venues, venue)) GROUP BY venue, market, ts_event // 1000000000
),
h0_span AS (
  SELECT *,
         count(*) OVER (PARTITION BY venue, market ORDER BY second
                        RANGE BETWEEN $h0_k PRECEDING AND CURRENT ROW) - 1 AS near_before,
         count(*) OVER (PARTITION BY venue, market ORDER BY second
                        RANGE BETWEEN CURRENT ROW AND $h0_k FOLLOWING) - 1 AS near_after
  FROM h0_occupied
),
h0_near AS (
  SELECT venue, market, second, observed, near_before + near_after AS neighbours,
         sum(usd_fill) OVER near / sum(observed) OVER near AS mean_usd_fill,
         sum(usd2_fill) OVER near / sum(observed) OVER near AS mean_usd2_fill
  FROM h0_span
  WINDOW near AS (PARTITION BY venue, market ORDER BY second
                  ROWS BETWEEN near_before PRECEDING AND near_after FOLLOWING)
),
h0_rate AS (
  SELECT *, -ln(1 - least(neighbours / (2.0 * $h0_k), 1 - 1 / (4.0 * $h0_k))) AS lam FROM h0_near
),
h0_count AS (
  SELECT *, CAST($h0_base AS DOUBLE) + CAST($h0_slope AS DOUBLE)
         * CASE WHEN lam = 0 THEN 0 ELSE lam / (1 - exp(-lam)) - 1 END AS hidden_n
  FROM h0_rate
),
h0 AS (
  SELECT venue, market, second, CAST(hidden_n * mean_usd_fill / observed AS DECIMAL(38, 6)) AS hidden_usd_fill,
         CAST($h0_dispersion AS DOUBLE) * hidden_n * mean_usd2_fill / observed AS hidden_var_fill
  FROM h0_count
),
flagged AS (
  SELECT *,
  (ts_event >= $w0_start AND ts_event < $w0_end) AS w0,
  (notional_usd >= $k0_min) AS k0_fill,
  (notional_order_usd >= $k0_min) AS k0_order,
  (first_copy AND notional_usd >= $k1_min) AS k1_fill,
  (first_copy AND notional_order_usd >= $k1_min) AS k1_order
  FROM base
),
grouped AS (
  SELECT base_asset, liquidated_side, flagged.venue, instrument_kind, liquidation_kind, synthetic, w0, k0_fill, k0_order, k1_fill, k1_order,
  sum(notional_usd) AS s0,
  sum(notional_usd + coalesce(h0.hidden_usd_fill, 0)) AS s1
  FROM flagged
  LEFT JOIN h0 ON (h0.venue = flagged.venue AND h0.market = flagged.market AND h0.second = flagged.ts_event // 1000000000)
  GROUP BY base_asset, liquidated_side, flagged.venue, instrument_kind, liquidation_kind, synthetic, w0, k0_fill, k0_order, k1_fill, k1_order
),
covered AS (
  SELECT *,
  ((array_length($c0_venues) = 0 OR list_contains($c0_venues, venue))
   AND list_contains($c0_instrument_kinds, instrument_kind)
   AND (array_length($c0_assets) = 0 OR list_contains($c0_assets, base_asset))
   AND list_contains($c0_liquidation_kinds, liquidation_kind)
   AND ($c0_include_synthetic OR NOT synthetic)) AS c0
  FROM grouped
)
SELECT base_asset, liquidated_side,
  sum(CASE WHEN c0 AND w0 AND k0_fill THEN s0 END) AS v0,
  sum(CASE WHEN c0 AND w0 AND k1_fill THEN s0 END) AS v1,
  sum(CASE WHEN c0 AND w0 AND k0_fill THEN s1 END) AS v2,
  sum(CASE WHEN c0 AND w0 AND k1_fill THEN s1 END) AS v3
FROM covered
GROUP BY base_asset, liquidated_side
ORDER BY base_asset, liquidated_side
