"""Waterfall chart of a reconciliation (PNG, matplotlib imported lazily: the ``charts`` extra)."""

from __future__ import annotations

from pathlib import Path

from liqscope.errors import LiqscopeError
from liqscope.metrics.reconcile import Reconciliation

__all__ = ["waterfall_png"]


def waterfall_png(r: Reconciliation, path: Path) -> Path:
    """Draw from-total, one bar per dimension's contribution, to-total; write a PNG to ``path``.

    Raises:
        LiqscopeError: matplotlib is missing (the message gives the install command).
    """
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise LiqscopeError("waterfall charts need matplotlib: pip install 'liqscope[charts]'") from None
    labels = [f"{r.from_.name}\n{r.from_.fingerprint}", *r.contributions, f"{r.to.name}\n{r.to.fingerprint}"]
    steps = [float(v) for v in r.contributions.values()]
    bottoms, heights, colours = [0.0], [float(r.from_.total_usd)], ["#4c72b0"]
    level = float(r.from_.total_usd)
    for step in steps:
        bottoms.append(level if step >= 0 else level + step)
        heights.append(abs(step))
        colours.append("#55a868" if step > 0 else "#c44e52" if step < 0 else "#bbbbbb")
        level += step
    bottoms.append(0.0)
    heights.append(float(r.to.total_usd))
    colours.append("#4c72b0")
    fig, ax = plt.subplots(figsize=(9, 4.8), dpi=100)
    try:
        ax.bar(range(len(labels)), heights, bottom=bottoms, color=colours)
        for i, (b, h) in enumerate(zip(bottoms, heights, strict=True)):
            value = h if i in (0, len(labels) - 1) else steps[i - 1]
            ax.annotate(("−" if value < 0 else "") + f"${abs(value):,.0f}", (i, b + h), ha="center", va="bottom",
                        fontsize=8)
        ax.set_xticks(range(len(labels)), labels, fontsize=8)
        ax.set_ylabel("liquidated notional, USD")
        ax.set_title(f"{r.from_.name} → {r.to.name}: {r.start} → {r.end}", fontsize=10)
        ax.yaxis.set_major_formatter(lambda v, _: f"${v:,.0f}")
        fig.tight_layout()
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, format="png")
    finally:
        plt.close(fig)
    return path
