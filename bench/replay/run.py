"""Wall time of the full-year replay: 6,225 EURUSD bars, the 1,000-signal sample channel, 3 bots.

    uv run python bench/replay/run.py [--modes lockstep,free]

`lockstep` is what `make run` does (every decision sees exactly what the market would have
shown it; reproducible); `free` pours the records in as fast as the hive takes them (faster,
decisions may see account snapshots early or late). Beside them, the time to merely publish the
same records to Kafka with no hive listening: the floor any replay stands on.
Writes bench/results/replay.json.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import uuid
from pathlib import Path

from confluent_kafka import Producer

from hive.bots import load_bots
from hive.contracts import CodecRegistry, load_catalogue
from hive.contracts.serde import make_registry_client
from hive.market import read_bundled_eurusd
from hive_risk_gate.cards import CardLoader
from hive_tools import infra
from hive_tools.playback import inputs, merge
from hive_tools.playback.session import Session, SessionConfig
from hive_tools.report import collect_run, summarize
from hive_tools.supervise import free_port

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "bench" / "results" / "replay.json"


def _publish_only(env: dict[str, str], items: list) -> float:
    """The same records produced to two private topics, nobody consuming."""
    from confluent_kafka.admin import AdminClient, NewTopic

    tag = uuid.uuid4().hex[:8]
    topics = {"bar": f"bench.replay.bars.{tag}", "message": f"bench.replay.raw.{tag}"}
    admin = AdminClient({"bootstrap.servers": env["HIVE_KAFKA_BOOTSTRAP"]})
    for f in admin.create_topics([NewTopic(t, 3, 1) for t in topics.values()]).values():
        f.result()
    codecs = CodecRegistry(make_registry_client(env["HIVE_SCHEMA_REGISTRY_URL"]), load_catalogue())
    producer = Producer({"bootstrap.servers": env["HIVE_KAFKA_BOOTSTRAP"], "linger.ms": 2,
                         "enable.idempotence": True})  # fmt: skip
    started = time.perf_counter()
    for item in items:
        value = codecs.codec(item.topic).encode(dict(item.value))
        producer.produce(topics[item.kind], value, item.key.encode())
        producer.poll(0)
    producer.flush(60)
    seconds = time.perf_counter() - started
    for f in admin.delete_topics(list(topics.values())).values():
        f.result()
    return seconds


def _replay(env: dict[str, str], items: list, bots: list, lockstep: bool) -> dict[str, object]:
    state = infra.InfraSettings().state / "bench-replay"
    session = Session(
        SessionConfig(
            env=env,
            log_dir=state / "logs",
            model_store=state / "models",
            hub_port=free_port(),
            admin_key="bench-" + uuid.uuid4().hex,
            lockstep=lockstep,
        )
    )
    try:
        session.reset()
        session.publish_bots(bots)
        session.start_services()
        session.wait_ready()
        started = time.perf_counter()
        progress = session.play(items)
        if not lockstep:  # the replay is over when the hive has handled everything
            assert session.quiet is not None
            session.quiet.wait(600)
        seconds = time.perf_counter() - started
        session.settle_all()
        summary = summarize(collect_run(session.bootstrap, env["HIVE_SCHEMA_REGISTRY_URL"]))
    finally:
        session.stop()
    return {
        "seconds": round(seconds, 1),
        "lockstep_waits": progress.barriers,
        "lockstep_wait_seconds": round(progress.barrier_seconds, 1),
        "bots": {
            b.bot_id: {"trades": b.trades, "net_pnl": round(b.net_pnl, 2)} for b in summary.bots
        },
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--modes", default="lockstep,free", help="comma list: lockstep, free")
    args = ap.parse_args()
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    if not modes or set(modes) - {"lockstep", "free"}:
        ap.error(f"--modes: lockstep and/or free, not {args.modes!r}")
    env = dict(os.environ) | infra.endpoints()
    bars = list(read_bundled_eurusd())
    messages = inputs.read_channels([inputs.ChannelSpec(p, None) for p in inputs.sample_channels()])
    items = merge(bars, messages)
    bots = load_bots(inputs.sample_bots(), cards=CardLoader()).to_records(items[0].ts)
    result: dict[str, object] = {"bars": len(bars), "messages": len(messages), "bots": len(bots)}
    result["publish_only_seconds"] = round(_publish_only(env, items), 2)
    print(f"publish only: {result['publish_only_seconds']} s")
    for mode in modes:
        result[mode] = _replay(env, items, bots, lockstep=mode == "lockstep")
        print(f"{mode}: {json.dumps(result[mode])}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(f"written to {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
