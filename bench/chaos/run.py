"""Full-year chaos drill: the sample year replayed undisturbed, then `--runs` times more (three by
default, in a row) while every service in turn is SIGKILLed and the Kafka broker is restarted;
trades, balances and orders of every disturbed run must match the undisturbed one.

    uv run python bench/chaos/run.py [--bars 6225] [--kill-every 600] [--kafka-at 5200] [--runs 3]

Prints the comparison and writes bench/results/chaos.json.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import uuid
from pathlib import Path

from hive.bots import load_bots
from hive.market import read_bundled_eurusd
from hive_risk_gate.cards import CardLoader
from hive_tools import infra
from hive_tools.playback import inputs, merge
from hive_tools.playback.chaos import Disturber, Outcome, run_drill
from hive_tools.playback.session import SERVICE_NAMES, Session, SessionConfig
from hive_tools.supervise import free_port

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "bench" / "results" / "chaos.json"


def _config(env: dict[str, str], tag: str) -> SessionConfig:
    state = infra.InfraSettings().state / "chaos" / tag
    return SessionConfig(
        env=env,
        log_dir=state / "logs",
        model_store=state / "models",
        hub_port=free_port(),
        admin_key="chaos-admin-" + uuid.uuid4().hex,
    )


def _restart_kafka() -> None:
    settings = infra.InfraSettings()
    infra.down(["kafka"], settings=settings)
    infra.up(["kafka"], settings=settings)


def _summary(o: Outcome) -> dict[str, object]:
    return {
        "seconds": round(o.seconds, 1),
        "trades": len(o.trades),
        "real_trades": sum(1 for t in o.trades if not t[2]),
        "balances": {b: {"balance": v[0], "equity": v[1]} for b, v in sorted(o.balances.items())},
        "orders_filled": len(o.fills),
        "orders_filled_twice": o.duplicate_orders(),
        "wall_clock_denials": o.wall_clock_denials(),
        "duplicate_records": o.duplicate_records,
        "events": o.events,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bars", type=int, default=6225, help="replay the first N bars of 2017")
    ap.add_argument("--kill-every", type=int, default=600, help="bars between two kills")
    ap.add_argument("--kafka-at", type=int, default=5200, help="bar at which Kafka restarts")
    ap.add_argument("--runs", type=int, default=3, help="disturbed runs in a row, each compared")
    args = ap.parse_args()
    env = dict(os.environ) | infra.endpoints()
    bars = list(read_bundled_eurusd())[: args.bars]
    channels = [inputs.ChannelSpec(p, None) for p in inputs.sample_channels()]
    messages = [m for m in inputs.read_channels(channels) if m["ts_event"] < bars[-1]["ts_event"]]
    items = merge(bars, messages)
    bots = load_bots(inputs.sample_bots(), cards=CardLoader()).to_records(items[0].ts)
    print(f"{len(bars)} bars, {len(messages)} messages, {len(bots)} bots")

    calm = run_drill(_config(env, "calm"), items, bots)
    print(f"undisturbed: {calm.seconds:.0f} s, {len(calm.trades)} trades")

    def disturb(session: Session) -> Disturber:
        return Disturber(session, list(SERVICE_NAMES), args.kill_every,
                         restart_kafka=_restart_kafka, kafka_at_bar=args.kafka_at)  # fmt: skip

    storms: list[Outcome] = []
    for run in range(1, args.runs + 1):
        storms.append(run_drill(_config(env, f"storm-{run}"), items, bots, disturb=disturb))
        print(f"disturbed run {run}: {storms[-1].seconds:.0f} s, {len(storms[-1].trades)} trades")
    same = [
        {
            "trades": storm.trades == calm.trades,
            "balances": storm.balances == calm.balances,
            "orders": storm.fills == calm.fills,
            # what differs, so a difference can be traced: the trades of one run only
            "only_undisturbed": [list(t) for t in sorted(set(calm.trades) - set(storm.trades))],
            "only_disturbed": [list(t) for t in sorted(set(storm.trades) - set(calm.trades))],
            "decisions_only_undisturbed": [
                list(d) for d in sorted(set(calm.decisions) - set(storm.decisions))
            ],
            "decisions_only_disturbed": [
                list(d) for d in sorted(set(storm.decisions) - set(calm.decisions))
            ],
        }
        for storm in storms
    ]
    ok = all(s["trades"] and s["balances"] and s["orders"] for s in same) and not any(
        storm.duplicate_orders() or any(storm.duplicate_records.values()) for storm in storms
    )
    result = {
        "bars": len(bars),
        "messages": len(messages),
        "bots": len(bots),
        "runs": args.runs,
        "identical": same,
        "passed": ok,
        "undisturbed": _summary(calm),
        "disturbed": [_summary(storm) for storm in storms],
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps({k: result[k] for k in ("identical", "passed")}, indent=2))
    for name, o in [("undisturbed", calm)] + [
        (f"disturbed {i}", o) for i, o in enumerate(storms, 1)
    ]:
        s = _summary(o)
        print(f"{name:12s} {s['seconds']:>7} s  trades {s['trades']}  balances {s['balances']}")
    print(f"written to {RESULTS.relative_to(ROOT)}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
