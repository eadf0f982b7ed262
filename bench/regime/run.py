"""Regime-detector benchmark, in process (no Kafka): HMM fit time and per-bar inference time.

    uv run python bench/regime/run.py [--fits 5] [--out bench/results/regime.json]

- fit: `fit_model` on the first 5,000 feature rows of the EURUSD 2017 H1 data (3 states,
  diagonal covariances), repeated; target <= 2 s.
- per-bar inference: `RegimeDetector.on_bar` for every bar after the first model, refits
  switched off (features, one forward-filter step, the market.regimes record); target <= 1 ms.
  The filter step alone is reported too.
- replay: the whole year through a detector with the default configuration (refits included).
- stability: label agreement between each model and the next on the bars both windows share.
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

import numpy as np

from hive.market import read_bundled_eurusd
from hive_regime import RegimeConfig, RegimeDetector, feature_rows, fit_model, observations
from hive_regime.model import RegimeModel

ROOT = Path(__file__).resolve().parents[2]
FIT_TARGET_S = 2.0
INFERENCE_TARGET_MS = 1.0


def _q(samples: list[float], pct: int) -> float:
    return statistics.quantiles(samples, n=100)[pct - 1]


def bench_fit(rows: list[Any], fits: int) -> dict[str, Any]:
    cfg = RegimeConfig()
    times, model = [], None
    for _ in range(fits):
        t0 = time.perf_counter()
        model = fit_model(rows[:5000], "EURUSD", "H1", cfg)
        times.append(time.perf_counter() - t0)
    assert model is not None
    return {
        "rows": 5000,
        "runs": fits,
        "median_s": round(statistics.median(times), 4),
        "max_s": round(max(times), 4),
        "em_iterations": model.iterations,
        "converged": model.converged,
        "sha256": model.sha256,
        "target_s": FIT_TARGET_S,
        "meets_target": max(times) <= FIT_TARGET_S,
    }


def bench_inference(bars: list[dict[str, Any]]) -> dict[str, Any]:
    cfg = RegimeConfig(refit_every=10**9)  # one model, then inference only
    detector = RegimeDetector(cfg)
    samples: list[float] = []
    for bar in bars:
        had_model = detector.model("EURUSD") is not None
        t0 = time.perf_counter()
        detector.on_bar(bar)
        elapsed = time.perf_counter() - t0
        if had_model:
            samples.append(elapsed * 1000)
    model = detector.model("EURUSD")
    assert model is not None
    step = _bench_step(model, feature_rows(bars))
    return {
        "bars": len(samples),
        "mean_ms": round(statistics.fmean(samples), 4),
        "p50_ms": round(_q(samples, 50), 4),
        "p99_ms": round(_q(samples, 99), 4),
        "max_ms": round(max(samples), 4),
        "filter_step_mean_ms": round(step, 4),
        "target_ms": INFERENCE_TARGET_MS,
        "meets_target": _q(samples, 99) <= INFERENCE_TARGET_MS,
    }


def _bench_step(model: RegimeModel, rows: list[Any]) -> float:
    raw = observations(rows)
    log_alpha = model.filter_log(raw[:10])
    t0 = time.perf_counter()
    for i in range(10, len(raw)):
        log_alpha = model.step_raw(log_alpha, raw[i])
    return (time.perf_counter() - t0) / (len(raw) - 10) * 1000


def bench_replay(bars: list[dict[str, Any]]) -> dict[str, Any]:
    detector = RegimeDetector()
    t0 = time.perf_counter()
    records = [r for b in bars if (r := detector.on_bar(b)) is not None]
    elapsed = time.perf_counter() - t0
    counts: dict[str, int] = {}
    for r in records:
        counts[r["regime"]] = counts.get(r["regime"], 0) + 1
    return {
        "bars": len(bars),
        "records": len(records),
        "fits": detector.stats.fits,
        "seconds": round(elapsed, 3),
        "bars_per_s": round(len(bars) / elapsed, 1),
        "regime_counts": counts,
    }


def _labels(model: RegimeModel, rows: list[Any]) -> list[str]:
    log_b = model.log_emission(model.scale(observations(rows)))
    log_alpha = np.log(model.startprob) + log_b[0]
    out = [model.labels[int(np.argmax(log_alpha))]]
    for t in range(1, len(rows)):
        log_alpha = model.step_log(log_alpha, log_b[t])
        out.append(model.labels[int(np.argmax(log_alpha))])
    return out


def bench_stability(rows: list[Any]) -> dict[str, Any]:
    """Each refit of the default schedule against the previous model, on shared bars."""
    cfg = RegimeConfig()
    window, step = cfg.fit_window, cfg.refit_every
    agreements = []
    prev: tuple[int, RegimeModel] | None = None
    for end in range(window, len(rows) + 1, step):
        model = fit_model(rows[end - window : end], "EURUSD", "H1", cfg)
        if prev is not None:
            prev_end, prev_model = prev
            shared = prev_end - (end - window)
            old = _labels(prev_model, rows[prev_end - window : prev_end])[-shared:]
            new = _labels(model, rows[end - window : end])[:shared]
            agreements.append(sum(a == b for a, b in zip(old, new, strict=True)) / shared)
        prev = (end, model)
    return {
        "fit_window": window,
        "refit_every": step,
        "pairs": len(agreements),
        "agreement_min": round(min(agreements), 3),
        "agreement_mean": round(statistics.fmean(agreements), 3),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--fits", type=int, default=5, help="repetitions of the 5,000-bar fit")
    ap.add_argument("--out", type=Path, default=ROOT / "bench/results/regime.json")
    args = ap.parse_args()
    if args.fits < 1:
        ap.error("--fits must be >= 1")

    bars = list(read_bundled_eurusd())
    rows = feature_rows(bars)
    result: dict[str, Any] = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "data": "data/market/eurusd-h1-2017-ask.csv",
        "fit": bench_fit(rows, args.fits),
        "inference": bench_inference(bars),
        "replay": bench_replay(bars),
        "stability": bench_stability(rows),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")

    fit, inf, rep, stab = result["fit"], result["inference"], result["replay"], result["stability"]
    ok = {True: "ok", False: "MISSED"}
    print(
        f"HMM fit, 5,000 bars:   median {fit['median_s']:.3f} s, max {fit['max_s']:.3f} s "
        f"({fit['em_iterations']} EM iterations)  target <= {FIT_TARGET_S} s: {ok[fit['meets_target']]}"
    )
    print(
        f"per-bar inference:     mean {inf['mean_ms']:.3f} ms, p50 {inf['p50_ms']:.3f} ms, "
        f"p99 {inf['p99_ms']:.3f} ms (filter step {inf['filter_step_mean_ms']:.3f} ms)  "
        f"target <= {INFERENCE_TARGET_MS} ms: {ok[inf['meets_target']]}"
    )
    print(
        f"year replay:           {rep['bars']} bars, {rep['fits']} fits in {rep['seconds']} s "
        f"({rep['bars_per_s']:.0f} bars/s), regimes {rep['regime_counts']}"
    )
    print(
        f"refit label agreement: min {stab['agreement_min']:.1%}, mean {stab['agreement_mean']:.1%} "
        f"over {stab['pairs']} consecutive refits"
    )
    print(f"written to {args.out}")
    return 0 if fit["meets_target"] and inf["meets_target"] else 1


if __name__ == "__main__":
    sys.exit(main())
