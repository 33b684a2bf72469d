-- $assets = []
-- $end = 1766880000000000000  (2025-12-28T00:00:00.000Z)
-- $est_base = "0.24"
-- $est_dispersion = "2.22"
-- $est_end = 1766880005000000000  (2025-12-28T00:00:05.000Z)
-- $est_k = 5
-- $est_slope = "1.29"
-- $est_start = 1766793595000000000  (2025-12-26T23:59:55.000Z)
-- $include_synthetic = false
-- $instrument_kinds = ["perpetual", "dated_future", "account"]
-- $liquidation_kinds = ["market", "backstop"]
-- $min_notional = "0"
-- $sampled_venues = ["binance_usdm", "okx_swap"]
-- $start = 1766793600000000000  (2025-12-27T00:00:00.000Z)
-- $venues = []
WITH hidden_occupied AS (
  SELECT venue, market, ts_event // 1000000000 AS second, count(*) AS observed,
         sum(CAST(notional_usd AS DOUBLE)) AS usd, sum(CAST(notional_usd AS DOUBLE) ^ 2) AS usd2
  FROM (SELECT * FROM (SELECT *, row_number() OVER (PARTITION BY event_id ORDER BY ts_recv, record_key) AS copy_rank FROM events WHERE ts_event >= $est_start AND ts_event < $est_end AND list_contains($sampled_venues, venue)) WHERE copy_rank = 1) GROUP BY venue, market, ts_event // 1000000000
),
hidden_near AS (
  SELECT venue, market, second, observed, count(*) OVER near - 1 AS neighbours,
         sum(usd) OVER near / sum(observed) OVER near AS mean_usd,
         sum(usd2) OVER near / sum(observed) OVER near AS mean_usd2
  FROM hidden_occupied
  WINDOW near AS (PARTITION BY venue, market ORDER BY second
                  RANGE BETWEEN $est_k PRECEDING AND $est_k FOLLOWING)
),
hidden_rate AS (
  SELECT *, -ln(1 - least(neighbours / (2.0 * $est_k), 1 - 1 / (4.0 * $est_k))) AS lam FROM hidden_near
),
hidden_count AS (
  SELECT *, CAST($est_base AS DOUBLE) + CAST($est_slope AS DOUBLE)
         * CASE WHEN lam = 0 THEN 0 ELSE lam / (1 - exp(-lam)) - 1 END AS hidden_n
  FROM hidden_rate
),
hidden AS (
  SELECT venue, market, second, CAST(hidden_n * mean_usd / observed AS DECIMAL(38, 6)) AS hidden_usd,
         CAST($est_dispersion AS DOUBLE) * hidden_n * mean_usd2 / observed AS hidden_var
  FROM hidden_count
),
scoped AS (
  SELECT *, notional_usd AS usd_floor, row_number() OVER (PARTITION BY event_id ORDER BY ts_recv, record_key) AS copy_rank
  FROM events
  WHERE ts_event >= $start AND ts_event < $end
    AND (array_length($venues) = 0 OR list_contains($venues, venue))
    AND list_contains($instrument_kinds, instrument_kind)
    AND (array_length($assets) = 0 OR list_contains($assets, base_asset))
    AND list_contains($liquidation_kinds, liquidation_kind)
    AND ($include_synthetic OR NOT synthetic)
),
kept AS (SELECT *, 1 AS n FROM scoped WHERE usd_floor >= $min_notional AND copy_rank = 1)
SELECT kept.*, usd_floor + coalesce(hidden.hidden_usd, 0) AS usd,
       coalesce(hidden.hidden_var, 0.0) AS hidden_var
FROM kept LEFT JOIN hidden ON (hidden.venue = kept.venue AND hidden.market = kept.market AND hidden.second = kept.ts_event // 1000000000)
