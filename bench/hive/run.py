"""The whole decision path, signals.raw -> orders.intents, beside a bare relay chain of as many hops.

    uv run python bench/hive/run.py [--rate 50] [--seconds 30] [--burst 2000] [--steps 25,35,75,150]

The hive: signal-parser -> enricher -> regime-detector -> risk-gate (4 service hops, 5 topics),
plus the governor (the gate opens nothing while the governor is silent), started by
`hive_tools.playback.Session` on a clean slate with one paper bot that follows the bench's source
(bench/hive/bots.yaml, `follow` card). The executor is not run, so the governor is told to
require only the risk gate (HIVE_GOVERNOR_REQUIRED_SERVICES=risk-gate; by default a silent
executor puts the whole hive in SAFE_MODE). The bundled EURUSD H1 bars up to 2017-12-20 10:00
UTC are published first and the hive left to settle, so every signal (timed in the following
hour) is priced on arrival. A signal is "EURUSD BUY NOW <close> / SL -50 pips / TP +100 pips":
allowed, one intent each.

The bare chain: 4 bench/relay/bare_relay.py processes over 5 private topics, each decoding and
re-encoding every record with the signals.raw Avro schema (as each service decodes its input and
encodes its output), the runtime's client settings, the same keying (one source -> one
partition per topic), on the same broker, in the same run, while the hive's services are not
running.

Latency: records sent at a fixed rate; a record's latency is the time its output (the intent,
matched by signal id; the chain's last record, by message id) reaches a consumer minus the time
it was handed to the producer. Per hop: the producer timestamps (ms) of the intermediate records.
Throughput: a burst of N records produced as fast as possible; the output rate from the first
output to the last, and N over the time from the first send to the last output. --steps: the
hive at further fixed rates, to see where it stops keeping up. Results go to
bench/results/hive.json and are printed. The probe only stores what it reads; it decodes after
each run, so it takes little CPU from the services while they are measured.
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import itertools
import json
import os
import platform
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic
from confluent_kafka.schema_registry import Schema

from hive.contracts import load_catalogue
from hive.contracts.serde import AvroCodec, make_registry_client
from hive.intake.records import raw_record
from hive_tools import infra

ROOT = Path(__file__).resolve().parents[2]
BOTS_FILE = ROOT / "bench/hive/bots.yaml"
SOURCE = "bench"
RAW = "signals.raw.v1"
PARSED = "signals.parsed.v1"
ENRICHED = "signals.enriched.v1"
SCORED = "signals.scored.v1"
INTENTS = "orders.intents.v1"
DECISIONS = "orders.decisions.v1"
BARS = "market.bars.v1"
SERVICES = ("signal-parser", "enricher", "regime-detector", "risk-gate", "governor")
HIVE_HOPS = ("signal-parser", "enricher", "regime-detector", "risk-gate")
HOPS = len(HIVE_HOPS)
# The last bar published closes on a Wednesday at 10:00 UTC, away from news and weekends.
CUTOFF_MS = int(dt.datetime(2017, 12, 20, 10, 0, tzinfo=dt.UTC).timestamp() * 1000)
STALL_S = 30.0  # a run is over when nothing new came out for this long

Record = tuple[str, str, bytes]  # (id, key, value)


# ---- sending and receiving ---------------------------------------------------------------------
@dataclass(frozen=True)
class Seen:
    arrival_ns: int  # when the probe read it
    produced_ms: int  # the record's producer timestamp
    value: dict[str, Any]  # decoded after the run


class Probe:
    """Reads topics from their current end and keeps every record with its arrival time."""

    def __init__(self, bootstrap: str, topics: Sequence[str]) -> None:
        self.consumer = Consumer(
            {
                "bootstrap.servers": bootstrap,
                "group.id": f"bench-hive-probe-{uuid.uuid4().hex[:8]}",
                "enable.auto.commit": False,
                "isolation.level": "read_committed",
                "fetch.wait.max.ms": 5,
            }
        )
        meta = self.consumer.list_topics(timeout=10).topics
        parts = []
        for t in topics:
            for p in meta[t].partitions:
                high = self.consumer.get_watermark_offsets(TopicPartition(t, p), timeout=10)[1]
                parts.append(TopicPartition(t, p, high))
        self.consumer.assign(parts)
        self.raw: list[tuple[str, int, int, bytes]] = []
        self.counts: collections.Counter[str] = collections.Counter()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            # poll, not consume(n, t): a batch consume waits its full timeout for n records.
            m = self.consumer.poll(0.05)
            if m is None or m.error() is not None:
                continue
            self.raw.append((m.topic(), time.time_ns(), m.timestamp()[1], m.value()))
            self.counts[m.topic()] += 1

    def wait_count(self, topic: str, target: int, timeout_s: float) -> None:
        """Until `target` records were read from `topic`, or nothing new for STALL_S."""
        deadline = time.monotonic() + timeout_s
        seen, last_change = -1, time.monotonic()
        while time.monotonic() < deadline and self.counts[topic] < target:
            total = sum(self.counts.values())
            if total != seen:
                seen, last_change = total, time.monotonic()
            elif time.monotonic() - last_change > STALL_S:
                return
            time.sleep(0.1)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self.consumer.close()


class Sender:
    """Produces records, noting the wall-clock send time of each id; at a rate or all at once."""

    def __init__(self, bootstrap: str, topic: str) -> None:
        self.topic = topic
        self.producer = Producer(
            {"bootstrap.servers": bootstrap, "linger.ms": 0, "enable.idempotence": True}
        )
        self.sent: dict[str, int] = {}

    def send(self, records: list[Record], rate: float | None) -> float:
        """Returns the seconds the sending took (until every record is acknowledged)."""
        start = time.perf_counter()
        for i, (rid, key, value) in enumerate(records):
            if rate:
                delay = start + i / rate - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
            while True:
                try:
                    self.sent[rid] = time.time_ns()
                    self.producer.produce(self.topic, value, key.encode())
                    break
                except BufferError:
                    self.producer.poll(0.05)
            self.producer.poll(0)
        if self.producer.flush(60) > 0:
            raise RuntimeError("the broker did not acknowledge every record sent")
        return time.perf_counter() - start


class TopicPath:
    """A chain of topics, and how to find the id of a sent record in each (decoded after)."""

    def __init__(
        self, topics: Sequence[str], ids: Callable[[str, bytes], tuple[str, Any] | None]
    ) -> None:
        self.topics = list(topics)  # intermediate ..., output (the input is not read)
        self.ids = ids  # (topic, value) -> (id, decoded value), or None to skip the record

    def index(self, probe: Probe) -> dict[str, dict[str, Seen]]:
        """topic -> id -> first sighting."""
        out: dict[str, dict[str, Seen]] = {t: {} for t in self.topics}
        for topic, arrival, produced, value in list(probe.raw):
            found = self.ids(topic, value)
            if found is not None:
                out.setdefault(topic, {}).setdefault(found[0], Seen(arrival, produced, found[1]))
        return out


def _quantiles(samples: list[float]) -> dict[str, float]:
    if len(samples) < 2:
        return {}
    s = sorted(samples)
    q = statistics.quantiles(s, n=100)
    return {"p50_ms": round(q[49], 2), "p99_ms": round(q[98], 2), "max_ms": round(s[-1], 2)}


def latency_stats(
    sender: Sender, seen: dict[str, dict[str, Seen]], topics: list[str], ids: list[str],
    hop_names: Sequence[str],
) -> dict[str, Any]:  # fmt: skip
    out_topic = topics[-1]
    done = [i for i in ids if i in seen[out_topic]]
    row: dict[str, Any] = {"sent": len(ids), "received": len(done)}
    row |= _quantiles([(seen[out_topic][i].arrival_ns - sender.sent[i]) / 1e6 for i in done])
    # Per hop, from producer timestamps (ms): hop k = its output's time minus its input's.
    hops: dict[str, dict[str, float]] = {}
    for k, name in enumerate(hop_names):
        deltas = []
        for i in done:
            if not all(i in seen[t] for t in topics):
                continue
            start = sender.sent[i] / 1e6 if k == 0 else seen[topics[k - 1]][i].produced_ms
            deltas.append(seen[topics[k]][i].produced_ms - start)
        hops[name] = {k2: round(v, 1) for k2, v in _quantiles(deltas).items() if k2 != "max_ms"}
    row["hops"] = hops
    return row


def burst_stats(
    sender: Sender, seen: dict[str, Seen], ids: list[str], send_s: float
) -> dict[str, Any]:
    arrivals = sorted(seen[i].arrival_ns for i in ids if i in seen)
    row: dict[str, Any] = {
        "records": len(ids),
        "received": len(arrivals),
        "send_s": round(send_s, 3),
    }
    if len(arrivals) >= 2:
        span = (arrivals[-1] - arrivals[0]) / 1e9
        total = (arrivals[-1] - min(sender.sent[i] for i in ids)) / 1e9
        row |= {
            "output_per_s": round((len(arrivals) - 1) / max(span, 1e-9), 1),
            "completion_per_s": round(len(arrivals) / max(total, 1e-9), 1),
            "completion_s": round(total, 2),
        }
    return row


# ---- the signals ---------------------------------------------------------------------------
class Signals:
    """signals.raw records, each with its own message id and an event time in the hour after
    the last bar's close (so the enricher prices it on arrival)."""

    def __init__(self, close: float, codec: AvroCodec) -> None:
        self.close = close
        self.codec = codec
        self.seq = 0

    def batch(self, tag: str, n: int) -> list[Record]:
        c = self.close
        text = f"EURUSD BUY NOW {c:.4f}\nSL {c - 0.0050:.4f}\nTP {c + 0.0100:.4f}"
        out = []
        for _ in range(n):
            self.seq += 1
            mid = f"{tag}-{self.seq}"
            rec = raw_record(
                source=SOURCE,
                channel_kind="REPLAY",
                message_id=mid,
                text=text,
                posted_at_ms=CUTOFF_MS + 60_000 + self.seq,
            )
            out.append((mid, SOURCE, self.codec.encode(rec)))
        return out


# ---- the measurement, the same for both ----------------------------------------------------
@dataclass
class Target:
    name: str
    sender: Sender
    probe: Probe
    path: TopicPath
    hop_names: Sequence[str]
    done_topic: str  # one record per sent record: tells when a run is complete
    verdict: Callable[[dict[str, Any]], str] | None = None  # of a done_topic record


def measure(
    t: Target,
    batch: Callable[[str, int], list[Record]],
    rate: float,
    seconds: float,
    burst: int,
    steps: Sequence[float] = (),
    step_seconds: float = 15.0,
) -> dict[str, Any]:
    def run(tag: str, n: int, at: float | None, timeout_s: float) -> tuple[list[str], float]:
        recs = batch(tag, n)
        before = t.probe.counts[t.done_topic]
        log(f"{t.name}: {n} records " + (f"at {at:g}/s" if at else "as fast as possible"))
        took = t.sender.send(recs, at)
        t.probe.wait_count(t.done_topic, before + n, timeout_s)
        return [r[0] for r in recs], took

    # Warm-up, not measured: records through every hop (group joins, metadata, first calls).
    ids, _ = run("warm", 20, 20.0, 180)
    if not any(i in t.path.index(t.probe)[t.path.topics[-1]] for i in ids):
        raise RuntimeError(f"{t.name}: no warm-up record came out")
    time.sleep(2)
    out: dict[str, Any] = {"load_before": _load()}
    ids, _ = run("lat", int(rate * seconds), rate, 120)
    seen = t.path.index(t.probe)
    row = latency_stats(t.sender, seen, t.path.topics, ids, t.hop_names)
    out["latency"] = {"rate": rate, **row, **verdicts(t, seen, ids)}
    out["steps"] = []
    for step in steps:
        time.sleep(2)
        ids, _ = run(f"step{step:g}", int(step * step_seconds), step, 300)
        seen = t.path.index(t.probe)
        row = latency_stats(t.sender, seen, t.path.topics, ids, t.hop_names)
        out["steps"].append({"rate": step, **row, **verdicts(t, seen, ids)})
    time.sleep(2)
    ids, took = run("burst", burst, None, 900)
    seen = t.path.index(t.probe)
    out["burst"] = burst_stats(t.sender, seen[t.path.topics[-1]], ids, took)
    if t.done_topic != t.path.topics[-1]:
        out["burst_handled"] = burst_stats(t.sender, seen[t.done_topic], ids, took)
    out["burst"] |= verdicts(t, seen, ids)
    out["load_after"] = _load()
    return out


def verdicts(t: Target, seen: dict[str, dict[str, Seen]], ids: list[str]) -> dict[str, Any]:
    if t.verdict is None:
        return {}
    done = seen.get(t.done_topic, {})
    count = collections.Counter(t.verdict(done[i].value) for i in ids if i in done)
    return {"decisions": dict(count)}


def _load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


# ---- the hive ------------------------------------------------------------------------------
def run_hive(env: dict[str, str], args: argparse.Namespace) -> dict[str, Any]:
    from hive.bots import load_bots
    from hive.contracts import CodecRegistry
    from hive.market import read_bundled_eurusd
    from hive_risk_gate.cards import CardLoader
    from hive_tools.playback.session import Session, SessionConfig

    state = infra.InfraSettings().state
    session = Session(
        SessionConfig(
            env=env,
            log_dir=state / "logs" / "bench-hive",
            model_store=state / "bench-hive-models",
            services=SERVICES,
            extra_env={
                # The runtime's default (a replay in lockstep commits every batch instead).
                "HIVE_COMMIT_INTERVAL_MS": "1000",
                "HIVE_LOG_LEVEL": "WARNING",
                # No executor here: by default its silence puts the hive in SAFE_MODE.
                "HIVE_GOVERNOR_REQUIRED_SERVICES": "risk-gate",
            },
        )
    )
    codecs = CodecRegistry(make_registry_client(env["HIVE_SCHEMA_REGISTRY_URL"]), load_catalogue())
    bars = [b for b in read_bundled_eurusd() if b["ts_event"] <= CUTOFF_MS]
    assert bars[-1]["ts_event"] == CUTOFF_MS, "the bundled bars changed: pick another cutoff"
    signals = Signals(float(bars[-1]["close"]), codecs.codec(RAW))
    bootstrap = env["HIVE_KAFKA_BOOTSTRAP"]
    result: dict[str, Any] = {"services": list(SERVICES), "bars": len(bars)}
    log(f"hive: clean slate, {len(SERVICES)} services, {len(bars):,} bars")
    session.reset()
    session.publish_bots(load_bots(BOTS_FILE, cards=CardLoader()).to_records(bars[0]["ts_event"]))
    session.start_services()
    try:
        session.wait_ready()
        bar_codec = codecs.codec(BARS)
        prod = Producer(
            {"bootstrap.servers": bootstrap, "linger.ms": 5, "enable.idempotence": True}
        )
        for b in bars:
            while True:
                try:
                    prod.produce(BARS, bar_codec.encode(b), b"EURUSD")
                    break
                except BufferError:
                    prod.poll(0.05)
        prod.flush(60)
        assert session.quiet is not None
        t0 = time.monotonic()
        session.quiet.wait(600, ready=session.all_up)
        log(f"hive: bars handled in {time.monotonic() - t0:.1f} s")

        decoders = {t: codecs.codec(t) for t in (PARSED, ENRICHED, SCORED, INTENTS, DECISIONS)}

        def message_id(topic: str, value: bytes) -> tuple[str, Any] | None:
            rec = decoders[topic].decode(value)
            if topic == INTENTS and rec["shadow"]:
                return None  # a counterfactual of a denied signal, not an order
            sid = rec["signal"]["signal_id"] if topic in (ENRICHED, SCORED) else rec["signal_id"]
            return str(sid).split(":")[1], rec  # "bench:<message id>:0"

        def verdict(decision: dict[str, Any]) -> str:
            return "allowed" if decision["allowed"] else ",".join(decision["reasons"]) or "denied"

        path = TopicPath([PARSED, ENRICHED, SCORED, INTENTS], message_id)
        probe = Probe(bootstrap, [*path.topics, DECISIONS])
        sender = Sender(bootstrap, RAW)
        try:
            target = Target("hive", sender, probe, path, HIVE_HOPS, DECISIONS, verdict)
            result |= measure(
                target, signals.batch, args.rate, args.seconds, args.burst,
                args.steps, args.step_seconds,
            )  # fmt: skip
        finally:
            probe.close()
        seen = path.index(probe)
        result["signals_sent"] = len(sender.sent)
        result["decisions"] = dict(
            collections.Counter(verdict(s.value) for s in seen[DECISIONS].values())
        )
        result["intents"] = len(seen[INTENTS])
        result["shadow_intents"] = probe.counts[INTENTS] - len(seen[INTENTS])
        result["dead_letters"] = dead_letters(bootstrap)
    finally:
        result["exit_codes"] = session.stop()
    return result


def dead_letters(bootstrap: str) -> dict[str, int]:
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "bench-hive-dlq"})
    try:
        out = {}
        for t, meta in c.list_topics(timeout=10).topics.items():
            if t.endswith(".dlq"):
                n = sum(
                    c.get_watermark_offsets(TopicPartition(t, p), timeout=10)[1]
                    for p in meta.partitions
                )
                if n:
                    out[t] = n
        return out
    finally:
        c.close()


# ---- the bare chain ------------------------------------------------------------------------
def run_chain(env: dict[str, str], args: argparse.Namespace) -> dict[str, Any]:
    bootstrap, registry = env["HIVE_KAFKA_BOOTSTRAP"], env["HIVE_SCHEMA_REGISTRY_URL"]
    raw = load_catalogue()[RAW]
    tag = uuid.uuid4().hex[:8]
    topics = [f"bench.chain.{tag}.h{i}" for i in range(HOPS + 1)]
    admin = AdminClient({"bootstrap.servers": bootstrap})
    for fut in admin.create_topics([NewTopic(t, 3, 1) for t in topics]).values():
        fut.result(30)
    client = make_registry_client(registry)
    for t in topics:
        client.register_schema(f"{t}-value", Schema(raw.schema_str(), "AVRO"))
    log(f"bare chain: {HOPS} relays over {len(topics)} topics")
    relays = []
    for i, (src, dst) in enumerate(itertools.pairwise(topics)):
        cmd = [
            sys.executable, str(ROOT / "bench/relay/bare_relay.py"),
            "--bootstrap", bootstrap, "--source", src, "--target", dst,
            "--group", f"bench-chain-{tag}-{i}", "--linger-ms", "1",
            "--avro-schema", str(raw.value_schema), "--registry", registry,
        ]  # fmt: skip
        relays.append(subprocess.Popen(cmd, env=env))
    codec = AvroCodec(client, topics[0], raw.schema_str())

    def message_id(_topic: str, value: bytes) -> tuple[str, Any]:
        rec = codec.decode(value)
        return str(rec["message_id"]), rec

    path = TopicPath(topics[1:], message_id)
    probe = Probe(bootstrap, path.topics)
    try:
        target = Target("bare chain", Sender(bootstrap, topics[0]), probe, path,
                        [f"relay {i + 1}" for i in range(HOPS)], topics[-1])  # fmt: skip
        signals = Signals(1.1838, codec)
        return measure(target, signals.batch, args.rate, args.seconds, args.chain_burst)
    finally:
        probe.close()
        for r in relays:
            r.terminate()
        for r in relays:
            r.wait(30)
        for fut in admin.delete_topics(topics, operation_timeout=30).values():
            fut.result()


# ---- main ----------------------------------------------------------------------------------
def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def fmt(row: dict[str, Any], key: str) -> str:
    v = row.get(key)
    return "-" if v is None else f"{v:,.1f}"


def kept_up(row: dict[str, Any]) -> bool:
    return bool(row["received"] == row["sent"] and row.get("p99_ms", 1e9) <= 1000)


def rates(text: str) -> list[float]:
    return [float(x) for x in text.split(",") if x.strip()]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--rate", type=float, default=50.0, help="signals/s in the latency run")
    ap.add_argument("--seconds", type=float, default=30.0, help="length of the latency run")
    ap.add_argument("--burst", type=int, default=2000, help="signals in the hive's burst")
    ap.add_argument("--chain-burst", type=int, default=20000, help="records in the chain's burst")
    ap.add_argument(
        "--steps",
        type=rates,
        default=[25.0, 35.0, 75.0, 150.0],
        help="more rates for the hive: 100,200",
    )
    ap.add_argument("--step-seconds", type=float, default=15.0, help="length of each step")
    ap.add_argument("--out", type=Path, default=ROOT / "bench/results/hive.json")
    args = ap.parse_args()
    if args.rate <= 0 or args.seconds <= 0 or min(args.burst, args.chain_burst) < 100:
        ap.error("--rate and --seconds must be > 0, the bursts >= 100")

    from hive_tools.admin.schemas import register_all
    from hive_tools.admin.topics import create_topics

    settings = infra.InfraSettings()
    infra.up(settings=settings)
    env = {**os.environ, **infra.endpoints(settings)}
    create_topics(env["HIVE_KAFKA_BOOTSTRAP"], load_catalogue())
    register_all(make_registry_client(env["HIVE_SCHEMA_REGISTRY_URL"]), load_catalogue())

    chain = run_chain(env, args)
    hive = run_hive(env, args)
    hl, cl = hive["latency"], chain["latency"]
    hb, cb = hive["burst"], chain["burst"]
    ratios = {
        "p50_hive_vs_bare": round(hl["p50_ms"] / cl["p50_ms"], 2),
        "p99_hive_vs_bare": round(hl["p99_ms"] / cl["p99_ms"], 2),
        "throughput_hive_vs_bare": round(hb["output_per_s"] / cb["output_per_s"], 4),
    }
    result: dict[str, Any] = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "path": " -> ".join([RAW, *HIVE_HOPS, INTENTS]),
        "args": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        "hive": hive,
        "bare_chain": chain,
        "ratios": ratios,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")

    print()
    print(f"signals.raw -> orders.intents, {HOPS} hops; latency at {args.rate:g}/s for "
          f"{args.seconds:g} s; throughput: a burst of {args.burst} (hive) / "
          f"{args.chain_burst} (chain)")  # fmt: skip
    print(f"{'':11} {'sent':>5} {'out':>5} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7} | "
          f"{'burst out':>9} {'out/s':>8} {'N/s':>8} | load")  # fmt: skip
    for name, r in (("hive", hive), ("bare chain", chain)):
        lat, b = r["latency"], r["burst"]
        print(f"{name:11} {lat['sent']:>5} {lat['received']:>5} {fmt(lat, 'p50_ms'):>7} "
              f"{fmt(lat, 'p99_ms'):>7} {fmt(lat, 'max_ms'):>7} | {b['received']:>9} "
              f"{fmt(b, 'output_per_s'):>8} {fmt(b, 'completion_per_s'):>8} | "
              f"{r['load_before'][0]:.1f}")  # fmt: skip
    for name, r in (("hive", hive), ("bare chain", chain)):
        hops = "  ".join(
            f"{h} {v.get('p50_ms', '-')}/{v.get('p99_ms', '-')}"
            for h, v in r["latency"]["hops"].items()
        )
        print(f"  {name} per hop p50/p99 ms: {hops}")
    hd = hive.get("burst_handled", {})
    print(f"  hive burst: {fmt(hd, 'output_per_s')} decisions/s ({hd.get('received')} of "
          f"{hd.get('records')}), {hive['burst'].get('decisions')}")  # fmt: skip
    for s in [hive["latency"], *hive["steps"]]:
        print(f"  hive at {s['rate']:g}/s: {s['received']}/{s['sent']} intents, p50 "
              f"{fmt(s, 'p50_ms')} ms, p99 {fmt(s, 'p99_ms')} ms, max {fmt(s, 'max_ms')} ms, "
              f"{s.get('decisions')}")  # fmt: skip
    kept = [s["rate"] for s in [hive["latency"], *hive["steps"]] if kept_up(s)]
    result["hive_highest_rate_kept_up"] = max(kept, default=None)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"  highest offered rate the hive kept up with (every intent out, p99 <= 1 s): "
          f"{max(kept, default=None)}")  # fmt: skip
    print(f"decisions: {hive['decisions']}; intents {hive['intents']} for "
          f"{hive['signals_sent']} signals; dead letters: {hive['dead_letters'] or 'none'}")  # fmt: skip
    print(f"hive / bare chain: p50 {ratios['p50_hive_vs_bare']}x, p99 "
          f"{ratios['p99_hive_vs_bare']}x (target p99 <= 100 ms and <= 1.5x); "
          f"throughput {ratios['throughput_hive_vs_bare']}x")  # fmt: skip
    print(f"written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
