"""Fuzz run: random and malformed raw messages through the real signal parser, and random and
malformed requests against the real hub app. Every raw message must be accounted for (parsed,
update or exactly one dead letter), the parser must not crash, the hub must never answer 5xx or
let a request through without its role.

    uv run python bench/fuzz/run.py [--raw 100000] [--hub 100000] [--seed 1]

Servers: the project's own (`hive infra up`, started if needed). Prints the results and writes
them to bench/results/fuzz.json; exit 1 if an invariant failed.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))

import fuzz_hub  # noqa: E402
import fuzz_raw  # noqa: E402


def raw_ok(r: dict[str, Any]) -> bool:
    bad = {k for k in r["outcomes"] if k not in ("parsed", "update", "dead_letter")}
    return r["missing"] == 0 and not bad and r["crashes"] == 0


def hub_ok(r: dict[str, Any]) -> bool:
    return (
        r["server_errors_5xx"] == 0
        and not r["transport_errors"]
        and not r["violations"]
        and not r.get("outbox_violations")
        and r["crashes"] == 0
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--raw", type=int, default=100_000, help="raw messages (0: skip)")
    ap.add_argument("--hub", type=int, default=100_000, help="hub requests (0: skip)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--concurrency", type=int, default=16, help="hub clients in flight")
    ap.add_argument("--out", type=Path, default=ROOT / "bench/results/fuzz.json")
    args = ap.parse_args()

    from hive.contracts import load_catalogue
    from hive.contracts.serde import make_registry_client
    from hive_tools import infra
    from hive_tools.admin.schemas import register_all
    from hive_tools.admin.topics import create_topics

    infra.up(["kafka", "registry", "postgres"])
    env = {**os.environ, **infra.endpoints(infra.InfraSettings())}
    cat = load_catalogue()
    create_topics(env["HIVE_KAFKA_BOOTSTRAP"], cat)
    register_all(make_registry_client(env["HIVE_SCHEMA_REGISTRY_URL"]), cat)
    logs = Path(tempfile.mkdtemp(prefix="hive-fuzz-"))
    result: dict[str, Any] = {"seed": args.seed, "logs": str(logs)}
    ok = True
    if args.raw:
        r = fuzz_raw.run(env, args.raw, args.seed, logs, timeout_s=max(300, args.raw / 50))
        result["raw"] = r
        ok &= raw_ok(r)
        print(
            f"raw: {r['published']:,} published, outcomes {r['outcomes']}, missing {r['missing']}, "
            f"{r['messages_per_s']:,.0f} msg/s accounted ({r['account_s']} s), "
            f"parser alive {r['parser_alive_at_end']} healthz {r['parser_healthz'].get('status_code')}"
        )
        print(f"     dead-letter reasons {r['dead_letter_reasons']}")
    if args.hub:
        h = fuzz_hub.run(env, args.hub, args.seed, logs, concurrency=args.concurrency)
        result["hub"] = h
        ok &= hub_ok(h)
        print(
            f"hub: {h['answered']:,} answered of {h['requests']:,} in {h['duration_s']} s "
            f"({h['requests_per_s']:,.0f} req/s, p99 {h['p99_ms']} ms), statuses {h['statuses']}, "
            f"5xx {h['server_errors_5xx']}, violations {h['violations']}, "
            f"outbox violations {h.get('outbox_violations')}, hub alive {h['hub_alive_at_end']}"
        )
        for e in h["violation_examples"][:5]:
            print(f"     {e}")
    result["crashes"] = result.get("raw", {}).get("crashes", 0) + result.get("hub", {}).get(
        "crashes", 0
    )
    result["ok"] = bool(ok)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"{'OK' if ok else 'FAILED'}; written to {args.out}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
