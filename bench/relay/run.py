"""Relay benchmark: the runtime relay beside bare confluent-kafka relays, same broker, same run.

    uv run python bench/relay/run.py [--records 50000] [--rate 500] [--seconds 10]

Throughput: N records preloaded, then the relay started; records/s counted from its first
output to its last (group join excluded). Latency: records sent at a fixed rate with the send
time in a header; the time to reach the consumer of the relay's output, so each figure is
producer -> broker -> relay -> broker -> consumer. "direct" (no relay) is the floor.
Results go to bench/results/relay.json and are printed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic
from confluent_kafka.schema_registry import Schema

from hive.contracts import load_catalogue
from hive.contracts.serde import AvroCodec, make_registry_client
from hive_tools import infra

ROOT = Path(__file__).resolve().parents[2]
RAW = load_catalogue()["signals.raw.v1"]
VARIANTS = ("bare-bytes", "bare-avro", "runtime")


def _topics(bootstrap: str, registry: str, tag: str) -> tuple[str, str, AvroCodec]:
    src, dst = f"bench.{tag}.{uuid.uuid4().hex[:8]}.in", f"bench.{tag}.{uuid.uuid4().hex[:8]}.out"
    admin = AdminClient({"bootstrap.servers": bootstrap})
    for fut in admin.create_topics([NewTopic(src, 3, 1), NewTopic(dst, 3, 1)]).values():
        fut.result(30)
    client = make_registry_client(registry)
    for t in (src, dst):
        client.register_schema(f"{t}-value", Schema(RAW.schema_str(), "AVRO"))
    return src, dst, AvroCodec(client, src, RAW.schema_str())


def _start(
    variant: str, env: dict[str, str], src: str, dst: str, linger: float
) -> subprocess.Popen:
    group = f"bench-{uuid.uuid4().hex[:8]}"
    if variant == "runtime":
        run_env = {
            **env,
            "HIVE_RELAY_SOURCE": src,
            "HIVE_RELAY_TARGET": dst,
            "HIVE_RELAY_SCHEMA": str(RAW.value_schema),
            "HIVE_GROUP_ID": group,
            "HIVE_LINGER_MS": str(linger),
            "HIVE_LOG_LEVEL": "WARNING",
        }
        return subprocess.Popen([sys.executable, "-m", "hive.relay"], env=run_env)
    cmd = [
        sys.executable, str(ROOT / "bench/relay/bare_relay.py"),
        "--bootstrap", env["HIVE_KAFKA_BOOTSTRAP"], "--source", src, "--target", dst,
        "--group", group, "--linger-ms", str(linger),
    ]  # fmt: skip
    if variant == "bare-avro":
        cmd += [
            "--avro-schema",
            str(RAW.value_schema),
            "--registry",
            env["HIVE_SCHEMA_REGISTRY_URL"],
        ]
    return subprocess.Popen(cmd, env=env)


def _example(i: int) -> dict:
    rec = json.loads(
        (RAW.value_schema.parents[1] / "examples" / f"{RAW.value_schema.stem}.json").read_text()
    )
    rec["event_id"] = f"bench-{i}"
    rec["message_id"] = str(i)
    return rec


def _high_water(c: Consumer, topic: str) -> int:
    return sum(c.get_watermark_offsets(TopicPartition(topic, p), timeout=5)[1] for p in range(3))


def throughput(variant: str, env: dict[str, str], n: int) -> dict[str, float]:
    bootstrap = env["HIVE_KAFKA_BOOTSTRAP"]
    src, dst, codec = _topics(bootstrap, env["HIVE_SCHEMA_REGISTRY_URL"], f"tp.{variant}")
    prod = Producer({"bootstrap.servers": bootstrap, "linger.ms": 20, "enable.idempotence": True})
    for i in range(n):
        while True:
            try:
                prod.produce(src, codec.encode(_example(i)), key=f"k{i % 64}")
                break
            except BufferError:
                prod.poll(0.1)
    prod.flush()
    probe = Consumer({"bootstrap.servers": bootstrap, "group.id": "bench-probe"})
    relay = _start(variant, env, src, dst, linger=5.0)
    t_first = c_first = None
    deadline = time.monotonic() + 600
    try:
        while time.monotonic() < deadline:
            count = _high_water(probe, dst)
            now = time.perf_counter()
            if t_first is None and count > 0:
                t_first, c_first = now, count
            if count >= n:
                break
            time.sleep(0.02)
        else:
            raise RuntimeError(f"{variant}: relay did not finish")
    finally:
        relay.terminate()
        relay.wait(30)
        probe.close()
    assert t_first is not None and c_first is not None
    rate = (n - c_first) / max(now - t_first, 1e-9)
    return {"records": n, "records_per_s": round(rate, 1)}


def latency(variant: str, env: dict[str, str], rate: int, seconds: float) -> dict[str, float]:
    bootstrap = env["HIVE_KAFKA_BOOTSTRAP"]
    src, dst, codec = _topics(bootstrap, env["HIVE_SCHEMA_REGISTRY_URL"], f"lat.{variant}")
    read_from = src if variant == "direct" else dst
    relay = None if variant == "direct" else _start(variant, env, src, dst, linger=0.0)
    cons = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"bench-lat-{uuid.uuid4().hex[:6]}",
            "auto.offset.reset": "latest",
            "fetch.wait.max.ms": 5,
        }
    )
    cons.subscribe([read_from])
    prod = Producer({"bootstrap.servers": bootstrap, "linger.ms": 0, "enable.idempotence": True})
    payload = codec.encode(_example(0))
    samples: list[float] = []
    stop = threading.Event()

    def receive() -> None:
        while not stop.is_set():
            # poll, not consume(n, t): a batch consume waits its full timeout for n records.
            m = cons.poll(0.05)
            if m is not None and m.error() is None and m.headers():
                sent = int(dict(m.headers())["sent_ns"])
                if sent > 0:
                    samples.append((time.time_ns() - sent) / 1e6)

    # Warm-up: wait until a record makes it through (group joins, metadata), not measured.
    t0 = time.monotonic()
    while not cons.assignment() and time.monotonic() - t0 < 60:
        cons.poll(0.1)
    warm = 0
    while time.monotonic() - t0 < 90:
        prod.produce(src, payload, key="w", headers={"sent_ns": b"0"})
        prod.flush()
        got = cons.consume(10, 0.5)
        warm += len(got)
        if warm:
            break
    receiver = threading.Thread(target=receive, daemon=True)
    receiver.start()
    total = int(rate * seconds)
    start = time.perf_counter()
    for i in range(total):
        target = start + i / rate
        delay = target - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        prod.produce(
            src, payload, key=f"k{i % 16}", headers={"sent_ns": str(time.time_ns()).encode()}
        )
        prod.poll(0)
    prod.flush()
    deadline = time.monotonic() + 30
    while len(samples) < total and time.monotonic() < deadline:
        time.sleep(0.05)
    stop.set()
    receiver.join(5)
    cons.close()
    if relay:
        relay.terminate()
        relay.wait(30)
    samples.sort()
    q = statistics.quantiles(samples, n=100)
    return {
        "sent": total,
        "received": len(samples),
        "p50_ms": round(q[49], 2),
        "p99_ms": round(q[98], 2),
        "max_ms": round(samples[-1], 2),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--records", type=int, default=50_000, help="records per throughput run")
    ap.add_argument("--rate", type=int, default=500, help="records/s in the latency runs")
    ap.add_argument("--seconds", type=float, default=10.0, help="length of each latency run")
    ap.add_argument("--out", type=Path, default=ROOT / "bench/results/relay.json")
    args = ap.parse_args()
    if args.records < 1000 or args.rate < 1 or args.seconds <= 0:
        ap.error("--records must be >= 1000, --rate >= 1 and --seconds > 0")

    infra.up(["kafka", "registry"])
    env = {**os.environ, **infra.endpoints(infra.InfraSettings())}
    result: dict[str, object] = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "throughput": {v: throughput(v, env, args.records) for v in VARIANTS},
        "latency_at_rate": args.rate,
        "latency": {v: latency(v, env, args.rate, args.seconds) for v in ("direct", *VARIANTS)},
    }
    tp = result["throughput"]
    assert isinstance(tp, dict)
    ratio = tp["runtime"]["records_per_s"] / tp["bare-bytes"]["records_per_s"]
    ratio_avro = tp["runtime"]["records_per_s"] / tp["bare-avro"]["records_per_s"]
    result["runtime_vs_bare_bytes"] = round(ratio, 3)
    result["runtime_vs_bare_avro"] = round(ratio_avro, 3)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")

    print(
        f"{'relay':12} {'records/s':>10} | latency at {args.rate}/s: {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7}"
    )
    lat = result["latency"]
    assert isinstance(lat, dict)
    for v in ("direct", *VARIANTS):
        rps = tp[v]["records_per_s"] if v in tp else float("nan")
        row = lat[v]
        print(
            f"{v:12} {rps:>10.0f} | {'':>18} {row['p50_ms']:>7} {row['p99_ms']:>7} {row['max_ms']:>7}"
        )
    print(f"runtime / bare-bytes throughput: {ratio:.2f}   runtime / bare-avro: {ratio_avro:.2f}")
    print(f"written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
