-- $assets = []
-- $end = 1766880000000000000  (2025-12-28T00:00:00.000Z)
-- $include_synthetic = false
-- $instrument_kinds = ["perpetual", "dated_future", "account", "lending"]
-- $liquidation_kinds = ["market", "backstop"]
-- $min_notional = "0"
-- $start = 1766793600000000000  (2025-12-27T00:00:00.000Z)
-- $venues = []
WITH scoped AS (
  SELECT *, CASE WHEN instrument_kind = 'lending' THEN collateral_usd ELSE notional_usd END AS usd_floor, row_number() OVER (PARTITION BY event_id ORDER BY ts_recv, record_key) AS copy_rank
  FROM (SELECT * FROM events AS ev WHERE NOT coalesce(ev.retraction, false) AND NOT EXISTS (
    SELECT 1 FROM events AS retracting WHERE retracting.instrument_kind = 'lending'
      AND retracting.retraction AND retracting.event_id = ev.event_id
      AND retracting.ts_recv >= ev.ts_recv))
  WHERE ts_event >= $start AND ts_event < $end
    AND (array_length($venues) = 0 OR list_contains($venues, venue))
    AND list_contains($instrument_kinds, instrument_kind)
    AND (array_length($assets) = 0 OR list_contains($assets, base_asset))
    AND list_contains($liquidation_kinds, liquidation_kind)
    AND ($include_synthetic OR NOT synthetic)
),
kept AS (SELECT *, 1 AS n FROM scoped WHERE usd_floor >= $min_notional AND copy_rank = 1)
SELECT *, usd_floor AS usd, 0.0 AS hidden_var FROM kept
