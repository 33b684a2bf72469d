"""Paths to the real sample data bundled in the package (see src/liqscope/demo_data/PROVENANCE.md)."""

from __future__ import annotations

from pathlib import Path

DEMO = Path(__file__).parent.parent / "src" / "liqscope" / "demo_data"
BINANCE_0817 = DEMO / "binance_usdm_bandsthobaby_2024-08-17_all.frames.jsonl.gz"
BINANCE_0818 = DEMO / "binance_usdm_bandsthobaby_2024-08-18_over10k.frames.jsonl.gz"
BINANCE_RIFTFERN = DEMO / "binance_usdm_riftfern_2025-12-27_to_28_all.frames.jsonl.gz"
COINM_ARCHIVE = DEMO / "BTCUSD_PERP-liquidationSnapshot-2024-10-01.csv"
HL_OFFICIAL = DEMO / "hyperliquid_official_liquidations_2023-02-28_to_2023-03-31.csv"
HL_BLOCKS = DEMO / "hyperliquid_node_fills_by_block_2025-10-27T16-59-59Z_1000blocks.jsonl.gz"
