"""Regime-detector benchmark, in process (no Kafka): HMM fit time and per-bar inference time.

    uv run python bench/regime/run.py [--fits 5] [--out bench/results/regime.json]

- fit: `fit_model` on the first 5,000 feature rows of the EURUSD 2017 H1 data (3 states,
  diagonal covariances), repeated; target <= 2 s.
- per-bar inference: `RegimeDetector.on_bar` for every bar after the first model, refits
  switched off (features, one forward-filter step, the market.regimes record); target <= 1 ms.
  The filter step alone is reported too.
- replay: the whole year through a detector with the default configuration (refits included).
- stability, at the settings the service ships with (RegimeSettings defaults): every model the
  detector fits over the year against the next, on the bars both windows share (each model
  labels its own window by forward filtering). Three variants in the same run:
  `before` (each window fitted on its own, states named by the rule before issue 17: CHAOS =
  highest volatility, TREND = stronger trend of the other two), `volatility_order` (the same
  fits, states named by volatility order) and `shipped` (volatility order, each refit anchored
  on the previous model). Per variant: min / mean agreement over all pairs, over the pairs of
  full windows only (the measure before issue 17), Cohen's kappa (agreement beyond what the
  label frequencies give by chance) and the labels of the bars each model labels after its fit.
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from hive.market import read_bundled_eurusd
from hive_regime import RegimeConfig, RegimeDetector, feature_rows, fit_model, observations
from hive_regime.model import CALM, CHAOS, TREND, RegimeModel
from hive_regime.settings import RegimeSettings
from hive_regime.stability import FittedWindow, filtered_labels, refit_agreements, refit_windows

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


def labels_before_issue_17(model: RegimeModel) -> tuple[str, ...]:
    """The state -> regime rule the detector had before: CHAOS = highest mean volatility,
    TREND = of the other two the higher mean trend strength, CALM = the rest."""
    means, n = model.means, model.means.shape[0]
    chaos = max(range(n), key=lambda i: (means[i, 1], -i))
    trend = max((i for i in range(n) if i != chaos), key=lambda i: (means[i, 2], -i))
    return tuple(CHAOS if i == chaos else TREND if i == trend else CALM for i in range(n))


def _kappa(a: list[str], b: list[str]) -> float:
    n = len(a)
    seen = sum(x == y for x, y in zip(a, b, strict=True)) / n
    chance = sum(a.count(k) * b.count(k) for k in set(a)) / (n * n)
    return (seen - chance) / (1 - chance)


def _stability(windows: list[FittedWindow], fit_window: int, step: int) -> dict[str, Any]:
    agreements = refit_agreements(windows)
    full = [a for a, w in zip(agreements, windows, strict=False) if len(w.rows) == fit_window]
    kappas = []
    for old, new in itertools.pairwise(windows):
        shared = len(old.rows) - next(
            i for i, r in enumerate(old.rows) if r.close_time >= new.rows[0].close_time
        )
        kappas.append(
            _kappa(
                filtered_labels(old.model, old.rows)[-shared:],
                filtered_labels(new.model, new.rows)[:shared],
            )
        )
    # What each model says about the bars it is used for (the `step` bars after its fit
    # roughly: here its window's last `step` rows, labelled in the window).
    counts = dict.fromkeys((CALM, TREND, CHAOS), 0)
    for w in windows:
        for label in filtered_labels(w.model, w.rows)[-step:]:
            counts[label] += 1
    return {
        "pairs": len(agreements),
        "agreement": [round(a, 3) for a in agreements],
        "agreement_min": round(min(agreements), 3),
        "agreement_mean": round(statistics.fmean(agreements), 3),
        "full_window_pairs": len(full),
        "full_window_agreement_min": round(min(full), 3),
        "full_window_agreement_mean": round(statistics.fmean(full), 3),
        "kappa_min": round(min(kappas), 3),
        "kappa_mean": round(statistics.fmean(kappas), 3),
        "label_counts": counts,
    }


def bench_stability(bars: list[dict[str, Any]]) -> dict[str, Any]:
    """Consecutive refits at the shipped settings: before issue 17, and now, in one run."""
    cfg = RegimeSettings.model_construct().regime_config()
    independent = refit_windows(bars, dataclasses.replace(cfg, anchor_weight=0.0))
    before = [
        FittedWindow(dataclasses.replace(w.model, labels=labels_before_issue_17(w.model)), w.rows)
        for w in independent
    ]
    t0 = time.perf_counter()
    shipped = refit_windows(bars, cfg)
    seconds = time.perf_counter() - t0
    window, step = cfg.fit_window, cfg.refit_every
    return {
        "fit_window": window,
        "refit_every": step,
        "min_fit_bars": cfg.min_fit_bars,
        "anchor_weight": cfg.anchor_weight,
        "fits": len(shipped),
        "shipped_year_seconds": round(seconds, 3),
        "before": _stability(before, window, step),
        "volatility_order": _stability(independent, window, step),
        "shipped": _stability(shipped, window, step),
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
        "stability": bench_stability(bars),
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
        f"refit label agreement at the shipped settings (fit window {stab['fit_window']}, refit "
        f"every {stab['refit_every']}, anchor weight {stab['anchor_weight']:g}), "
        f"{stab['fits']} fits:"
    )
    for name in ("before", "volatility_order", "shipped"):
        v = stab[name]
        print(
            f"  {name:17s} all {v['pairs']} pairs: min {v['agreement_min']:.1%}, mean "
            f"{v['agreement_mean']:.1%} (kappa min {v['kappa_min']:.2f}, mean "
            f"{v['kappa_mean']:.2f}); full windows ({v['full_window_pairs']} pairs): min "
            f"{v['full_window_agreement_min']:.1%}, mean {v['full_window_agreement_mean']:.1%}; "
            f"labels {v['label_counts']}"
        )
    print(f"written to {args.out}")
    return 0 if fit["meets_target"] and inf["meets_target"] else 1


if __name__ == "__main__":
    sys.exit(main())
