"""Executor benchmark, in process (no Kafka): bars/s with 100 open positions across 10 bots.

    uv run python bench/executor/run.py [--rounds 3] [--out bench/results/executor.json]

Ten bots (one per cell) each hold ten EURUSD positions (0.01 lot, stops and targets far
away, so they stay open the whole year), alternately long and short. The bundled EURUSD 2017
H1 bars (6,225) are then fed to `Executor.on_bar`: every bar checks the 100 positions against
the bar (entry, swap, updates, stop and target), runs the hard-limit guard and emits a
MARK_TO_MARKET snapshot for each of the 10 bots (10 complete records per bar).

Side by side, in the same run, on the same bars:
- `bare loop`: only the per-position comparisons (bar low <= stop, bar high >= target for
  100 positions per bar), plain Python over tuples: the floor of any Python bar loop;
- `export_state`: the cost of the recovery state after a bar (what the service writes after
  each batch), reported per call.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from hive.market import read_bundled_eurusd
from hive_executor import Executor, ExecutorConfig

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "schemas" / "examples"
BOTS = 10
PER_BOT = 10


def _bot(n: int, ts: int) -> dict[str, Any]:
    record: dict[str, Any] = json.loads((EXAMPLES / "registry_bots.json").read_text())
    record.update(bot_id=f"bench-{n}", cell_id=f"cell-{n}", event_id=f"bench-{n}:1", ts_event=ts)
    return record


def _intent(bot: int, k: int, ts: int, price: float) -> dict[str, Any]:
    record: dict[str, Any] = json.loads((EXAMPLES / "orders_intents.json").read_text())
    long = k % 2 == 0
    sign = 1 if long else -1
    order_id = f"o-bench-{bot}-{k}"
    record.update(
        event_id=f"{order_id}:r0",
        order_id=order_id,
        signal_id=f"bench:{bot}:{k}",
        bot_id=f"bench-{bot}",
        cell_id=f"cell-{bot}",
        side="BUY" if long else "SELL",
        order_type="MARKET",
        entry=None,
        stop_loss=round(price - sign * 0.5, 5),
        take_profits=[round(price + sign * 0.5, 5)],
        tp_fractions=[1.0],
        quantity=0.01,
        ts_event=ts,
        ts_init=ts,
    )
    return record


def setup(bars: list[dict[str, Any]]) -> tuple[Executor, int]:
    """An engine with 100 open positions after the first bar; returns the next bar index."""
    engine = Executor(ExecutorConfig())
    t0 = bars[0]["open_time"]
    for n in range(BOTS):
        engine.on_bot(_bot(n, t0), f"bench-{n}")
    for n in range(BOTS):
        for k in range(PER_BOT):
            engine.on_intent(_intent(n, k, t0, bars[0]["open"]))
    engine.on_bar(bars[0])
    positions = sum(len(engine.paper_positions(f"bench-{n}")) for n in range(BOTS))
    assert positions == BOTS * PER_BOT, positions
    engine.export_state()
    return engine, 1


def bench_engine(bars: list[dict[str, Any]]) -> dict[str, Any]:
    engine, start = setup(bars)
    samples: list[float] = []
    outputs = 0
    t0 = time.perf_counter()
    for bar in bars[start:]:
        t = time.perf_counter()
        outputs += len(engine.on_bar(bar))
        samples.append((time.perf_counter() - t) * 1000)
    elapsed = time.perf_counter() - t0
    still_open = sum(len(engine.paper_positions(f"bench-{n}")) for n in range(BOTS))
    q = statistics.quantiles(samples, n=100)
    return {
        "bars": len(samples),
        "positions": BOTS * PER_BOT,
        "still_open_at_end": still_open,
        "records_emitted": outputs,
        "seconds": round(elapsed, 3),
        "bars_per_s": round(len(samples) / elapsed, 1),
        "mean_ms": round(statistics.fmean(samples), 4),
        "p50_ms": round(q[49], 4),
        "p99_ms": round(q[98], 4),
    }


def bench_export(bars: list[dict[str, Any]], every: int = 50) -> dict[str, Any]:
    engine, start = setup(bars)
    samples: list[float] = []
    sizes: list[int] = []
    for i, bar in enumerate(bars[start:]):
        engine.on_bar(bar)
        if i % every == 0:
            t = time.perf_counter()
            texts = engine.export_state()
            samples.append((time.perf_counter() - t) * 1000)
            sizes.append(sum(len(v) for v in texts.values()))
    return {
        "calls": len(samples),
        "mean_ms": round(statistics.fmean(samples), 3),
        "max_ms": round(max(samples), 3),
        "mean_bytes": round(statistics.fmean(sizes)),
    }


def bench_bare(bars: list[dict[str, Any]]) -> dict[str, Any]:
    """Only the per-position high/low comparisons, over the same bars."""
    price = bars[0]["open"]
    positions = [
        (k % 2 == 0, price - 0.5, price + 0.5) if k % 2 == 0 else (False, price + 0.5, price - 0.5)
        for k in range(BOTS * PER_BOT)
    ]
    hits = 0
    t0 = time.perf_counter()
    for bar in bars[1:]:
        high, low = bar["high"], bar["low"]
        for long, stop, target in positions:
            if long:
                hits += (low <= stop) + (high >= target)
            else:
                hits += (high >= stop) + (low <= target)
    elapsed = time.perf_counter() - t0
    return {
        "bars": len(bars) - 1,
        "hits": hits,
        "seconds": round(elapsed, 4),
        "bars_per_s": round((len(bars) - 1) / elapsed, 1),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--rounds", type=int, default=3, help="runs of each; the best is reported")
    ap.add_argument("--out", type=Path, default=ROOT / "bench/results/executor.json")
    args = ap.parse_args()
    if args.rounds < 1:
        ap.error("--rounds must be >= 1")

    bars = list(read_bundled_eurusd())
    engine = max((bench_engine(bars) for _ in range(args.rounds)), key=lambda r: r["bars_per_s"])
    bare = max((bench_bare(bars) for _ in range(args.rounds)), key=lambda r: r["bars_per_s"])
    export = bench_export(bars)
    result = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "data": "data/market/eurusd-h1-2017-ask.csv",
        "setup": {"bots": BOTS, "positions_per_bot": PER_BOT},
        "engine": engine,
        "bare_loop": bare,
        "engine_vs_bare": round(engine["bars_per_s"] / bare["bars_per_s"], 4),
        "export_state_every_50_bars": export,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")

    print(
        f"executor on_bar, {BOTS * PER_BOT} open positions in {BOTS} bots: "
        f"{engine['bars_per_s']:,.0f} bars/s (mean {engine['mean_ms']:.3f} ms, "
        f"p99 {engine['p99_ms']:.3f} ms per bar, {engine['records_emitted']:,} records)"
    )
    print(
        f"bare high/low loop over the same positions: {bare['bars_per_s']:,.0f} bars/s "
        f"(engine = {result['engine_vs_bare']:.3f}x bare)"
    )
    print(
        f"export_state after a bar: mean {export['mean_ms']:.2f} ms, max {export['max_ms']:.2f} ms, "
        f"{export['mean_bytes']:,} bytes"
    )
    print(f"written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
