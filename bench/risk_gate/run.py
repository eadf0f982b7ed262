"""Risk-gate benchmark: decisions/s and decision latency including the real OPA call,
beside the same decisions with an in-process constant policy (the gate's own cost).

    uv run python bench/risk_gate/run.py [--signals 2000]

Three bots in two cells follow one source; every scored signal gives three decisions, each
asking OPA (over HTTP, keep-alive) for its verdict. Results: bench/results/risk_gate.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = json.loads((ROOT / "schemas/examples/signals_scored.json").read_text())


def _bots() -> list[dict[str, Any]]:
    from hive.bots import parse_bots

    def bot(bot_id: str, cell: str, rule_set: str) -> dict[str, Any]:
        return {
            "bot_id": bot_id,
            "cell": cell,
            "account_size": 100_000,
            "account_currency": "USD",
            "rule_set": rule_set,
            "sources": [{"source": "bench", "weight": 1.0}],
            "strategy_card": "follow",
            "risk_per_trade": 1.0,
        }

    config = parse_bots(
        {
            "bots": [
                bot("b-ftmo-1", "ftmo", "ftmo_2step"),
                bot("b-ftmo-2", "ftmo", "ftmo_2step"),
                bot("b-strict", "strict", "strict"),
            ]
        }
    )
    return config.to_records(EXAMPLE["ts_event"] - 60_000)


def _signal(n: int) -> dict[str, Any]:
    ts = EXAMPLE["ts_event"] + n * 1000
    signal = {**EXAMPLE["signal"], "source": "bench", "message_id": str(n)}
    signal["signal_id"] = f"bench:{n}:0"
    signal["event_id"] = f"bench:{n}:0:r0"
    signal["ts_event"] = signal["ts_init"] = signal["timestamp"] = ts
    return {
        **EXAMPLE,
        "event_id": signal["event_id"],
        "ts_event": ts,
        "ts_init": ts,
        "signal": signal,
    }


def run(policy: Any, signals: int) -> dict[str, float]:
    from hive_risk_gate.gate import RiskGate

    gate = RiskGate(policy)
    for record in _bots():
        gate.on_bot(record)
    latencies = []
    allowed = 0
    start = time.perf_counter()
    for n in range(signals):
        t = time.perf_counter()
        decisions = gate.on_signal(_signal(n))
        per = (time.perf_counter() - t) / len(decisions)
        latencies += [per * 1000] * len(decisions)
        allowed += sum(d.allowed for d in decisions)
    elapsed = time.perf_counter() - start
    q = statistics.quantiles(latencies, n=100)
    return {
        "decisions": len(latencies),
        "allowed": allowed,
        "decisions_per_s": round(len(latencies) / elapsed, 1),
        "p50_ms": round(q[49], 3),
        "p99_ms": round(q[98], 3),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--signals", type=int, default=2000)
    ap.add_argument("--out", type=Path, default=ROOT / "bench/results/risk_gate.json")
    args = ap.parse_args()
    if args.signals < 100:
        ap.error("--signals must be at least 100")

    from hive_risk_gate.opa import OpaPolicy
    from hive_tools import infra

    infra.up(["opa"])
    env = infra.endpoints(infra.InfraSettings())
    opa = OpaPolicy(env["HIVE_OPA_URL"], timeout_s=2.0, token=env["HIVE_OPA_TOKEN"])
    warm = run(opa, 50)  # connection set up, OPA's caches warm
    assert warm["allowed"] > 0, "the bench signals should be allowed by the real policies"
    real = run(opa, args.signals)
    opa.close()

    def constant(_input: dict[str, Any]) -> dict[str, Any]:
        return {"allow": True, "reasons": [], "max_risk_pct": 5.0, "size_multiplier": 1.0,
                "shadow": False, "limits": {}, "bundle_version": "bench"}  # fmt: skip

    baseline = run(constant, args.signals)
    result = {"with_opa": real, "in_process_policy": baseline}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    for name, r in result.items():
        print(
            f"{name:18} {r['decisions_per_s']:>9,.0f} decisions/s  p50 {r['p50_ms']:.3f} ms  p99 {r['p99_ms']:.3f} ms"
        )
    print("targets with OPA: >= 500 decisions/s, p99 <= 5 ms")
    print(f"written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
