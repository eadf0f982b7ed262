"""Learner benchmark, in process (no Kafka): training time and per-signal inference.

    uv run python bench/learner/run.py [--repeats 3] [--out bench/results/learner.json]

- ingest: reading a trades.closed record into a training example (per trade).
- training: a whole run as the service does it, on 10,000 and 100,000 synthetic trades: hold
  out the most recent 20 % (at most 5,000), fit the three heads with torch on one CPU thread,
  store the artifact, judge against the previous model on the holdout. `fit` is the torch part
  (encoding + L-BFGS); target: seconds for tens of thousands of trades (<= 10 s at 100,000).
  Each repetition must give the same weights hash (determinism).
- inference: `WinProbModel.predict` / `expected_r` per signal, as the risk gate calls them
  (numpy only, no torch), over 20,000 signals; target p99 <= 0.1 ms. Loading a release
  (read + SHA-256 + parse) is timed too.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import torch

from hive.winprob import load_release
from hive_learner.dataset import TrainingSet, example_from_trade
from hive_learner.learner import Learner, LearnerConfig
from hive_learner.store import ModelStore
from hive_learner.synthetic import generate_trades
from hive_learner.train import split_holdout, train_model

ROOT = Path(__file__).resolve().parents[2]
TRAIN_TARGET_S = 10.0
INFERENCE_TARGET_MS = 0.1


def _q(samples: list[float], pct: int) -> float:
    return statistics.quantiles(samples, n=100)[pct - 1]


def _trades(n: int, seed: int) -> list[dict[str, Any]]:
    trades = generate_trades(n // 2 + n // 4, seed=seed, span_days=365)
    assert len(trades) >= n, len(trades)
    return trades[:n]


def bench_ingest(trades: list[dict[str, Any]]) -> tuple[dict[str, Any], TrainingSet]:
    ts = TrainingSet(capacity=len(trades) + 1)
    t0 = time.perf_counter()
    for t in trades:
        example = example_from_trade(t)
        assert example is not None
        ts.add(example)
    elapsed = time.perf_counter() - t0
    return {"trades": len(trades), "per_trade_us": round(elapsed / len(trades) * 1e6, 2)}, ts


def bench_training(n: int, repeats: int) -> dict[str, Any]:
    trades = _trades(n, seed=n)
    ingest, ts = bench_ingest(trades)
    examples = ts.examples()
    config = LearnerConfig(capacity=n + 1)
    split = split_holdout(examples, config.train)
    train_model(split.train[:1000], config.train, "warm-up", "0000")  # first torch call costs
    fits, runs, hashes, iterations = [], [], set(), 0
    for _ in range(repeats):
        t0 = time.perf_counter()
        trained = train_model(split.train, config.train, "bench", "0001")
        fits.append(time.perf_counter() - t0)
        iterations = trained.iterations
        with tempfile.TemporaryDirectory() as tmp:
            learner = Learner(config, ModelStore(Path(tmp)))
            learner.dataset = ts
            learner.trigger.clock_ms = examples[-1].exit_time
            t0 = time.perf_counter()
            records = learner.train_and_judge("0001")
            runs.append(time.perf_counter() - t0)
            hashes.add(records[0].value["sha256"])
    return {
        "trades": n,
        "train_trades": len(split.train),
        "holdout_trades": len(split.holdout),
        "columns": len(trained.model.spec.columns()),
        "lbfgs_iterations": iterations,
        "fit_median_s": round(statistics.median(fits), 3),
        "run_median_s": round(statistics.median(runs), 3),
        "run_max_s": round(max(runs), 3),
        "ingest_per_trade_us": ingest["per_trade_us"],
        "deterministic": len(hashes) == 1,
        "sha256": sorted(hashes)[0],
        "target_s": TRAIN_TARGET_S,
        "meets_target": max(runs) <= TRAIN_TARGET_S,
    }


def bench_inference() -> dict[str, Any]:
    trades = _trades(10_000, seed=3)
    ts = TrainingSet()
    for t in trades:
        e = example_from_trade(t)
        assert e is not None
        ts.add(e)
    with tempfile.TemporaryDirectory() as tmp:
        learner = Learner(LearnerConfig(), ModelStore(Path(tmp)))
        learner.dataset = ts
        learner.trigger.clock_ms = ts.examples()[-1].exit_time
        release = learner.train_and_judge("0001")[0].value  # the CANDIDATE: its artifact
        loads = []
        for _ in range(20):
            t0 = time.perf_counter()
            model = load_release(release["artifact_uri"], release["sha256"])
            loads.append((time.perf_counter() - t0) * 1000)
    signals = [t["features"] for t in _trades(20_000, seed=4)]
    for f in signals[:500]:  # warm-up
        model.predict(f)
    predict, expected = [], []
    for f in signals:
        t0 = time.perf_counter()
        model.predict(f)
        t1 = time.perf_counter()
        model.expected_r(f)
        t2 = time.perf_counter()
        predict.append((t1 - t0) * 1000)
        expected.append((t2 - t1) * 1000)
    return {
        "signals": len(signals),
        "predict_mean_ms": round(statistics.fmean(predict), 4),
        "predict_p50_ms": round(_q(predict, 50), 4),
        "predict_p99_ms": round(_q(predict, 99), 4),
        "expected_r_mean_ms": round(statistics.fmean(expected), 4),
        "expected_r_p99_ms": round(_q(expected, 99), 4),
        "load_release_median_ms": round(statistics.median(loads), 3),
        "target_ms": INFERENCE_TARGET_MS,
        "meets_target": _q(predict, 99) <= INFERENCE_TARGET_MS,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--repeats", type=int, default=3, help="repetitions of each training run")
    ap.add_argument("--out", type=Path, default=ROOT / "bench/results/learner.json")
    args = ap.parse_args()
    if args.repeats < 1:
        ap.error("--repeats must be >= 1")

    result: dict[str, Any] = {
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "torch": torch.__version__,
            "torch_threads_for_training": 1,
        },
        "data": "hive_learner.synthetic.generate_trades (known true win probabilities)",
        "training": [bench_training(n, args.repeats) for n in (10_000, 100_000)],
        "inference": bench_inference(),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")

    ok = {True: "ok", False: "MISSED"}
    for t in result["training"]:
        print(
            f"training, {t['trades']:>7,} trades: run median {t['run_median_s']:.2f} s "
            f"(max {t['run_max_s']:.2f} s; torch fit {t['fit_median_s']:.2f} s, "
            f"{t['lbfgs_iterations']} L-BFGS iterations, {t['columns']} columns), "
            f"ingest {t['ingest_per_trade_us']:.1f} us/trade, "
            f"same hash every run: {t['deterministic']}  target <= {TRAIN_TARGET_S:g} s: "
            f"{ok[t['meets_target']]}"
        )
    inf = result["inference"]
    print(
        f"inference per signal:  predict mean {inf['predict_mean_ms'] * 1000:.1f} us, "
        f"p50 {inf['predict_p50_ms'] * 1000:.1f} us, p99 {inf['predict_p99_ms'] * 1000:.1f} us; "
        f"expected_r mean {inf['expected_r_mean_ms'] * 1000:.1f} us; "
        f"load_release {inf['load_release_median_ms']:.2f} ms  "
        f"target p99 <= {INFERENCE_TARGET_MS} ms: {ok[inf['meets_target']]}"
    )
    print(f"written to {args.out}")
    passed = all(t["meets_target"] and t["deterministic"] for t in result["training"])
    return 0 if passed and inf["meets_target"] else 1


if __name__ == "__main__":
    sys.exit(main())
