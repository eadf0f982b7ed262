"""Price coloured by regime, saved as a PNG (matplotlib, headless Agg backend)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC
from pathlib import Path
from typing import Any

REGIME_COLOURS = {
    "CALM": "#2e7d32",  # green
    "TREND": "#1565c0",  # blue
    "CHAOS": "#c62828",  # red
    "UNKNOWN": "#9e9e9e",  # grey: warm-up, no model yet
}


def plot_regimes(
    bars: Iterable[Mapping[str, Any]],
    regimes: Iterable[Mapping[str, Any]],
    path: str | Path,
    *,
    title: str | None = None,
    dpi: int = 120,
) -> Path:
    """Plot closes of `bars` (market.bars records of one symbol), each segment coloured by the
    regime inferred at its bar (market.regimes records, matched on ts_event), with the regime
    probabilities stacked below. Bars without a regime record are grey (UNKNOWN)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.collections import LineCollection
    from matplotlib.patches import Patch

    bar_list = sorted(bars, key=lambda b: int(b["ts_event"]))
    if not bar_list:
        raise ValueError("plot_regimes: no bars to plot")
    by_time = {int(r["ts_event"]): r for r in regimes}
    # matplotlib date numbers are days since 1970-01-01 UTC (its default epoch)
    x = [int(b["ts_event"]) / 86_400_000 for b in bar_list]
    closes = [float(b["close"]) for b in bar_list]
    labels = [
        str(by_time[int(b["ts_event"])]["regime"]) if int(b["ts_event"]) in by_time else "UNKNOWN"
        for b in bar_list
    ]

    fig, (ax, axp) = plt.subplots(
        2, 1, figsize=(14, 7), sharex=True, gridspec_kw={"height_ratios": [3, 1]}
    )
    segments = [[(x[i], closes[i]), (x[i + 1], closes[i + 1])] for i in range(len(x) - 1)]
    colours = [
        REGIME_COLOURS.get(labels[i + 1], REGIME_COLOURS["UNKNOWN"]) for i in range(len(x) - 1)
    ]
    ax.add_collection(LineCollection(segments, colors=colours, linewidths=0.9))
    ax.set_xlim(x[0], x[-1] if len(x) > 1 else x[0] + 1)
    lo, hi = min(closes), max(closes)
    pad = (hi - lo) * 0.05 or abs(hi) * 0.01 or 1.0
    ax.set_ylim(lo - pad, hi + pad)
    symbol = bar_list[0].get("symbol", "")
    timeframe = bar_list[0].get("timeframe", "")
    ax.set_title(title or f"{symbol} {timeframe}: price by regime")
    ax.set_ylabel("close")
    present = [r for r in ("CALM", "TREND", "CHAOS", "UNKNOWN") if r in labels]
    ax.legend(handles=[Patch(color=REGIME_COLOURS[r], label=r) for r in present], loc="upper left")
    ax.grid(alpha=0.3)

    order = ("CALM", "TREND", "CHAOS")
    probs = {
        r: [
            float(by_time[int(b["ts_event"])]["probabilities"].get(r, 0.0))
            if int(b["ts_event"]) in by_time
            else 0.0
            for b in bar_list
        ]
        for r in order
    }
    axp.stackplot(x, *(probs[r] for r in order), colors=[REGIME_COLOURS[r] for r in order])
    axp.set_ylim(0, 1)
    axp.set_ylabel("P(regime)")
    axp.xaxis_date(tz=UTC)
    fig.autofmt_xdate()
    fig.tight_layout()
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=dpi)
    plt.close(fig)
    return out
