"""Enricher benchmark, in process (no Kafka): signals enriched per second.

    uv run python bench/enricher/run.py [--signals 100000] [--out bench/results/enricher.json]

Signals (copies of the schema example with levels around the market, seeded) are spread over
the EURUSD 2017 H1 year and fed with the bars in event-time order:

- on_arrival: every signal comes after the bars it needs and is priced at once; signals/s is
  the number of signals over the time spent in `on_signal`.
- waiting: the bars lag the signals by three hours of event time, so every signal waits in the
  buffer and is released by a bar; signals/s counts the time in `on_signal` and `on_bar`.
Target >= 5,000 signals/s.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import platform
import random
import sys
import time
from pathlib import Path
from typing import Any

from hive.market import read_bundled_eurusd
from hive_enricher import Enricher, EnricherConfig

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = json.loads((ROOT / "schemas/examples/signals_parsed.json").read_text(encoding="utf-8"))
TARGET = 5000.0
H = 3_600_000


def make_signals(bars: list[dict[str, Any]], n: int, seed: int = 42) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    out = []
    for k in range(n):
        i = rng.randrange(30, len(bars) - 2)
        t = bars[i]["ts_event"] + rng.randrange(0, H)
        price = bars[i]["close"]
        buy = rng.random() < 0.5
        side = 1 if buy else -1
        s = copy.deepcopy(EXAMPLE)
        s.update(
            {
                "event_id": f"bench:{k}:0:r0",
                "signal_id": f"bench:{k}:0",
                "message_id": str(k),
                "ts_event": t,
                "ts_init": t,
                "timestamp": t,
                "direction": "BUY" if buy else "SELL",
                "entry": round(price, 5) if rng.random() < 0.7 else None,
                "entry_low": None,
                "entry_high": None,
                "stop_loss": round(price - side * 0.003, 5),
                "take_profit": round(price + side * 0.003, 5),
                "take_profits": [round(price + side * d, 5) for d in (0.003, 0.006, 0.009)],
            }
        )
        out.append(s)
    out.sort(key=lambda s: (s["ts_event"], s["event_id"]))
    return out


def run(bars: list[dict[str, Any]], signals: list[dict[str, Any]], lag_ms: int) -> dict[str, Any]:
    """Feed bars and signals merged on event time, bars delayed by `lag_ms`."""
    enricher = Enricher(EnricherConfig(wait_horizon_ms=max(2 * H, 2 * lag_ms)))
    t_signal = t_bar = 0.0
    emitted = 0
    j = 0
    for bar in bars:
        while j < len(signals) and signals[j]["ts_event"] < bar["ts_event"] + lag_ms:
            t0 = time.perf_counter()
            emitted += len(enricher.on_signal(signals[j]))
            t_signal += time.perf_counter() - t0
            j += 1
        t0 = time.perf_counter()
        emitted += len(enricher.on_bar(bar))
        t_bar += time.perf_counter() - t0
    for s in signals[j:]:
        emitted += len(enricher.on_signal(s))
    emitted += len(enricher.flush())
    assert emitted == len(signals), (emitted, len(signals))
    st = enricher.stats
    busy = t_signal if lag_ms == 0 else t_signal + t_bar
    return {
        "signals": len(signals),
        "bars": len(bars),
        "seconds_in_on_signal": round(t_signal, 4),
        "seconds_in_on_bar": round(t_bar, 4),
        "signals_per_s": round(len(signals) / busy, 1),
        "us_per_signal": round(busy / len(signals) * 1e6, 2),
        "priced_on_arrival": st.priced_on_arrival,
        "waited": st.waited,
        "released_by_bar": st.released_by_bar,
        "no_market_data": st.no_market_data,
        "flags": {
            "stale": st.stale,
            "implausible": st.implausible,
            "wrong_side": st.wrong_side_stop,
        },
        "meets_target": len(signals) / busy >= TARGET,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--signals", type=int, default=100_000)
    ap.add_argument("--out", type=Path, default=ROOT / "bench/results/enricher.json")
    args = ap.parse_args()
    if args.signals < 1000:
        ap.error("--signals must be >= 1000")
    bars = list(read_bundled_eurusd())
    signals = make_signals(bars, args.signals)
    result: dict[str, Any] = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "data": "data/market/eurusd-h1-2017-ask.csv",
        "target_signals_per_s": TARGET,
        "on_arrival": run(bars, signals, lag_ms=0),
        "waiting": run(bars, signals, lag_ms=3 * H),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    ok = {True: "ok", False: "MISSED"}
    for name in ("on_arrival", "waiting"):
        r = result[name]
        print(
            f"{name:11} {r['signals']} signals: {r['signals_per_s']:>10.0f} signals/s "
            f"({r['us_per_signal']} us each; waited {r['waited']}, released by bar "
            f"{r['released_by_bar']})  target >= {TARGET:.0f}/s: {ok[r['meets_target']]}"
        )
    print(f"written to {args.out}")
    met = [result[n]["meets_target"] for n in ("on_arrival", "waiting")]
    return 0 if all(met) else 1


if __name__ == "__main__":
    sys.exit(main())
